// SPDX-License-Identifier: GPL-2.0
/*
 * imgpatch IN OUT --release STR: IN with the header's kernel release set to
 * STR and the trailer's CRC32C made right again, so that only the restore
 * side's checks can refuse it (the vDSO test: an image "from another
 * kernel").  The records are walked raw: IN must be a valid image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crc32c.h"
#include "image_check.h"

static unsigned char *slurp(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc(n ? n : 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = n;
out:
	if (f)
		fclose(f);
	return buf;
}

/* The CRC32C of the records before @end, without their page data. */
static uint32_t records_crc(const unsigned char *buf, size_t end)
{
	const struct ckpt_hdr *h;
	uint32_t crc = 0;
	size_t off = 0;

	while (off < end) {
		h = (const struct ckpt_hdr *)(buf + off);
		crc = ckpt_crc32c(crc, buf + off, h->len);
		off += h->len;
		if (h->type == CKPT_REC_PAGES)
			off += ((const struct ckpt_rec_pages *)h)->npages * 4096;
	}
	return crc;
}

int main(int argc, char **argv)
{
	struct ckpt_rec_header *hdr;
	struct ckpt_rec_trailer *t;
	struct ckpt_hdr *h;
	unsigned char *buf;
	size_t len, off = 0;
	FILE *out;

	if (argc != 5 || strcmp(argv[3], "--release")) {
		fprintf(stderr, "usage: imgpatch IN OUT --release STR\n");
		return 2;
	}
	buf = slurp(argv[1], &len);
	if (!buf || len < sizeof(*hdr) + sizeof(*t)) {
		fprintf(stderr, "imgpatch: cannot read %s\n", argv[1]);
		return 1;
	}
	hdr = (struct ckpt_rec_header *)buf;
	memset(hdr->release, 0, sizeof(hdr->release));
	strncpy(hdr->release, argv[4], sizeof(hdr->release) - 1);
	/* The trailer is the last record; page data follows PAGES records. */
	while (off + sizeof(*h) <= len) {
		h = (struct ckpt_hdr *)(buf + off);
		if (h->type == CKPT_REC_TRAILER)
			break;
		off += h->len;
		if (h->type == CKPT_REC_PAGES)
			off += ((struct ckpt_rec_pages *)h)->npages * 4096;
	}
	if (off + sizeof(*t) > len) {
		fprintf(stderr, "imgpatch: no trailer in %s\n", argv[1]);
		return 1;
	}
	t = (struct ckpt_rec_trailer *)(buf + off);
	t->crc32c = ckpt_crc32c(0, buf, off);
	if (hdr->flags & CKPT_IMG_REC_CRC)
		t->rec_crc32c = records_crc(buf, off);
	out = fopen(argv[2], "wb");
	if (!out || fwrite(buf, 1, len, out) != len || fclose(out)) {
		fprintf(stderr, "imgpatch: cannot write %s\n", argv[2]);
		return 1;
	}
	free(buf);
	return 0;
}
