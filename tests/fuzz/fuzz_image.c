// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: arbitrary bytes, as an image stream in memory, through
 * the userspace reader (format/hbuf.c in HBUF_READ mode) and the validator
 * the module uses (format/image_check.c).  Build with
 * -fsanitize=fuzzer,address,undefined (make fuzz-smoke).
 *
 * Besides "no crash, no UB, no leak" it checks what callers rely on: an
 * error always comes with a message naming a record, success means a
 * trailer was accepted, and every hbuf chunk is freed on close.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../userspace/image_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct img_reader_opts o = {
		.page_size = 4096,
		.user_addr_max = IMG_USER_ADDR_MAX_4LEVEL,
		.chunk_size = 4096,
		/* vary the read sizes: straddling records, refills */
		.max_read = size % 5 == 0 ? 1 + size % 61 : 0,
		.flags = size % 3 == 0 ? IMG_READ_KEEP : 0,
	};
	const struct ckpt_hdr *h;
	struct img_reader r;
	unsigned char buf[300];
	long chunks, bytes;
	int ret;

	img_reader_open_mem(&r, data, size, &o);
	while ((ret = img_reader_next(&r, &h)) > 0) {
		if (h->len < sizeof(*h) || h->len % 8)
			abort();
		/* read part of the page data, leave the rest to next() */
		if (h->type == CKPT_REC_PAGES && (size & 1) &&
		    img_reader_read_data(&r, buf, sizeof(buf)) &&
		    !img_reader_error(&r)[0])
			abort();
	}
	if (ret < 0 && strncmp(img_reader_error(&r), "record ", 7))
		abort();
	if (ret == 0 && (!r.chk.trailer || img_reader_error(&r)[0]))
		abort();
	img_reader_close(&r);
	hbuf_shim_live(&chunks, &bytes);
	if (chunks || bytes)
		abort();
	return 0;
}
