#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# Control processes (start_pre, start_post, stop_command, stop_post, as
# systemd's ExecStartPre= ... ExecStopPost=), kill_mode, send_sigkill and
# type = oneshot with remain_after_exit.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

setUp() {
	lib_setup
	mkdir "$T/n"	# written by nobody too
	[ "$(id -u)" = 0 ] && chown nobody "$T/n"
	KIDS=()
	return 0
}
tearDown() {
	local k
	for k in "${KIDS[@]}"; do kill -KILL "$k" 2>/dev/null; done
	lib_teardown
	return 0
}

# rec WORD: sh code that appends WORD to $T/order.
rec() { printf "sh -c 'echo %s >> %s/order'" "$1" "$T"; }
order_is() { [ "$(cat "$T/order" 2>/dev/null | tr '\n' ' ')" = "$1" ]; }

test_start_pre_in_order_before_command() {
	{ recording_conf api "echo main >> $T/order; exec sleep 1000" \
		"start_pre = $(rec one)" "start_pre = -/bin/false" \
		"start_pre = $(rec two)"; } >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "order" "one two main " "$(tr '\n' ' ' <"$T/order")"
	assertTrue "a failure with - is logged" "log_has 'start_pre .-/bin/false. exited with status 1 \\(ignored\\)'"
	assertEquals "one start" 1 "$(jfield api starts)"
}

test_start_pre_failure_is_a_failed_start_with_backoff() {
	{ svc_conf api "start_pre = $(rec one)" "start_pre = /bin/false" \
		"start_pre = $(rec never)" 'backoff_initial = 30s'; } >"$CONF"
	start_ready || return
	wait_state api backoff || return
	assertTrue "why is logged" "log_has 'api: start failed: start_pre .\\/bin\\/false. exited with status 1'"
	assertEquals "fails" 1 "$(jfield api fails)"
	assertEquals "only the first ran" "one " "$(tr '\n' ' ' <"$T/order")"
	assertEquals "the command never ran" 0 "$(npids api)"
	assertContains "status says why" "$(jfield api why)" "start_pre"
}

test_start_pre_runs_again_at_each_retry() {
	{ svc_conf api "start_pre = $(rec pre)" "start_pre = /bin/false" \
		'backoff_initial = 100ms'; } >"$CONF"
	start_ready || return
	wait_for "start_pre at a retry" "$WAIT" lines_ge "$T/order" 3 || return
	assertEquals "the command never ran" 0 "$(npids api)"
	ctl stop api
	wait_state api down
}

test_plus_runs_with_full_privileges() {
	needs_root || return 0
	{ svc_conf api 'user = nobody' \
		"start_pre = sh -c 'id -u > $T/n/plain'" \
		"start_pre = -+sh -c 'id -u > $T/full'"; } >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "plain: as its user" "$(id -u nobody)" "$(cat "$T/n/plain")"
	assertEquals "+: as guardiand's" 0 "$(cat "$T/full")"
}

test_start_post_after_ready_then_up() {
	{ recording_conf api "echo main >> $T/order; exec sleep 1000" \
		"ready = exec:/usr/bin/test -e $T/ready" \
		"start_post = sh -c 'echo post >> $T/order; while ! test -e $T/go; do sleep 0.05; done'"; } >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	assertEquals "starting" starting "$(jfield api state)"
	touch "$T/ready"
	wait_for "start_post to run" "$WAIT" order_is "main post " || return
	assertEquals "still starting while it runs" starting "$(jfield api state)"
	assertEquals "status shows it" "start_post 1/1" "$(jfield api why)"
	touch "$T/go"
	wait_state api up
}

test_start_post_failure_stops_it() {
	{ svc_conf api "start_post = /bin/false" 'backoff_initial = 30s'; } >"$CONF"
	start_ready || return
	wait_state api backoff || return
	assertTrue "logged" "log_has 'api: start failed: start_post .\\/bin\\/false. exited with status 1'"
	wait_for "its main process to be stopped" "$WAIT" is_gone "$(pid_n api 1)"
}

test_stop_command_with_mainpid_then_signal() {
	{ recording_conf api "trap \"echo term >> $T/order; exit 0\" TERM; while :; do sleep 0.1; done" \
		"stop_command = sh -c 'echo stop-\$MAINPID >> $T/order'"; } >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_starts api 1 || return
	ctl stop api
	assertEquals "stop: $ERR" 0 "$RC"
	wait_state api down || return
	wait_for "the order" "$WAIT" order_is "stop-$(pid_n api 1) term "
}

test_guardiand_stop_runs_stop_command_and_stop_post() {
	{ svc_conf api "stop_command = $(rec stop)" \
		"stop_post = sh -c 'sleep 0.3; echo post >> $T/order'"; } >"$CONF"
	start_ready || return
	wait_state api up || return
	stop_daemon "$DPID"
	assertEquals "guardiand's exit status" 0 "$DSTATUS"
	assertEquals "both ran before guardiand exited" "stop post " \
		"$(tr '\n' ' ' <"$T/order")"
}

test_stop_command_also_when_it_exits_by_itself_then_stop_post() {
	{ recording_conf api "sleep 0.5; exit 3" 'restart = never' \
		"stop_command = $(rec stop)" "stop_post = $(rec post)"; } >"$CONF"
	start_ready || return
	wait_for "stop_command, then stop_post" "$WAIT" order_is "stop post " || return
	assertEquals "down" down "$(jfield api state)"
}

test_stop_post_after_a_crash_before_the_restart() {
	{ recording_conf api "exec sleep 1000" \
		"stop_post = sh -c 'echo post >> $T/order; sleep 0.3'"; } >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	kill -KILL "$(pid_n api 1)"
	wait_starts api 2 || return
	assertEquals "stop_post ran once, first" "post " "$(tr '\n' ' ' <"$T/order")"
}

test_stop_during_start_pre_kills_it() {
	{ svc_conf api "start_pre = sh -c 'echo \$\$ > $T/pre; exec sleep 1000'"; } >"$CONF"
	start_ready || return
	wait_for "start_pre to run" "$WAIT" test -s "$T/pre" || return
	assertEquals "starting" starting "$(jfield api state)"
	assertEquals "status shows it" "start_pre 1/1" "$(jfield api why)"
	ctl stop api
	assertEquals "stop: $ERR" 0 "$RC"
	wait_state api down || return
	wait_for "start_pre to be killed" "$WAIT" is_gone "$(cat "$T/pre")"
	assertEquals "the command never ran" 0 "$(npids api)"
}

test_start_pre_bounded_by_ready_timeout() {
	{ svc_conf api "start_pre = sh -c 'echo \$\$ > $T/pre; exec sleep 1000'" \
		'ready_timeout = 500ms' 'backoff_initial = 30s'; } >"$CONF"
	start_ready || return
	wait_state api backoff || return
	assertTrue "logged" "log_has 'start failed: start_pre .* did not end within 500ms'"
	wait_for "start_pre to be killed" "$WAIT" is_gone "$(cat "$T/pre")"
}

test_reload_restarts_when_start_pre_changes() {
	{ svc_conf api "start_pre = $(rec one)"; } >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	wait_state api up || return
	{ svc_conf api "start_pre = $(rec two)"; } >"$CONF"
	ctl reload
	assertEquals "reload: $ERR" 0 "$RC"
	wait_starts api 2 || return
	wait_for "the new start_pre" "$WAIT" order_is "one two "
}

test_stop_command_bounded_by_stop_timeout() {
	{ svc_conf api "stop_command = sh -c 'echo \$\$ > $T/stopcmd; exec sleep 1000'" \
		'stop_timeout = 500ms'; } >"$CONF"
	start_ready || return
	wait_state api up || return
	ctl stop api
	wait_state api down || return
	assertTrue "logged" "log_has 'stop_command .* did not end within 500ms'"
	assertTrue "the main process got its signal" "log_has 'api: killed by signal 15'"
	wait_for "stop_command to be killed" "$WAIT" is_gone "$(cat "$T/stopcmd")"
}

test_kill_mode_process_leaves_the_rest_running() {
	{ recording_conf api "sleep 1000 & echo \$! > $T/kid; exec sleep 1000" \
		'kill_mode = process'; } >"$CONF"
	start_ready || return
	wait_for "its child" "$WAIT" test -s "$T/kid" || return
	KIDS+=("$(cat "$T/kid")")
	ctl stop api
	wait_state api down || return
	assertTrue "main is gone" "is_gone $(pid_n api 1)"
	assertTrue "the child lives on" "is_alive $(cat "$T/kid")"
	rm -f "$T/kid"
	ctl start api
	wait_starts api 2 || return
	wait_state api up || return
	assertTrue "not stopped by the next start" "is_alive ${KIDS[0]}"
	wait_for "the second run's child" "$WAIT" test -s "$T/kid" || return
	KIDS+=("$(cat "$T/kid")")
	kill_and_wait "${KIDS[0]}" "${KIDS[1]}"	# a stop would leave both
}

test_kill_mode_mixed_term_to_main_kill_to_the_rest() {
	cat >"$T/kid.sh" <<-SCRIPT
	#!/bin/sh
	trap "echo kid-term >> $T/order" TERM
	while :; do sleep 0.1; done
	SCRIPT
	cat >"$T/main.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >> $T/api.pids
	$T/kid.sh & echo \$! > $T/kid
	trap "echo main-term >> $T/order; exit 0" TERM
	while :; do sleep 0.1; done
	SCRIPT
	chmod 755 "$T/kid.sh" "$T/main.sh"
	printf '[service api]\ncommand = %s\nkill_mode = mixed\n' "$T/main.sh" >"$CONF"
	start_ready || return
	wait_for "its child" "$WAIT" test -s "$T/kid" || return
	KIDS+=("$(cat "$T/kid")")
	ctl stop api
	wait_state api down || return
	assertTrue "the child is gone" "is_gone ${KIDS[0]}"
	assertEquals "only main got TERM" "main-term " "$(tr '\n' ' ' <"$T/order")"
}

test_send_sigkill_no_leaves_it() {
	{ recording_conf api "trap \"\" TERM; exec sleep 1000" \
		'send_sigkill = no' 'stop_timeout = 500ms'; } >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	KIDS+=("$(pid_n api 1)")
	ctl stop api
	wait_state api down || return
	assertTrue "logged" "log_has 'send_sigkill = no'"
	assertTrue "left running" "is_alive ${KIDS[0]}"
	kill_and_wait "${KIDS[0]}"
}

test_oneshot_remain_after_exit() {
	{ recording_conf one "echo ran >> $T/order; exit 0" 'type = oneshot' \
		'remain_after_exit = yes' "stop_command = $(rec stop)" \
		"stop_post = $(rec post)"; } >"$CONF"
	start_ready || return
	wait_state one up || return
	assertEquals "INFO" exited "$(jfield one why)"
	ctl stop one
	wait_state one down || return
	wait_for "stop_command and stop_post" "$WAIT" order_is "ran stop post "
}

test_oneshot_done_then_its_dependant_starts() {
	{ recording_conf one "sleep 0.3; echo one >> $T/order; exit 0" \
		'type = oneshot'
	  recording_conf two "echo two >> $T/order; exec sleep 1000" 'after = one'
	} >"$CONF"
	start_ready || return
	wait_state two up || return
	assertEquals "one first" "one two " "$(tr '\n' ' ' <"$T/order")"
	assertEquals "one is down" down "$(jfield one state)"
	assertEquals "and ran once" 1 "$(npids one)"
}

test_oneshot_start_wait_is_its_end() {
	{ recording_conf one "sleep 0.3; echo one >> $T/order; exit 0" \
		'type = oneshot'; } >"$CONF"
	start_ready || return
	wait_starts one 1 || return
	wait_state one down || return
	ctl start one
	assertEquals "start of a oneshot waits for its end: $ERR" 0 "$RC"
	assertEquals "it ran again, to its end" "one one " "$(tr '\n' ' ' <"$T/order")"
}

test_oneshot_failure_restarts_with_on_failure() {
	{ recording_conf one "exit 1" 'type = oneshot' 'restart = on-failure' \
		'backoff_initial = 100ms'; } >"$CONF"
	start_ready || return
	wait_starts one 2
}

# Sourced by test_control_pgroup.sh, which runs these tests itself.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck disable=SC1090
	. "$SHUNIT2"
fi
