// SPDX-License-Identifier: GPL-2.0
/*
 * Names of the x86-64 ABI values images hold, for ckpt show: signals,
 * flag bits, rlimits, itimers, auxv types, xstate features.  See names.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "image_read.h"
#include "names.h"

#define NAMES(a)	{ a, sizeof(a) / sizeof((a)[0]) }

static const char *const sig_names[32] = {
	NULL, "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT",
	"SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2",
	"SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
	"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU",
	"SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
	"SIGSYS",
};

const char *sig_name(unsigned int sig, char *buf, size_t len)
{
	if (sig < 32 && sig_names[sig])
		return sig_names[sig];
	snprintf(buf, len, "SIG%u", sig);
	return buf;
}

static const struct bitname sa_flags[] = {
	{ 0x00000001, "SA_NOCLDSTOP" }, { 0x00000002, "SA_NOCLDWAIT" },
	{ 0x00000004, "SA_SIGINFO" }, { 0x00000800, "SA_EXPOSE_TAGBITS" },
	{ 0x04000000, "SA_RESTORER" }, { 0x08000000, "SA_ONSTACK" },
	{ 0x10000000, "SA_RESTART" }, { 0x40000000, "SA_NODEFER" },
	{ 0x80000000, "SA_RESETHAND" },
};
const struct bitnames sa_flag_names = NAMES(sa_flags);

static const struct bitname eflags_bits[] = {
	{ 1ULL << 0, "CF" }, { 1ULL << 2, "PF" }, { 1ULL << 4, "AF" },
	{ 1ULL << 6, "ZF" }, { 1ULL << 7, "SF" }, { 1ULL << 8, "TF" },
	{ 1ULL << 9, "IF" }, { 1ULL << 10, "DF" }, { 1ULL << 11, "OF" },
	{ 1ULL << 14, "NT" }, { 1ULL << 16, "RF" }, { 1ULL << 18, "AC" },
	{ 1ULL << 19, "VIF" }, { 1ULL << 20, "VIP" }, { 1ULL << 21, "ID" },
};
const struct bitnames eflags_names = NAMES(eflags_bits);

static const struct bitname ss_flags[] = {
	{ 1, "SS_ONSTACK" }, { 2, "SS_DISABLE" }, { 0x80000000, "SS_AUTODISARM" },
};
const struct bitnames ss_flag_names = NAMES(ss_flags);

static const struct bitname vma_flags[] = {
	{ CKPT_VMA_GROWSDOWN, "growsdown" }, { CKPT_VMA_HEAP, "heap" },
	{ CKPT_VMA_DONTDUMP, "dontdump" }, { CKPT_VMA_HUGEPAGE, "hugepage" },
	{ CKPT_VMA_NOHUGEPAGE, "nohugepage" }, { CKPT_VMA_DONTFORK, "dontfork" },
	{ CKPT_VMA_WIPEONFORK, "wipeonfork" }, { CKPT_VMA_SEQ_READ, "sequential" },
	{ CKPT_VMA_RAND_READ, "random" }, { CKPT_VMA_NORESERVE, "noreserve" },
	{ CKPT_VMA_LOCKED, "locked" },
};
const struct bitnames vma_flag_names = NAMES(vma_flags);

static const struct bitname open_flags[] = {
	{ 02000, "O_APPEND" }, { 04000, "O_NONBLOCK" }, { 010000, "O_DSYNC" },
	{ 020000, "O_ASYNC" }, { 040000, "O_DIRECT" },
	{ 0100000, "O_LARGEFILE" }, { 0200000, "O_DIRECTORY" },
	{ 0400000, "O_NOFOLLOW" }, { 01000000, "O_NOATIME" },
	{ 02000000, "O_CLOEXEC" }, { 04000000, "O_SYNC" },
	{ 010000000, "O_PATH" }, { 020000000, "O_TMPFILE" },
};
const struct bitnames open_flag_names = NAMES(open_flags);

static const struct bitname sock_flags[] = {
	{ CKPT_SOCK_REUSEADDR, "reuseaddr" }, { CKPT_SOCK_REUSEPORT, "reuseport" },
	{ CKPT_SOCK_V6ONLY, "v6only" }, { CKPT_SOCK_KEEPALIVE, "keepalive" },
	{ CKPT_SOCK_BROADCAST, "broadcast" }, { CKPT_SOCK_NODELAY, "nodelay" },
	{ CKPT_SOCK_RCVBUF, "rcvbuf" }, { CKPT_SOCK_SNDBUF, "sndbuf" },
	{ CKPT_SOCK_PASSCRED, "passcred" },
};
const struct bitnames sock_flag_names = NAMES(sock_flags);

const char *const sock_state_names[6] = {
	"?", "closed", "listen", "connected", "socketpair", "established",
};

const char *const accmode_names[4] = {
	"O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE",
};

/* XCR0 bits, as the SDM names them (like ckpt check). */
static const char *const xfeature_names[] = {
	"x87", "sse", "avx", "bndregs", "bndcsr", "avx512-opmask",
	"avx512-zmm-hi256", "avx512-hi16-zmm", "pt", "pkru", "pasid",
	"cet-u", "cet-s", "hdc", "uintr", "lbr", "hwp", "amx-tilecfg",
	"amx-tiledata", "apx",
};

const char *xfeature_name(unsigned int bit)
{
	if (bit < sizeof(xfeature_names) / sizeof(xfeature_names[0]))
		return xfeature_names[bit];
	return NULL;
}

const char *const rlimit_names[CKPT_RLIM_NLIMITS] = {
	"cpu", "fsize", "data", "stack", "core", "rss", "nproc", "nofile",
	"memlock", "as", "locks", "sigpending", "msgqueue", "nice", "rtprio",
	"rttime",
};

const char *const itimer_names[3] = { "real", "virtual", "prof" };

const char *auxv_name(unsigned long long type)
{
	static const char *const names[] = {
		[0] = "AT_NULL", [1] = "AT_IGNORE", [2] = "AT_EXECFD",
		[3] = "AT_PHDR", [4] = "AT_PHENT", [5] = "AT_PHNUM",
		[6] = "AT_PAGESZ", [7] = "AT_BASE", [8] = "AT_FLAGS",
		[9] = "AT_ENTRY", [10] = "AT_NOTELF", [11] = "AT_UID",
		[12] = "AT_EUID", [13] = "AT_GID", [14] = "AT_EGID",
		[15] = "AT_PLATFORM", [16] = "AT_HWCAP", [17] = "AT_CLKTCK",
		[23] = "AT_SECURE", [24] = "AT_BASE_PLATFORM",
		[25] = "AT_RANDOM", [26] = "AT_HWCAP2",
		[27] = "AT_RSEQ_FEATURE_SIZE", [28] = "AT_RSEQ_ALIGN",
		[29] = "AT_HWCAP3", [30] = "AT_HWCAP4", [31] = "AT_EXECFN",
		[33] = "AT_SYSINFO_EHDR", [51] = "AT_MINSIGSTKSZ",
	};

	if (type < sizeof(names) / sizeof(names[0]) && names[type])
		return names[type];
	return NULL;
}

const char *sock_kind_name(const struct ckpt_file_socket *s)
{
	bool v6 = s->family == AF_INET6;

	if (s->family == AF_UNIX)
		return s->type == SOCK_STREAM ? "unix stream" :
		       s->type == SOCK_DGRAM ? "unix datagram" :
		       "unix seqpacket";
	if (s->protocol == IPPROTO_TCP)
		return v6 ? "TCPv6" : "TCP";
	return v6 ? "UDPv6" : "UDP";
}

const char *sockaddr_words(char *buf, size_t size, const void *a, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr_un un;
	size_t n;

	memset(&un, 0, sizeof(un));
	memcpy(&un, a, len < sizeof(un) ? len : sizeof(un));
	n = len > offsetof(struct sockaddr_un, sun_path) ?
	    len - offsetof(struct sockaddr_un, sun_path) : 0;
	if (!len) {
		snprintf(buf, size, "(not bound)");
	} else if (un.sun_family == AF_INET && len >= sizeof(s4)) {
		memcpy(&s4, a, sizeof(s4));
		inet_ntop(AF_INET, &s4.sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(s4.sin_port));
	} else if (un.sun_family == AF_INET6 && len >= sizeof(s6)) {
		memcpy(&s6, a, sizeof(s6));
		inet_ntop(AF_INET6, &s6.sin6_addr, ip, sizeof(ip));
		snprintf(buf, size, "[%s]:%u", ip, ntohs(s6.sin6_port));
	} else if (un.sun_family != AF_UNIX || !n) {
		snprintf(buf, size, "(unnamed)");
	} else if (un.sun_path[0]) {
		snprintf(buf, size, "%.*s", (int)n, un.sun_path);
	} else {
		/* Abstract: a NUL, then bytes; said as ss(8) says them. */
		snprintf(buf, size, "@%.*s", (int)n - 1, un.sun_path + 1);
	}
	return buf;
}
