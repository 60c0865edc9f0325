// SPDX-License-Identifier: GPL-2.0
/*
 * CKPT_IOC_SELFTEST: debug-only in-kernel self-tests (debug=1).
 */
#include <linux/capability.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "ckpt.h"
#include "hbuf_selftest.h"

long ckpt_ioc_selftest(struct ckpt_file *cf, void __user *arg)
{
	struct selftest_result r;
	struct ckpt_selftest st;
	u8 *scratch;
	int ret;

	if (!ckpt_debug)
		return -EOPNOTSUPP;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	ret = ckpt_arg_in(&st, sizeof(st), CKPT_SELFTEST_SIZE_VER0, arg);
	if (ret)
		return ret;
	if (st.which != CKPT_SELFTEST_HBUF)
		return -EINVAL;

	scratch = vmalloc(HBUF_SELFTEST_SCRATCH);
	if (!scratch)
		return -ENOMEM;
	hbuf_selftest(&r, scratch);
	vfree(scratch);

	st.passed = r.passed;
	st.failed = r.failed;
	strscpy(st.msg, r.msg, sizeof(st.msg));
	return ckpt_arg_out(arg, &st, sizeof(st));
}
