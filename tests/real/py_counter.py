# A Python `threading` program: four threads add to one counter under a
# lock and log each hundredth value; main prints the total at the end.
# Checkpointed or not, its output must be the same.
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
lock = threading.Lock()
counter = 0
log = []


def work():
    global counter
    for _ in range(N):
        with lock:
            counter += 1
            if counter % 100 == 0:
                log.append(counter)
        if counter % 1000 == 0:
            time.sleep(0.001)


print("ready", flush=True)
ts = [threading.Thread(target=work) for _ in range(4)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print("logged", len(log), "in order" if log == sorted(log) else "OUT OF ORDER")
print("total", counter)
