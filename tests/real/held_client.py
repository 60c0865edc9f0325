# A client that holds one TCP connection to a server while the server
# moves (dump --kill, restore): it asks something before, waits until
# FIFO is written, and asks again on the same connection.  It prints one
# line of answers before and one after; a connection the server dropped
# is an exception (http.client, which would reconnect, is checked for the
# same local port).
#
#   held_client.py redis|memcached|http PORT FIFO
import http.client
import socket
import sys

mode, port, fifo = sys.argv[1], int(sys.argv[2]), sys.argv[3]


def redis(s, f, *args):
    s.sendall(("*%d\r\n" % len(args) +
               "".join("$%d\r\n%s\r\n" % (len(a), a) for a in args)).encode())
    line = f.readline().decode().strip()
    if line.startswith("$") and line != "$-1":
        line = f.readline().decode().strip()
    return line


def memcached(s, f, req, lines):
    s.sendall(req.encode())
    out = [f.readline().decode().strip() for _ in range(lines)]
    return " ".join(x for x in out if not x.startswith("VALUE") and x != "END")


def wait():
    with open(fifo) as w:
        w.read()


if mode == "http":
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def get():
        c.request("GET", "/index.html")
        r = c.getresponse()
        body = r.read()
        return "%d %d %s" % (r.status, len(body), c.sock.getsockname()[1])

    print(get(), flush=True)
    wait()
    print(get(), flush=True)
    sys.exit(0)

s = socket.create_connection(("127.0.0.1", port), timeout=30)
f = s.makefile("rb")
if mode == "redis":
    print(redis(s, f, "SET", "moved", "yes"), redis(s, f, "INCR", "n"),
          flush=True)
    wait()
    print(redis(s, f, "GET", "moved"), redis(s, f, "INCR", "n"), flush=True)
else:
    print(memcached(s, f, "set moved 0 0 3\r\nyes\r\nset n 0 0 1\r\n1\r\n", 2),
          flush=True)
    wait()
    print(memcached(s, f, "get moved\r\nincr n 1\r\n", 4), flush=True)
