#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Runs a program under a container-style seccomp filter, as a container
runtime would: libseccomp (Debian's libseccomp2, through ctypes) builds
it, allowing everything but the calls a container's default profile
denies, which fail with EPERM; seccomp_load() sets no_new_privs and
installs it; then exec.  The program and its threads inherit it.

    seccomp_exec.py PROG [ARGS...]
"""
import ctypes
import errno
import os
import sys

SCMP_ACT_ALLOW = 0x7fff0000


def scmp_act_errno(e):
    return 0x00050000 | (e & 0xffff)


# Denied by Docker's and Podman's default profiles (a subset).
DENIED = [
    "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy",
    "init_module", "ioperm", "iopl", "kcmp", "kexec_file_load", "kexec_load",
    "keyctl", "lookup_dcookie", "mbind", "mount", "move_pages",
    "name_to_handle_at", "nfsservctl", "open_by_handle_at", "perf_event_open",
    "pivot_root", "process_vm_readv", "process_vm_writev",
    "query_module", "quotactl", "reboot", "request_key", "set_mempolicy",
    "setdomainname", "sethostname", "settimeofday", "setns", "swapoff",
    "swapon", "sysfs", "_sysctl", "umount2", "unshare", "uselib",
    "userfaultfd", "ustat", "vm86", "vm86old",
]


def main():
    lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                     ctypes.c_int, ctypes.c_uint]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]
    ctx = lib.seccomp_init(SCMP_ACT_ALLOW)
    if not ctx:
        sys.exit("seccomp_init failed")
    for name in DENIED:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr < 0:
            continue        # not on this architecture
        rc = lib.seccomp_rule_add(ctx, scmp_act_errno(errno.EPERM), nr, 0)
        if rc < 0:
            sys.exit("seccomp_rule_add %s: %s" % (name, os.strerror(-rc)))
    rc = lib.seccomp_load(ctx)
    if rc < 0:
        sys.exit("seccomp_load: %s" % os.strerror(-rc))
    os.execvp(sys.argv[1], sys.argv[1:])


if __name__ == "__main__":
    main()
