# A Python asyncio program: the default event loop (epoll, and a unix
# socketpair it wakes itself through), fed from a thread with
# call_soon_threadsafe (a byte into that socketpair each time), with
# asyncio.sleep timers between.  Checkpointed or not, its output must be
# the same.
import asyncio
import sys
import threading
import time

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20000


async def main():
    loop = asyncio.get_running_loop()
    q = asyncio.Queue()

    def produce():
        for i in range(1, N + 1):
            loop.call_soon_threadsafe(q.put_nowait, i)
            if i % 100 == 0:
                time.sleep(0.002)
        loop.call_soon_threadsafe(q.put_nowait, None)

    print("ready", flush=True)
    t = threading.Thread(target=produce)
    t.start()
    total = n = 0
    while True:
        x = await q.get()
        if x is None:
            break
        n += 1
        total += x
        if n % 1000 == 0:
            print(n, total, flush=True)
            await asyncio.sleep(0.001)
    await loop.run_in_executor(None, t.join)
    print("done", n, total, flush=True)


asyncio.run(main())
