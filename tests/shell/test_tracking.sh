#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# Process tracking: every process a service starts is stopped with it, with
# cgroup v2 tracking (each service in <cgroup2>/guardiand/<instance>/
# NAME.service) and, sourced by test_tracking_pgroup.sh with
# GUARDIAND_CGROUP=off, with the process-group fallback: the tests it
# cannot pass are skipped there, with the reason.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# The cgroup2 mount, as track.c finds it: /sys/fs/cgroup/unified on hybrid
# hosts, else /sys/fs/cgroup.
CG2=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo 2>/dev/null)

# Whether this run uses cgroups: not with GUARDIAND_CGROUP=off, nor without
# a writable cgroup2 (not root).
cgroups_on() {
	[ "${GUARDIAND_CGROUP:-}" != off ] && [ -n "$CG2" ] && [ -w "$CG2" ]
}
# needs_cgroups || return 0: skips a test the fallback cannot pass.
needs_cgroups() {
	cgroups_on && return 0
	echo "  needs cgroup tracking (${1:-the process-group fallback cannot do it}): skipped"
	startSkipping
	return 1
}

# daemonizing_conf NAME [LINE...]: the issue's self-daemonizing script:
# records its pid in $T/NAME.pids and its detached child's in
# $T/NAME.kids, then exits 0 while the child (own session) lives on.
daemonizing_conf() {
	local name=$1
	shift
	cat >"$T/$name.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/$name.pids
	( setsid sh -c 'echo \$\$ >>$T/$name.kids; while :; do sleep 1; done' & ); exit 0
	SCRIPT
	chmod 755 "$T/$name.sh"
	printf '[service %s]\ncommand = %s\n' "$name" "$T/$name.sh"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}


# tracking_of NAME: the tracking key of NAME's status line (raw protocol).
tracking_of() {
	timeout 10 "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"status " + sys.argv[2].encode() + b"\n")
print(s.makefile().read())' "$SOCK" "$1" 2>/dev/null |
		grep -o ' tracking=[a-z]*' | cut -d= -f2
}

# cg_of PID: the cgroup directory of a process (empty if none or gone).
cg_of() {
	local l
	l=$(grep '^0::' "/proc/$1/cgroup" 2>/dev/null) || return 0
	echo "$CG2${l#0::}"
}
# cg_count DIR: processes in a cgroup (0 if it is gone).
cg_count() { if [ -f "$1/cgroup.procs" ]; then wc -l <"$1/cgroup.procs" | tr -d ' '; else echo 0; fi; }
cg_count_is() { [ "$(cg_count "$1")" = "$2" ]; }

# only_copy_in DIR KID: the cgroup holds KID (the loop), and nothing but it
# and its children (the sleep).
only_copy_in() {
	local p n=0
	while read -r p; do
		n=$((n + 1))
		[ "$p" = "$2" ] || [ "$(stat_field "$p" 4)" = "$2" ] || return 1
	done <"$1/cgroup.procs"
	[ "$n" -ge 1 ] && grep -qx "$2" "$1/cgroup.procs"
}


test_service_runs_in_its_cgroup() {
	needs_cgroups || return 0
	svc_conf api >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	local p cg
	p=$(pid_n api 1)
	cg=$(cg_of "$p")
	assertEquals "pid $p in its cgroup" api.service "${cg##*/}"
	assertEquals "under guardiand's subtree" guardiand \
		"$(basename "$(dirname "$(dirname "$cg")")")"
	assertTrue "pid in cgroup.procs" "grep -qx '$p' '$cg/cgroup.procs'"
	wait_log "guardiand: cgroup tracking in $CG2/guardiand/"
	assertEquals "status says" cgroup "$(tracking_of api)"
	stop_daemon "$DPID"
	assertFalse "the instance's directory is removed at exit" \
		"[ -d '$(dirname "$cg")' ]"
}

test_status_says_which_tracking() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	local want=pgroup
	cgroups_on && want=cgroup
	assertEquals "tracking" "$want" "$(tracking_of api)"
	cgroups_on || wait_log "process-group tracking: "
}

test_daemonizing_restart_always_keeps_one_copy() {
	daemonizing_conf d 'restart = always' 'backoff_initial = 50ms' \
		'backoff_max = 100ms' 'stop_timeout = 2s' >"$CONF"
	start_ready || return
	local i n max=0
	for i in 1 2 3 4 5 6 7 8 9 10; do
		wait_starts d "$i" || return
		n=$(kids_alive d)
		[ "$n" -gt "$max" ] && max=$n
	done
	wait_for "10 detached children" "$WAIT" kids_ge d 10 || return
	assertTrue "never more than one copy, saw $max" "[ $max -le 1 ]"
	ctl stop d
	assertEquals "stop; $ERR" 0 "$RC"
	wait_for "no copy left after stop" "$WAIT" kids_alive_is d 0 || return
	wait_state d down
}

test_daemonizing_stopped_by_stop() {
	daemonizing_conf d 'restart = on-failure' >"$CONF"
	start_ready || return
	wait_for "the detached child" "$WAIT" kids_ge d 1 || return
	wait_log "d: exited with status 0"
	assertEquals "it lives on" 1 "$(kids_alive d)"
	ctl stop d
	assertEquals "stop; $ERR" 0 "$RC"
	wait_for "nothing left after stop" "$WAIT" kids_alive_is d 0 || return
}

test_daemonizing_stopped_with_guardiand() {
	daemonizing_conf d 'restart = on-failure' >"$CONF"
	start_ready || return
	wait_for "the detached child" "$WAIT" kids_ge d 1 || return
	local cg
	cgroups_on && cg=$(cg_of "$(sed -n 1p "$T/d.kids")")
	stop_daemon "$DPID"
	assertEquals "nothing left after SIGTERM of guardiand" 0 "$(kids_alive d)"
	if cgroups_on; then
		assertFalse "its cgroup is removed" "[ -d '$cg' ]"
	fi
}

test_daemonizing_stopped_after_kill9_of_guardiand() {
	needs_cgroups "it looks into the cgroup; test_kill9_then_one_copy_in_both_modes is the fallback's" || return 0
	# always, but the next try 30 s away: one copy to look for
	daemonizing_conf d 'restart = always' 'backoff_initial = 30s' >"$CONF"
	start_ready || return
	wait_for "the detached child" "$WAIT" kids_ge d 1 || return
	local k1 cg
	k1=$(sed -n 1p "$T/d.kids")
	cg=$(cg_of "$k1")
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	assertTrue "$k1 outlives guardiand" "is_alive $k1"
	start_ready || return
	wait_for "the old copy stopped" "$WAIT" is_gone "$k1" || return
	wait_for "started again" "$WAIT" kids_ge d 2 || return
	wait_log "d: stopping the processes left in its cgroup"
	assertEquals "one copy alive" 1 "$(kids_alive d)"
	wait_for "only the new copy in its cgroup" "$WAIT" only_copy_in "$cg" \
		"$(sed -n 2p "$T/d.kids")" || return
	stop_daemon "$DPID"
	assertEquals "nothing left" 0 "$(kids_alive d)"
}

test_unconfigured_leftovers_stopped_after_kill9() {
	needs_cgroups "it looks into the cgroups; test_kill9_unconfigured_orphan_stopped_in_both_modes is the fallback's" || return 0
	{ daemonizing_conf old 'restart = on-failure'; svc_conf api; } >"$CONF"
	start_ready || return
	wait_for "old's detached child" "$WAIT" kids_ge old 1 || return
	wait_starts api 1 || return
	local k1 inst
	k1=$(sed -n 1p "$T/old.kids")
	inst=$(dirname "$(cg_of "$(pid_n api 1)")")
	assertTrue "old's child in old.service" "grep -qx '$k1' '$inst/old.service/cgroup.procs'"
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	svc_conf api >"$CONF"
	start_ready || return
	wait_for "old's child stopped" "$WAIT" is_gone "$k1" || return
	wait_log "old: no longer configured; stopping what an earlier guardiand left"
	wait_for "its cgroup removed" "$WAIT" test ! -d "$inst/old.service" || return
	stop_daemon "$DPID"
	assertFalse "nothing left of the instance" "[ -d '$inst' ]"
}

test_reload_race_never_two_instances() {
	local slow=("$(recording_conf slow 'trap : TERM; while :; do sleep 1; done' 'stop_timeout = 2s')")
	{ svc_conf other; echo "${slow[0]}"; } >"$CONF"
	start_ready || return
	wait_starts slow 1 || return
	local p1 p2
	p1=$(pid_n slow 1)
	svc_conf other >"$CONF"
	ctl reload
	assertEquals "reload without it; $ERR" 0 "$RC"
	wait_log "slow: stopping" || return
	{ svc_conf other; echo "${slow[0]}"; } >"$CONF"
	ctl reload
	assertEquals "reload with it back; $ERR" 0 "$RC"
	assertTrue "the old one still runs" "is_alive $p1"
	assertEquals "no second instance yet" 1 "$(npids slow)"
	wait_starts slow 2 || return
	assertTrue "the old one was gone first" "is_gone $p1"
	p2=$(pid_n slow 2)
	observe_until $(($(now_us) + 2500000))
	assertTrue "the new one is not killed for the old one" "is_alive $p2"
}

test_escapes_are_stopped() {
	# double fork + setsid, double fork, setpgid: none stays in the
	# process group of the main process
	cat >"$T/esc.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/esc.pids
	(setsid sh -c 'echo \$\$ >>$T/esc.kids; exec sleep 1000' &)
	(sh -c 'echo \$\$ >>$T/esc.kids; exec sleep 1000' &)
	(perl -e 'setpgrp(0, 0); open(F, ">>$T/esc.kids"); print F "\$\$\\n"; close F; exec "sleep", "1000"' &)
	exec sleep 1000
	SCRIPT
	chmod 755 "$T/esc.sh"
	printf '[service esc]\ncommand = %s\n' "$T/esc.sh" >"$CONF"
	start_ready || return
	wait_for "three escapes" "$WAIT" kids_ge esc 3 || return
	assertEquals "they live" 3 "$(kids_alive esc)"
	ctl stop esc
	assertEquals "stop; $ERR" 0 "$RC"
	wait_state esc down || return
	assertEquals "nothing left once down" 0 "$(kids_alive esc)"
}

test_200_processes_stopped() {
	needs_cgroups "it counts the cgroup; test_200_processes_stopped_in_both_modes is the fallback's" || return 0
	recording_conf many "i=0; while [ \$i -lt 200 ]; do sleep 1000 & i=\$((i+1)); done; \
echo ready >$T/many.ready; wait" 'stop_timeout = 5s' >"$CONF"
	start_ready || return
	wait_for "200 processes" "$WAIT" file_has "$T/many.ready" ready || return
	local cg t0 t1
	cg=$(cg_of "$(pid_n many 1)")
	wait_for "201 in its cgroup" "$WAIT" cg_count_is "$cg" 201 || return
	t0=$(now_us)
	ctl stop many
	wait_state many down || return
	t1=$(now_us)
	assertEquals "none left" 0 "$(cg_count "$cg")"
	echo "  200 processes: stop to stopped in $(((t1 - t0) / 1000)) ms"
}

# ---- Both modes: what the process-group fallback does too (orphans
# adopted by guardiand, a subreaper, attributed to their service; the state
# file after kill -9). These tests look at processes, not at cgroups. ----

# state_names NAME PID: with the fallback, the state file lists PID for
# service NAME (an adopted orphan); with cgroups it need not.
state_names() { cgroups_on || file_has "${PIDFILE%.pid}.state" "^$1 $2 "; }
# leads_session PID: PID has called setsid.
leads_session() { [ "$(stat_field "$1" 6)" = "$1" ]; }

test_kill9_then_one_copy_in_both_modes() {
	daemonizing_conf d 'restart = always' 'backoff_initial = 30s' >"$CONF"
	start_ready || return
	wait_for "the detached child" "$WAIT" kids_ge d 1 || return
	local k1
	k1=$(sed -n 1p "$T/d.kids")
	wait_for "the state file to name $k1" "$WAIT" state_names d "$k1" || return
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	assertTrue "$k1 outlives guardiand" "is_alive $k1"
	start_ready || return
	wait_starts d 2 || return
	assertTrue "the old copy $k1 was stopped before the service started again" "is_gone $k1"
	wait_for "the new copy" "$WAIT" kids_ge d 2 || return
	assertEquals "one copy alive" 1 "$(kids_alive d)"
	stop_daemon "$DPID"
	assertEquals "nothing left" 0 "$(kids_alive d)"
}

test_kill9_unconfigured_orphan_stopped_in_both_modes() {
	{ daemonizing_conf old 'restart = on-failure'; svc_conf api; } >"$CONF"
	start_ready || return
	wait_for "old's detached child" "$WAIT" kids_ge old 1 || return
	local k1
	k1=$(sed -n 1p "$T/old.kids")
	wait_for "the state file to name $k1" "$WAIT" state_names old "$k1" || return
	kill -KILL "$DPID"
	wait "$DPID" 2>/dev/null
	svc_conf api >"$CONF"
	start_ready || return
	wait_for "old's child stopped" "$WAIT" is_gone "$k1" || return
	stop_daemon "$DPID"
	assertEquals "nothing left" 0 "$(kids_alive old)"
}

# An orphan whose environment cannot be read when its parent exits (a
# process in the middle of an execve shows an empty one) is looked at again
# until it can: here it has an empty environment for 0.3 s, then execs with
# the mark, having left the service's group and session long before. A
# look only when the main process exits would miss it until the stop.
test_orphan_in_execve_adopted_by_its_mark() {
	cat >"$T/e.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/e.pids
	( exec setsid /usr/bin/env -i /bin/sh -c 'echo \$\$ >>$T/e.kids; sleep 0.3; exec /usr/bin/env GUARDIAND_SERVICE=e /bin/sleep 1000' & )
	until [ -s $T/e.kids ]; do sleep 0.01; done
	exit 0
	SCRIPT
	chmod 755 "$T/e.sh"
	printf '[service e]\ncommand = %s\nrestart = on-failure\n' "$T/e.sh" >"$CONF"
	GUARDIAND_CGROUP=off start_ready || return
	wait_log "e: exited with status 0" || return
	local k
	k=$(sed -n 1p "$T/e.kids")
	assertTrue "$k left the session" "leads_session $k"
	wait_for "the orphan $k adopted by its mark" "$WAIT" \
	    log_has "e: pid $k outlived its parent .* by its GUARDIAND_SERVICE mark" || return
	stop_daemon "$DPID"
	assertTrue "$k stopped with guardiand" "is_gone $k"
}

# start, restart: a service whose last run left processes waits (stopping)
# until they are gone.
test_start_and_restart_wait_for_the_last_run_in_both_modes() {
	daemonizing_conf d 'restart = on-failure' >"$CONF"
	start_ready || return
	wait_for "the detached child" "$WAIT" kids_ge d 1 || return
	wait_log "d: exited with status 0" || return
	local k1 k2
	k1=$(sed -n 1p "$T/d.kids")
	assertTrue "it lives on" "is_alive $k1"
	ctl start d
	assertEquals "start; $ERR" 0 "$RC"
	wait_starts d 2 || return
	assertTrue "$k1 was stopped before the start" "is_gone $k1"
	wait_for "the second child" "$WAIT" kids_ge d 2 || return
	k2=$(sed -n 2p "$T/d.kids")
	wait_for "the second run ended" "$WAIT" log_count_ge "d: exited with status 0" 2 || return
	ctl restart d
	assertEquals "restart; $ERR" 0 "$RC"
	wait_starts d 3 || return
	assertTrue "$k2 was stopped before the restart" "is_gone $k2"
	wait_for "the third child" "$WAIT" kids_ge d 3 || return
	assertEquals "one copy alive" 1 "$(kids_alive d)"
}

# An orphan still in the main process's group when adopted, that leaves it
# later (setsid) and clears its environment (no GUARDIAND_SERVICE mark):
# still the service's.
test_orphan_leaving_its_group_later_is_stopped_in_both_modes() {
	cat >"$T/late.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/late.pids
	( sh -c 'while [ ! -e $T/go ]; do sleep 0.05; done; exec env -i /usr/bin/setsid /bin/sh -c "echo \\\$\\\$ >>$T/late.kids; exec /bin/sleep 1000"' & )
	exit 0
	SCRIPT
	chmod 755 "$T/late.sh"
	printf '[service late]\ncommand = %s\nrestart = never\n' "$T/late.sh" >"$CONF"
	start_ready || return
	wait_log "late: exited with status 0" || return
	: >"$T/go"
	wait_for "the child in its own session" "$WAIT" kids_ge late 1 || return
	local k
	k=$(sed -n 1p "$T/late.kids")
	wait_for "$k leads its session" "$WAIT" leads_session "$k" || return
	assertFalse "it has no mark" "tr '\\0' '\\n' </proc/$k/environ | grep -q GUARDIAND_SERVICE"
	ctl stop late
	assertEquals "stop; $ERR" 0 "$RC"
	wait_for "$k stopped with the service" "$WAIT" is_gone "$k" || return
}

# The issue's script under every restart policy: nothing of it is left
# after a stop, after SIGTERM of guardiand, and after kill -9 of guardiand
# and a start of the next one (which stops the old copy first).
test_daemonizing_every_policy_in_both_modes() {
	local policy k
	for policy in always on-failure never; do
		rm -f "$T/d.kids" "$T/d.pids"
		daemonizing_conf d "restart = $policy" 'backoff_initial = 30s' >"$CONF"
		start_ready || return
		wait_for "$policy: the detached child" "$WAIT" kids_ge d 1 || return
		ctl stop d
		assertEquals "$policy: stop; $ERR" 0 "$RC"
		wait_for "$policy: nothing left after stop" "$WAIT" kids_alive_is d 0 || return
		ctl start d
		wait_for "$policy: started again" "$WAIT" kids_ge d 2 || return
		stop_daemon "$DPID"
		assertEquals "$policy: nothing left after SIGTERM of guardiand" 0 "$(kids_alive d)"
		start_ready || return
		wait_for "$policy: a third copy" "$WAIT" kids_ge d 3 || return
		k=$(sed -n 3p "$T/d.kids")
		kill -KILL "$DPID"
		wait "$DPID" 2>/dev/null
		assertTrue "$policy: $k outlives guardiand" "is_alive $k"
		start_ready || return
		wait_for "$policy: the old copy stopped by the next guardiand" "$WAIT" is_gone "$k" || return
		wait_for "$policy: and one new copy" "$WAIT" kids_ge d 4 || return
		assertEquals "$policy: one copy alive" 1 "$(kids_alive d)"
		stop_daemon "$DPID"
		assertEquals "$policy: nothing left" 0 "$(kids_alive d)"
	done
}

test_200_processes_stopped_in_both_modes() {
	cat >"$T/many.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/many.pids
	i=0
	while [ \$i -lt 200 ]; do sleep 1000 & echo \$! >>$T/many.kids; i=\$((i+1)); done
	echo ready >$T/many.ready
	wait
	SCRIPT
	chmod 755 "$T/many.sh"
	printf '[service many]\ncommand = %s\nstop_timeout = 5s\n' "$T/many.sh" >"$CONF"
	start_ready || return
	wait_for "200 processes" "$WAIT" file_has "$T/many.ready" ready || return
	assertEquals "200 alive" 200 "$(kids_alive many)"
	local t0 t1
	t0=$(now_us)
	ctl stop many
	wait_state many down || return
	t1=$(now_us)
	assertEquals "none left once down" 0 "$(kids_alive many)"
	echo "  200 processes ($(cgroups_on && echo cgroup || echo pgroup)): stop to stopped in $(((t1 - t0) / 1000)) ms"
}

# Sourced by test_tracking_pgroup.sh, which runs these tests itself.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck disable=SC1090
	. "$SHUNIT2"
fi
