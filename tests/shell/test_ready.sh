#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# Readiness (ready = fd:N, tcp:, exec:) and health checks (health =).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# server_conf NAME PORT [LINE...]: a service that records its pid, waits
# for $T/NAME.go, then listens on PORT (writing $T/NAME.listening just
# before) and accepts forever.
server_conf() {
	local name=$1 port=$2
	shift 2
	cat >"$T/$name.py" <<-PY
	import os, socket, time
	open("$T/$name.pids", "a").write("%d\n" % os.getpid())
	while not os.path.exists("$T/$name.go"):
	    time.sleep(0.02)
	s = socket.socket()
	s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	s.bind(("127.0.0.1", $port))
	open("$T/$name.listening", "w").write("%d\n" % time.time_ns())
	s.listen(16)
	while True:
	    c, _ = s.accept()
	    c.close()
	PY
	printf '[service %s]\ncommand = %s %s\n' "$name" "$PY" "$T/$name.py"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# listening PORT: something listens on 127.0.0.1:PORT.
listening() { "$PY" -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null; }

test_fd_ready_when_a_line_is_written() {
	recording_conf api "while [ ! -e $T/go ]; do sleep 0.05; done; echo ready >&3; exec sleep 1000" \
		'ready = fd:3' >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	assertEquals "starting until the line" starting "$(jfield api state)"
	touch "$T/go"
	wait_state api up || return
	wait_log "api: ready after "
}

test_fd_closed_without_a_line_fails_the_start() {
	recording_conf api "exec 3>&-; exec sleep 1000" 'ready = fd:3' \
		'restart = on-failure' 'backoff_initial = 30s' >"$CONF"
	start_ready || return
	wait_log "api: start failed: it closed descriptor 3 without writing a line" || return
	wait_state api backoff || return
	assertTrue "stopped" "is_gone $(pid_n api 1)"
}

test_fd_is_not_given_to_other_descriptors() {
	# the service's fd 4 stays closed: only N is passed
	recording_conf api "ls /proc/self/fd >$T/fds; echo >&3; exec sleep 1000" \
		'ready = fd:3' >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "0 1 2 3 and ls's own" "0 1 2 3" "$(sort -n "$T/fds" | head -n 4 | tr '\n' ' ' | sed 's/ $//')"
	assertEquals "nothing more than ls's directory" 5 "$(wc -l <"$T/fds" | tr -d ' ')"
}

test_tcp_ready_once_it_listens() {
	local port
	port=$(free_port)
	server_conf srv "$port" "ready = tcp:127.0.0.1:$port" >"$CONF"
	start_ready || return
	wait_starts srv 1 || return
	assertEquals "starting until it listens" starting "$(jfield srv state)"
	touch "$T/srv.go"
	wait_state srv up || return
	assertTrue "it listened before" "[ -f '$T/srv.listening' ]"
	wait_log "srv: ready after "
}

test_tcp_never_listening_fails_after_ready_timeout() {
	local port
	port=$(free_port)
	recording_conf api 'exec sleep 1000' "ready = tcp:127.0.0.1:$port" \
		'ready_timeout = 1s' 'restart = on-failure' 'backoff_initial = 30s' >"$CONF"
	start_ready || return
	wait_log "api: start failed: not ready within ready_timeout = 1(\\.0)?s \\(Connection refused\\)" || return
	wait_state api backoff || return
	assertTrue "stopped" "is_gone $(pid_n api 1)"
	wait_log "api: its start failed after .*, restarting in 30"
}

test_exec_ready_runs_as_the_service_user() {
	needs_root || return 0
	mkdir "$T/n" && chown nobody "$T/n" || return
	cat >"$T/check.sh" <<-SCRIPT
	#!/bin/sh
	id -u >>$T/n/check.uid
	test -e $T/go
	SCRIPT
	chmod 755 "$T/check.sh"
	printf '[service api]\ncommand = /bin/sleep 1000\nready = exec:%s\nuser = nobody\n' \
		"$T/check.sh" >"$CONF"
	start_ready || return
	wait_for "two tries" "$WAIT" lines_ge "$T/n/check.uid" 2 || return
	assertEquals "starting while the check fails" starting "$(jfield api state)"
	touch "$T/go"
	wait_state api up || return
	assertEquals "run as nobody" "$(id -u nobody)" "$(sort -u "$T/n/check.uid")"
}

test_exec_never_ready_fails_after_ready_timeout() {
	recording_conf api 'exec sleep 1000' 'ready = exec:/bin/false' \
		'ready_timeout = 1s' 'restart = on-failure' 'backoff_initial = 30s' >"$CONF"
	start_ready || return
	wait_log "api: start failed: not ready within ready_timeout = 1(\\.0)?s \\(/bin/false exited with status 1\\)" || return
	wait_state api backoff || return
	assertTrue "stopped" "is_gone $(pid_n api 1)"
}

# health_script: $T/health.sh, a check that fails, saying so, while
# $T/sick exists.
health_script() {
	cat >"$T/health.sh" <<-SCRIPT
	#!/bin/sh
	if [ -e $T/sick ]; then echo "sick since a while"; exit 1; fi
	exit 0
	SCRIPT
	chmod 755 "$T/health.sh"
}

test_health_failing_restarts_the_service() {
	health_script
	recording_conf api 'exec sleep 1000' "health = exec:$T/health.sh" \
		'health_interval = 200ms' 'health_retries = 3' 'healthy_after = 1s' >"$CONF"
	start_ready || return
	wait_state api up || return
	local p1
	p1=$(pid_n api 1)
	touch "$T/sick"
	wait_log "api: health check exec:$T/health.sh failed \\(1 of 3 in a row\\): $T/health.sh exited with status 1: sick since a while" || return
	rm -f "$T/sick"
	wait_log "api: health check passed again" || return
	assertTrue "not restarted for one failure" "is_alive $p1"
	touch "$T/sick"
	wait_starts api 2 || return
	wait_log "api: unhealthy: health check exec:$T/health.sh failed 3 times in a row"
	assertTrue "the old one stopped" "is_gone $p1"
	rm -f "$T/sick"
	wait_state api up
}

test_health_shown_in_status() {
	health_script
	recording_conf api 'exec sleep 1000' "health = exec:$T/health.sh" \
		'health_interval = 100ms' 'health_retries = 1000' >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "health ok" ok "$(jfield api health)"
	touch "$T/sick"
	wait_for "health failing" "$WAIT" jfield_is api health failing || return
	ctl status api --json
	assertTrue "failures counted" "[ $(jq -r '.[0].health_fails' <<<"$OUT") -ge 1 ]"
	assertContains "why" "$(jq -r '.[0].why' <<<"$OUT")" "sick since a while"
	ctl status api
	assertContains "INFO" "$OUT" "health check failed "
	rm -f "$T/sick"
	wait_for "health ok again" "$WAIT" jfield_is api health ok || return
	assertEquals "no why once it passes" "" "$(jfield api why)"
}

test_health_tcp_and_http() {
	local port
	port=$(free_port)
	"$PY" -m http.server --bind 127.0.0.1 "$port" --directory "$T" >/dev/null 2>&1 &
	OTHER_PIDS+=($!)
	wait_for "the http server" "$WAIT" listening "$port" || return
	recording_conf api 'exec sleep 1000' "health = http://127.0.0.1:$port/ok" \
		'health_interval = 200ms' 'health_retries = 2' >"$CONF"
	start_ready || return
	wait_log "api: health check http://127.0.0.1:$port/ok failed \\(1 of 2 in a row\\): HTTP/1.0 404" || return
	echo ok >"$T/ok"
	wait_log "api: health check passed again: HTTP/1.0 200" || return
	assertEquals "one start" 1 "$(npids api)"
}

# start and restart return once the service is ready, or say why not;
# status says what keeps it starting. A tcp service is seen ready soon
# after it listens (printed: the tries are at most 250 ms apart).
test_start_waits_for_ready_and_says_why_not() {
	local port dead t0 t1
	port=$(free_port)
	dead=$(free_port)
	{
		server_conf srv "$port" "ready = tcp:127.0.0.1:$port"
		recording_conf never 'exec sleep 1000' "ready = tcp:127.0.0.1:$dead" \
			'ready_timeout = 1s' 'restart = on-failure' 'backoff_initial = 30s'
		recording_conf slow 'exec sleep 1000' "ready = tcp:127.0.0.1:$dead"
		recording_conf quick 'sleep 0.02; exit 1' "ready = tcp:127.0.0.1:$dead" \
			'restart = on-failure' 'backoff_initial = 30s'
	} >"$CONF"
	start_ready || return
	wait_starts srv 1 || return
	wait_for "slow to say why it is not ready" "$WAIT" jfield_has slow why "Connection refused" || return
	ctl status slow
	assertContains "INFO: not ready" "$OUT" "not ready: "
	# srv listens 1 s after the go: restart returns once it does
	( sleep 1; touch "$T/srv.go" ) &
	OTHER_PIDS+=($!)
	ctl restart srv
	t1=$(date +%s%N)
	assertEquals "restart srv: $ERR" 0 "$RC"
	assertTrue "it listened before restart returned" "[ -s '$T/srv.listening' ]"
	t0=$(cat "$T/srv.listening")
	echo "  tcp: listen() -> guardianctl restart returned: $(( (t1 - t0) / 1000000 )) ms"
	assertTrue "it is reachable" "listening $port"
	ctl restart never
	assertEquals "restart never fails" 1 "$RC"
	assertContains "why" "$ERR" "never: failed to start: not ready within ready_timeout = 1.0s (Connection refused) (backoff, next try in "
	wait_state quick backoff || return
	ctl restart quick
	assertEquals "restart quick fails" 1 "$RC"
	assertContains "why" "$ERR" "quick: failed to start: exited with status 1 after "
	ctl restart --timeout 1 slow
	assertEquals "timed out" 1 "$RC"
	assertContains "still starting, and why" "$ERR" "slow: still starting (not ready: Connection refused)"
}
jfield_has() { [[ "$(jfield "$1" "$2")" == *"$3"* ]]; }

test_detached_start_returns_once_ready() {
	# what `service guardiand start && <a client of the service>` rests on
	recording_conf api "sleep 1; echo >&3; exec sleep 1000" 'ready = fd:3' >"$CONF"
	start_detached
	assertEquals "started; $ERR" 0 "$RC"
	assertEquals "up when the launcher returns" up "$(jfield api state)"
	# one that is never ready: the launcher returns at its ready_timeout
	stop_daemon "$DPID"
	recording_conf api 'exec sleep 1000' 'ready = fd:3' 'ready_timeout = 1s' \
		'restart = never' >"$CONF"
	start_detached
	assertEquals "started anyway; $ERR" 0 "$RC"
	assertNotEquals "not left starting" starting "$(jfield api state)"
}

test_bad_values_are_file_line_errors() {
	printf '[service a]\ncommand = /bin/sleep 1\nready = fd:1\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: invalid ready \"fd:1\": N of fd:N is 3 to 1023"
	printf '[service a]\ncommand = /bin/sleep 1\nready = http://x/\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: invalid ready \"http://x/\" (none, notify, fd:N, tcp:HOST:PORT or exec:COMMAND)"
	printf '[service a]\ncommand = /bin/sleep 1\nhealth = tcp:localhost\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "$CONF:3: invalid health \"tcp:localhost\""
	printf '[service a]\ncommand = /bin/sleep 1\nready = exec:check\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "$ERR" "the command of exec: is an absolute path"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
