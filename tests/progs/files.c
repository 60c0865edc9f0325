// SPDX-License-Identifier: GPL-2.0
/*
 * Open files: a regular file with an offset, O_APPEND and O_NONBLOCK,
 * close-on-exec, two fds sharing one offset (dup), a pipe and a FIFO with
 * data in flight, /dev/null, /dev/zero, /dev/urandom, a directory read
 * part way (its offset is the readdir position), the cwd and the umask.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	char buf[64], cwd[PATH_MAX], cwd2[PATH_MAX], ents[4096];
	int f, fa, fd2, p[2], dn, dz, du, fl, ff, dd;
	off_t dpos;

	zdtm_init(&argc, argv);
	umask(027);
	CHECK(mkdir("sub", 0700) == 0 || errno == EEXIST, "mkdir");
	CHECK(!chdir("sub"), "chdir");
	CHECK(getcwd(cwd, sizeof(cwd)), "getcwd");

	f = open("data", O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(f >= 0, "open data");
	CHECK(write(f, "0123456789abcdef", 16) == 16, "write");
	CHECK(lseek(f, 5, SEEK_SET) == 5, "lseek");
	fd2 = dup(f);
	fa = open("log", O_WRONLY | O_CREAT | O_APPEND | O_NONBLOCK | O_CLOEXEC, 0600);
	CHECK(fa >= 0, "open log");
	CHECK(write(fa, "one\n", 4) == 4, "write log");

	CHECK(!pipe(p), "pipe");
	CHECK(write(p[1], "in flight", 9) == 9, "write pipe");

	CHECK(mkfifo("fifo", 0600) == 0 || errno == EEXIST, "mkfifo");
	ff = open("fifo", O_RDWR);
	CHECK(ff >= 0 && write(ff, "fifo data", 9) == 9, "fifo");
	dn = open("/dev/null", O_WRONLY);
	dz = open("/dev/zero", O_RDONLY);
	du = open("/dev/urandom", O_RDONLY);
	CHECK(dn >= 0 && dz >= 0 && du >= 0, "open devices");
	/* One small getdents64 reads a few entries of /dev, not all. */
	dd = open("/dev", O_RDONLY | O_DIRECTORY);
	CHECK(dd >= 0 && syscall(SYS_getdents64, dd, ents, 128) > 0, "read /dev");
	dpos = lseek(dd, 0, SEEK_CUR);
	CHECK(dpos > 0, "readdir position of /dev");

	zdtm_ready();
	zdtm_wait();

	CHECK(getcwd(cwd2, sizeof(cwd2)) && !strcmp(cwd, cwd2), "cwd %s, want %s", cwd2, cwd);
	CHECK(umask(0) == 027, "umask");
	CHECK(lseek(f, 0, SEEK_CUR) == 5, "offset of the data file");
	CHECK(read(fd2, buf, 3) == 3 && !memcmp(buf, "567", 3), "read through the dup");
	CHECK(lseek(f, 0, SEEK_CUR) == 8, "the dup does not share the offset");
	fl = fcntl(fa, F_GETFL);
	CHECK((fl & O_APPEND) && (fl & O_NONBLOCK) && (fl & O_ACCMODE) == O_WRONLY,
	      "log flags %#x", fl);
	CHECK(fcntl(fa, F_GETFD) == FD_CLOEXEC && fcntl(f, F_GETFD) == 0, "close-on-exec");
	CHECK(write(fa, "two\n", 4) == 4, "append");
	CHECK(pread(f, buf, 0, 0) == 0, "pread");
	{
		int l = open("log", O_RDONLY);

		CHECK(l >= 0 && read(l, buf, 8) == 8 && !memcmp(buf, "one\ntwo\n", 8),
		      "O_APPEND did not append");
		close(l);
	}
	memset(buf, 0, sizeof(buf));
	CHECK(read(p[0], buf, sizeof(buf)) == 9 && !memcmp(buf, "in flight", 9),
	      "pipe data: '%s'", buf);
	CHECK(write(p[1], "x", 1) == 1 && read(p[0], buf, 1) == 1 && buf[0] == 'x',
	      "pipe ends not connected");
	memset(buf, 0, sizeof(buf));
	CHECK(read(ff, buf, sizeof(buf)) == 9 && !memcmp(buf, "fifo data", 9),
	      "FIFO data: '%s'", buf);
	CHECK(write(dn, "x", 1) == 1, "/dev/null");
	CHECK(read(dz, buf, 4) == 4 && !buf[0] && !buf[3], "/dev/zero");
	CHECK(read(du, buf, 4) == 4, "/dev/urandom");
	CHECK(lseek(dd, 0, SEEK_CUR) == dpos, "readdir position %lld, want %lld",
	      (long long)lseek(dd, 0, SEEK_CUR), (long long)dpos);
	CHECK(syscall(SYS_getdents64, dd, ents, sizeof(ents)) >= 0, "readdir after restore");
	zdtm_pass();
}
