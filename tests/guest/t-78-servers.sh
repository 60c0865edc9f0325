#!/bin/bash
# Real servers from Debian's packages, unmodified, dumped with --kill while
# no client is connected, restored, and then still serving their data:
#   redis-server (its listeners on TCP and IPv6, an epoll, background
#   threads): the keys set before the dump are there after it, a counter
#   INCRs on from its value, a list keeps its order, and the restored
#   server dumps and restores again;
#   memcached -t 4 (libevent over epoll, worker threads woken through
#   pipes): its items and a counter;
#   nginx, one process (master_process off): it serves the same file.
# And each again with a client that holds its connection while the server
# moves, which the image carries (TCP_REPAIR) and the client uses on; and
# redis with eight such clients at once.
. "$(dirname "$0")/lib.sh"

load || { report FAIL servers/insmod; exit 1; }
W=$(mktemp -d /tmp/t78.XXXXXX)
REAL=$TOP/tests/real

# dump_idle PID IMG [OPTION]: dump --kill, once the server has closed its
# end of the client that just left (until then, half closed or still
# established, the dump is refused in these words).
dump_idle() {
	local i out
	for i in $(seq 50); do
		out=$(ckpt dump -t "$1" -o "$2" --kill --stats $3 2>&1) && { echo "$out"; return 0; }
		echo "$out" | grep -q 'in TCP state\|wait to be\|its peer is outside' || break
		sleep 0.2
	done
	echo "FAIL: dump: $out"
	return 1
}

# up CMD...: until CMD answers PONG (10 s at most).
up() {
	local i
	for i in $(seq 100); do
		[ "$("$@" PING 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	return 1
}

redis() {
	local port=6399 pid rpid i got
	local cli=(redis-cli -p $port)
	command -v redis-server >/dev/null || { echo "FAIL: no redis-server (scripts/deps.sh installs it)"; return 1; }
	(cd "$W" && exec setsid redis-server --port $port --save '' --appendonly no \
		--daemonize no >"$W/redis.log" 2>&1) &
	pid=$!
	up "${cli[@]}" || { echo "FAIL: redis-server did not start: $(tail -n 3 "$W/redis.log")"; kill -9 "$pid"; return 1; }
	for i in $(seq 1000); do echo "SET key:$i value:$i"; done | "${cli[@]}" --pipe >/dev/null &&
		"${cli[@]}" SET counter 41 >/dev/null && "${cli[@]}" RPUSH list a b c >/dev/null ||
		{ echo "FAIL: redis-cli"; kill -9 "$pid"; return 1; }
	dump_idle "$pid" "$W/redis.img" || { kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	echo "redis: $(ckpt show "$W/redis.img" | grep -c '^  THREAD') threads; $(ckpt show "$W/redis.img" | grep -c ' SOCKET ') sockets"
	! "${cli[@]}" PING >/dev/null 2>&1 || { echo "FAIL: redis still answers after dump --kill"; return 1; }
	ckpt restore -i "$W/redis.img" &
	rpid=$!
	up "${cli[@]}" || { echo "FAIL: the restored redis does not answer: $(tail -n 3 "$W/redis.log")"; kill -9 "$rpid"; return 1; }
	got="$("${cli[@]}" DBSIZE) $("${cli[@]}" GET key:500) $("${cli[@]}" INCR counter) $("${cli[@]}" LRANGE list 0 -1 | tr '\n' ,)"
	[ "$got" = "1002 value:500 42 a,b,c," ] || { echo "FAIL: the restored redis has: $got"; kill -9 "$rpid"; return 1; }
	[ "$(redis-cli -h ::1 -p $port PING)" = PONG ] || { echo "FAIL: the restored redis does not answer on IPv6"; kill -9 "$rpid"; return 1; }
	# Restored (as pid $pid again), it dumps and restores again, with what
	# it was given since.
	dump_idle "$pid" "$W/redis2.img" || { kill -9 "$pid"; return 1; }
	wait "$rpid" 2>/dev/null
	ckpt restore -i "$W/redis2.img" &
	rpid=$!
	up "${cli[@]}" || { echo "FAIL: redis restored twice does not answer"; kill -9 "$rpid"; return 1; }
	got=$("${cli[@]}" INCR counter)
	[ "$got" = 43 ] || { echo "FAIL: redis restored twice counts $got, not 43"; kill -9 "$rpid"; return 1; }
	"${cli[@]}" SHUTDOWN NOSAVE >/dev/null 2>&1
	wait "$rpid" || { echo "FAIL: the restored redis exited with status $?: $(tail -n 3 "$W/redis.log")"; return 1; }
}
run_test redis-restore redis

# moves MODE PORT NAME PID UP...: a client (tests/real/held_client.py
# MODE) holds one connection to server PID on PORT and asks it something;
# the server moves (dump --kill, the image holding the connection, and a
# restore, which runs on in the background as $RPID, up once UP... says
# so); then the client asks again on the same connection.  Its two lines
# of answers are in $W/NAME.client.
# keepalive_kept PORT: the restored server's connection on PORT still
# probes after at most KEEPALIVE_MIN minutes (its TCP_KEEPIDLE, where
# the system's is 120), as ss shows its keepalive timer.
keepalive_kept() {
	local t m
	t=$(ss -tnoH state established "( sport = :$1 )" | grep -o 'timer:(keepalive,[^,]*' | head -n 1)
	[ -n "$t" ] || { echo "FAIL: no keepalive timer on the restored connection: $(ss -tnoH state established "( sport = :$1 )")" >&2; return 1; }
	case $t in *min*) m=${t#*keepalive,}; m=${m%%min*} ;; *) m=0 ;; esac
	[ "$m" -lt "$KEEPALIVE_MIN" ] ||
		{ echo "FAIL: the restored connection's keepalive fires in $m min ($t): its TCP_KEEPIDLE was lost" >&2; return 1; }
	echo "the restored connection keeps its keepalive: $t" >&2
}

moves() {
	local mode=$1 port=$2 name=$3 pid=$4 cp i
	shift 4
	rm -f "$W/go"
	mkfifo "$W/go"
	python3 "$REAL/held_client.py" "$mode" "$port" "$W/go" >"$W/$name.client" 2>&1 &
	cp=$!
	for i in $(seq 100); do [ -s "$W/$name.client" ] && break; sleep 0.1; done
	dump_idle "$pid" "$W/$name-c.img" --tcp-established >&2 || { kill -9 "$pid" "$cp"; return 1; }
	wait "$pid" 2>/dev/null
	# EARLY: the client asks before the restore, and the lock holds its
	# packets off until the restored server answers them.
	if [ -n "$EARLY" ]; then
		timeout 10 sh -c 'echo go >"$1"' sh "$W/go" ||
			{ echo "FAIL: the client is not waiting: $(cat "$W/$name.client")" >&2; kill -9 "$cp"; return 1; }
		sleep 2
	fi
	ckpt show "$W/$name-c.img" | grep ' established ' >&2
	ckpt show "$W/$name-c.img" | grep -q " SOCKET .*TCP established 127\.0\.0\.1:$port peer 127\.0\.0\.1:" ||
		{ echo "FAIL: no connection to port $port in the image" >&2; kill -9 "$cp"; return 1; }
	ckpt restore -i "$W/$name-c.img" &
	RPID=$!
	"$@" || { echo "FAIL: the restored $name does not answer" >&2; kill -9 "$pid" "$RPID" "$cp"; return 1; }
	[ -z "$KEEPALIVE_MIN" ] || keepalive_kept "$port" ||
		{ kill -9 "$pid" "$RPID" "$cp"; return 1; }
	[ -n "$EARLY" ] || timeout 10 sh -c 'echo go >"$1"' sh "$W/go" ||
		{ echo "FAIL: the client is not waiting: $(cat "$W/$name.client")" >&2; kill -9 "$pid" "$RPID" "$cp"; return 1; }
	wait "$cp" || { echo "FAIL: the client: $(cat "$W/$name.client")" >&2; kill -9 "$pid" "$RPID"; return 1; }
}

# A client stays connected while redis moves: it sets a key and counts
# before, and after reads the key and counts on, on the same connection.
redis_client() {
	local port=6398 pid got
	local cli=(redis-cli -p $port)
	(cd "$W" && exec setsid redis-server --port $port --save '' --appendonly no \
		--daemonize no >"$W/redis-c.log" 2>&1) &
	pid=$!
	up "${cli[@]}" || { echo "FAIL: redis-server did not start: $(tail -n 3 "$W/redis-c.log")"; kill -9 "$pid"; return 1; }
	# redis sets TCP_KEEPIDLE 300 on its clients (tcp-keepalive 300).
	KEEPALIVE_MIN=6 moves redis $port redis "$pid" up "${cli[@]}" || return 1
	got=$(cat "$W/redis.client")
	echo "the client, before and after the move: $got"
	[ "$got" = "+OK :1
yes :2" ] || { echo "FAIL: the client read: $got"; kill -9 "$pid" "$RPID"; return 1; }
	[ "$("${cli[@]}" GET n)" = 2 ] || { echo "FAIL: the restored redis counts $("${cli[@]}" GET n)"; kill -9 "$pid" "$RPID"; return 1; }
	"${cli[@]}" SHUTDOWN NOSAVE >/dev/null 2>&1
	wait "$RPID" || { echo "FAIL: the restored redis exited with status $?"; return 1; }
}
run_test redis-client-moves redis_client
EARLY=1 run_test redis-client-asks-meanwhile redis_client

# Eight clients stay connected while redis moves, every connection held
# off (one grace period for all of them): each sets and counts before,
# reads and counts on after; the counts are 1 to 16, each once.
redis_clients() {
	local port=6397 pid rpid i got out n=8 cps=()
	local cli=(redis-cli -p $port)
	(cd "$W" && exec setsid redis-server --port $port --save '' --appendonly no \
		--daemonize no >"$W/redis-m.log" 2>&1) &
	pid=$!
	up "${cli[@]}" || { echo "FAIL: redis-server did not start: $(tail -n 3 "$W/redis-m.log")"; kill -9 "$pid"; return 1; }
	rm -f "$W"/go-m*
	for i in $(seq $n); do
		mkfifo "$W/go-m$i"
		python3 "$REAL/held_client.py" redis $port "$W/go-m$i" >"$W/redis-m$i.client" 2>&1 &
		cps+=($!)
	done
	for i in $(seq $n); do
		for got in $(seq 100); do [ -s "$W/redis-m$i.client" ] && break; sleep 0.1; done
	done
	out=$(dump_idle "$pid" "$W/redis-m.img" --tcp-established) || { echo "$out"; kill -9 "$pid" "${cps[@]}"; return 1; }
	echo "$out"
	wait "$pid" 2>/dev/null
	got=$(ckpt show "$W/redis-m.img" | grep -c " SOCKET .*TCP established 127\.0\.0\.1:$port peer ")
	[ "$got" = $n ] || { echo "FAIL: $got of the $n connections in the image"; kill -9 "${cps[@]}"; return 1; }
	ckpt restore -i "$W/redis-m.img" &
	rpid=$!
	up "${cli[@]}" || { echo "FAIL: the restored redis does not answer"; kill -9 "$rpid" "${cps[@]}"; return 1; }
	for i in $(seq $n); do
		timeout 10 sh -c 'echo go >"$1"' sh "$W/go-m$i" ||
			{ echo "FAIL: client $i is not waiting: $(cat "$W/redis-m$i.client")"; kill -9 "$rpid" "${cps[@]}"; return 1; }
	done
	for i in $(seq $n); do
		wait "${cps[$((i - 1))]}" || { echo "FAIL: client $i: $(cat "$W/redis-m$i.client")"; kill -9 "$rpid" "${cps[@]}"; return 1; }
	done
	got=$(cat "$W"/redis-m[0-9]*.client | tr ' ' '\n' | sed -n 's/^://p' | sort -n | tr '\n' ' ')
	[ "$got" = "$(seq -s ' ' 16) " ] &&
		[ "$(cat "$W"/redis-m[0-9]*.client | grep -c '^+OK :[0-9]*$')" = $n ] &&
		[ "$(cat "$W"/redis-m[0-9]*.client | grep -c '^yes :[0-9]*$')" = $n ] ||
		{ echo "FAIL: the clients read: $(cat "$W"/redis-m[0-9]*.client | tr '\n' ' '), counts $got"; kill -9 "$rpid"; return 1; }
	"${cli[@]}" SHUTDOWN NOSAVE >/dev/null 2>&1
	wait "$rpid" || { echo "FAIL: the restored redis exited with status $?"; return 1; }
	rm -f "$W"/go-m* "$W"/redis-m*
}
run_test redis-clients-move redis_clients

# mc PORT REQUEST: memcached's answer to REQUEST ("\r\n" said as "|").
mc() {
	python3 -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
s.sendall(sys.argv[2].replace("|", "\r\n").encode())
s.shutdown(socket.SHUT_WR)
out = b""
while True:
    b = s.recv(65536)
    if not b:
        break
    out += b
print(out.decode().replace("\r\n", "|"), end="")' "$@"
}

# mc_up PORT: until memcached at PORT answers (10 s at most).
mc_up() {
	local i
	for i in $(seq 100); do
		[ "$(mc "$1" 'version|' 2>/dev/null | cut -c1-7)" = VERSION ] && return 0
		sleep 0.1
	done
	return 1
}

memcached_run() {
	local port=11299 pid rpid i got req=""
	command -v memcached >/dev/null || { echo "FAIL: no memcached (scripts/deps.sh installs it)"; return 1; }
	(cd "$W" && exec setsid memcached -p $port -U 0 -l 127.0.0.1 -t 4 -u root >"$W/mc.log" 2>&1) &
	pid=$!
	mc_up $port || { echo "FAIL: memcached did not start: $(cat "$W/mc.log")"; kill -9 "$pid"; return 1; }
	for i in $(seq 200); do req="${req}set key$i 0 0 ${#i}|$i|"; done
	got=$(mc $port "${req}set counter 0 0 2|41|")
	[ "$(echo "$got" | grep -o STORED | wc -l)" = 201 ] || { echo "FAIL: memcached stored: $got"; kill -9 "$pid"; return 1; }
	dump_idle "$pid" "$W/mc.img" || { kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	echo "memcached: $(ckpt show "$W/mc.img" | grep -c '^  THREAD') threads; $(ckpt show "$W/mc.img" | grep -c ' SOCKET ') sockets"
	ckpt restore -i "$W/mc.img" &
	rpid=$!
	mc_up $port || { echo "FAIL: the restored memcached does not answer"; kill -9 "$pid"; return 1; }
	got=$(mc $port 'get key150|incr counter 1|get key7|')
	[ "$got" = "VALUE key150 0 3|150|END|42|VALUE key7 0 1|7|END|" ] ||
		{ echo "FAIL: the restored memcached answers: $got"; kill -9 "$pid"; return 1; }
	kill "$pid"
	wait "$rpid"
	echo "memcached: the restored server ended with status $?"
}
run_test memcached-restore memcached_run

# A memcached client (libevent: the connection in an epoll) stays
# connected while the server moves: it stores before, gets and INCRs after.
memcached_client() {
	local port=11298 pid got
	(cd "$W" && exec setsid memcached -p $port -U 0 -l 127.0.0.1 -t 4 -u root >"$W/mc-c.log" 2>&1) &
	pid=$!
	mc_up $port || { echo "FAIL: memcached did not start: $(cat "$W/mc-c.log")"; kill -9 "$pid"; return 1; }
	moves memcached $port memcached "$pid" mc_up $port || return 1
	got=$(cat "$W/memcached.client")
	echo "the client, before and after the move: $got"
	[ "$got" = "STORED STORED
yes 2" ] || { echo "FAIL: the client read: $got"; kill -9 "$pid" "$RPID"; return 1; }
	kill "$pid"
	wait "$RPID"
	echo "memcached: the restored server ended with status $?"
}
run_test memcached-client-moves memcached_client

# get PORT PATH: the body nginx serves at PATH.
get() {
	python3 -c 'import sys, urllib.request
u = "http://127.0.0.1:%s%s" % (sys.argv[1], sys.argv[2])
sys.stdout.write(urllib.request.urlopen(u, timeout=5).read().decode())' "$@"
}

# get_up PORT: until nginx at PORT serves (10 s at most).
get_up() {
	local i
	for i in $(seq 100); do
		get "$1" / >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# nginx_conf PORT NAME: $W/ngx/NAME.conf, one process serving $W/ngx/www.
nginx_conf() {
	local d=$W/ngx
	mkdir -p "$d/www" "$d/tmp"
	seq 1000 >"$d/www/index.html"
	{
		echo "daemon off; master_process off; pid $d/$2.pid; error_log $d/$2.log;"
		echo "events { worker_connections 64; }"
		echo "http { access_log off; client_body_temp_path $d/tmp; proxy_temp_path $d/tmp;"
		echo "  fastcgi_temp_path $d/tmp; uwsgi_temp_path $d/tmp; scgi_temp_path $d/tmp;"
		echo "  server { listen 127.0.0.1:$1; root $d/www; } }"
	} >"$d/$2.conf"
}

nginx_run() {
	local port=8099 pid rpid got d=$W/ngx
	command -v nginx >/dev/null || { echo "FAIL: no nginx (scripts/deps.sh installs nginx-light)"; return 1; }
	nginx_conf $port nginx
	(cd "$W" && exec setsid nginx -p "$d" -c "$d/nginx.conf" >"$d/out" 2>&1) &
	pid=$!
	get_up $port || { echo "FAIL: nginx does not serve: $(cat "$d/out" "$d/nginx.log")"; kill -9 "$pid"; return 1; }
	got=$(get $port /index.html | md5sum)
	dump_idle "$pid" "$W/ngx.img" || { kill -9 "$pid"; return 1; }
	wait "$pid" 2>/dev/null
	ckpt restore -i "$W/ngx.img" &
	rpid=$!
	get_up $port && [ "$(get $port /index.html | md5sum)" = "$got" ] ||
		{ echo "FAIL: the restored nginx does not serve the file: $(tail -n 3 "$d/nginx.log")"; kill -9 "$pid"; return 1; }
	kill -QUIT "$pid"
	wait "$rpid" || { echo "FAIL: the restored nginx ended with status $?"; return 1; }
}
run_test nginx-restore nginx_run

# An HTTP/1.1 keep-alive connection to nginx outlives the server's move:
# the same file again, from the same local port (http.client would
# reconnect from another).
nginx_client() {
	local port=8098 pid got d=$W/ngx
	nginx_conf $port nginx-c
	(cd "$W" && exec setsid nginx -p "$d" -c "$d/nginx-c.conf" >"$d/out-c" 2>&1) &
	pid=$!
	get_up $port || { echo "FAIL: nginx does not serve: $(cat "$d/out-c" "$d/nginx-c.log")"; kill -9 "$pid"; return 1; }
	moves http $port nginx "$pid" get_up $port || return 1
	got=$(cat "$W/nginx.client")
	echo "the client, before and after the move: $got"
	[ "$(echo "$got" | sed -n 1p)" = "$(echo "$got" | sed -n 2p)" ] &&
		echo "$got" | grep -q "^200 $(stat -c %s "$d/www/index.html") [0-9]*\$" ||
		{ echo "FAIL: the client read: $got"; kill -9 "$pid" "$RPID"; return 1; }
	kill -QUIT "$pid"
	wait "$RPID" || { echo "FAIL: the restored nginx ended with status $?"; return 1; }
}
run_test nginx-client-moves nginx_client

rm -rf "$W"
