/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chain: an incremental image and the images it builds on, merged into
 * one full image.
 *
 * A series lives in one directory: DIR/000001.img (full), DIR/000002.img
 * (incremental on 000001's image_id), ..., and DIR/latest, a symlink to
 * the newest complete one.  An incremental image names its parent by id
 * (header parent_id); the parent is looked for in the image's directory:
 * first the file numbered one less, then any *.img with that image_id
 * (--keep rewrites the oldest kept image as a full one under the same id,
 * so numbers may have gaps).
 *
 * Every image of the chain is read and validated whole (CRC included)
 * before anything is written.  Errors are printed with errmsg(), naming
 * the file and what is wrong, e.g.
 *   000041.img: its parent 0x1234 is not in /dir (000040.img is 0x5678)
 * (after "WHO: " with chain_merge_as()), and the functions return -1.
 */
#ifndef CKPT_CHAIN_H
#define CKPT_CHAIN_H

#include <stdbool.h>
#include <stddef.h>

/* Longest chain of parents followed (a loop is refused before that). */
#define CHAIN_MAX	100000

/*
 * The image file @path stands for: DIR/latest resolved (to DIR/NNNNNN.img)
 * if @path is a directory, else @path itself.  A directory without latest
 * is an error ("DIR has no latest image").
 */
int chain_path(const char *path, char *out, size_t len);

/*
 * Whether the image at @img_path is incremental.  A file that does not
 * start with an image header is not (reading it whole says what it is).
 * -1 only if it cannot be opened.
 */
int chain_is_incremental(const char *img_path, int *incremental);

/* The same on an open image, read with pread() at offset 0. */
bool chain_fd_is_incremental(int fd);

/*
 * Writes to @out_fd, from its current offset, one full image equivalent
 * to @img_path and its chain of parents: the metadata of @img_path (its
 * header made full, same image_id), the pages each address has in the
 * newest image of the chain that stands for it, and a new trailer.  A
 * full @img_path is written again as it is (runs may be joined).
 */
int chain_merge(const char *img_path, int out_fd);

/* The same, its messages starting "@who: " (e.g. "restore"). */
int chain_merge_as(const char *who, const char *img_path, int out_fd);

#endif /* CKPT_CHAIN_H */
