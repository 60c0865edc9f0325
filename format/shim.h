/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel definitions that module code shared with userspace
 * (hbuf, the image validator) needs, so it builds and runs on the host.
 */
#ifndef CKPT_SHIM_H
#define CKPT_SHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

#define U32_MAX		UINT32_MAX
#define U64_MAX		UINT64_MAX
#define S32_MAX		INT32_MAX
#define S64_MAX		INT64_MAX

/* -std=c11 hides the GNU spellings the kernel uses. */
#define asm		__asm__
#define __printf(a, b)	__attribute__((format(printf, a, b)))

#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min_t(t, a, b)	min((t)(a), (t)(b))
#define clamp(v, lo, hi)	min(max((v), (lo)), (hi))
#define round_up(x, y)	((((x) + (y) - 1) / (y)) * (y))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* Allocation with a failure switch: the unit tests fail every step. */
void *shim_vmalloc(size_t size);
void shim_vfree(void *p);

/* hbuf_shim.c: hbuf chunks alive in this process, for leak checks. */
void hbuf_shim_live(long *chunks, long *bytes);

#endif /* CKPT_SHIM_H */
