#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# ready = notify: systemd's sd_notify protocol, from python clients and
# from rsyslogd -n (Debian's, which notifies when NOTIFY_SOCKET is set).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

CLIENT=$(cd "$(dirname "$0")" && pwd)/notify_client.py

# pid_changed NAME OLD: status shows a main process other than OLD.
pid_changed() { local p; p=$(jfield "$1" pid); [ -n "$p" ] && [ "$p" != 0 ] && [ "$p" != "$2" ]; }

# notify_conf NAME 'CLIENT OPTIONS' MSG... [-- LINE...]: a service that
# records its pid and execs the client, which sends each MSG (in
# $T/NAME.msgs, a literal \n for a newline) as a datagram.
notify_conf() {
	local name=$1 opts=$2
	shift 2
	: >"$T/$name.msgs"
	while [ $# -gt 0 ] && [ "$1" != -- ]; do printf '%s\n' "$1" >>"$T/$name.msgs"; shift; done
	[ "${1:-}" = -- ] && shift
	recording_conf "$name" "exec $PY $CLIENT $opts $T/$name.msgs" 'ready = notify' "$@"
}

test_ready_1_makes_it_up() {
	notify_conf api '--go' 'READY=1' 'STATUS=serving 3 clients' >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	assertEquals "starting until READY=1" starting "$(jfield api state)"
	touch "$T/api.msgs.go"
	wait_state api up || return
	wait_log "api: ready after "
	assertTrue "NOTIFY_SOCKET is a socket of guardiand's" \
		"tr '\\0' '\\n' </proc/$(pid_n api 1)/environ | grep -q '^NOTIFY_SOCKET=$T/control.sock.n/'"
}

# What the service says is shown: STATUS= text and RELOADING in status
# (table and JSON); and `wait --ready` returns once READY=1 came, which
# takes (printed) a few ms.
test_status_text_shown_and_wait_ready() {
	notify_conf api '--go' 'READY=1' 'STATUS=serving 3 clients' >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	timeout -k 5 "$WAIT" "$CTL" -s "$SOCK" wait api --ready >"$T/w.out" 2>&1 &
	local wpid=$! t0 t1 rc
	touch "$T/api.msgs.go"
	wait "$wpid"
	rc=$?
	t1=$(date +%s%N)
	assertEquals "wait --ready: $(cat "$T/w.out")" 0 "$rc"
	assertTrue "READY=1 was sent" "[ -s '$T/api.msgs.sent' ]"
	t0=$(head -n 1 "$T/api.msgs.sent")
	echo "  READY=1 sent -> guardianctl wait --ready returned: $(( (t1 - t0) / 1000 )) us"
	wait_for "the STATUS= text" "$WAIT" jfield_is api status_text "serving 3 clients" || return
	assertEquals "notify" none "$(jfield api notify)"
	ctl status
	assertContains "INFO column" "$(head -n 1 <<<"$OUT")" "INFO"
	assertContains "the text in the table" "$OUT" "serving 3 clients"
	ctl status api --json
	assertEquals "health" none "$(jq -r '.[0].health' <<<"$OUT")"
}

test_socket_stays_open_after_ready() {
	notify_conf api '--sleep 0.2' 'READY=1' 'STATUS=one' 'RELOADING=1' 'STOPPING=1' >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_log "api: says it is stopping \\(STOPPING=1\\)" || return
	assertFalse "no refusal" "log_has 'refused'"
}

test_grandchild_heard_under_all_refused_under_main() {
	notify_conf api --fork 'READY=1' -- 'ready_timeout = 2s' 'restart = never' >"$CONF"
	start_ready || return
	wait_log "api: notify message from pid [0-9]+ refused: not its main process \\(notify_access = main\\)" || return
	wait_log "api: start failed: not ready within ready_timeout = 2" || return
	stop_daemon "$DPID"
	: >"$LOG"
	notify_conf api --fork 'READY=1' -- 'notify_access = all' >"$CONF"
	start_ready || return
	wait_state api up
}

test_stranger_refused() {
	notify_conf api '--sleep 0.5' 'READY=1' -- 'ready_timeout = 30s' >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	local sock
	sock=$(tr '\0' '\n' <"/proc/$(pid_n api 1)/environ" | sed -n 's/^NOTIFY_SOCKET=//p')
	"$PY" -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"READY=1", sys.argv[1])' "$sock"
	wait_log "api: notify message from pid [0-9]+ refused: not its main process" || return
	wait_state api up || return
	assertEquals "one refusal logged" 1 "$(count_log 'refused')"
}

# A daemon that drops to a user of its own after the exec (unbound,
# postgres) notifies as that user: the socket takes it, as systemd's does,
# and who is heard is still the credentials' say; a stranger of another
# user is refused as any other.
test_a_daemon_that_drops_privileges_itself_is_heard() {
	needs_root || return 0
	mkdir "$T/n" && chown nobody "$T/n"
	printf 'READY=1\n' >"$T/n/api.msgs"
	printf '[service api]\ncommand = setpriv --reuid nobody --regid nogroup --clear-groups %s %s %s\nready = notify\nready_timeout = 30s\n' \
		"$PY" "$CLIENT" "$T/n/api.msgs" >"$CONF"
	start_ready || return
	wait_state api up || return
	local sock
	sock=$(jfield api pid)
	sock=$(tr '\0' '\n' <"/proc/$sock/environ" | sed -n 's/^NOTIFY_SOCKET=//p')
	setpriv --reuid nobody --regid nogroup --clear-groups "$PY" -c 'import socket, sys
socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"STATUS=not mine", sys.argv[1])' "$sock"
	wait_log "api: notify message from pid [0-9]+ refused: not its main process" || return
	assertNotContains "the stranger's STATUS= is not shown" "$(jfield api status_text)" "not mine"
}

test_bad_datagrams_dropped() {
	notify_conf api '--big 5000 --sleep 0.2' 'READY=1' >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_log "refused: 4096 bytes or more"
}

test_reloading_before_ready_is_haproxys_order() {
	notify_conf api '--sleep 0.2' 'RELOADING=1' 'READY=1' >"$CONF"
	start_ready || return
	wait_state api up
}

test_stopping_beats_ready_in_one_datagram() {
	notify_conf api '' 'STOPPING=1\nREADY=1' -- 'ready_timeout = 1s' 'restart = never' >"$CONF"
	start_ready || return
	wait_log "api: says it is stopping" || return
	wait_log "api: start failed: not ready within ready_timeout" || return
}

test_watchdog_missed_aborts_and_restarts() {
	notify_conf api '' 'READY=1' 'WATCHDOG=1' -- 'watchdog = 1s' \
		'restart = on-failure' 'backoff_initial = 100ms' >"$CONF"
	start_ready || return
	wait_state api up || return
	local p1
	p1=$(pid_n api 1)
	assertEquals "WATCHDOG_USEC" 1000000 "$(tr '\0' '\n' <"/proc/$p1/environ" | sed -n 's/^WATCHDOG_USEC=//p')"
	assertEquals "WATCHDOG_PID" "$p1" "$(tr '\0' '\n' <"/proc/$p1/environ" | sed -n 's/^WATCHDOG_PID=//p')"
	wait_log "api: watchdog: no WATCHDOG=1 within 1(\\.0)?s, sending ABRT" || return
	wait_starts api 2 || return
	wait_log "api: killed by signal 6 \\(ABRT\\)"
}

test_watchdog_pings_keep_it() {
	notify_conf api '--sleep 0.3 --done' 'READY=1' 'WATCHDOG=1' 'WATCHDOG=1' 'WATCHDOG=1' \
		'WATCHDOG=1' 'WATCHDOG=1' -- 'watchdog = 1s' 'restart = never' >"$CONF"
	start_ready || return
	wait_state api up || return
	# 5 pings 300 ms apart, then none: fires once, after the last
	wait_log "api: watchdog: no WATCHDOG=1 within 1(\\.0)?s" || return
	assertTrue "it lived to send every ping (1.5 s, past the period)" \
		"[ -e '$T/api.msgs.done' ]"
	assertEquals "one watchdog" 1 "$(count_log 'api: watchdog:')"
}

test_rsyslogd_notifies_ready() {
	local conf=$T/rsyslog.conf
	printf 'module(load="imuxsock" SysSock.Name="%s/log.sock")\n*.* %s/messages\n' "$T" "$T" >"$conf"
	printf '[service syslog]\ncommand = /usr/sbin/rsyslogd -n -f %s -i %s/rsyslogd.pid\nready = notify\n' \
		"$conf" "$T" >"$CONF"
	start_ready || return
	wait_state syslog up || return
	wait_log "syslog: ready after "
	ctl stop syslog
	wait_state syslog down
}

test_redis_notifies_as_its_own_user() {
	needs_root || return 0
	local port
	port=$(free_port)
	mkdir "$T/redis" && chown redis: "$T/redis" || return
	cat >"$CONF" <<-CONF
	[service redis]
	command = /usr/bin/redis-server --port $port --bind 127.0.0.1 --dir $T/redis --supervised systemd --daemonize no --save "" --appendonly no --logfile ""
	user = redis
	ready = notify
	CONF
	start_ready || return
	wait_state redis up || return
	wait_log "redis: ready after "
	local p1
	p1=$(jfield redis pid)
	kill -KILL "$p1"
	wait_for "a new redis" "$WAIT" pid_changed redis "$p1" || return
	wait_state redis up || return
	ctl stop redis
	assertEquals "stop; $ERR" 0 "$RC"
	wait_log "redis: says it is stopping \\(STOPPING=1\\)"
	assertFalse "no refusal" "log_has refused"
}

test_watchdog_needs_notify() {
	printf '[service a]\ncommand = /bin/sleep 1\nwatchdog = 1s\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "watchdog is for ready = notify"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
