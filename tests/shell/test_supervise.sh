#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck source-path=SCRIPTDIR
# Supervision: restarts, backoff, exec failures, restart policies,
# give_up_after, and stopping every process of every service on SIGTERM.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# failing_conf NAME [LINE...]: a service that records its pid and exits 1.
failing_conf() { recording_conf "$1" 'exit 1' "${@:2}"; }

test_restart_after_kill9() {
	svc_conf api >"$CONF"
	start_fg
	wait_starts api 1 || return
	local p1 p2
	p1=$(pid_n api 1)
	kill -KILL "$p1"
	wait_starts api 2 || return
	p2=$(pid_n api 2)
	assertNotEquals "a new pid" "$p1" "$p2"
	is_alive "$p2"
	assertTrue "new process $p2 running" $?
	wait_log "api: killed by signal 9"
}

test_healthy_service_restarts_at_once() {
	svc_conf api 'healthy_after = 200ms' 'backoff_initial = 5s' >"$CONF"
	start_fg
	wait_starts api 1 || return
	# Let it run past healthy_after (a time window, not a state to wait for).
	observe_until $(($(now_us) + 600000))
	kill -KILL "$(pid_n api 1)"
	# With backoff_initial = 5s, only an immediate restart comes this soon.
	wait_for "api restarted at once" 3 lines_ge "$T/api.pids" 2 || return
	wait_log "api: killed by signal 9.*restarting now"
}

test_crash_loop_is_throttled() {
	failing_conf loop >"$CONF"
	local t0 n
	t0=$(now_us)
	start_fg
	wait_for "3 starts of a crashing service" "$WAIT" lines_ge "$T/loop.pids" 3 || return
	observe_until $((t0 + 3000000))
	n=$(npids loop)
	# 100 ms doubling: starts at 0, 0.1, 0.3, 0.7, 1.5 s: about 5 in 3 s.
	assertTrue "at most 15 starts in 3 s, got $n" "[ $n -le 15 ]"
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
	wait_log "loop: exited with status 1 after .*restarting in"
}

test_backoff_doubles() {
	failing_conf loop >"$CONF"
	start_fg
	wait_starts loop 4 || return
	wait_for "three restart delays logged" "$WAIT" \
		log_count_ge "loop: exited with status 1.*restarting in" 3 || return
	local delays
	delays=$(grep -Eo 'loop: exited with status 1.*restarting in [0-9.]+m?s' "$LOG" |
		grep -Eo '[0-9.]+m?s$' | head -n 3 | tr '\n' ' ')
	assertEquals "first three delays" "100ms 200ms 400ms " "$delays"
}

test_missing_binary_no_storm() {
	# A program that is there at the load (a missing one is a config
	# error) and gone by its restart: it deletes itself and fails.
	# shellcheck disable=SC2016  # $0 is the script's own
	printf '#!/bin/sh\nrm -f "$0"\nexit 1\n' >"$T/vanishing"
	chmod 755 "$T/vanishing"
	printf '[service api]\ncommand = %s/vanishing --flag\n\n' "$T" >"$CONF"
	local t0 n
	t0=$(now_us)
	start_fg
	wait_log "api: cannot execute $T/vanishing: No such file or directory; not retrying until a reload or guardianctl start" || return
	observe_until $((t0 + 2000000))
	n=$(count_log "api: cannot execute")
	assertEquals "one attempt and one message in 2 s (no retries)" 1 "$n"
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
}

test_restart_never() {
	{
		failing_conf once 'restart = never'
		failing_conf clock
	} >"$CONF"
	start_fg
	wait_log "once: exited with status 1" || return
	# clock fails with the same backoff: by its 4th start (0.7 s), once
	# would have been restarted several times if it were going to be.
	wait_starts clock 4 || return
	assertEquals "starts of a restart=never service" 1 "$(npids once)"
}

test_restart_on_failure() {
	{
		printf '[service ok]\ncommand = sh -c '\''echo $$ >> %s/ok.pids; exit 0'\''\nrestart = on-failure\n\n' "$T"
		failing_conf bad 'restart = on-failure'
	} >"$CONF"
	start_fg
	wait_starts bad 4 || return
	wait_log "ok: exited with status 0"
	assertEquals "starts of the service that exited 0" 1 "$(npids ok)"
}

# The exit status sets: 78 ("configuration error") is never restarted
# under restart = always; 3 counts as a success under on-failure; 0 is
# restarted under never. clock paces it: by its 4th start, a restart of
# any of them would have come.
test_exit_status_sets() {
	{
		printf '[service conferr]\ncommand = sh -c '\''echo $$ >> %s/conferr.pids; exit 78'\''\nrestart_prevent_exit_status = 78\n\n' "$T"
		printf '[service three]\ncommand = sh -c '\''echo $$ >> %s/three.pids; exit 3'\''\nrestart = on-failure\nsuccess_exit_status = 3\n\n' "$T"
		printf '[service again]\ncommand = sh -c '\''echo $$ >> %s/again.pids; exit 0'\''\nrestart = never\nrestart_force_exit_status = 0\n\n' "$T"
		failing_conf clock
	} >"$CONF"
	start_fg
	wait_log "conferr: exited with status 78 after .*, not restarting \\(restart_prevent_exit_status\\)" || return
	wait_log "three: exited with status 3 after .*, not restarting \\(restart = on-failure\\)" || return
	wait_starts again 2 || return
	wait_starts clock 4 || return
	assertEquals "conferr started once" 1 "$(npids conferr)"
	assertEquals "three started once" 1 "$(npids three)"
}

test_give_up_after() {
	{
		failing_conf quitter 'give_up_after = 2'
		failing_conf clock
	} >"$CONF"
	start_fg
	wait_starts quitter 2 || return
	# clock's 6th start comes at about 3.1 s: quitter would be at its 6th too.
	wait_starts clock 6 || return
	local n
	n=$(npids quitter)
	assertTrue "quitter gave up after 2 failures, started $n times" "[ $n -ge 2 ] && [ $n -le 3 ]"
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
}

test_sigterm_stops_every_process() {
	{
		svc_conf api
		printf '[service stubborn]\n'
		printf "command = sh -c 'trap \"\" TERM; echo \$\$ >> %s/stubborn.pids; while :; do sleep 1; done'\n" "$T"
		printf 'stop_timeout = 1s\n\n'
		printf '[service family]\n'
		printf "command = sh -c 'sleep 1000 & echo \$! > %s/gc.pids; echo \$\$ >> %s/family.pids; wait'\n\n" "$T" "$T"
	} >"$CONF"
	start_fg
	wait_starts api 1 || return
	wait_starts stubborn 1 || return
	wait_starts family 1 || return
	wait_for "grandchild pid recorded" "$WAIT" lines_ge "$T/gc.pids" 1 || return
	local api stubborn family gc p
	api=$(last_pid api) stubborn=$(last_pid stubborn) family=$(last_pid family) gc=$(cat "$T/gc.pids")
	is_alive "$gc"
	assertTrue "grandchild $gc running before the stop" $?

	stop_daemon "$DPID"
	assertEquals "guardiand exit status after SIGTERM" 0 "$DSTATUS"
	log_has "stubborn: stop timeout after .*sending KILL"
	assertTrue "stop timeout logged" $?
	for p in "$api" "$stubborn" "$family" "$gc"; do
		is_alive "$p"
		assertFalse "process $p gone" $?
	done
	for p in "$api" "$stubborn" "$family"; do
		group_alive "$p"
		assertFalse "process group $p empty" $?
	done
	nothing_in_T
	assertTrue "nothing left: $(procs_in_T)" $?
}

# shellcheck disable=SC1090
. "$SHUNIT2"
