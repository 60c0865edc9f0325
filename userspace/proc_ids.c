// SPDX-License-Identifier: GPL-2.0
/* The numbered entries of a /proc/PID directory: its threads, its fds. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "tool.h"

static int id_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int *proc_ids(pid_t pid, const char *sub, size_t *nr)
{
	size_t n = 0, cap = 64;
	char path[64];
	struct dirent *d;
	int *v, *nv, err;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, sub);
	dir = opendir(path);
	v = malloc(cap * sizeof(*v));
	if (!dir || !v)
		goto fail;
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		if (n == cap) {
			nv = realloc(v, 2 * cap * sizeof(*v));
			if (!nv)
				goto fail;
			v = nv;
			cap *= 2;
		}
		v[n++] = atoi(d->d_name);
	}
	closedir(dir);
	qsort(v, n, sizeof(*v), id_cmp);
	*nr = n;
	return v;
fail:
	err = errno;
	if (dir)
		closedir(dir);
	free(v);
	errno = err;
	return NULL;
}
