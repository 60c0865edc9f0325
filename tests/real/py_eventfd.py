# Python threads handing work over eventfds (os.eventfd, Python 3.10+):
# a producer puts tokens into a semaphore eventfd, two consumers take them
# one at a time (blocking reads) and count each into a counter eventfd,
# which main reads at the end all at once.  Checkpointed or not, its
# output must be the same.
import os
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
sem = os.eventfd(0, os.EFD_SEMAPHORE)
done = os.eventfd(0, os.EFD_NONBLOCK)
lock = threading.Lock()
taken = 0
per = [0, 0]


def consume(k):
    global taken
    while True:
        assert os.eventfd_read(sem) == 1, "the semaphore gave more than 1"
        with lock:
            taken += 1
            if taken > N:
                return
        per[k] += 1
        os.eventfd_write(done, 1)


def produce():
    # N tokens, then one per consumer to end it.
    for i in range(N + 2):
        os.eventfd_write(sem, 1)
        if i % 50 == 0:
            time.sleep(0.001)


print("ready", flush=True)
ts = [threading.Thread(target=consume, args=(k,)) for k in range(2)]
ts.append(threading.Thread(target=produce))
for t in ts:
    t.start()
for t in ts:
    t.join()
print("consumed", per[0] + per[1], "of", N)
print("counted", os.eventfd_read(done))
try:
    os.eventfd_read(done)
    print("the counter eventfd was not emptied by one read")
except BlockingIOError:
    print("counter empty")
