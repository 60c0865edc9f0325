// SPDX-License-Identifier: GPL-2.0
/*
 * CPU state: general registers and the vector registers (xmm, and ymm
 * with AVX), MXCSR and the x87 control word, held in registers across
 * the dump while the process spins in user mode (--wait is ignored:
 * only a spin keeps them in registers).
 */
#include <cpuid.h>
#include <stdint.h>

#include "zdtm.h"

static uint8_t in[16][32] __attribute__((aligned(32)));
static uint8_t out[16][32] __attribute__((aligned(32)));
static uint64_t gp_out[4];

static int has_avx(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return (c & bit_AVX) && (c & bit_OSXSAVE);
}

int main(int argc, char **argv)
{
	uint32_t mxcsr_in = 0x1f80 | 0x6000, mxcsr_out = 0;	/* round toward zero */
	uint16_t fcw_in = 0x037f & ~0x0300, fcw_out = 0;	/* single precision */
	int avx, i, j;

	zdtm_init(&argc, argv);
	avx = has_avx();
	for (i = 0; i < 16; i++)
		for (j = 0; j < 32; j++)
			in[i][j] = (uint8_t)(i * 37 + j * 11 + 1);
	zdtm_ready();
	if (avx) {
		__asm__ volatile(
			"ldmxcsr %[mxin]\n\t"
			"fldcw %[fcwin]\n\t"
			"vmovdqa 0*32(%[in]), %%ymm0\n\t"
			"vmovdqa 1*32(%[in]), %%ymm1\n\t"
			"vmovdqa 2*32(%[in]), %%ymm2\n\t"
			"vmovdqa 3*32(%[in]), %%ymm3\n\t"
			"vmovdqa 4*32(%[in]), %%ymm4\n\t"
			"vmovdqa 5*32(%[in]), %%ymm5\n\t"
			"vmovdqa 6*32(%[in]), %%ymm6\n\t"
			"vmovdqa 7*32(%[in]), %%ymm7\n\t"
			"vmovdqa 8*32(%[in]), %%ymm8\n\t"
			"vmovdqa 9*32(%[in]), %%ymm9\n\t"
			"vmovdqa 10*32(%[in]), %%ymm10\n\t"
			"vmovdqa 11*32(%[in]), %%ymm11\n\t"
			"vmovdqa 12*32(%[in]), %%ymm12\n\t"
			"vmovdqa 13*32(%[in]), %%ymm13\n\t"
			"vmovdqa 14*32(%[in]), %%ymm14\n\t"
			"vmovdqa 15*32(%[in]), %%ymm15\n\t"
			"movq $0x1111111111111111, %%r12\n\t"
			"movq $0x2222222222222222, %%r13\n\t"
			"movq $0x3333333333333333, %%r14\n\t"
			"movq $0x4444444444444444, %%r15\n\t"
			"1: cmpl $0, %[go]\n\t"
			"je 1b\n\t"
			"vmovdqa %%ymm0, 0*32(%[out])\n\t"
			"vmovdqa %%ymm1, 1*32(%[out])\n\t"
			"vmovdqa %%ymm2, 2*32(%[out])\n\t"
			"vmovdqa %%ymm3, 3*32(%[out])\n\t"
			"vmovdqa %%ymm4, 4*32(%[out])\n\t"
			"vmovdqa %%ymm5, 5*32(%[out])\n\t"
			"vmovdqa %%ymm6, 6*32(%[out])\n\t"
			"vmovdqa %%ymm7, 7*32(%[out])\n\t"
			"vmovdqa %%ymm8, 8*32(%[out])\n\t"
			"vmovdqa %%ymm9, 9*32(%[out])\n\t"
			"vmovdqa %%ymm10, 10*32(%[out])\n\t"
			"vmovdqa %%ymm11, 11*32(%[out])\n\t"
			"vmovdqa %%ymm12, 12*32(%[out])\n\t"
			"vmovdqa %%ymm13, 13*32(%[out])\n\t"
			"vmovdqa %%ymm14, 14*32(%[out])\n\t"
			"vmovdqa %%ymm15, 15*32(%[out])\n\t"
			"movq %%r12, 0(%[gp])\n\t"
			"movq %%r13, 8(%[gp])\n\t"
			"movq %%r14, 16(%[gp])\n\t"
			"movq %%r15, 24(%[gp])\n\t"
			"stmxcsr %[mxout]\n\t"
			"fnstcw %[fcwout]\n\t"
			"vzeroupper\n\t"
			: [mxout] "=m"(mxcsr_out), [fcwout] "=m"(fcw_out)
			: [in] "r"(in), [out] "r"(out), [gp] "r"(gp_out),
			  [go] "m"(zdtm_go), [mxin] "m"(mxcsr_in), [fcwin] "m"(fcw_in)
			: "r12", "r13", "r14", "r15", "memory",
			  "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
			  "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12",
			  "xmm13", "xmm14", "xmm15");
	} else {
		zdtm_fail("this CPU has no AVX: the xstate test needs it");
	}
	for (i = 0; i < 16; i++)
		CHECK(!memcmp(in[i], out[i], 32), "ymm%d changed", i);
	CHECK(gp_out[0] == 0x1111111111111111ULL && gp_out[1] == 0x2222222222222222ULL &&
	      gp_out[2] == 0x3333333333333333ULL && gp_out[3] == 0x4444444444444444ULL,
	      "r12-r15 changed");
	CHECK(mxcsr_out == mxcsr_in, "MXCSR %#x, want %#x", mxcsr_out, mxcsr_in);
	CHECK(fcw_out == fcw_in, "x87 control word %#x, want %#x", fcw_out, fcw_in);
	zdtm_pass();
}
