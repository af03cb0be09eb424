#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# Socket activation (listen_stream, listen_datagram): sockets made and held
# by guardiand, passed as descriptors 3, 4... with LISTEN_FDS,
# LISTEN_FDNAMES and LISTEN_PID, kept across restarts and reloads, so that
# a connection made while the service is down is served once it runs.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
SERVICE=$HERE/listen_service.py
CLIENT=$HERE/listen_client.py

# sock_conf NAME [LINE...]: a service that takes its sockets as
# sd_listen_fds(3) does, records what it was given in $T/NAME.json (and
# its pid in $T/NAME.pids), and answers "pid PID fd N" on each.
sock_conf() {
	local name=$1
	shift
	printf '[service %s]\ncommand = %s %s %s\n' "$name" "$PY" "$SERVICE" "$T/$name"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# given NAME JQ: what the last run of NAME recorded (jq -r JQ).
given() { jq -r "$2" "$T/$1.json" 2>/dev/null; }
# recorded NAME PID: the run PID has recorded what it was given.
recorded() { [ "$(given "$1" .pid)" = "$2" ]; }
# wait_run NAME N: NAME started N times and its Nth run has recorded.
wait_run() {
	wait_starts "$1" "$2" || return 1
	wait_for "run $2 of $1 to record its sockets" "$WAIT" recorded "$1" "$(pid_n "$1" "$2")"
}

# ask ADDR: the line the service answers at ADDR (see listen_client.py).
ask() { timeout -k 2 30 "$PY" "$CLIENT" "$@" 2>&1; }
# refused HOST:PORT: nothing listens there.
refused() { ! timeout 10 "$PY" "$CLIENT" --timeout 2 "$1" >/dev/null 2>&1; }
has_ipv6() { [ -s /proc/net/if_inet6 ] && "$PY" -c 'import socket
socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; }
ino() { stat -c %i "$1"; }

test_sockets_passed_as_sd_listen_fds_wants() {
	local port pid
	port=$(free_port)
	sock_conf api "listen_stream = $T/api.sock 127.0.0.1:$port @gdt-$$-api" >"$CONF"
	start_ready || return
	wait_run api 1 || return
	wait_state api up || return
	pid=$(pid_n api 1)
	assertEquals "LISTEN_FDS" 3 "$(given api .env.LISTEN_FDS)"
	assertEquals "LISTEN_FDNAMES: the service's name for each" "api:api:api" \
		"$(given api .env.LISTEN_FDNAMES)"
	assertEquals "LISTEN_PID: the pid exec'd" "$pid" "$(given api .env.LISTEN_PID)"
	assertEquals "...which is the main process" "$pid" "$(jfield api pid)"
	assertEquals "fd 3" "true stream AF_UNIX $T/api.sock 1 true true" \
		"$(given api '.fds[0] | "\(.socket) \(.type) \(.family) \(.name) \(.listening) \(.inheritable) \(.nonblocking)"')"
	assertEquals "fd 4" "true stream AF_INET 127.0.0.1 $port 1" \
		"$(given api '.fds[1] | "\(.socket) \(.type) \(.family) \(.name[0]) \(.name[1]) \(.listening)"')"
	assertEquals "fd 5" "stream AF_UNIX @gdt-$$-api" \
		"$(given api '.fds[2] | "\(.type) \(.family) \(.name)"')"
	assertEquals "nothing else open (6: the listing's own)" "0 1 2 3 4 5 6" \
		"$(given api '.open | map(tostring) | join(" ")')"
	assertEquals "the path socket, 0666 and root's" "srw-rw-rw- $(id -un) $(id -gn)" \
		"$(stat -c '%A %U %G' "$T/api.sock")"
	assertEquals "answered on the path" "pid $pid fd 3" "$(ask "$T/api.sock")"
	assertEquals "answered on the port" "pid $pid fd 4" "$(ask "127.0.0.1:$port")"
	assertEquals "answered on the abstract name" "pid $pid fd 5" "$(ask "@gdt-$$-api")"
}

test_datagrams_port_alone_and_fdname() {
	local port dport pid
	port=$(free_port)
	dport=$(free_port)
	sock_conf api "listen_stream = $port" "listen_datagram = 127.0.0.1:$dport" \
		'socket_fdname = api.socket' >"$CONF"
	start_ready || return
	wait_run api 1 || return
	pid=$(pid_n api 1)
	assertEquals "LISTEN_FDNAMES" "api.socket:api.socket" "$(given api .env.LISTEN_FDNAMES)"
	assertEquals "fd 4 is a datagram socket" "dgram AF_INET 0" \
		"$(given api '.fds[1] | "\(.type) \(.family) \(.listening)"')"
	assertEquals "IPv4 on PORT" "pid $pid fd 3" "$(ask "127.0.0.1:$port")"
	if has_ipv6; then
		assertEquals "PORT alone is [::]:PORT" ":: $port" \
			"$(given api '.fds[0] | "\(.name[0]) \(.name[1])"')"
		assertEquals "IPv6 on PORT" "pid $pid fd 3" "$(ask "[::1]:$port")"
	fi
	assertEquals "a datagram answered" "pid $pid fd 4" "$(ask "udp:127.0.0.1:$dport")"
}

# A connection made while the service is stopped waits in the backlog and
# is served by the next start.
test_connection_waits_while_the_service_is_down() {
	local port cpid tpid
	port=$(free_port)
	sock_conf api "listen_stream = $T/api.sock 127.0.0.1:$port" >"$CONF"
	start_ready || return
	wait_run api 1 || return
	ctl stop api
	wait_state api down || return
	ask "$T/api.sock" --mark "$T/c1.connected" >"$T/c1.out" &
	cpid=$!
	ask "127.0.0.1:$port" --mark "$T/c2.connected" >"$T/c2.out" &
	tpid=$!
	OTHER_PIDS+=("$cpid" "$tpid")
	wait_for "the clients to connect" "$WAIT" test -e "$T/c1.connected" -a -e "$T/c2.connected" || return
	assertEquals "no answer while down" "" "$(cat "$T/c1.out" "$T/c2.out")"
	assertEquals "still down" down "$(jfield api state)"
	ctl start api
	wait_run api 2 || return
	wait "$cpid"
	wait "$tpid"
	assertEquals "the waiting connection served (path)" "pid $(pid_n api 2) fd 3" "$(cat "$T/c1.out")"
	assertEquals "the waiting connection served (port)" "pid $(pid_n api 2) fd 4" "$(cat "$T/c2.out")"
}

# The same sockets through a restart and a reload that restarts the
# service: no connection refused meanwhile, the same socket (inode) at fd 3.
test_sockets_kept_across_restart_and_reload() {
	local port sino fino cpid
	port=$(free_port)
	sock_conf api "listen_stream = 127.0.0.1:$port $T/api.sock" >"$CONF"
	start_ready || return
	wait_run api 1 || return
	sino=$(given api '.fds[0].ino')
	fino=$(ino "$T/api.sock")
	"$PY" "$CLIENT" --until "$T/stop" "127.0.0.1:$port" >"$T/loop.out" 2>"$T/loop.err" &
	cpid=$!
	OTHER_PIDS+=("$cpid")
	ctl restart api
	assertEquals "restart: $ERR" 0 "$RC"
	wait_run api 2 || return
	assertEquals "the same socket after a restart" "$sino" "$(given api '.fds[0].ino')"
	sock_conf api "listen_stream = 127.0.0.1:$port $T/api.sock" 'environment = CHANGED=1' >"$CONF"
	ctl reload
	wait_run api 3 || return
	assertEquals "the same socket after a reload" "$sino" "$(given api '.fds[0].ino')"
	assertEquals "the same socket file" "$fino" "$(ino "$T/api.sock")"
	# an unchanged reload: the same process too
	ctl reload
	wait_log "reload: 0 added, 0 removed, 0 changed, 1 unchanged" || return
	wait_state api up || return
	assertEquals "answered by the same run" "pid $(pid_n api 3) fd 3" "$(ask "127.0.0.1:$port")"
	touch "$T/stop"
	wait "$cpid"
	assertEquals "never refused: $(cat "$T/loop.err")" 0 $?
	assertTrue "connections were made meanwhile" "[ \"\$(cat '$T/loop.out')\" -gt 0 ]"
}

test_mode_and_owner_of_a_path_socket() {
	needs_root || return 0
	local pid
	sock_conf api "listen_stream = $T/api.sock" 'socket_user = nobody' \
		'socket_group = nogroup' 'socket_mode = 0600' >"$CONF"
	start_ready || return
	wait_run api 1 || return
	assertEquals "srw------- nobody nogroup" "$(stat -c '%A %U %G' "$T/api.sock")"
	pid=$(pid_n api 1)
	# owner and mode change at a reload, without a restart
	sock_conf api "listen_stream = $T/api.sock" 'socket_group = root' \
		'socket_mode = 0660' >"$CONF"
	ctl reload
	wait_log "reload: 0 added, 0 removed, 0 changed, 1 unchanged" || return
	assertEquals "srw-rw---- nobody root" "$(stat -c '%A %U %G' "$T/api.sock")"
	assertEquals "not restarted" "$pid" "$(jfield api pid)"
}

test_unsafe_directory_refused() {
	mkdir -m 0777 "$T/open" && chmod 0777 "$T/open" || return
	mkdir "$T/real" && ln -s real "$T/link" || return
	{
		sock_conf open "listen_stream = $T/open/api.sock"
		sock_conf link "listen_stream = $T/link/api.sock"
	} >"$CONF"
	start_ready || return
	wait_log "open: cannot make its socket $T/open/api.sock: its directory $T/open is not safe \\(owned by uid $(id -u), mode 0777" || return
	wait_log "link: cannot make its socket $T/link/api.sock: its directory $T/link: a symbolic link" || return
	wait_state open fatal || return
	wait_state link fatal || return
	assertEquals "never started" 00 "$(npids open)$(npids link)"
	assertFalse "no socket made there" "[ -e '$T/open/api.sock' ] || [ -e '$T/real/api.sock' ]"
}

test_missing_directory_made() {
	sock_conf api "listen_stream = $T/run/sub/api.sock" >"$CONF"
	start_ready || return
	wait_run api 1 || return
	assertEquals "made 0755" "drwxr-xr-x drwxr-xr-x" "$(stat -c %A "$T/run" "$T/run/sub" | tr '\n' ' ' | sed 's/ $//')"
	assertEquals "pid $(pid_n api 1) fd 3" "$(ask "$T/run/sub/api.sock")"
}

test_stale_socket_replaced_other_file_refused() {
	local old
	"$PY" -c 'import socket, sys
socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/api.sock" || return
	# a second name keeps the stale one's inode from being reused
	ln "$T/api.sock" "$T/stale.sock" || return
	old=$(ino "$T/api.sock")
	: >"$T/file.sock"
	{
		sock_conf api "listen_stream = $T/api.sock"
		sock_conf file "listen_stream = $T/file.sock"
	} >"$CONF"
	start_ready || return
	wait_run api 1 || return
	assertNotEquals "a new socket file" "$old" "$(ino "$T/api.sock")"
	assertEquals "pid $(pid_n api 1) fd 3" "$(ask "$T/api.sock")"
	wait_log "file: cannot make its socket $T/file.sock: $T/file.sock is in the way and is not a socket" || return
	wait_state file fatal || return
	assertTrue "the file left alone" "[ -f '$T/file.sock' ]"
}

# ready = fd:N past the sockets: both reach the service.
test_with_ready_fd() {
	printf '[service api]\ncommand = %s %s %s 5\nready = fd:5\n' "$PY" "$SERVICE" "$T/api" >"$CONF"
	printf 'listen_stream = %s\nlisten_datagram = %s\n' "$T/api.sock" "$T/api.dgram" >>"$CONF"
	start_ready || return
	wait_run api 1 || return
	wait_state api up || return
	assertEquals "LISTEN_FDS" 2 "$(given api .env.LISTEN_FDS)"
	assertEquals "3 4: the sockets, 5: the readiness pipe, 6: the listing" "0 1 2 3 4 5 6" \
		"$(given api '.open | map(tostring) | join(" ")')"
	assertEquals "pid $(pid_n api 1) fd 3" "$(ask "$T/api.sock")"
}

test_ready_fd_clash_and_bad_addresses_are_config_errors() {
	sock_conf api "listen_stream = $T/a.sock 8080" 'ready = fd:4' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals 1 "$RC"
	assertContains "$ERR" "$CONF:1: service \"api\": ready = fd:4 is one of the descriptors of its listen_stream/listen_datagram sockets (3 to 4)"
	sock_conf api "listen_stream = $T/a.sock 8080" 'ready = fd:5' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "fd:5 past them: $ERR" 0 "$RC"
	sock_conf api 'listen_stream = run/a.sock' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: invalid listen_stream \"run/a.sock\" is not an address"
	sock_conf api 'listen_datagram = 127.0.0.1:70000' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: invalid listen_datagram \"127.0.0.1:70000\": the port is 1 to 65535"
	sock_conf api 'listen_stream = 80 80' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: listen_stream: \"80\" is named twice"
}

# Removed from the config: its sockets closed and its socket file gone;
# the same when guardiand exits.
test_nothing_left() {
	local port
	port=$(free_port)
	{
		sock_conf api "listen_stream = $T/api.sock 127.0.0.1:$port"
		sock_conf other "listen_stream = $T/other.sock"
	} >"$CONF"
	start_ready || return
	wait_run api 1 || return
	wait_run other 1 || return
	sock_conf other "listen_stream = $T/other.sock" >"$CONF"
	ctl reload
	wait_log "reload: 0 added, 1 removed" || return
	wait_for "api's socket file removed" "$WAIT" test ! -e "$T/api.sock" || return
	assertTrue "its port closed" "refused 127.0.0.1:$port"
	assertTrue "the other one kept" "[ -S '$T/other.sock' ]"
	stop_daemon "$DPID"
	assertFalse "guardiand gone: no socket file left" "[ -e '$T/other.sock' ]"
}

test_passed_without_cgroups() {
	local port
	port=$(free_port)
	sock_conf api "listen_stream = 127.0.0.1:$port" >"$CONF"
	GUARDIAND_CGROUP=off start_ready || return
	wait_run api 1 || return
	assertEquals "pid $(pid_n api 1) fd 3" "$(ask "127.0.0.1:$port")"
	ctl restart api
	wait_run api 2 || return
	assertEquals "pid $(pid_n api 2) fd 3" "$(ask "127.0.0.1:$port")"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
