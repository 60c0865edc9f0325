// SPDX-License-Identifier: GPL-2.0
/*
 * Identity and mm fields: comm, resource limits, pdeathsig, no_new_privs,
 * dumpable, personality, and what /proc/self/{cmdline,environ,auxv,exe}
 * read back.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <limits.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "zdtm.h"

static ssize_t slurp(const char *path, char *buf, size_t len)
{
	ssize_t n, t = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -1;
	while ((n = read(fd, buf + t, len - t)) > 0)
		t += n;
	close(fd);
	return t;
}

int main(int argc, char **argv)
{
	static char cmd0[4096], cmd1[4096], env0[8192], env1[8192];
	static char aux0[1024], aux1[1024];
	char exe0[PATH_MAX], exe1[PATH_MAX], comm[16];
	ssize_t nc0, nc1, ne0, ne1, na0, na1, nx0, nx1;
	struct rlimit rl;
	int sig = 0;

	zdtm_init(&argc, argv);
	CHECK(!prctl(PR_SET_NAME, "zdtm-ident"), "PR_SET_NAME");
	rl.rlim_cur = 512;
	rl.rlim_max = 2048;
	CHECK(!setrlimit(RLIMIT_NOFILE, &rl), "setrlimit");
	CHECK(!prctl(PR_SET_PDEATHSIG, SIGHUP), "PR_SET_PDEATHSIG");
	CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "PR_SET_NO_NEW_PRIVS");
	CHECK(personality(PER_LINUX | ADDR_NO_RANDOMIZE) >= 0, "personality");
	nc0 = slurp("/proc/self/cmdline", cmd0, sizeof(cmd0));
	ne0 = slurp("/proc/self/environ", env0, sizeof(env0));
	na0 = slurp("/proc/self/auxv", aux0, sizeof(aux0));
	nx0 = readlink("/proc/self/exe", exe0, sizeof(exe0));

	zdtm_ready();
	zdtm_wait();

	CHECK(!prctl(PR_GET_NAME, comm) && !strcmp(comm, "zdtm-ident"), "comm '%s'", comm);
	CHECK(!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur == 512 && rl.rlim_max == 2048,
	      "RLIMIT_NOFILE %lu/%lu", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	CHECK(!prctl(PR_GET_PDEATHSIG, &sig) && sig == SIGHUP, "pdeathsig %d", sig);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1, "no_new_privs");
	CHECK(prctl(PR_GET_DUMPABLE) == 1, "dumpable");
	CHECK(personality(0xffffffff) == (PER_LINUX | ADDR_NO_RANDOMIZE),
	      "personality %#x", personality(0xffffffff));
	nc1 = slurp("/proc/self/cmdline", cmd1, sizeof(cmd1));
	ne1 = slurp("/proc/self/environ", env1, sizeof(env1));
	na1 = slurp("/proc/self/auxv", aux1, sizeof(aux1));
	nx1 = readlink("/proc/self/exe", exe1, sizeof(exe1));
	CHECK(nc0 > 0 && nc0 == nc1 && !memcmp(cmd0, cmd1, nc0), "/proc/self/cmdline differs");
	CHECK(ne0 > 0 && ne0 == ne1 && !memcmp(env0, env1, ne0), "/proc/self/environ differs");
	CHECK(na0 > 0 && na0 == na1 && !memcmp(aux0, aux1, na0), "/proc/self/auxv differs");
	CHECK(nx0 > 0 && nx0 == nx1 && !memcmp(exe0, exe1, nx0), "/proc/self/exe differs");
	zdtm_pass();
}
