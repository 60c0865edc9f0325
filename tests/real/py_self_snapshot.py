# SPDX-License-Identifier: GPL-2.0
"""Debian's python3, unmodified, snapshotting and rolling back itself.

    python3 py_self_snapshot.py LIBCKPT.so STATEFILE ROUNDS

Four threads count in a shared list while the main thread, through
ctypes, calls libckpt's ckpt_snapshot() and, ROUNDS times, changes what
the interpreter holds and calls ckpt_rollback().  A rollback rewinds
every thread, the interpreter with its lock and its heap; the call
returns 1, and the change is gone.  The round count lives in STATEFILE,
which a rollback leaves alone.  Prints "PASS" or "FAIL: why".
"""
import ctypes
import os
import sys
import threading
import time

lib = ctypes.CDLL(sys.argv[1])
lib.ckpt_errmsg.restype = ctypes.c_char_p
state = sys.argv[2]
rounds = int(sys.argv[3])
counters = [0, 0, 0, 0]
stop = False


def work(i):
    while not stop:
        counters[i] += 1


def say(s):
    os.write(1, (s + "\n").encode())


def fail(why):
    say("FAIL: " + why)
    os._exit(1)


threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
time.sleep(0.2)
with open(state, "w") as f:
    f.write("0")
changed = []
sid = ctypes.c_int()
# ctypes lets go of the interpreter's lock around the call.
r = lib.ckpt_snapshot(ctypes.byref(sid))
if r < 0:
    fail("ckpt_snapshot: " + lib.ckpt_errmsg().decode())
with open(state) as f:
    done = int(f.read())
if r != (1 if done else 0):
    fail("ckpt_snapshot returned %d after %d rollbacks" % (r, done))
if changed:
    fail("the change after the snapshot is still there")
before = list(counters)
time.sleep(0.3)
if not all(a > b for a, b in zip(counters, before)):
    fail("a thread stopped counting: %s then %s" % (before, counters))
say("round %d: counting on" % done)
if done < rounds:
    with open(state, "w") as f:
        f.write(str(done + 1))
    changed.append(bytearray(1 << 20))
    lib.ckpt_rollback(sid.value)
    fail("ckpt_rollback: " + lib.ckpt_errmsg().decode())
stop = True
for t in threads:
    t.join()
say("PASS")
