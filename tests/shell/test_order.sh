#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# Start order: after = and requires =.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# slow_conf NAME [LINE...]: ready (fd:3) 0.5 s after its start, when it
# writes $T/NAME.ready first.
slow_conf() {
	local name=$1
	shift
	recording_conf "$name" "sleep 0.5; date +%s%N >$T/$name.ready; echo >&3; exec sleep 1000" \
		'ready = fd:3' "$@"
}
# gated_conf NAME [LINE...]: as slow_conf, ready once $T/NAME.go exists.
gated_conf() {
	local name=$1
	shift
	cat >"$T/$name.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/$name.pids
	while [ ! -e $T/$name.go ]; do sleep 0.05; done
	date +%s%N >$T/$name.ready
	echo >&3
	exec sleep 1000
	SCRIPT
	chmod 755 "$T/$name.sh"
	printf '[service %s]\ncommand = %s\nready = fd:3\n' "$name" "$T/$name.sh"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}
# stamp_conf NAME [LINE...]: writes its start time to $T/NAME.started.
stamp_conf() {
	local name=$1
	shift
	recording_conf "$name" "date +%s%N >$T/$name.started; exec sleep 1000" "$@"
}
# log_line_no REGEX: the line number of its first match in the log.
log_line_no() { grep -En -- "$1" "$LOG" | head -n 1 | cut -d: -f1; }

test_after_starts_once_ready() {
	{ stamp_conf b 'after = a'; gated_conf a; } >"$CONF"
	start_ready || return
	wait_starts a 1 || return
	assertEquals "b waits" waiting "$(jfield b state)"
	wait_log "b: not started yet: waiting for a "
	touch "$T/a.go"
	wait_state b up || return
	assertTrue "b started after a was ready" \
		"[ $(cat "$T/b.started") -ge $(cat "$T/a.ready") ]"
}

test_after_a_service_that_is_not_to_run() {
	{ stamp_conf b 'after = a'; svc_conf a 'restart = never'; } >"$CONF"
	start_ready || return
	wait_state b up || return
	ctl stop a b
	wait_state a down || return
	ctl start b
	assertEquals "b starts: a is not to run; $ERR" 0 "$RC"
	wait_state b up
}

test_requires_stops_with_it_in_reverse_order() {
	{ stamp_conf b 'requires = a'; slow_conf a; } >"$CONF"
	start_ready || return
	wait_state b up || return
	ctl stop a
	assertEquals "stop a; $ERR" 0 "$RC"
	wait_state b down || return
	wait_state a down || return
	wait_log "b: stopping: it requires a, which stops"
	assertTrue "b stopped before a" \
		"[ $(log_line_no '^b: stopped') -lt $(log_line_no '^a: stopping, pid') ]"
	ctl start a
	wait_state a up || return
	assertEquals "b stays down: it was stopped" down "$(jfield b state)"
}

test_shutdown_in_reverse_order() {
	{ stamp_conf c 'after = b'; stamp_conf b 'after = a'; svc_conf a; } >"$CONF"
	start_ready || return
	wait_state c up || return
	stop_daemon "$DPID"
	assertTrue "c before b" "[ $(log_line_no '^c: stopped') -lt $(log_line_no '^b: stopping, pid') ]"
	assertTrue "b before a" "[ $(log_line_no '^b: stopped') -lt $(log_line_no '^a: stopping, pid') ]"
}

test_cycles_and_unknown_names_rejected() {
	{ svc_conf a 'after = c'; svc_conf b 'requires = a'; svc_conf c 'after = b'; } >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "-t fails" 1 "$RC"
	assertContains "the cycle named" "$ERR" "$CONF:1: service \"a\": a start order cycle: a -> c -> b -> a"
	svc_conf a 'after = nosuch' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "unknown" "$ERR" "$CONF:1: service \"a\": after names \"nosuch\", which is no service of this configuration"
	svc_conf a 'requires = a' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "itself" "$ERR" "requires names \"a\", which is itself"
}

test_reload_changes_order_without_restarts() {
	{ stamp_conf b; slow_conf a; } >"$CONF"
	start_ready || return
	wait_state b up || return
	wait_state a up || return
	{ stamp_conf b 'after = a'; slow_conf a; } >"$CONF"
	ctl reload
	assertEquals "reload; $ERR" 0 "$RC"
	assertContains "nothing restarted" "$OUT" "0 changed, 2 unchanged"
	assertEquals "b not restarted" 1 "$(npids b)"
	# the new order holds from now on
	ctl restart a b
	assertEquals "restart; $ERR" 0 "$RC"
	assertEquals "b started again" 2 "$(npids b)"
	assertTrue "b started after a was ready again" \
		"[ $(cat "$T/b.started") -ge $(cat "$T/a.ready") ]"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
