# The client of the redis benchmark: one connection, PING after PING,
# each waiting for its +PONG, until STOP exists.  Prints the pings
# answered and the longest time between two answers (the pause a client
# sees across a dump and restore), or how the connection failed.
#
#   redis_pinger.py PORT STOP
import os
import socket
import sys
import time

port, stop = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port), timeout=120)
f = s.makefile("rb")
n, gap = 0, 0.0
last = time.monotonic()
print("ready", flush=True)
try:
    while not os.path.exists(stop):
        s.sendall(b"PING\r\n")
        if f.readline() != b"+PONG\r\n":
            raise ConnectionError("not +PONG")
        now = time.monotonic()
        gap = max(gap, now - last)
        last = now
        n += 1
        time.sleep(0.001)
except OSError as e:
    print("failed %s after %d pings" % (type(e).__name__, n), flush=True)
    sys.exit(1)
print("pings %d pause_ms %d" % (n, gap * 1000), flush=True)
