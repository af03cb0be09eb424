#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# What a service's processes are, as guardianctl sees them: `signal --all`
# reaches every one (a setsid'd child and its child too), `signal` only the
# main one; status counts them, with their memory and CPU time; and the
# [guardiand] cgroup key. With cgroup v2 tracking here, and, sourced by
# test_usage_pgroup.sh with GUARDIAND_CGROUP=off, with the process-group
# fallback.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

CG2=$(awk '$(NF-2) == "cgroup2" { print $5; exit }' /proc/self/mountinfo 2>/dev/null)

# Whether this run uses cgroups: not with GUARDIAND_CGROUP=off, nor without
# a writable cgroup2 (not root).
cgroups_on() {
	[ "${GUARDIAND_CGROUP:-}" != off ] && [ -n "$CG2" ] && [ -w "$CG2" ]
}
mode() { if cgroups_on; then echo cgroup; else echo pgroup; fi; }

# status_raw NAME: NAME's status line, as the daemon sends it.
status_raw() {
	timeout 10 "$PY" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"status " + sys.argv[2].encode() + b"\n")
print(s.makefile().read())' "$SOCK" "$1" 2>/dev/null | grep '^name='
}
# key_of NAME KEY: KEY of NAME's raw status line.
key_of() { status_raw "$1" | grep -o " $2=[^ ]*" | cut -d= -f2; }
key_is() { [ "$(key_of "$1" "$2")" = "$3" ]; }

# family_conf NAME: a service whose main process (sh) starts a setsid'd
# child, which starts a grandchild; each traps USR1 and writes who it is to
# $T/usr1.out. The pids: main in $T/NAME.pids, the others in $T/NAME.kids.
family_conf() {
	local name=$1
	cat >"$T/grand.sh" <<-SCRIPT
	#!/bin/sh
	trap 'echo grand >>$T/usr1.out' USR1
	echo \$\$ >>$T/$name.kids
	while :; do sleep 0.2; done
	SCRIPT
	cat >"$T/kid.sh" <<-SCRIPT
	#!/bin/sh
	trap 'echo kid >>$T/usr1.out' USR1
	echo \$\$ >>$T/$name.kids
	$T/grand.sh &
	while :; do sleep 0.2; done
	SCRIPT
	cat >"$T/main.sh" <<-SCRIPT
	#!/bin/sh
	trap 'echo main >>$T/usr1.out' USR1
	echo \$\$ >>$T/$name.pids
	setsid $T/kid.sh &
	while :; do sleep 0.2; done
	SCRIPT
	chmod 755 "$T/grand.sh" "$T/kid.sh" "$T/main.sh"
	printf '[service %s]\ncommand = %s\n\n' "$name" "$T/main.sh"
}

# got WHO N: $T/usr1.out has exactly N lines WHO.
got() { [ "$(grep -cx "$1" "$T/usr1.out" 2>/dev/null)" = "$2" ]; }


# signal without --all: the main process only; --all: every process, the
# setsid'd child and its child included; the answer says how many.
test_signal_all_reaches_every_process() {
	family_conf fam >"$CONF"
	start_ready || return
	wait_state fam up || return
	wait_for "the child and grandchild" "$WAIT" lines_ge "$T/fam.kids" 2 || return
	assertEquals "tracking" "$(mode)" "$(key_of fam tracking)"

	ctl signal fam USR1
	assertEquals "signal fam USR1: $ERR" 0 "$RC"
	assertEquals "the answer" "fam: USR1 sent to 1 process (pid $(last_pid fam))" "$OUT"
	wait_for "the main process's trap" "$WAIT" got main 1 || return

	ctl signal --all fam USR1
	assertEquals "signal --all fam USR1: $ERR" 0 "$RC"
	# sh main, child, grandchild, and the sleep each runs (some may be
	# between two sleeps).
	assertTrue "the answer counts them: $OUT" \
		"grep -Eq '^fam: USR1 sent to [3-6] processes\$' <<<'$OUT'"
	wait_for "the main process's trap again" "$WAIT" got main 2 || return
	wait_for "the setsid'd child's trap" "$WAIT" got kid 1 || return
	wait_for "the grandchild's trap" "$WAIT" got grand 1 || return
	# Had the first signal reached them, they would have written twice.
	assertTrue "child and grandchild once each: $(cat "$T/usr1.out")" \
		"got kid 1 && got grand 1"
	assertTrue "the log says it: $(grep 'on request' "$LOG")" \
		"log_has 'fam: sent USR1 to its [0-9]+ processes on request'"
}

# A service with no process: signal is an error (3) as it was, and so is
# signal --all, said clearly.
test_signal_all_no_processes() {
	recording_conf ended 'exit 0' 'restart = never' >"$CONF"
	start_ready || return
	wait_state ended down || return
	ctl signal ended TERM
	assertEquals "signal, no main process: $OUT $ERR" 3 "$RC"
	ctl signal --all ended TERM
	assertEquals "signal --all, no process: $OUT $ERR" 3 "$RC"
	assertContains "the reason" "$ERR" "ended has no processes"
	ctl signal --all nosuch TERM
	assertEquals "signal --all nosuch" 4 "$RC"
	ctl signal --all ended NOSUCHSIG
	assertEquals "signal --all, unknown signal" 2 "$RC"
	ctl status --all ended
	assertEquals "status does not take --all: $ERR" 2 "$RC"
}

# session_has SID N: N processes in the session; key_ge NAME KEY N: the
# status key is N or more.
session_has() { [ "$(ps -o pid= -s "$1" | wc -l)" = "$2" ]; }
key_ge() { local v; v=$(key_of "$1" "$2"); [ -n "$v" ] && [ "$v" -ge "$3" ]; }

# procs: the real number of processes (3 sleeps, the main one's session);
# mem_bytes > 0; in the table and --json too.
test_status_counts_processes() {
	recording_conf three 'sleep 1000 & sleep 1000 & exec sleep 1000' >"$CONF"
	start_ready || return
	wait_state three up || return
	local main real
	main=$(last_pid three)
	wait_for "three processes in main's session" "$WAIT" \
		session_has "$main" 3 || return
	real=$(ps -o pid= -s "$main" | wc -l)
	wait_for "procs=$real" "$WAIT" key_is three procs "$real" || return
	assertTrue "mem_bytes > 0: $(status_raw three)" "[ '$(key_of three mem_bytes)' -gt 0 ]"
	assertTrue "cpu_usec >= 0: $(status_raw three)" "[ '$(key_of three cpu_usec)' -ge 0 ]"
	ctl status --json three
	jparse_one "$OUT"
	assertEquals "JSON processes" "$real" "${J[processes]}"
	assertTrue "JSON memory_bytes > 0: ${J[memory_bytes]}" "[ '${J[memory_bytes]}' -gt 0 ]"
	assertEquals "JSON tracking" "$(mode)" "${J[tracking]}"
	ctl status three
	assertTrue "the table: 3 processes, their memory and CPU: $OUT" \
		"grep -Eq '^three +up +$main +[0-9.]+m?s +0 +3 +[0-9.]+[BKMG] +[0-9]+\\.[0-9][0-9]s +- +- +-\$' <<<\"\$OUT\""
	# Gone when the service is stopped.
	ctl stop three
	assertEquals "stop: $ERR" 0 "$RC"
	assertEquals "procs once stopped" 0 "$(key_of three procs)"
}

# jparse_one JSON: the first object of `status --json` into J.
declare -A J
jparse_one() {
	local code
	J=()
	code=$(jq -r '.[0] | to_entries[] | "J[\(.key)]=\(.value | tostring | @sh)"' <<<"$1") || return 1
	eval "$code"
}

# cpu_usec grows as the service burns CPU (it starts to when $T/go appears,
# and stops after a bounded loop).
test_status_cpu_grows() {
	recording_conf burn "while [ ! -f $T/go ]; do sleep 0.05; done; i=0; while [ \$i -lt 400000 ]; do i=\$((i + 1)); done; sleep 1000" >"$CONF"
	start_ready || return
	wait_state burn up || return
	local c1
	c1=$(key_of burn cpu_usec)
	assertTrue "cpu_usec is a number: '$c1'" "[ -n '$c1' ] && [ '$c1' -ge 0 ]"
	touch "$T/go"
	wait_for "cpu_usec to grow by 0.1 s from $c1" "$WAIT" \
		key_ge burn cpu_usec $((c1 + 100000)) || return
}

# [guardiand] cgroup = off: process-group tracking, whatever the host has;
# auto: cgroups where the host has them.
test_cgroup_key() {
	{ printf '[guardiand]\ncgroup = off\n\n'; svc_conf api; } >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "cgroup = off: tracking" pgroup "$(key_of api tracking)"
	assertTrue "the log says why: $(grep tracking "$LOG")" \
		"log_has 'process-group tracking: cgroup tracking is off'"
	# A reload cannot change it, and says so.
	{ printf '[guardiand]\ncgroup = auto\n\n'; svc_conf api; } >"$CONF"
	ctl reload
	assertEquals "reload: $ERR" 0 "$RC"
	wait_log 'reload: cgroup = auto is ignored until guardiand is restarted \(still off\)' || return
	assertEquals "still pgroup after the reload" pgroup "$(key_of api tracking)"
	stop_daemon "$DPID"
	: >"$LOG"
	start_ready || return
	wait_state api up || return
	assertEquals "cgroup = auto: tracking" "$(mode)" "$(key_of api tracking)"
}

# A bad value is a file:line error of guardiand -t.
test_cgroup_key_bad_value() {
	{ printf '[guardiand]\ncgroup = maybe\n\n'; svc_conf api; } >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "guardiand -t: $OUT $ERR" 1 "$RC"
	assertContains "file:line: the error" "$OUT$ERR" \
		"$CONF:2: invalid cgroup \"maybe\" (auto or off)"
	{ printf '[guardiand]\ncgroup = off\ncgroup = auto\n\n'; svc_conf api; } >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "given twice: $OUT $ERR" 1 "$RC"
	assertContains "file:line: duplicate" "$OUT$ERR" "$CONF:3: duplicate key \"cgroup\""
	{ printf '[guardiand]\ncgroup = off\n\n'; svc_conf api; } >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "cgroup = off is fine: $OUT $ERR" 0 "$RC"
}

# Sourced by test_usage_pgroup.sh, which runs these tests itself.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck disable=SC1090
	. "$SHUNIT2"
fi
