// SPDX-License-Identifier: GPL-2.0
/*
 * zdtm: a process under a seccomp filter that allows everything, on main.
 * "thread": only a second thread has the filter (seccomp filters are per
 * thread without TSYNC), so the leader alone would look clean.
 * "notif": main's filter hands getppid to a user-space listener
 * (SECCOMP_RET_USER_NOTIF; with no listener, the call fails with ENOSYS):
 * a dump must refuse it, in words, and leave the process as it was.
 * Each checks after the restore that its thread is still in filter mode.
 */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "zdtm.h"

static sem_t filtered;

static void install(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	CHECK(!prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), "seccomp");
}

static void install_notif(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	CHECK(!prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs");
	CHECK(!prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog), "seccomp");
}

static volatile pid_t filtered_tid;

static void *filtered_thread(void *arg)
{
	(void)arg;
	install();
	filtered_tid = syscall(SYS_gettid);
	sem_post(&filtered);
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	zdtm_init(&argc, argv);
	if (argc > 1 && !strcmp(argv[1], "thread")) {
		sem_init(&filtered, 0, 0);
		CHECK(!pthread_create(&t, NULL, filtered_thread, NULL), "pthread_create");
		while (sem_wait(&filtered))
			;
	} else if (argc > 1 && !strcmp(argv[1], "notif")) {
		install_notif();
		filtered_tid = getpid();
		CHECK(syscall(SYS_getppid) < 0 && errno == ENOSYS,
		      "getppid with no listener: %s", strerror(errno));
	} else {
		install();
		filtered_tid = getpid();
	}
	zdtm_ready();
	zdtm_wait();
	CHECK(zdtm_status_field(filtered_tid, "Seccomp") == 2, "thread %d: seccomp mode %ld, not 2",
	      filtered_tid, zdtm_status_field(filtered_tid, "Seccomp"));
	if (filtered_tid != getpid())
		CHECK(zdtm_status_field(getpid(), "Seccomp") == 0, "main: seccomp mode %ld, not 0",
		      zdtm_status_field(getpid(), "Seccomp"));
	zdtm_pass();
}
