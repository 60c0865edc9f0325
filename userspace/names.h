/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names of the x86-64 ABI values images hold (names.c), for ckpt show.
 */
#ifndef CKPT_NAMES_H
#define CKPT_NAMES_H

#include <stddef.h>

#include <linux/ckpt.h>

/* "SIGHUP"...; "SIG%u" (in @buf) for a number without a name. */
const char *sig_name(unsigned int sig, char *buf, size_t len);

/* A flag bit and its name. */
struct bitname {
	unsigned long long bit;
	const char *name;
};

/* The names of the bits of one kind of flags. */
struct bitnames {
	const struct bitname *v;
	size_t n;
};

extern const struct bitnames sa_flag_names;	/* sigaction sa_flags */
extern const struct bitnames eflags_names;	/* EFLAGS: CF, PF, ... */
extern const struct bitnames ss_flag_names;	/* sigaltstack ss_flags */
extern const struct bitnames vma_flag_names;	/* CKPT_VMA_* flags */
extern const struct bitnames open_flag_names;	/* O_* but the access mode */
extern const struct bitnames sock_flag_names;	/* CKPT_SOCK_* */
extern const char *const sock_state_names[6];	/* enum ckpt_sock_state */

/* O_RDONLY, O_WRONLY, O_RDWR, O_ACCMODE: flags & 3. */
extern const char *const accmode_names[4];
/* The XCR0 feature of @bit, NULL if it has no name. */
const char *xfeature_name(unsigned int bit);
extern const char *const rlimit_names[CKPT_RLIM_NLIMITS];
extern const char *const itimer_names[3];	/* real, virtual, prof */
/* AT_PHDR...; NULL for a type without a name. */
const char *auxv_name(unsigned long long type);

/* A socket's kind: "TCP", "UDPv6", "unix stream"... */
const char *sock_kind_name(const struct ckpt_file_socket *s);
/*
 * A socket address of @len bytes at @a, into @buf: "127.0.0.1:80",
 * "[::1]:53", "/run/x.sock", "@abstract", "(not bound)".
 */
const char *sockaddr_words(char *buf, size_t size, const void *a, size_t len);

#endif /* CKPT_NAMES_H */
