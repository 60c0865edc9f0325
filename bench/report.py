#!/usr/bin/python3
"""Ratios and a plot from bench/dump-guest.sh's "KEY SIZE VALUE" lines."""
import sys
from collections import defaultdict

src, docs, kver = sys.argv[1:4]
v = defaultdict(dict)
for line in open(src):
    k, size, val = (line.split(maxsplit=2) + ["", ""])[:3]
    try:
        v[k][int(size)] = float(val)
    except ValueError:
        v[k][int(size)] = val.strip()
sizes = sorted(v["ckpt_dump_ms"])


def ratio(a, b, s):
    x, y = v[a].get(s), v[b].get(s)
    if isinstance(x, float) and isinstance(y, float) and x > 0:
        return "%.2f" % (y / x)
    return "n/a"


def table(header, cells):
    """A markdown table: @header's columns, one row per size from cells(s, g)."""
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for s in sizes:
        g = lambda k: v[k].get(s, "n/a")
        out.append("| " + " | ".join(str(c) for c in [s] + cells(s, g)) + " |")
    return out


def write_speed(g, s):
    if isinstance(g("dd_ms"), float) and isinstance(g("ckpt_dump_ms"), float):
        return "%.0f vs %.0f" % (s / (g("ckpt_dump_ms") / 1000), s / (g("dd_ms") / 1000))
    return "n/a"


rows = table(["MiB", "ckpt dump ms", "ckpt frozen us", "CRIU dump ms", "CRIU frozen us",
              "frozen: CRIU/ckpt", "ckpt restore ms", "CRIU restore ms", "restore: CRIU/ckpt",
              "dd ms", "ckpt write MiB/s vs dd"],
             lambda s, g: [g("ckpt_dump_ms"), g("ckpt_frozen_us"), g("criu_dump_ms"),
                           g("criu_frozen_us"), ratio("ckpt_frozen_us", "criu_frozen_us", s),
                           g("ckpt_restore_ms"), g("criu_restore_ms"),
                           ratio("ckpt_restore_ms", "criu_restore_ms", s), g("dd_ms"),
                           write_speed(g, s)])
rows += ["", "Restore: the module reads each byte of the image once, into place "
         "(the bytes it read, from debugfs ckpt/io, against the image's size), its page "
         "fill by the caller and helper threads (default: one per CPU, at most 4, for "
         "32 MiB of pages or more) or by the caller alone (`fill_threads=1`), against "
         "`dd` reading the same image from the same tmpfs.", ""]
fmt = lambda x: "%.0f" % x if isinstance(x, float) else x
rows += table(["MiB", "image bytes", "bytes read by the restore", "ckpt restore ms",
               "ckpt restore, 1 thread, ms", "helpers: speed-up", "dd read of the image ms",
               "restore vs dd", "CRIU restore ms", "restore: CRIU/ckpt"],
              lambda s, g: [fmt(g("ckpt_image_bytes")), fmt(g("ckpt_restore_read_bytes")),
                            g("ckpt_restore_ms"), g("ckpt_restore_1thr_ms"),
                            ratio("ckpt_restore_ms", "ckpt_restore_1thr_ms", s),
                            g("dd_read_image_ms"),
                            ratio("ckpt_restore_ms", "dd_read_image_ms", s),
                            g("criu_restore_ms"),
                            ratio("ckpt_restore_ms", "criu_restore_ms", s)])
rows += ["", "With `--kill` (the process must not run past the image: it stays stopped until "
         "the image is complete, then is killed), beside the live dump above. "
         "CRIU: `criu dump` without `--leave-running`.", ""]
rows += table(["MiB", "ckpt live: dump ms", "ckpt live: frozen us", "ckpt --kill: dump ms",
               "ckpt --kill: stop to kill us", "CRIU kill: dump ms", "CRIU kill: frozen us",
               "stopped: CRIU/ckpt", "CRC32C of MiB ms", "memcpy of MiB ms"],
              lambda s, g: [g("ckpt_dump_ms"), g("ckpt_frozen_us"), g("ckpt_kill_dump_ms"),
                            g("ckpt_kill_frozen_us"), g("criu_kill_dump_ms"),
                            g("criu_kill_frozen_us"),
                            ratio("ckpt_kill_frozen_us", "criu_kill_frozen_us", s),
                            g("crc32c_ms"), g("memcpy_ms")])
rows += ["", "A `--kill` dump holds the process for the whole writeout, so its stop is "
         "the writeout's time. Every image byte is CRC32C'd as it is written; the last "
         "two columns time that CRC (the module's code, in userspace) and a memcpy of the "
         "same bytes in this VM. TCG emulates the crc32 instruction much more slowly than "
         "moves (natively the crc32 instruction CRCs several GB/s, close to a memcpy), "
         "so under TCG the CRC is most of a large --kill dump's stop; CRIU writes no "
         "checksum."]
for k in sorted(v):
    if k.endswith("_failed"):
        for s, why in sorted(v[k].items()):
            rows.append("\n%s at %d MiB: %s" % (k, s, why or "(no message in its log)"))
text = "Dump/restore benchmark, one VM run (QEMU TCG, kernel %s): absolute times are emulated, compare within a row.\n\n%s\n" % (kver, "\n".join(rows))
print(text)
open("%s/bench-dump.md" % docs, "w").write(text)

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(7, 4))
for k, lab in (("ckpt_frozen_us", "ckpt frozen"), ("criu_frozen_us", "CRIU frozen")):
    pts = [(s, v[k][s] / 1000) for s in sizes if isinstance(v[k].get(s), float)]
    if pts:
        ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=lab)
ax.set_xlabel("process memory (MiB)")
ax.set_ylabel("time the process is stopped (ms, TCG)")
ax.set_xscale("log", base=2)
ax.set_title("Frozen time of a dump vs memory size (%s)" % kver)
ax.legend()
fig.tight_layout()
fig.savefig("%s/bench-dump-frozen.png" % docs)
