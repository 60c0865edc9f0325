// SPDX-License-Identifier: GPL-2.0
/*
 * Loading ckpt.ko through libkmod: from an explicit path (--module), or
 * the module installed for this kernel (DKMS) by name.
 */
#include <errno.h>
#include <libkmod.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "tool.h"

static const char *load_error(int err)
{
	switch (err) {
	case EPERM:
		return "loading a kernel module needs root (CAP_SYS_MODULE)";
	case ENOEXEC:
		return "invalid module format: was it built for another kernel?";
	case EKEYREJECTED:
	case ENOKEY:
		return "the kernel refused the module's signature (Secure Boot?)";
	default:
		return strerror(err);
	}
}

int modload_ensure(const char *module_path, bool *loaded_now)
{
	struct kmod_list *list = NULL;
	struct kmod_module *mod = NULL;
	struct kmod_ctx *ctx;
	struct utsname u;
	int ret = -1, err;

	*loaded_now = false;
	if (access(CKPT_DEVICE_PATH, F_OK) == 0)
		return 0;
	ctx = kmod_new(NULL, NULL);
	if (!ctx) {
		errmsg("libkmod: cannot initialise: %s", strerror(errno));
		return -1;
	}
	if (module_path) {
		err = kmod_module_new_from_path(ctx, module_path, &mod);
		if (err < 0) {
			errmsg("%s: %s", module_path, strerror(-err));
			goto out;
		}
		err = kmod_module_insert_module(mod, 0, NULL);
	} else {
		err = kmod_module_new_from_lookup(ctx, "ckpt", &list);
		if (err < 0 || !list) {
			uname(&u);
			errmsg("module ckpt is not installed for kernel %s: run 'make install-module', or give --module PATH",
			       u.release);
			goto out;
		}
		mod = kmod_module_get_module(list);
		err = kmod_module_probe_insert_module(mod, 0, NULL, NULL,
						      NULL, NULL);
	}
	if (err < 0 && err != -EEXIST) {
		errmsg("cannot load %s: %s",
		       module_path ? module_path : "module ckpt",
		       load_error(-err));
		goto out;
	}
	*loaded_now = err == 0;
	ret = 0;
out:
	if (mod)
		kmod_module_unref(mod);
	if (list)
		kmod_module_unref_list(list);
	kmod_unref(ctx);
	return ret;
}
