#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck source-path=SCRIPTDIR
# guardiand as a daemon: detaching, the pidfile and its lock, a second
# instance, stale pidfiles, SIGTERM, start-up errors, -t, options.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A config with one service, api, that records its pid in $T/api.pids.
write_conf() { svc_conf api 'stop_timeout = 2s' >"$CONF"; }

test_detach_returns_when_ready() {
	write_conf
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	# The pidfile exists as soon as the launcher returns, naming a live guardiand.
	assertTrue "pidfile exists when the launcher returns" "[ -s '$PIDFILE' ]"
	assertTrue "pidfile holds a pid: '$DPID'" "[[ '$DPID' =~ ^[0-9]+$ ]]"
	is_alive "$DPID"
	assertTrue "daemon $DPID alive" $?
	assertEquals "process in the pidfile" guardiand "$(proc_comm "$DPID")"
	wait_starts api 1 || return
	is_alive "$(last_pid api)"
	assertTrue "service api running" $?
}

test_detached_daemon_is_a_proper_daemon() {
	write_conf
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	[ -n "$DPID" ] || { fail "no pid in pidfile"; return; }
	# Orphaned: its parent is the reaper (pid 1 in this container), not us.
	assertEquals "PPid" 1 "$(status_field "$DPID" PPid)"
	local sid
	sid=$(stat_field "$DPID" 6)
	assertNotNull "daemon's session id" "$sid"
	assertNotEquals "session differs from the test's" "$(stat_field $$ 6)" "$sid"
	assertEquals "controlling tty (tty_nr)" 0 "$(stat_field "$DPID" 7)"
	assertEquals "cwd" / "$(readlink "/proc/$DPID/cwd")"
	local fd
	for fd in 0 1 2; do
		assertEquals "fd $fd" /dev/null "$(readlink "/proc/$DPID/fd/$fd")"
	done
	assertEquals "umask" 0022 "$(status_field "$DPID" Umask)"
}

test_pidfile_is_flocked_while_running() {
	write_conf
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	flock -n -E 99 "$PIDFILE" true
	assertEquals "flock -n on the pidfile of a running daemon" 99 $?
}

test_second_instance_refused() {
	write_conf
	start_detached
	assertEquals "first launcher exit status (stderr: $ERR)" 0 "$RC"
	local first=$DPID
	[ -n "$first" ] || return

	run "$GUARDIAND" -f "$CONF" -p "$PIDFILE" "${SOCK_ARGS[@]}"
	assertEquals "second detached instance exit status" 2 "$RC"
	assertContains "message names the running pid: $ERR" "$ERR" "$first"

	RUN_TIMEOUT=15 run "$GUARDIAND" -F -f "$CONF" -p "$PIDFILE" "${SOCK_ARGS[@]}"
	assertEquals "second foreground instance exit status" 2 "$RC"
	assertContains "message names the running pid: $ERR" "$ERR" "$first"

	is_alive "$first"
	assertTrue "first daemon still running" $?
	pidfile_holds "$PIDFILE" "$first"
	assertTrue "pidfile still names the first daemon" $?
	assertEquals "api started once" 1 "$(npids api)"
}

test_stale_pidfile_with_dead_pid_accepted() {
	write_conf
	sh -c 'exit 0' &
	local dead=$!
	wait "$dead"
	echo "$dead" >"$PIDFILE"
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertNotEquals "pidfile rewritten" "$dead" "$DPID"
	is_alive "$DPID"
	assertTrue "daemon $DPID alive" $?
	wait_starts api 1
}

test_stale_pidfile_with_live_foreign_pid_accepted() {
	write_conf
	sleep 1000 &
	local other=$!
	OTHER_PIDS+=("$other")
	echo "$other" >"$PIDFILE"
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertNotEquals "pidfile rewritten" "$other" "$DPID"
	assertEquals "process in the pidfile" guardiand "$(proc_comm "$DPID")"
	wait_starts api 1
	is_alive "$other"
	assertTrue "the unrelated process is untouched" $?
}

test_sigterm_stops_services_and_removes_pidfile() {
	write_conf
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	wait_starts api 1 || return
	local api
	api=$(last_pid api)
	kill -TERM "$DPID"
	wait_for "daemon $DPID to exit" "$WAIT" is_gone "$DPID" || return
	assertFalse "pidfile removed" "[ -e '$PIDFILE' ]"
	is_alive "$api"
	assertFalse "service $api stopped" $?
	nothing_in_T
	assertTrue "nothing left: $(procs_in_T)" $?
}

test_sigterm_in_foreground_exits_0() {
	write_conf
	start_fg
	wait_starts api 1 || return
	wait_for "pidfile to name $DPID" "$WAIT" pidfile_holds "$PIDFILE" "$DPID"
	stop_daemon "$DPID"
	assertEquals "exit status after SIGTERM" 0 "$DSTATUS"
	assertFalse "pidfile removed" "[ -e '$PIDFILE' ]"
	is_alive "$(last_pid api)"
	assertFalse "service stopped" $?
}

test_bad_config_fails_the_launch() {
	{
		svc_conf api
		printf '[service bad]\ncommand = sleep 1000\nrestart = sometimes\n'
	} >"$CONF"
	local line
	line=$(grep -n sometimes "$CONF" | cut -d: -f1)
	start_detached
	assertEquals "launcher exit status" 1 "$RC"
	assertContains "stderr names file:line: $ERR" "$ERR" "$CONF:$line:"
	assertContains "stderr names the bad value: $ERR" "$ERR" "sometimes"
	assertFalse "no pidfile" "[ -e '$PIDFILE' ]"
	wait_for "no daemon left" "$WAIT" nothing_in_T
	assertEquals "no service started" 0 "$(npids api)"
}

test_pidfile_cannot_be_created_exits_3() {
	write_conf
	: >"$T/file"
	run "$GUARDIAND" -f "$CONF" -p "$T/file/guardiand.pid" "${SOCK_ARGS[@]}"
	assertEquals "exit status (stderr: $ERR)" 3 "$RC"
	assertContains "message names the pidfile: $ERR" "$ERR" "$T/file/guardiand.pid"
	wait_for "no daemon left" "$WAIT" nothing_in_T
}

test_configtest_ok() {
	write_conf
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "exit status (stderr: $ERR)" 0 "$RC"
	assertEquals "stdout" "configuration OK" "$OUT"
	assertEquals "nothing started" 0 "$(npids api)"
}

test_configtest_bad() {
	printf '[service api]\ncommand = sleep 1000\nstop_timeout = 10\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "exit status" 1 "$RC"
	assertContains "stderr has file:line: $ERR" "$ERR" "$CONF:3: "
	assertNotContains "stdout" "$OUT" "configuration OK"
	assertEquals "error lines all look like file:line: message" "" \
		"$(grep -Ev '^[^:]+:[0-9]+: .+' "$T/run.err")"
}

test_configtest_reports_error_in_included_file() {
	mkdir "$T/conf.d"
	printf '[guardiand]\ninclude = conf.d/*.conf\n\n' >"$CONF"
	svc_conf api >>"$CONF"
	printf '[service web]\ncommand = sleep 1000\nbogus_key = 1\n' >"$T/conf.d/web.conf"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "exit status" 1 "$RC"
	assertContains "stderr names the drop-in and line: $ERR" "$ERR" "web.conf:3: "
	assertContains "stderr names the key: $ERR" "$ERR" "bogus_key"
}

test_unknown_option_exits_1_with_usage() {
	run "$GUARDIAND" --no-such-option
	assertEquals "exit status" 1 "$RC"
	assertContains "usage on stderr: $ERR" "$(echo "$ERR" | tr '[:upper:]' '[:lower:]')" "usage"
}

test_socket_option_accepted() {
	write_conf
	run "$GUARDIAND" -f "$CONF" -p "$PIDFILE" -s "$SOCK"
	assertEquals "launcher exit status with -s (stderr: $ERR)" 0 "$RC"
	# The launcher returns once the socket is in place.
	assertTrue "control socket created at $SOCK" "[ -S '$SOCK' ]"
}

test_version_and_help() {
	run "$GUARDIAND" --version
	assertEquals "--version exit status" 0 "$RC"
	assertContains "--version output: $OUT" "$OUT" "0.1.0"
	run "$GUARDIAND" -V
	assertEquals "-V exit status" 0 "$RC"
	assertContains "-V output: $OUT" "$OUT" "0.1.0"
	run "$GUARDIAND" --help
	assertEquals "--help exit status" 0 "$RC"
	assertContains "--help output: $OUT" "$(echo "$OUT" | tr '[:upper:]' '[:lower:]')" "usage"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
