// SPDX-License-Identifier: GPL-2.0
/* Holds one end of a socketpair at fd 5, not carried yet: a dump must refuse. */
#include <sys/socket.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	int sv[2];

	zdtm_init(&argc, argv);
	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "socketpair");
	CHECK(dup2(sv[0], 5) == 5, "dup2");
	close(sv[0]);
	close(sv[1]);
	zdtm_ready();
	zdtm_wait();
	zdtm_pass();
}
