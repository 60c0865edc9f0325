# A Python event loop (selectors.EpollSelector, the default on Linux) over
# a pipe and an eventfd, fed by a producer thread: lines through the pipe,
# a poke through the eventfd every 50 lines.  Checkpointed or not, its
# output must be the same.
import os
import selectors
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
r, w = os.pipe()
os.set_blocking(r, False)
efd = os.eventfd(0, os.EFD_NONBLOCK)
sel = selectors.DefaultSelector()
assert isinstance(sel, selectors.EpollSelector), type(sel)
sel.register(r, selectors.EVENT_READ, "pipe")
sel.register(efd, selectors.EVENT_READ, "eventfd")


def produce():
    for i in range(1, N + 1):
        os.write(w, b"%d\n" % i)
        if i % 50 == 0:
            os.eventfd_write(efd, 1)
            time.sleep(0.001)
    os.write(w, b"end\n")


print("ready", flush=True)
t = threading.Thread(target=produce)
t.start()
lines = total = pokes = 0
buf = b""
done = False
while not done:
    for key, _ in sel.select(timeout=10):
        if key.data == "eventfd":
            pokes += os.eventfd_read(efd)
            continue
        buf += os.read(r, 65536)
        *full, buf = buf.split(b"\n")
        for x in full:
            if x == b"end":
                done = True
            else:
                lines += 1
                total += int(x)
t.join()
# The pokes written before "end" may still be in the eventfd.
try:
    pokes += os.eventfd_read(efd)
except BlockingIOError:
    pass
print("lines", lines, "sum", total, "pokes", pokes)
