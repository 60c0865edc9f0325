#!/usr/bin/python3
"""docs/bench-periodic.md and docs/bench-periodic-frozen.png from the raw
lines of bench/periodic-guest.sh (a kind, then KEY=VALUE fields; the
script's header says what each kind holds).

usage: periodic_report.py RAW DOCS_DIR
"""
import math
import sys
from collections import defaultdict

src, docs = sys.argv[1:3]
PAGE = 4096

meta = {}
fork = {}                          # cfg -> fields
ckpt_cp = defaultdict(list)        # (cfg, every) -> [fields per image]
ckpt_run = {}                      # (cfg, every) -> fields
writer = defaultdict(list)         # (cfg, phase) -> [fields]
criu_cp = defaultdict(list)        # cfg -> [fields]
criu_st = defaultdict(dict)        # cfg -> seq -> fields
final = {}                         # cfg -> fields
fails = []
others = []


def fields(toks):
    d = {}
    last = None
    for t in toks:
        if "=" in t:
            k, v = t.split("=", 1)
            d[k] = v
            last = k
        elif last is not None:     # a value with spaces
            d[last] += " " + t
    return d


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


for line in open(src):
    toks = line.split()
    if not toks:
        continue
    kind, f = toks[0], fields(toks[1:])
    if kind == "meta":
        meta.update(f)
        continue
    if "mib" not in f:
        continue
    cfg = (int(f["mib"]), f.get("rate"), f.get("pages", "4k"))
    if kind == "fork":
        fork.setdefault(cfg, {}).update(f)
    elif kind == "forklate":
        fork.setdefault(cfg, {}).update(f)
    elif kind == "ckpt_cp":
        ckpt_cp[(cfg, int(f["every"]))].append(f)
    elif kind == "ckpt_run":
        ckpt_run[(cfg, int(f["every"]))] = f
    elif kind == "writer":
        writer[(cfg, f["phase"])].append(f)
    elif kind == "criu_cp":
        criu_cp[cfg].append(f)
    elif kind == "criu_st":
        criu_st[cfg][int(f["seq"])] = f
    elif kind == "final":
        final[cfg] = f
    elif kind == "fail":
        fails.append((cfg, f))
    elif kind == "other":
        others.append((cfg, f))

cfgs = sorted(set(fork) | {c for c, _ in ckpt_run} | set(criu_cp),
              key=lambda c: (c[2], c[0], float(c[1] or 0)))
everys = sorted({e for _, e in ckpt_run})


def pct(v, p):
    """Nearest-rank percentile, as the tool computes its summary."""
    v = sorted(v)
    if not v:
        return None
    r = (len(v) * p + 99) // 100
    return v[max(r, 1) - 1]


def mean(v):
    v = [x for x in v if x is not None]
    return sum(v) / len(v) if v else None


def fmt(x, digits=0):
    if x is None:
        return "n/a"
    return "%.*f" % (digits, x)


def ratio(a, b, digits=2):
    if a is None or b is None or b == 0:
        return "n/a"
    return "%.*f" % (digits, a / b)


def writer_rate(cfg, phase):
    """Pages/s the writer really managed over a phase's steady state."""
    w = writer.get((cfg, phase), [])
    if len(w) < 2:
        return None
    dt = (num(w[-1]["t_us"]) - num(w[0]["t_us"])) / 1e6
    return (num(w[-1]["writes"]) - num(w[0]["writes"])) / dt if dt > 0 else None


def expected_dirty(npages, rate_pps, dt_s):
    """Distinct pages among rate*dt uniformly random page writes."""
    if None in (npages, rate_pps, dt_s) or npages <= 0:
        return None
    return npages * (1 - math.exp(-rate_pps * dt_s / npages))


def ckpt_series(cfg, every):
    """Per-run figures; steady state = the images after the first (full)."""
    cps = sorted(ckpt_cp.get((cfg, every), []), key=lambda f: int(f["seq"]))
    run = ckpt_run.get((cfg, every), {})
    r = {"n": len(cps), "run": run}
    if not cps:
        return r
    first, steady = cps[0], cps[1:]
    r["first_frozen"] = num(first["frozen_us"])
    r["first_bytes"] = num(first["bytes"])
    fr = [num(f["frozen_us"]) for f in steady]
    r["steady_n"] = len(steady)
    r["p50"], r["p99"], r["max"] = pct(fr, 50), pct(fr, 99), max(fr) if fr else None
    # Each image's capture: its completion stamp less its writeout.
    cap = [num(f["t_us"]) - num(f["write_ms"]) * 1000 for f in cps]
    t1, tl = num(first["t_us"]), num(cps[-1]["t_us"])
    r["cps"] = len(steady) / ((tl - t1) / 1e6) if steady and tl > t1 else None
    r["dirty"] = mean([num(f["dirty_pages"]) for f in steady])
    r["bytes"] = mean([num(f["bytes"]) for f in steady])
    r["write_ms"] = pct([num(f["write_ms"]) for f in steady], 50)
    gaps = [(cap[i] - cap[i - 1]) / 1e6 for i in range(1, len(cap))]
    r["interval_ms"] = mean(gaps) * 1000 if gaps else None
    npages = num(fork.get(cfg, {}).get("region_pages"))
    rate = writer_rate(cfg, "ckpt-%d" % every)
    r["writer_mib_s"] = rate / 256 if rate else None
    r["expected"] = mean([expected_dirty(npages, rate, g) for g in gaps]) if gaps else None
    # Images holding every page of the region again (a full image where an
    # incremental one was due, or a writer that touched everything).
    r["all_pages"] = sum(1 for f in steady if npages and num(f["dirty_pages"]) >= npages)
    return r


def criu_series(cfg):
    cps = sorted(criu_cp.get(cfg, []), key=lambda f: int(f["seq"]))
    st = criu_st.get(cfg, {})
    r = {"n": len(cps)}
    ok = [f for f in cps if f.get("rc") == "0"]
    if not ok:
        return r
    steady = ok[1:]
    fz = lambda f: num(st.get(int(f["seq"]), {}).get("frozen_time"))
    r["first_frozen"] = fz(ok[0])
    fr = [x for x in (fz(f) for f in steady) if x is not None]
    r["steady_n"] = len(steady)
    r["p50"], r["p99"] = pct(fr, 50), pct(fr, 99)
    # Back to back, without the script's own work between two pre-dumps.
    busy = sum(num(f["t1_us"]) - num(f["t0_us"]) for f in steady)
    r["cps"] = len(steady) / (busy / 1e6) if busy > 0 else None
    r["written"] = mean([num(st.get(int(f["seq"]), {}).get("pages_written")) for f in steady])
    r["bytes"] = mean([num(f.get("bytes")) for f in steady])
    r["wall_ms"] = pct([(num(f["t1_us"]) - num(f["t0_us"])) / 1000 for f in steady], 50)
    rate = writer_rate(cfg, "criu")
    r["writer_mib_s"] = rate / 256 if rate else None
    npages = num(fork.get(cfg, {}).get("region_pages"))
    # A pre-dump takes what changed since the previous one froze the task:
    # about its end, less its writing out and its frozen time.
    def froze(f):
        s = st.get(int(f["seq"]), {})
        return num(f["t1_us"]) - (num(s.get("memwrite_time")) or 0) - (num(s.get("frozen_time")) or 0)
    gaps = [(froze(ok[i]) - froze(ok[i - 1])) / 1e6 for i in range(1, len(ok))]
    r["expected"] = mean([expected_dirty(npages, rate, g) for g in gaps]) if gaps else None
    return r


CK = {(c, e): ckpt_series(c, e) for c in cfgs for e in everys if (c, e) in ckpt_run or (c, e) in ckpt_cp}
CR = {c: criu_series(c) for c in cfgs if c in criu_cp}


def fork_us(cfg, k="fork_us"):
    return num(fork.get(cfg, {}).get(k))


def cfgname(c):
    return "%d MiB %s, %s MiB/s" % (c[0], c[2], c[1])


out = ["# Periodic incremental checkpoints: benchmark", "",
       "Generated by `bench/run.sh periodic` (bench/periodic-guest.sh, "
       "bench/periodic_workload.c, bench/periodic_report.py) in one VM run "
       "under QEMU/TCG: absolute times are those of an emulated CPU, only the "
       "ratios within this run carry over.  Raw lines: `bench-periodic.raw.txt`.", ""]
for k in ("kernel", "date", "cpus", "mem_mib", "thp", "criu", "params", "total_s"):
    if k in meta:
        out.append("- %s: %s" % (k, meta[k]))
out += ["", "The target (`periodic_workload MIB RATE`) holds MIB MiB of private "
        "anonymous memory (4 KiB pages: `MADV_NOHUGEPAGE`, unless the row says "
        "thp), every page written once, times its own `fork()` (the time "
        "fork takes to return in the parent, median of 5 after a first one), "
        "then writes one word in RATE MiB/s worth of uniformly random pages, "
        "every 10 ms.  Against it, for each interval: `ckpt dump -t PID "
        "--every MS --dir DIR --stats` (images on a tmpfs), from its first "
        "image (full) until it has run the series' time and made enough "
        "images; then CRIU's `pre-dump --track-mem`, each on the one before "
        "(`--prev-images-dir`), back to back, on the same process.  "
        "\"Steady\" figures leave the first (full) image out; it is shown on "
        "its own.", ""]

out += ["## Checkpoints per second and frozen time against fork()", "",
        "`frozen_us` is measured by the module: how long the process is held "
        "for the capture.  ckpt/s: images completed per second after the "
        "first (the target is 1000/MS; a writeout that overruns the interval "
        "makes the tool skip ticks, which it counts as missed, the first "
        "image's writeout included).  stopped: stop request to resume, "
        "measured by the tool (ptrace included; its summary, the first image "
        "included).  A p99 of 100 images or fewer is their maximum "
        "(nearest rank, as in the tool's summary).  fork() after: the same "
        "process forked again once its series are done, its pages as the "
        "writer scattered them (the state the captures saw; the first fork "
        "saw freshly written, physically ordered pages).", "",
        "| MiB | pages | writer MiB/s (achieved) | --every ms | images after the first | ckpt/s (target) "
        "| frozen p50 µs | frozen p99 µs | frozen max µs | fork() µs | p50 / fork | p99 / fork "
        "| fork() after µs | p50 / fork after | p99 / fork after "
        "| first (full) image frozen µs | first fork() µs | stopped p50 / p99 µs | missed |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for (c, e), r in sorted(CK.items(), key=lambda x: (x[0][0][2], x[0][0][0], float(x[0][0][1]), x[0][1])):
    run = r["run"]
    fk = fork_us(c)
    fl = fork_us(c, "fork_late_us")
    out.append("| %d | %s | %s (%s) | %d | %d | %s (%s) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |" % (
        c[0], c[2], c[1], fmt(r.get("writer_mib_s"), 1), e, r.get("steady_n", 0),
        fmt(r.get("cps"), 1), fmt(1000 / e, 0 if e <= 1000 else 2),
        fmt(r.get("p50")), fmt(r.get("p99")), fmt(r.get("max")), fmt(fk),
        ratio(r.get("p50"), fk), ratio(r.get("p99"), fk),
        fmt(fl), ratio(r.get("p50"), fl), ratio(r.get("p99"), fl), fmt(r.get("first_frozen")),
        fmt(fork_us(c, "fork_first_us")), run.get("stopped_us_p50", "n/a"),
        run.get("stopped_us_p99", "n/a"), run.get("missed", "n/a")))
out.append("")

out += ["## Bytes per checkpoint against the dirty set", "",
        "interval: mean time between two captures.  expected dirty: the "
        "distinct pages among the writes the writer made in that time "
        "(N·(1−e^(−w/N)) for w uniformly random writes into N pages, w from "
        "the writer's own count over the series), the dirty set a page-exact "
        "tracker would see.  dirty: the module's `dirty_pages` (pages taken "
        "because they changed; it also counts the few other pages of the "
        "process: stack, libc data).  bytes: the image file.  Means over the "
        "images after the first.", "",
        "| MiB | pages | writer MiB/s | --every ms | interval ms | expected dirty pages | dirty_pages "
        "| dirty / expected | bytes / image | bytes / (dirty_pages × 4 KiB) | writeout ms p50 "
        "| images with every page | first image bytes |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for (c, e), r in sorted(CK.items(), key=lambda x: (x[0][0][2], x[0][0][0], float(x[0][0][1]), x[0][1])):
    d = r.get("dirty")
    out.append("| %d | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s |" % (
        c[0], c[2], fmt(r.get("writer_mib_s"), 1), e, fmt(r.get("interval_ms")),
        fmt(r.get("expected")), fmt(d), ratio(d, r.get("expected")), fmt(r.get("bytes")),
        ratio(r.get("bytes"), d * PAGE if d else None, 3), fmt(r.get("write_ms")),
        r.get("all_pages", "n/a"), r.get("steady_n", 0), fmt(r.get("first_bytes"))))
out.append("")

out += ["## CRIU `pre-dump --track-mem` on the same process", "",
        "Back to back, each pre-dump on the one before; freeze: CRIU's "
        "`frozen_time` from its stats-dump (the task frozen to thawed, its "
        "pages drained into pipes meanwhile).  ckpt's figures beside it are "
        "those of the same process at `--every 1000` (frozen) and `--every "
        "%s` (the highest rate).  pre-dump wall: the `criu` command, start "
        "to end; pre-dumps/s: 1 / its mean (the script's own work between "
        "two pre-dumps left out).  expected dirty: as above, for the time "
        "from one pre-dump's start to the next's." % (everys[0] if everys else "n/a"), "",
        "| MiB | pages | writer MiB/s | pre-dumps after the first | pre-dumps/s | pre-dump wall ms p50 "
        "| freeze p50 µs | freeze p99 µs | first freeze µs | fork() µs | freeze p50 / fork "
        "| ckpt frozen p50 / p99 µs (1000) | CRIU / ckpt p50 | CRIU / ckpt p99 "
        "| ckpt/s (%s) / pre-dumps/s | expected dirty pages | pages written | bytes / pre-dump |" % (
            everys[0] if everys else "n/a"),
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for c, r in sorted(CR.items(), key=lambda x: (x[0][2], x[0][0], float(x[0][1]))):
    mine = sorted(e for (cc, e) in CK if cc == c)
    eslow = 1000 if 1000 in mine else (mine[-1] if mine else None)
    efast = mine[0] if mine else None
    kslow = CK.get((c, eslow), {})
    kfast = CK.get((c, efast), {})
    fk = fork_us(c)
    out.append("| %d | %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s / %s%s | %s | %s | %s%s | %s | %s | %s |" % (
        c[0], c[2], fmt(r.get("writer_mib_s"), 1), r.get("steady_n", 0), fmt(r.get("cps"), 2),
        fmt(r.get("wall_ms")), fmt(r.get("p50")), fmt(r.get("p99")), fmt(r.get("first_frozen")),
        fmt(fk), ratio(r.get("p50"), fk), fmt(kslow.get("p50")), fmt(kslow.get("p99")),
        "" if eslow in (1000, None) else " (--every %d)" % eslow,
        ratio(r.get("p50"), kslow.get("p50"), 1), ratio(r.get("p99"), kslow.get("p99"), 1),
        ratio(kfast.get("cps"), r.get("cps"), 1),
        "" if efast in (everys[0] if everys else None, None) else " (--every %d)" % efast,
        fmt(r.get("expected")), fmt(r.get("written")), fmt(r.get("bytes"))))
out.append("")

if fails or others:
    out += ["## Failures and other messages", ""]
    for c, f in fails:
        out.append("- %s: %s" % (cfgname(c), " ".join("%s=%s" % kv for kv in f.items()
                                                       if kv[0] not in ("mib", "rate", "pages"))))
    for c, f in others[:20]:
        out.append("- %s, --every %s: %s" % (cfgname(c), f.get("every"), f.get("msg")))
    out.append("")
out += ["Plot: `bench-periodic-frozen.png` (frozen time of every image over "
        "time, one line per configuration, CRIU's pre-dump freeze and the "
        "process's fork() beside them).", ""]
text = "\n".join(out)
print(text)
open("%s/bench-periodic.md" % docs, "w").write(text)

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt

panels = sorted({(c[0], c[2]) for c in cfgs})
if panels:
    fig, axes = plt.subplots(1, len(panels), figsize=(6.5 * len(panels), 4.8), squeeze=False, sharey=True)
    for ax, (mib, pg) in zip(axes[0], panels):
        rates = sorted({c[1] for c in cfgs if c[0] == mib and c[2] == pg}, key=float)
        cols = plt.get_cmap("tab10").colors
        ci = 0
        for rate in rates:
            c = (mib, rate, pg)
            for e in everys:
                cps = sorted(ckpt_cp.get((c, e), []), key=lambda f: int(f["seq"]))
                if not cps:
                    continue
                cap = [num(f["t_us"]) - num(f["write_ms"]) * 1000 for f in cps]
                xs = [(t - cap[0]) / 1e6 for t in cap]
                ys = [max(num(f["frozen_us"]), 1) for f in cps]
                ax.plot(xs, ys, marker="." if len(cps) > 40 else "o", ms=3 if len(cps) > 40 else 4,
                        lw=0.8, color=cols[ci % 10], label="ckpt %s MiB/s --every %d" % (rate, e))
                ci += 1
            ok = [f for f in sorted(criu_cp.get(c, []), key=lambda f: int(f["seq"])) if f.get("rc") == "0"]
            pts = [(num(f["t0_us"]), num(criu_st.get(c, {}).get(int(f["seq"]), {}).get("frozen_time")))
                   for f in ok]
            pts = [p for p in pts if p[1] is not None]
            if pts:
                t0 = pts[0][0]
                ax.plot([(p[0] - t0) / 1e6 for p in pts], [p[1] for p in pts], ls="--", marker="s", ms=4,
                        lw=1, color=cols[ci % 10], label="CRIU pre-dump %s MiB/s" % rate)
                ci += 1
            fk = fork_us(c)
            if fk:
                ax.axhline(fk, ls=":", lw=1.2, color="gray" if rate == rates[0] else "black",
                           label="fork() of the %s MiB/s process" % rate)
        ax.set_yscale("log")
        ax.set_xlabel("seconds since the first (full) capture")
        ax.set_title("%d MiB, %s pages" % (mib, pg))
        ax.grid(True, which="both", axis="y", alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    axes[0][0].set_ylabel("time the process is frozen (µs, TCG)")
    fig.suptitle("Periodic checkpoints: frozen time of each image (%s)" % meta.get("kernel", ""), fontsize=10)
    fig.tight_layout()
    fig.savefig("%s/bench-periodic-frozen.png" % docs, dpi=110)
