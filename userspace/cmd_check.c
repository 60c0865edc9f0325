// SPDX-License-Identifier: GPL-2.0
/*
 * ckpt check: load and open the module, match versions, and print what
 * this kernel and CPU support.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tool.h"

const struct cmd_help help_check = {
	.name = "check",
	.summary = "load the module if needed and show what this kernel supports",
	.usage = "ckpt check",
	.text =
"Loads the ckpt module if /dev/ckpt is missing (the file given with\n"
"ckpt --module PATH, else the module installed for this kernel), opens\n"
"the device, checks that the module speaks this tool's ABI, and prints:\n"
"the versions of both and the kernel release, the page size, the hbuf\n"
"chunk size, the image format, the CPU's xstate size and features, what\n"
"the kernel has (THP, per-VMA locks, user shadow stacks, MMU notifiers,\n"
"swap, 5-level paging), the module's features and its counters.\n"
"Exits 1, saying why, if the module cannot be loaded or opened or\n"
"speaks another ABI.\n"
"\n"
"options:\n"
"  -h, --help  this help\n",
};

struct bitname {
	unsigned long long bit;
	const char *name;
};

static const struct bitname features[] = {
	{ CKPT_FEAT_HBUF, "hbuf" },
	{ CKPT_FEAT_COUNTERS, "counters" },
	{ CKPT_FEAT_SELFTEST, "selftest" },
	{ CKPT_FEAT_DUMP, "dump" },
	{ CKPT_FEAT_RESTORE, "restore" },
	{ CKPT_FEAT_SNAPSHOT, "snapshot" },
	{ CKPT_FEAT_INCREMENTAL, "incremental" },
	{ CKPT_FEAT_THREADS, "threads" },
	{ CKPT_FEAT_THREAD_SNAPSHOTS, "thread-snapshots" },
	{ CKPT_FEAT_SELF_THREAD_SNAPSHOTS, "self-thread-snapshots" },
	{ CKPT_FEAT_SECCOMP, "seccomp" },
	{ CKPT_FEAT_EVENTFD, "eventfd" },
	{ CKPT_FEAT_SIGNALFD_TIMERFD, "signalfd-timerfd" },
	{ CKPT_FEAT_EPOLL, "epoll" },
	{ CKPT_FEAT_SOCKET, "socket" },
	{ CKPT_FEAT_TCP, "tcp" },
};

static const struct bitname kfacts[] = {
	{ CKPT_KF_THP, "THP" },
	{ CKPT_KF_PER_VMA_LOCK, "per-VMA locks" },
	{ CKPT_KF_SHADOW_STACK, "user shadow stacks" },
	{ CKPT_KF_MMU_NOTIFIER, "MMU notifiers" },
	{ CKPT_KF_SWAP, "swap" },
	{ CKPT_KF_5LEVEL, "5-level paging" },
};

/* XCR0 bits, as the SDM names them. */
static const char *const xfeature_names[] = {
	"x87", "sse", "avx", "bndregs", "bndcsr", "avx512-opmask",
	"avx512-zmm-hi256", "avx512-hi16-zmm", "pt", "pkru", "pasid",
	"cet-u", "cet-s", "hdc", "uintr", "lbr", "hwp", "amx-tilecfg",
	"amx-tiledata",
};

static void print_bits(const char *label, unsigned long long v,
		       const struct bitname *b, size_t n, bool yes_no)
{
	const char *sep = "";
	size_t i;

	printf("%-16s ", label);
	for (i = 0; i < n; i++) {
		if (yes_no) {
			printf("%s%s %s", sep, b[i].name,
			       v & b[i].bit ? "yes" : "no");
			sep = ", ";
		} else if (v & b[i].bit) {
			printf("%s%s", sep, b[i].name);
			sep = " ";
		}
	}
	printf("\n");
}

int cmd_check(int argc, char **argv, const struct tool_opts *o)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct ckpt_counters c;
	struct ckpt_version v;
	const char *sep = "";
	unsigned int i;
	int opt, fd;

	while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (opt == 'h')
			return help_print(&help_check);
		return help_getopt_error(&help_check, argv, opt);
	}
	if (optind != argc)
		return help_error(&help_check, "takes no arguments, not '%s'",
				  argv[optind]);
	fd = tool_open_dev(o, &v);
	if (fd < 0)
		return 1;
	printf("ckpt %s (ABI %u.%u), module %s (ABI %u.%u) on kernel %s\n",
	       CKPT_VERSION, CKPT_ABI_MAJOR, CKPT_ABI_MINOR, v.module_version,
	       v.abi_major, v.abi_minor, v.release);
	printf("%-16s %u\n", "page size", v.page_size);
	printf("%-16s %u\n", "hbuf chunk", v.chunk_size);
	printf("%-16s %u\n", "image format", v.image_version);
	printf("%-16s %u bytes:", "xstate", v.xstate_size);
	for (i = 0; i < 64; i++) {
		if (!(v.xfeatures & (1ULL << i)))
			continue;
		if (i < sizeof(xfeature_names) / sizeof(xfeature_names[0]))
			printf("%s%s", sep[0] ? sep : " ", xfeature_names[i]);
		else
			printf("%sbit%u", sep[0] ? sep : " ", i);
		sep = " ";
	}
	printf("\n");
	print_bits("kernel", v.kfacts, kfacts,
		   sizeof(kfacts) / sizeof(kfacts[0]), true);
	print_bits("module features", v.features, features,
		   sizeof(features) / sizeof(features[0]), false);
	/* What a dump carries; everything else it refuses, naming the fd. */
	printf("%-16s regular directory /dev/null,zero,full,random,urandom pipe fifo%s%s%s%s%s; fds 0-2 to the outside world\n",
	       "open files", v.features & CKPT_FEAT_EVENTFD ? " eventfd" : "",
	       v.features & CKPT_FEAT_SIGNALFD_TIMERFD ? " signalfd timerfd" : "",
	       v.features & CKPT_FEAT_EPOLL ? " epoll" : "",
	       v.features & CKPT_FEAT_SOCKET ?
	       " socket(unix,TCP,UDP: unbound, bound, listening, connected datagram)" : "",
	       v.features & CKPT_FEAT_TCP ? "; TCP connections (with dump --kill)" : "");
	if (ckpt_get_counters(fd, &c)) {
		errmsg("counters: %s", strerror(errno));
		close(fd);
		return 1;
	}
	printf("%-16s ctxs %llu, hbuf chunks %llu (%llu bytes, high water %llu), page refs %llu, opens %llu\n",
	       "counters", (unsigned long long)c.ctxs,
	       (unsigned long long)c.hbuf_chunks,
	       (unsigned long long)c.hbuf_bytes,
	       (unsigned long long)c.hbuf_high_water,
	       (unsigned long long)c.page_refs, (unsigned long long)c.opens);
	close(fd);
	return 0;
}
