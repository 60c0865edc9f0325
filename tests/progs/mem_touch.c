// SPDX-License-Identifier: GPL-2.0
/*
 * mem_touch: zdtm's mem-touch, for periodic incremental checkpoints.
 *
 *   mem_touch [--mib N] [--period-us N] [--prefill] [--zap-every N]
 *             [--seed N] [--log-entries N] [--pid-file F] [--timeout-s N]
 *
 * A private anonymous region of N MiB (default 16).  Every period (default
 * 100 us; 0: no pause) one event happens to a random page, numbered by a
 * global counter c = 1, 2, 3...:
 *   - a write: every 8-byte word k of page p becomes pat(c, p, k), so a
 *     page says which event wrote it, where, and a torn page shows;
 *   - with --zap-every N, every Nth event is a zap instead:
 *     madvise(MADV_DONTNEED), the page reads as zeros again (an incremental
 *     checkpoint must carry that change too).
 * Each event is also recorded in a shadow table (last[p]: the event that
 * last changed page p, bit 63 set for a zap), appended to a log in memory
 * (one entry per event: page, zap bit, low 32 bits of c) and folded into a
 * running checksum.  --prefill writes every page once before "ready".
 *
 * Verification (on SIGUSR1, then exit 0 with PASS or 1 with FAIL: why; on
 * SIGUSR2, print "verified touches=N ..." and run on; FAIL exits at once):
 *   - the log holds exactly the events since its base and its checksum is
 *     the running one; entries past its end are zero;
 *   - last[p] is the log's last event for p, or, for a page absent from
 *     the log, an event not after the base; none is after the counter;
 *   - page p holds exactly what last[p] says: zeros for an untouched or
 *     zapped page, pat(c, p, k) in every word otherwise.
 * So a restore that mixes pages of two checkpoints fails (a page, a shadow
 * entry, a log page or the counter from an older instant than the rest),
 * and so does a zeroed or damaged page.  Any instant is consistent: the
 * checks run only between events, and a checkpoint taken in the middle of
 * one restores the middle of it.
 *
 * When the log is full (--log-entries, default 4 Mi: 32 MiB of address
 * space, touched as it fills) it is verified, emptied (its pages zapped)
 * and restarted from the current counter and checksum.
 *
 * --pid-file F: its pid, written before "ready" (under `ckpt run` the
 * runner does not know it otherwise).  --timeout-s N: FAIL once N s of
 * CLOCK_MONOTONIC passed since the start (a restored copy keeps the
 * original's deadline): a safety net against a leaked process.
 * "verified" lines: "verified touches=N zaps=N log=N resets=N".
 *
 * --self-test-corrupt=MODE damages the state just before the first
 * verification, to show that verification is not vacuous (it must FAIL):
 *   zero   a written page reads as zeros
 *   stale  a written page holds an older event's contents
 *   word   one byte of a written page is flipped
 *   log    one log entry names another page
 *   mix    pages and shadow table from an earlier instant, log and counter
 *          from now (a restore mixing two checkpoints)
 *   mix-pages  pages from an earlier instant, the rest from now
 *   mix-log  pages, shadow table and log from earlier, counter from now
 *   mix-ctl  counter, checksum and log length from earlier, the rest now
 * The earlier instant (mix*) is taken 200 events after "ready"; the first
 * verification makes 64 more events first, so it differs.
 *
 * Signals are handled by setting flags (no SA_RESTART); the main loop
 * ignores what nanosleep returns, so an interrupted or restarted sleep is
 * only a shorter or longer pause.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <inttypes.h>
#include <stdint.h>
#include <sys/mman.h>

#include "zdtm.h"

#define ZAP_BIT		(UINT64_C(1) << 63)
#define ENT_ZAP		(1U << 31)
#define STATE_MAGIC	0x6d656d746f756368ULL	/* "memtouch" */
#define SAVE_AFTER	200	/* events after "ready", for mix* */
#define TAIL_CHECK	4096	/* log entries past the end that must be 0 */

/* Everything the process knows, in one place (its .bss). */
static struct state {
	uint64_t magic;
	uint64_t ps, words, npages;
	uint64_t counter;	/* events so far */
	uint64_t zaps;		/* of which zaps */
	uint64_t log_base;	/* counter when the log was last emptied */
	uint64_t log_len;	/* == counter - log_base */
	uint64_t log_cap;
	uint64_t ck;		/* running checksum of every log entry */
	uint64_t ck_base;	/* its value when the log was last emptied */
	uint64_t rng;
	uint64_t zap_every;
	uint64_t resets;	/* times the log was emptied */
	uint64_t *region;	/* npages pages */
	uint64_t *last;		/* npages entries */
	uint64_t *log;		/* log_cap entries */
} st;

static volatile sig_atomic_t usr2;

static void on_usr2(int sig)
{
	(void)sig;
	usr2 = 1;
}

static inline uint64_t pat(uint64_t c, uint64_t p, uint64_t k)
{
	return c ^ (p << 40) ^ ((k + 1) * 0x9e3779b97f4a7c15ULL);
}

static inline uint64_t mix(uint64_t ck, uint64_t ent)
{
	ck ^= ent;
	ck = (ck << 23) | (ck >> 41);
	return ck * 0xff51afd7ed558ccdULL + 0x2545f4914f6cdd1dULL;
}

static inline uint64_t entry(uint64_t c, uint64_t p, int zap)
{
	return ((c & UINT64_C(0xffffffff)) << 32) | p | (zap ? ENT_ZAP : 0);
}

static uint64_t rnd(void)
{
	uint64_t x = st.rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st.rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static inline uint64_t *page(uint64_t p)
{
	return st.region + p * st.words;
}

static void verify(const char *why);

/* Empties the log once it is full (after checking what it says). */
static void log_reset(void)
{
	verify("the log is full");
	if (madvise(st.log, st.log_cap * 8, MADV_DONTNEED))
		zdtm_fail("madvise(log): %s", strerror(errno));
	st.log_base = st.counter;
	st.ck_base = st.ck;
	st.log_len = 0;
	st.resets++;
}

/* One event on page p (a write unless zap). */
static void event(uint64_t p, int zap)
{
	uint64_t c, ent, k, *w;

	if (st.log_len == st.log_cap)
		log_reset();
	c = st.counter + 1;
	w = page(p);
	if (zap) {
		if (madvise(w, st.ps, MADV_DONTNEED))
			zdtm_fail("madvise(page %" PRIu64 "): %s", p, strerror(errno));
		st.zaps++;
	} else {
		for (k = 0; k < st.words; k++)
			w[k] = pat(c, p, k);
	}
	st.last[p] = c | (zap ? ZAP_BIT : 0);
	ent = entry(c, p, zap);
	st.log[st.log_len] = ent;
	st.log_len++;
	st.ck = mix(st.ck, ent);
	st.counter = c;
}

static void touch_one(void)
{
	uint64_t p = rnd() % st.npages;
	int zap = st.zap_every && (st.counter + 1) % st.zap_every == 0;

	event(p, zap);
}

/* ---- verification ---- */

static void verify(const char *why)
{
	uint64_t i, p, k, c, ent, ck, want, got, *exp, *w, tail;

	CHECK(st.magic == STATE_MAGIC, "%s: state magic 0x%" PRIx64, why, st.magic);
	CHECK(st.log_len <= st.log_cap, "%s: log length %" PRIu64 " > capacity %" PRIu64,
	      why, st.log_len, st.log_cap);
	CHECK(st.log_base + st.log_len == st.counter,
	      "%s: the log holds %" PRIu64 " events since event %" PRIu64 ", but the counter is %" PRIu64,
	      why, st.log_len, st.log_base, st.counter);
	CHECK(st.zaps <= st.counter, "%s: %" PRIu64 " zaps > %" PRIu64 " events",
	      why, st.zaps, st.counter);

	/* The log: one entry per event, in order, and the checksum. */
	exp = calloc(st.npages, sizeof(*exp));
	CHECK(exp, "%s: calloc", why);
	ck = st.ck_base;
	for (i = 0; i < st.log_len; i++) {
		ent = st.log[i];
		c = st.log_base + i + 1;
		p = ent & (ENT_ZAP - 1);
		if ((ent >> 32) != (c & UINT64_C(0xffffffff)) || p >= st.npages)
			zdtm_fail("%s: log entry %" PRIu64 " is 0x%016" PRIx64 ", want event %" PRIu64
				  " (low bits 0x%" PRIx64 ") on a page < %" PRIu64 ": the log is from another instant than the counter, or damaged",
				  why, i, ent, c, c & UINT64_C(0xffffffff), st.npages);
		exp[p] = c | ((ent & ENT_ZAP) ? ZAP_BIT : 0);
		ck = mix(ck, ent);
	}
	if (ck != st.ck)
		zdtm_fail("%s: log checksum 0x%016" PRIx64 ", the running one is 0x%016" PRIx64,
			  why, ck, st.ck);
	tail = st.log_cap - st.log_len < TAIL_CHECK ? st.log_cap - st.log_len : TAIL_CHECK;
	for (i = 0; i < tail; i++)
		if (st.log[st.log_len + i])
			zdtm_fail("%s: log entry %" PRIu64 " past the end (%" PRIu64 " entries) is 0x%016" PRIx64
				  ": the log is newer than the counter",
				  why, st.log_len + i, st.log_len, st.log[st.log_len + i]);

	/* The shadow table and the pages. */
	for (p = 0; p < st.npages; p++) {
		uint64_t l = st.last[p], lc = l & ~ZAP_BIT;

		if (lc > st.counter)
			zdtm_fail("%s: page %" PRIu64 ": shadow says event %" PRIu64 ", after the counter %" PRIu64,
				  why, p, lc, st.counter);
		if (exp[p] && l != exp[p])
			zdtm_fail("%s: page %" PRIu64 ": shadow says event %" PRIu64 "%s, the log's last is %" PRIu64 "%s",
				  why, p, lc, (l & ZAP_BIT) ? " (zap)" : "",
				  exp[p] & ~ZAP_BIT, (exp[p] & ZAP_BIT) ? " (zap)" : "");
		if (!exp[p] && lc > st.log_base)
			zdtm_fail("%s: page %" PRIu64 ": shadow says event %" PRIu64 ", which is not in the log (events %" PRIu64 "..%" PRIu64 ")",
				  why, p, lc, st.log_base + 1, st.counter);
		w = page(p);
		if (!lc || (l & ZAP_BIT)) {
			for (k = 0; k < st.words; k++)
				if (w[k])
					zdtm_fail("%s: page %" PRIu64 " word %" PRIu64 " is 0x%016" PRIx64
						  ", want 0 (%s)", why, p, k, w[k],
						  lc ? "zapped by that event" : "never touched");
			continue;
		}
		for (k = 0; k < st.words; k++) {
			want = pat(lc, p, k);
			got = w[k];
			if (got == want)
				continue;
			if (!got && !w[0] && !w[st.words - 1])
				zdtm_fail("%s: page %" PRIu64 " reads as zeros (word %" PRIu64 "), want event %" PRIu64,
					  why, p, k, lc);
			zdtm_fail("%s: page %" PRIu64 " word %" PRIu64 " is 0x%016" PRIx64 " (event %" PRIu64
				  "), want 0x%016" PRIx64 " (event %" PRIu64 ")%s",
				  why, p, k, got, got ^ pat(0, p, k), want, lc,
				  (got ^ pat(0, p, k)) < lc ? ": an older instant of the page" : "");
		}
	}
	free(exp);
}

/* ---- the self-test: damage that verification must catch ---- */

static const char *corrupt_mode;
static struct {
	int taken;
	uint64_t at;		/* counter when taken */
	struct state st;
	uint64_t *region, *last, *log;
} saved;

static void save_instant(void)
{
	size_t rsz = st.npages * st.ps, lsz = st.npages * 8;

	saved.region = malloc(rsz);
	saved.last = malloc(lsz);
	saved.log = malloc(st.log_len * 8 + 8);
	CHECK(saved.region && saved.last && saved.log, "self-test: malloc");
	memcpy(saved.region, st.region, rsz);
	memcpy(saved.last, st.last, lsz);
	memcpy(saved.log, st.log, st.log_len * 8);
	saved.st = st;
	saved.at = st.counter;
	saved.taken = 1;
}

/* The page of the newest write still standing (not since zapped). */
static uint64_t written_page(void)
{
	uint64_t i, p;

	for (i = st.log_len; i-- > 0; ) {
		p = st.log[i] & (ENT_ZAP - 1);
		if (!(st.log[i] & ENT_ZAP) && !(st.last[p] & ZAP_BIT))
			return p;
	}
	event(0, 0);
	return 0;
}

static void corrupt(void)
{
	const char *m = corrupt_mode;
	uint64_t p, k, c, *w, i;

	corrupt_mode = NULL;
	if (!saved.taken)
		save_instant();
	for (i = 0; i < 64; i++)
		touch_one();
	p = written_page();
	w = page(p);
	c = st.last[p] & ~ZAP_BIT;
	printf("self-test: corrupting (%s), page %" PRIu64 " event %" PRIu64 "\n", m, p, c);
	if (!strcmp(m, "zero")) {
		memset(w, 0, st.ps);
	} else if (!strcmp(m, "stale")) {
		for (k = 0; k < st.words; k++)
			w[k] = pat(c - 1, p, k);
	} else if (!strcmp(m, "word")) {
		((unsigned char *)w)[st.ps / 2 + 3] ^= 0x10;
	} else if (!strcmp(m, "log")) {
		st.log[st.log_len - 1] ^= 1;
	} else if (!strcmp(m, "mix-ctl")) {
		st.counter = saved.st.counter;
		st.zaps = saved.st.zaps;
		st.log_len = saved.st.log_len;
		st.ck = saved.st.ck;
		st.rng = saved.st.rng;
		printf("self-test: counters from event %" PRIu64 ", the rest from now\n",
		       saved.at);
	} else if (!strcmp(m, "mix") || !strcmp(m, "mix-log") ||
		   !strcmp(m, "mix-pages")) {
		memcpy(st.region, saved.region, st.npages * st.ps);
		if (strcmp(m, "mix-pages"))
			memcpy(st.last, saved.last, st.npages * 8);
		if (!strcmp(m, "mix-log")) {
			memcpy(st.log, saved.log, saved.st.log_len * 8);
			memset(st.log + saved.st.log_len, 0,
			       (st.log_len - saved.st.log_len) * 8);
		}
		printf("self-test: memory from event %" PRIu64 " mixed into event %" PRIu64 "\n",
		       saved.at, st.counter);
	} else {
		zdtm_fail("unknown --self-test-corrupt mode '%s'", m);
	}
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: mem_touch [--mib N] [--period-us N] [--prefill] [--zap-every N] [--seed N]\n"
		"                 [--log-entries N] [--pid-file F] [--timeout-s N]\n"
		"SIGUSR2: verify and run on; SIGUSR1: verify, print PASS or FAIL, exit\n");
	exit(2);
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "period-us", required_argument, NULL, 'p' },
		{ "prefill", no_argument, NULL, 'f' },
		{ "zap-every", required_argument, NULL, 'z' },
		{ "seed", required_argument, NULL, 's' },
		{ "log-entries", required_argument, NULL, 'l' },
		{ "pid-file", required_argument, NULL, 'P' },
		{ "timeout-s", required_argument, NULL, 't' },
		{ "self-test-corrupt", required_argument, NULL, 'C' },
		{ 0 }
	};
	uint64_t mib = 16, period_us = 100, seed = 1, timeout_s = 0, deadline = 0;
	uint64_t p, ready_at;
	const char *pid_file = NULL;
	int prefill = 0, o;
	struct timespec ts;
	struct sigaction sa;

	zdtm_init(&argc, argv);
	memset(&st, 0, sizeof(st));
	st.log_cap = 1 << 22;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'm': mib = num(optarg); break;
		case 'p': period_us = num(optarg); break;
		case 'f': prefill = 1; break;
		case 'z': st.zap_every = num(optarg); break;
		case 's': seed = num(optarg); break;
		case 'l': st.log_cap = num(optarg); break;
		case 'P': pid_file = optarg; break;
		case 't': timeout_s = num(optarg); break;
		case 'C': corrupt_mode = optarg; break;
		default: usage();
		}
	}
	if (optind != argc || !mib || mib > (1 << 16) || st.log_cap < 16 ||
	    st.log_cap > (UINT64_C(1) << 32))
		usage();

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr2;
	sigaction(SIGUSR2, &sa, NULL);	/* no SA_RESTART, as SIGUSR1 */

	st.magic = STATE_MAGIC;
	st.ps = sysconf(_SC_PAGESIZE);
	st.words = st.ps / 8;
	st.npages = (mib << 20) / st.ps;
	CHECK(st.npages < ENT_ZAP, "too many pages");
	st.rng = seed * 0x9e3779b97f4a7c15ULL | 1;
	st.region = mmap(NULL, st.npages * st.ps, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	st.last = mmap(NULL, st.npages * 8, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	st.log = mmap(NULL, st.log_cap * 8, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	CHECK(st.region != MAP_FAILED && st.last != MAP_FAILED && st.log != MAP_FAILED,
	      "mmap: %s", strerror(errno));
	if (prefill)
		for (p = 0; p < st.npages; p++)
			event(p, 0);
	if (pid_file) {
		FILE *f = fopen(pid_file, "w");

		CHECK(f && fprintf(f, "%d\n", getpid()) > 0 && !fclose(f),
		      "%s: %s", pid_file, strerror(errno));
	}
	if (timeout_s)
		deadline = now_ms() + timeout_s * 1000;
	printf("mem_touch: %" PRIu64 " pages of %" PRIu64 " bytes, period %" PRIu64
	       " us, %" PRIu64 " events so far\n", st.npages, st.ps, period_us, st.counter);
	zdtm_ready();
	ready_at = st.counter;

	ts.tv_sec = period_us / 1000000;
	ts.tv_nsec = (period_us % 1000000) * 1000;
	for (;;) {
		if (zdtm_go || usr2) {
			/* Cleared first: a SIGUSR2 during the check asks again. */
			usr2 = 0;
			if (corrupt_mode)
				corrupt();
			verify(zdtm_go ? "at exit" : "on SIGUSR2");
			printf("verified touches=%" PRIu64 " zaps=%" PRIu64 " log=%" PRIu64
			       " resets=%" PRIu64 "\n",
			       st.counter, st.zaps, st.log_len, st.resets);
			if (zdtm_go)
				zdtm_pass();
		}
		if (deadline && (st.counter & 63) == 0 && now_ms() > deadline)
			zdtm_fail("still running %" PRIu64 " s after the start (--timeout-s): nobody sent SIGUSR1",
				  timeout_s);
		touch_one();
		if (corrupt_mode && !saved.taken && st.counter - ready_at == SAVE_AFTER)
			save_instant();
		if (period_us)
			nanosleep(&ts, NULL);
	}
}
