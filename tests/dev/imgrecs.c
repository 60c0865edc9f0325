// SPDX-License-Identifier: GPL-2.0
/*
 * imgrecs IMAGE: one line per record, "TYPE OFFSET LEN", read with the
 * tool's reader (so only from a valid image).  The negative tests use it
 * to damage each kind of record.
 */
#include <fcntl.h>
#include <stdio.h>

#include "image_read.h"

int main(int argc, char **argv)
{
	const struct ckpt_hdr *h;
	struct img_reader r;
	int fd, ret;

	if (argc != 2) {
		fprintf(stderr, "usage: imgrecs IMAGE\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || img_reader_open_fd(&r, fd, NULL))
		return 1;
	while ((ret = img_reader_next(&r, &h)) > 0)
		printf("%s %llu %u\n", ckpt_rec_type_name(h->type),
		       (unsigned long long)img_reader_offset(&r), h->len);
	if (ret < 0)
		fprintf(stderr, "imgrecs: %s\n", img_reader_error(&r));
	img_reader_close(&r);
	return ret < 0;
}
