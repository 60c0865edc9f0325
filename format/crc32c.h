/* SPDX-License-Identifier: GPL-2.0 */
/*
 * CRC32C (Castagnoli) of the image stream, built both into the module and
 * into userspace (with format/shim.h).  It does not use the kernel's
 * crc32c/crypto: the module is loaded without dependencies.
 *
 * The convention is the one of iSCSI, ext4 and SSE4.2 "crc32", the one
 * the image trailer names:
 *   reflected polynomial 0x82f63b78 (0x1edc6f41 unreflected), bits of each
 *   byte taken LSB first, register initialised to ~0, final value xor ~0.
 *   CRC32C("123456789") == 0xe3069283.
 *
 * ckpt_crc32c(crc, p, len) takes and returns the final (xor'ed) value, so
 * it chains: start with 0, and
 *   ckpt_crc32c(ckpt_crc32c(0, a, n), b, m) == CRC32C(a followed by b).
 *
 * On x86-64 CPUs with SSE4.2 it uses the crc32 instruction, which works on
 * general registers only (no kernel_fpu_begin() needed); elsewhere a
 * slice-by-8 table.  Both give the same results.
 */
#ifndef CKPT_CRC32C_H
#define CKPT_CRC32C_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include "shim.h"
#endif

#define CKPT_CRC32C_CHECK	0xe3069283U	/* of "123456789" */

/* The fastest implementation this CPU has. */
u32 ckpt_crc32c(u32 crc, const void *p, size_t len);

/* The table-driven one, always available. */
u32 ckpt_crc32c_sw(u32 crc, const void *p, size_t len);

/* Whether ckpt_crc32c_hw() may be called on this CPU. */
bool ckpt_crc32c_hw_usable(void);

/* The SSE4.2 one: only if ckpt_crc32c_hw_usable(). */
u32 ckpt_crc32c_hw(u32 crc, const void *p, size_t len);

/*
 * The CRC32C of a followed by b, from crc_a = ckpt_crc32c(0, a, ...) and
 * crc_b = ckpt_crc32c(0, b, len_b): pieces of a stream checked apart (by
 * several threads) give the stream's CRC.  O(log len_b).
 */
u32 ckpt_crc32c_combine(u32 crc_a, u32 crc_b, u64 len_b);

#endif /* CKPT_CRC32C_H */
