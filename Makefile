# SPDX-License-Identifier: GPL-2.0
#
# ckpt: top-level build.
#
#   make                    module for the running kernel (or, when its
#                           headers are missing, every installed kernel),
#                           the ckpt tool and libckpt
#   make modules KVER=V     module for kernel V   (or KDIR=/path/to/build)
#   make check              install deps, build, unit + VM tests, both kernels
#   make demo               install deps, build, show the tool in the VM
#   make install PREFIX=/usr/local, make install-module (DKMS)
#   make deb                Debian packages in build/deb/ (and lintian)
#
# Outputs go to build/; nothing is written into the source dirs.

TOP	:= $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
B	:= $(TOP)/build
VERSION	:= $(shell cat $(TOP)/VERSION)

PREFIX	?= /usr/local
DESTDIR	?=
BINDIR	?= $(PREFIX)/bin
LIBDIR	?= $(PREFIX)/lib
INCDIR	?= $(PREFIX)/include
MANDIR	?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# udev reads no rules from /usr/local: a local install puts its rule where
# the admin's go.
UDEVRULESDIR ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/udev/rules.d,/etc/udev/rules.d)

CC	?= cc
CFLAGS	?= -O2 -g
USER_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	-I$(TOP)/uapi -I$(TOP)/userspace/lib \
	-DCKPT_VERSION='"$(VERSION)"' -DCKPT_PREFIX='"$(PREFIX)"'

# Kernels to build for.  KDIR wins, then KVER, then the running kernel if
# its headers are installed, else every installed kernel with headers.
ifneq ($(KDIR),)
KVERS	:= $(shell $(MAKE) -s -C $(KDIR) kernelrelease 2>/dev/null)
else ifneq ($(KVER),)
KVERS	:= $(KVER)
else ifneq ($(wildcard /lib/modules/$(shell uname -r)/build),)
KVERS	:= $(shell uname -r)
else
KVERS	:= $(notdir $(patsubst %/build,%,$(wildcard /lib/modules/*/build)))
endif
kdir	= $(if $(KDIR),$(KDIR),/lib/modules/$(1)/build)

# The module's files in format/: all but the host's shim.
FORMAT_KERNEL := $(notdir $(filter-out %shim.c %shim.h,$(wildcard $(TOP)/format/*.[ch])))
MOD_SRCS := Kbuild VERSION $(wildcard $(TOP)/module/*.[ch]) \
	$(TOP)/module/conftest.sh $(addprefix $(TOP)/format/,$(FORMAT_KERNEL)) \
	$(TOP)/uapi/linux/ckpt.h

.PHONY: all modules userspace tests unit check demo deps clean install deb \
	install-module uninstall-module checkpatch sparse bench fuzz-smoke \
	install-man

all: modules userspace

# One output tree per kernel, of symlinks to the sources, so builds for
# several kernels never share object files.  Links to files that moved
# away are dropped first.
modules:
	@test -n "$(KVERS)" || { echo "no kernel headers found: run 'make deps' or set KDIR" >&2; exit 1; }
	@set -e; for v in $(KVERS); do \
		o=$(B)/mod/$$v; mkdir -p $$o/module $$o/format $$o/uapi/linux; \
		find $$o/module $$o/format -maxdepth 1 -xtype l -delete; \
		ln -sf $(TOP)/Kbuild $(TOP)/VERSION $$o/; \
		ln -sf $(TOP)/module/* $$o/module/; \
		ln -sf $(addprefix $(TOP)/format/,$(FORMAT_KERNEL)) $$o/format/; \
		ln -sf $(TOP)/uapi/linux/ckpt.h $$o/uapi/linux/; \
		echo "  MODULE  ckpt.ko for $$v"; \
		$(MAKE) -s -C $(call kdir,$$v) M=$$o CKPT_WERROR=y modules; \
	done

USER_BIN := $(B)/bin/ckpt
LIB_A	 := $(B)/lib/libckpt.a
# libckpt's own interface version, not the project's: the major is the
# soname (libckpt.so.1, package libckpt1) and changes only when ckpt.h
# breaks callers.  It starts at 1, the major of the module ABI it speaks.
LIB_VERSION := 1.0.0
LIB_SONAME := libckpt.so.$(firstword $(subst ., ,$(LIB_VERSION)))
LIB_SO	 := $(B)/lib/libckpt.so.$(LIB_VERSION)
# format/: the code the module and the tool share (hbuf, CRC32C, the
# validator, the record index; FORMAT_KERNEL above), and the host's
# stand-ins for the few kernel definitions it needs (shim.h, hbuf_shim.c).
TOOL_SHARED := $(addprefix $(TOP)/format/,hbuf.c crc32c.c image_check.c index.c)
FORMAT_HDRS := $(TOOL_SHARED:.c=.h) $(TOP)/format/shim.h $(TOP)/format/search.h
FORMAT_HOST := $(TOP)/format/hbuf_shim.c
TOOL_SRCS := $(wildcard $(TOP)/userspace/*.c) $(TOOL_SHARED) $(FORMAT_HOST)
LIB_SRCS  := $(wildcard $(TOP)/userspace/lib/*.c)
HDRS	  := $(wildcard $(TOP)/userspace/*.h $(TOP)/userspace/lib/*.h) $(TOP)/uapi/linux/ckpt.h

userspace: $(USER_BIN) $(LIB_A) $(LIB_SO) $(B)/lib/ckpt.pc

$(B)/lib/pic/%.o: $(TOP)/userspace/lib/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -fPIC -fvisibility=hidden -c $< -o $@

$(B)/lib/static/%.o: $(TOP)/userspace/lib/%.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -fvisibility=hidden -c $< -o $@

$(LIB_A): $(patsubst $(TOP)/userspace/lib/%.c,$(B)/lib/static/%.o,$(LIB_SRCS))
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIB_SO): $(patsubst $(TOP)/userspace/lib/%.c,$(B)/lib/pic/%.o,$(LIB_SRCS))
	$(CC) -shared -Wl,-soname,$(LIB_SONAME) $(LDFLAGS) -o $@ $^
	ln -sf libckpt.so.$(LIB_VERSION) $(B)/lib/libckpt.so

$(B)/lib/ckpt.pc: $(TOP)/userspace/lib/ckpt.pc.in $(TOP)/VERSION
	@mkdir -p $(dir $@)
	sed -e 's|@PREFIX@|$(PREFIX)|; s|@LIBDIR@|$(LIBDIR)|; s|@INCDIR@|$(INCDIR)|; s|@VERSION@|$(VERSION)|' $< > $@

$(USER_BIN): $(TOOL_SRCS) $(HDRS) $(LIB_A) $(FORMAT_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(TOP)/format $(CFLAGS) -o $@ $(TOOL_SRCS) $(LIB_A) $(LDFLAGS) -lkmod -pthread

# Host unit tests: format/ code built with its host shim, under ASan.
UNIT_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 \
	-fsanitize=address,undefined -fno-sanitize-recover=all \
	-I$(TOP)/format

$(B)/unit/hbuf_test: $(TOP)/tests/unit/hbuf_test.c $(TOP)/format/hbuf.c \
		$(TOP)/format/hbuf_selftest.c $(wildcard $(TOP)/format/hbuf*.h) \
		$(TOP)/format/shim.h
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^)

# Test programs that run in the VM.
PROGS := $(notdir $(basename $(wildcard $(TOP)/tests/progs/*.c)))
TEST_PROGS := $(B)/tests/devtest $(B)/tests/cowcheck $(B)/tests/imgrecs \
	$(B)/tests/imgpatch $(B)/tests/tracee_exit $(addprefix $(B)/tests/,$(PROGS))
tests: $(TEST_PROGS) $(B)/tests/afl_target $(B)/tests/afl_target_threads \
	$(B)/tests/java/Counter.class

# The Java program of the real-program tests (t-76).
$(B)/tests/java/Counter.class: $(TOP)/tests/real/Counter.java
	@mkdir -p $(dir $@)
	javac -d $(dir $@) $<

# The AFL++ target: instrumented by afl-clang-fast (Debian's afl++).
$(B)/tests/afl_target: $(TOP)/tests/afl/target.c
	@mkdir -p $(dir $@)
	AFL_QUIET=1 afl-clang-fast -O1 -o $@ $<

$(B)/tests/afl_target_threads: $(TOP)/tests/afl/target_threads.c
	@mkdir -p $(dir $@)
	AFL_QUIET=1 afl-clang-fast -O1 -pthread -o $@ $<

$(B)/tests/%: $(TOP)/tests/progs/%.c $(TOP)/tests/progs/zdtm.h $(TOP)/tests/progs/sockopt_want.h $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(TOP)/uapi -o $@ $<

# Snapshot test programs use libckpt (shortest stem: wins over the rule above).
$(B)/tests/snap_%: $(TOP)/tests/progs/snap_%.c $(TOP)/tests/progs/zdtm.h $(TOP)/tests/progs/snap_state.h $(HDRS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g -Wall -Wextra -Werror -I$(TOP)/uapi -I$(TOP)/userspace/lib -o $@ $< $(LIB_A)

$(B)/tests/%: $(TOP)/tests/dev/%.c $(HDRS) $(LIB_A)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) $(CFLAGS) -o $@ $< $(LIB_A)

# The tool's stop helper on its own, against a process exiting (t-75).
$(B)/tests/tracee_exit: $(TOP)/tests/dev/tracee_exit.c $(TOP)/userspace/ptrace_stop.c \
		$(TOP)/userspace/ptrace_stop.h $(TOP)/userspace/tool.h
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(TOP)/userspace -I$(TOP)/userspace/lib $(CFLAGS) \
		-pthread -o $@ $(filter %.c,$^)

IMG_TEST_SRCS := $(TOOL_SHARED) $(FORMAT_HOST) $(TOP)/userspace/image_read.c
IMG_TEST_HDRS := $(FORMAT_HDRS) $(TOP)/userspace/image_read.h \
	$(TOP)/uapi/linux/ckpt.h

# Read images with the tool's reader (the module's validator).
$(B)/tests/cowcheck $(B)/tests/imgrecs $(B)/tests/imgpatch: $(B)/tests/%: $(TOP)/tests/dev/%.c $(IMG_TEST_SRCS) $(IMG_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(USER_CFLAGS) -I$(TOP)/format -I$(TOP)/userspace $(CFLAGS) -o $@ $(filter %.c,$^)

$(B)/unit/image_check_test: $(TOP)/tests/unit/image_check_test.c \
		$(IMG_TEST_SRCS) $(IMG_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(UNIT_CFLAGS) -o $@ $(filter %.c,$^)

# The chain (userspace/chain_find.c, chain_merge.c; image names from
# series.c): its tool.h wants lib/ckpt.h first.
CHAIN_SRCS := $(addprefix $(TOP)/userspace/,chain_find.c chain_merge.c series.c)
$(B)/unit/chain_test: $(TOP)/tests/unit/chain_test.c $(CHAIN_SRCS) \
		$(IMG_TEST_SRCS) $(IMG_TEST_HDRS) \
		$(addprefix $(TOP)/userspace/,chain.h chain_int.h periodic.h ptrace_stop.h)
	@mkdir -p $(dir $@)
	$(CC) -I$(TOP)/uapi -I$(TOP)/userspace/lib $(UNIT_CFLAGS) -o $@ $(filter %.c,$^)

unit: $(B)/unit/hbuf_test $(B)/unit/image_check_test $(B)/unit/chain_test
	@rc=0; $(B)/unit/hbuf_test || rc=1; \
	$(B)/unit/image_check_test || rc=1; \
	$(B)/unit/chain_test || rc=1; exit $$rc

# libFuzzer smoke run of the image reader and validator (clang), seeded
# with valid images that the unit test writes.
FUZZ_CC	  ?= clang
FUZZ_TIME ?= 30

$(B)/fuzz/fuzz_image: $(TOP)/tests/fuzz/fuzz_image.c $(IMG_TEST_SRCS) \
		$(IMG_TEST_HDRS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -std=c11 -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		-I$(TOP)/format -o $@ $(filter %.c,$^)

fuzz-smoke: $(B)/fuzz/fuzz_image $(B)/unit/image_check_test
	@mkdir -p $(B)/fuzz/corpus
	@$(B)/unit/image_check_test --corpus $(B)/fuzz/seeds
	@if $(B)/fuzz/fuzz_image -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/corpus $(B)/fuzz/seeds \
		>$(B)/fuzz/log 2>&1; then \
		echo "PASS: fuzz/image ($$(sed -n 's/^stat::number_of_executed_units: *//p' $(B)/fuzz/log) runs)"; \
	else \
		tail -n 40 $(B)/fuzz/log; \
		echo "FAIL: fuzz/image: see build/fuzz/log"; exit 1; \
	fi

deps:
	@$(TOP)/scripts/deps.sh

check:
	@$(TOP)/scripts/deps.sh
	@$(TOP)/tests/run.sh

demo:
	@$(TOP)/scripts/deps.sh
	@$(TOP)/scripts/demo.sh

# Kernel style, with the kernel's own checkpatch and sparse (C=2 checks
# every file, rebuilt or not).
checkpatch:
	@$(TOP)/scripts/checkpatch.sh

sparse:
	@set -e; for v in $(KVERS); do \
		$(MAKE) -s modules KVER=$$v >/dev/null; \
		o=$(B)/mod/$$v; \
		echo "  SPARSE  $$v"; \
		$(MAKE) -s -C $(call kdir,$$v) M=$$o C=2 CF="-D__CHECK_ENDIAN__" modules 2>&1 | \
			{ ! grep -E 'warning|error'; }; \
	done

bench:
	@$(TOP)/scripts/deps.sh
	@$(TOP)/bench/run.sh

install: userspace install-man
	install -D -m 0755 $(USER_BIN) $(DESTDIR)$(BINDIR)/ckpt
	install -D -m 0644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libckpt.a
	install -D -m 0644 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libckpt.so.$(LIB_VERSION)
	ln -sf libckpt.so.$(LIB_VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libckpt.so
	install -D -m 0644 $(TOP)/userspace/lib/ckpt.h $(DESTDIR)$(INCDIR)/ckpt.h
	install -D -m 0644 $(TOP)/uapi/linux/ckpt.h $(DESTDIR)$(INCDIR)/linux/ckpt.h
	install -D -m 0644 $(B)/lib/ckpt.pc $(DESTDIR)$(LIBDIR)/pkgconfig/ckpt.pc
	install -D -m 0644 $(TOP)/udev/60-ckpt.rules $(DESTDIR)$(UDEVRULESDIR)/60-ckpt.rules
	install -D -m 0644 $(TOP)/completion/ckpt.bash $(DESTDIR)$(BASHCOMPDIR)/ckpt

# Manual pages: ckpt(8), ckpt_snapshot(3), and one ".so" page per other
# libckpt function, installed as they are (man finds the target from them).
MAN8	:= $(TOP)/man/ckpt.8
MAN3	:= $(wildcard $(TOP)/man/*.3)

install-man:
	install -d $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man3
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 $(MAN3) $(DESTDIR)$(MANDIR)/man3/

# Debian packages (ckpt, libckpt1, libckpt-dev, ckpt-dkms) into build/deb/,
# then lintian on them.  dpkg-buildpackage builds where debian/ is and
# writes there, so it runs on a copy of the tree; our make's flags and
# command-line variables must not reach debian/rules.
deb:
	rm -rf $(B)/deb && mkdir -p $(B)/deb/src
	tar -C $(TOP) --exclude=./build --exclude=./.git -cf - . | tar -C $(B)/deb/src -xf -
	cd $(B)/deb/src && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -us -uc -b >$(B)/deb/build.log 2>&1 || \
		{ tail -n 40 $(B)/deb/build.log; echo "deb: dpkg-buildpackage failed: see build/deb/build.log" >&2; exit 1; }
	rm -rf $(B)/deb/src
	lintian --fail-on error $(B)/deb/ckpt_$(VERSION)_*.changes >$(B)/deb/lintian.log 2>&1; \
		rc=$$?; cat $(B)/deb/lintian.log; exit $$rc
	@ls $(B)/deb/*.deb

# DKMS: registers this tree as ckpt/$(VERSION), builds and installs the
# module for KVERS.
install-module:
	@$(TOP)/scripts/dkms.sh install $(KVERS)

uninstall-module:
	@$(TOP)/scripts/dkms.sh remove

clean:
	rm -rf $(B)/mod $(B)/bin $(B)/lib $(B)/unit $(B)/tests $(B)/fuzz
