// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/ckpt interface tests, run as root inside the test VM.
 *
 *   devtest SUBTEST [ARG]
 *
 * Prints "PASS: dev/SUBTEST" or "FAIL: dev/SUBTEST: why" and exits 0/1.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ckpt.h"

static char name[64];
static int failed;

static void fail(const char *fmt, ...)
{
	va_list ap;

	if (failed++)
		return;
	printf("FAIL: dev/%s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define EXPECT(cond, ...) do { if (!(cond)) fail(__VA_ARGS__); } while (0)

static int open_dev(void)
{
	int fd = ckpt_dev_open();

	if (fd < 0) {
		fail("open %s: %s", CKPT_DEVICE_PATH, strerror(errno));
		exit(1);
	}
	return fd;
}

/* ioctl that must fail with @err. */
static void expect_errno(int fd, unsigned long cmd, void *arg, int err,
			 const char *what)
{
	errno = 0;
	if (ioctl(fd, cmd, arg) != -1 || errno != err)
		fail("%s: want %s, got %s", what, strerror(err),
		     errno ? strerror(errno) : "success");
}

static void t_version(void)
{
	struct ckpt_version v;
	struct utsname u;
	int fd = open_dev();

	EXPECT(ckpt_get_version(fd, &v) == 0, "VERSION: %s", strerror(errno));
	uname(&u);
	EXPECT(v.abi_major == CKPT_ABI_MAJOR, "abi_major %u", v.abi_major);
	EXPECT(ckpt_abi_compatible(&v), "not compatible");
	EXPECT(v.page_size == (unsigned int)getpagesize(), "page_size %u", v.page_size);
	EXPECT(!strcmp(v.release, u.release), "release '%s' vs '%s'", v.release, u.release);
	EXPECT(v.chunk_size >= 4096, "chunk_size %u", v.chunk_size);
	EXPECT(v.image_version == CKPT_IMAGE_VERSION, "image_version %u", v.image_version);
	EXPECT(v.xstate_size >= 576, "xstate_size %u", v.xstate_size);
	EXPECT((v.xfeatures & 3) == 3, "xfeatures %#llx lacks x87|sse", (unsigned long long)v.xfeatures);
	EXPECT(v.features & CKPT_FEAT_HBUF, "features %#llx", (unsigned long long)v.features);
	EXPECT(!strcmp(v.module_version, CKPT_VERSION), "module_version '%s'", v.module_version);
	close(fd);
}

static void t_enotty(void)
{
	struct ckpt_version v = { .size = sizeof(v) };
	int fd = open_dev();

	expect_errno(fd, _IOWR('x', 0x00, struct ckpt_version), &v, ENOTTY,
		     "foreign magic");
	expect_errno(fd, _IOWR(CKPT_IOC_MAGIC, 0x1f, struct ckpt_version), &v,
		     ENOTTY, "unknown nr");
	expect_errno(fd, _IOWR(CKPT_IOC_MAGIC, 0xff, struct ckpt_version), &v,
		     ENOTTY, "nr past the table");
	expect_errno(fd, _IOR(CKPT_IOC_MAGIC, 0x00, struct ckpt_version), &v,
		     ENOTTY, "wrong direction");
	expect_errno(fd, TCGETS, &v, ENOTTY, "TCGETS");
	close(fd);
}

static void t_einval(void)
{
	unsigned char big[256];
	struct ckpt_version v;
	int fd = open_dev();

	memset(&v, 0, sizeof(v));
	v.size = 4;
	expect_errno(fd, CKPT_IOC_VERSION, &v, EINVAL, "size field 4");
	v.size = CKPT_VERSION_SIZE_VER0 - 8;
	expect_errno(fd, _IOWR(CKPT_IOC_MAGIC, 0x00, char[CKPT_VERSION_SIZE_VER0 - 8]),
		     &v, EINVAL, "struct one field short");
	v.size = sizeof(v) + 8;
	expect_errno(fd, CKPT_IOC_VERSION, &v, EINVAL, "size field != ioctl size");
	expect_errno(fd, CKPT_IOC_VERSION, NULL, EFAULT, "NULL argument");

	/* A newer, longer struct: fine if the tail is zero... */
	memset(big, 0, sizeof(big));
	*(unsigned int *)big = sizeof(big);
	EXPECT(ioctl(fd, _IOWR(CKPT_IOC_MAGIC, 0x00, char[256]), big) == 0,
	       "longer struct with zero tail: %s", strerror(errno));
	EXPECT(((struct ckpt_version *)big)->abi_major == CKPT_ABI_MAJOR,
	       "longer struct not filled");
	/* ...and refused if the tail says something we do not know. */
	memset(big, 0, sizeof(big));
	*(unsigned int *)big = sizeof(big);
	big[200] = 1;
	expect_errno(fd, _IOWR(CKPT_IOC_MAGIC, 0x00, char[256]), big, E2BIG,
		     "longer struct with non-zero tail");
	close(fd);
}

/* 8 processes open, query and close the device at once. */
static void t_open8(void)
{
	struct ckpt_counters c;
	int i, status, bad = 0;
	pid_t pid;

	for (i = 0; i < 8; i++) {
		pid = fork();
		if (pid < 0) {
			fail("fork: %s", strerror(errno));
			return;
		}
		if (pid == 0) {
			struct ckpt_version v;
			int n, fd;

			for (n = 0; n < 300; n++) {
				fd = ckpt_dev_open();
				if (fd < 0 || ckpt_get_version(fd, &v))
					_exit(1);
				close(fd);
			}
			_exit(0);
		}
	}
	while (wait(&status) > 0)
		bad += !WIFEXITED(status) || WEXITSTATUS(status);
	EXPECT(!bad, "%d of 8 children failed", bad);
	i = open_dev();
	EXPECT(ckpt_get_counters(i, &c) == 0, "COUNTERS: %s", strerror(errno));
	EXPECT(c.opens == 1, "%llu opens live, want only ours", (unsigned long long)c.opens);
	close(i);
}

/* An unprivileged user opens the device: ARG is "denied" or "allowed". */
static void t_perm(const char *want)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(3);
		if (open(CKPT_DEVICE_PATH, O_RDWR) >= 0)
			_exit(0);
		_exit(errno == EACCES ? 1 : 2);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
		fail("child: status %#x", status);
	else if (!strcmp(want, "denied"))
		EXPECT(WEXITSTATUS(status) == 1, "nobody could open the device");
	else
		EXPECT(WEXITSTATUS(status) == 0, "nobody could not open the device");
}

/* The in-kernel hbuf self-test; ARG "off" expects it disabled. */
static void t_selftest(const char *arg)
{
	struct ckpt_selftest st;
	int fd = open_dev();

	if (arg && !strcmp(arg, "off")) {
		errno = 0;
		EXPECT(ckpt_run_selftest(fd, CKPT_SELFTEST_HBUF, &st) == -1 &&
		       errno == EOPNOTSUPP, "want EOPNOTSUPP without debug=1, got %s",
		       errno ? strerror(errno) : "success");
	} else {
		EXPECT(ckpt_run_selftest(fd, CKPT_SELFTEST_HBUF, &st) == 0,
		       "SELFTEST: %s", strerror(errno));
		EXPECT(st.failed == 0 && st.passed > 20,
		       "%u passed, %u failed: %s", st.passed, st.failed, st.msg);
		expect_errno(fd, CKPT_IOC_SELFTEST,
			     &(struct ckpt_selftest){ .size = sizeof(st), .which = 99 },
			     EINVAL, "unknown self-test");
	}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: devtest version|enotty|einval|open8|perm ARG|selftest [off]\n");
		return 2;
	}
	snprintf(name, sizeof(name), "%s%s%s", argv[1], argc > 2 ? "-" : "",
		 argc > 2 ? argv[2] : "");
	if (!strcmp(argv[1], "version"))
		t_version();
	else if (!strcmp(argv[1], "enotty"))
		t_enotty();
	else if (!strcmp(argv[1], "einval"))
		t_einval();
	else if (!strcmp(argv[1], "open8"))
		t_open8();
	else if (!strcmp(argv[1], "perm") && argc > 2)
		t_perm(argv[2]);
	else if (!strcmp(argv[1], "selftest"))
		t_selftest(argc > 2 ? argv[2] : NULL);
	else {
		fprintf(stderr, "devtest: unknown subtest %s\n", argv[1]);
		return 2;
	}
	if (!failed)
		printf("PASS: dev/%s\n", name);
	return failed ? 1 : 0;
}
