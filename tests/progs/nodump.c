// SPDX-License-Identifier: GPL-2.0
/* A process that made itself non-dumpable (PR_SET_DUMPABLE 0). */
#include <sys/prctl.h>

#include "zdtm.h"

int main(int argc, char **argv)
{
	zdtm_init(&argc, argv);
	CHECK(!prctl(PR_SET_DUMPABLE, 0), "PR_SET_DUMPABLE");
	zdtm_ready();
	zdtm_wait();
	zdtm_pass();
}
