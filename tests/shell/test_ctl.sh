#!/bin/bash
# shellcheck disable=SC2119,SC2120  # start_fg/start_ready take optional extra args
# shellcheck source-path=SCRIPTDIR
# guardianctl and the control socket: every command and its exit code, the
# status table and --json, start/stop/restart semantics, signal, logs, wait,
# reload, the socket itself (raw protocol, many and hostile clients, stale
# sockets, symlinks) and who may use it (socket mode, control_group,
# status_group).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# ---- local helpers ----

# jparse JSON NAME: the `status --json` object of service NAME into the
# associative array J (J[state], J[pid]...), with one jq.
declare -A J
jparse() {
	local code
	J=()
	code=$(jq -r --arg n "$2" '.[] | select(.name == $n) | to_entries[] |
		"J[\(.key)]=\(.value | tostring | @sh)"' <<<"$1") || return 1
	eval "$code"
}
pid_is() { jfield_is "$1" pid "$2"; }

# logs_count_ge NAME ERE N: `logs NAME` has at least N lines matching ERE.
logs_count_ge() {
	[ "$(timeout 10 "$CTL" -s "$SOCK" logs "$1" 2>/dev/null | grep -Ec -- "$2")" -ge "$3" ]
}


# loop_conf NAME [LINE...]: a service that records its pid and exits 3.
loop_conf() { recording_conf "$1" 'exit 3' "${@:2}"; }

# family_conf NAME: a service with a child in its process group; the child's
# pid goes to $T/NAME.gc.pids (also killed by tearDown).
family_conf() {
	printf '[service %s]\n' "$1"
	printf "command = sh -c 'sleep 1000 & echo \$! >> %s/%s.gc.pids; echo \$\$ >> %s/%s.pids; wait'\n\n" \
		"$T" "$1" "$T" "$1"
}

# stubborn_conf NAME [LINE...]: a service that ignores SIGTERM.
stubborn_conf() {
	local name=$1
	shift
	printf '[service %s]\n' "$name"
	printf "command = sh -c 'trap \"\" TERM; echo \$\$ >> %s/%s.pids; while :; do sleep 0.1; done'\n" "$T" "$name"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# as_nobody GROUPS CMD...: CMD as nobody:nogroup with supplementary GROUPS
# (comma-separated names, or "" for none); sets RC, OUT, ERR.
as_nobody() {
	local groups=$1
	shift
	if [ -n "$groups" ]; then
		run setpriv --reuid=nobody --regid=nogroup --groups="$groups" "$@"
	else
		run setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
	fi
}


# ---- 1. commands and exit codes ----

test_exit_codes() {
	{
		svc_conf api
		loop_conf loop 'backoff_initial = 5s'
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_state loop backoff || return

	ctl status;			assertEquals "status: $ERR" 0 "$RC"
	ctl status api;			assertEquals "status api (up): $ERR" 0 "$RC"
	ctl status loop;		assertEquals "status loop (backoff): LSB not running" 3 "$RC"
	ctl status api loop;		assertEquals "status api loop: one not up" 3 "$RC"
	ctl status nosuch;		assertEquals "status nosuch" 4 "$RC"
	assertContains "status nosuch names it" "$ERR" "nosuch"
	ctl status --json;		assertEquals "status --json: $ERR" 0 "$RC"
	ctl list;			assertEquals "list: $ERR" 0 "$RC"
	assertEquals "list output" "$(printf 'api\nloop')" "$OUT"
	ctl logs api;			assertEquals "logs api: $ERR" 0 "$RC"
	ctl wait api --timeout 5;	assertEquals "wait api (up): $ERR" 0 "$RC"
	ctl signal api CONT;		assertEquals "signal api CONT: $ERR" 0 "$RC"

	# no such service: 4, for every command that names one
	local c
	for c in start stop restart; do
		ctl "$c" nosuch;	assertEquals "$c nosuch" 4 "$RC"
		ctl "$c" --no-wait nosuch; assertEquals "$c --no-wait nosuch" 4 "$RC"
	done
	ctl stop api nosuch;		assertEquals "stop api nosuch" 4 "$RC"
	assertEquals "api untouched by a refused stop api nosuch" up "$(jfield api state)"
	ctl signal nosuch TERM;		assertEquals "signal nosuch" 4 "$RC"
	ctl logs nosuch;		assertEquals "logs nosuch" 4 "$RC"
	ctl wait nosuch --timeout 1;	assertEquals "wait nosuch" 4 "$RC"

	# usage: 2
	run "$CTL" -s "$SOCK";		assertEquals "no command" 2 "$RC"
	ctl frobnicate;			assertEquals "unknown command" 2 "$RC"
	assertContains "unknown command named" "$ERR" "frobnicate"
	for c in start stop restart logs wait signal; do
		ctl "$c";		assertEquals "$c without a name" 2 "$RC"
	done
	ctl signal api;			assertEquals "signal without a signal" 2 "$RC"
	ctl signal api NOSUCHSIG;	assertEquals "signal with an unknown signal" 2 "$RC"
	ctl signal api TERM extra;	assertEquals "signal with an extra arg" 2 "$RC"
	ctl logs api other;		assertEquals "logs with two names" 2 "$RC"
	ctl list extra;			assertEquals "list with an arg" 2 "$RC"
	ctl reload extra;		assertEquals "reload with an arg" 2 "$RC"
	ctl stop --timeout abc api;	assertEquals "stop --timeout abc" 2 "$RC"
	ctl stop --timeout -1 api;	assertEquals "stop --timeout -1" 2 "$RC"
	ctl wait api --timeout=;	assertEquals "wait --timeout=" 2 "$RC"
	ctl logs api -n x;		assertEquals "logs -n x" 2 "$RC"
	ctl status --bogus;		assertEquals "status --bogus" 2 "$RC"
	run "$CTL" --bogus-option -s "$SOCK" status; assertEquals "unknown global option" 2 "$RC"
	assertEquals "api still up after the usage errors" up "$(jfield api state)"
	assertEquals "api not restarted by the usage errors" 1 "$(npids api)"
	run "$CTL" --help;		assertEquals "--help" 0 "$RC"
	assertContains "--help prints the usage" "$OUT" "usage"
	# Last, as a failing client may take the daemon down (see
	# test_client_hangup_does_not_kill_daemon): timeouts that are not numbers.
	ctl stop --timeout 1e9 api;	assertEquals "stop --timeout 1e9" 2 "$RC"
	ctl stop --timeout nan api;	assertEquals "stop --timeout nan: $ERR" 2 "$RC"

	# daemon not running: 3
	run "$CTL" -s "$T/nobody-here.sock" status; assertEquals "status, no daemon" 3 "$RC"
	assertContains "says not running" "$ERR" "not running"
	run "$CTL" -s "$T/nobody-here.sock" stop api; assertEquals "stop, no daemon" 3 "$RC"
	run "$CTL" -s "$T/nobody-here.sock" list; assertEquals "list, no daemon" 3 "$RC"
}

# The raw protocol, as socat users see it.
test_protocol_with_socat() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local out
	out=$(echo status | timeout 10 socat - "UNIX-CONNECT:$SOCK")
	assertEquals "status: first line" OK "$(head -n 1 <<<"$out")"
	assertTrue "status: a line for api: $out" "grep -q '^name=api state=up .*pid=$(last_pid api)' <<<\"\$out\""
	out=$(echo list | timeout 10 socat - "UNIX-CONNECT:$SOCK")
	assertEquals "list" "$(printf 'OK\napi')" "$out"
	out=$(echo frobnicate | timeout 10 socat - "UNIX-CONNECT:$SOCK")
	assertTrue "unknown command: ERR 2, got: $out" "grep -q '^ERR 2 ' <<<\"\$out\""
	out=$(echo 'stop nosuch' | timeout 10 socat - "UNIX-CONNECT:$SOCK")
	assertTrue "stop nosuch: ERR 4, got: $out" "grep -q '^ERR 4 ' <<<\"\$out\""
	out=$(printf '\n' | timeout 10 socat - "UNIX-CONNECT:$SOCK")
	assertTrue "empty request: ERR 2, got: $out" "grep -q '^ERR 2 ' <<<\"\$out\""
}

# Each raw request is checked against its row of the command table
# (proto.c): argument counts and options, before anything is done.
test_protocol_requests_checked_against_the_table() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local req out
	for req in 'list x' 'wait a b' 'status --no-wait' 'stop --frob api' \
	    'signal api' 'reload now' 'logs' 'logs --lines=x api'; do
		out=$(echo "$req" | timeout 10 socat - "UNIX-CONNECT:$SOCK")
		assertTrue "'$req': ERR 2 (usage), got: $out" "grep -q '^ERR 2 ' <<<\"\$out\""
	done
	assertTrue "api was left running" "jfield_is api pid '$(last_pid api)'"
	state_is api up
	assertTrue "api still up" $?
}

# ---- 2. status table and --json ----

test_status_table_and_json() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local p1 p2 row
	p1=$(last_pid api)

	ctl status
	assertEquals "status: $ERR" 0 "$RC"
	assertTrue "table header: $OUT" \
		"head -n 1 <<<\"\$OUT\" | grep -Eq '^NAME +STATE +PID +UPTIME +RESTARTS +PROCS +MEM +CPU +LAST EXIT +NEXT START +INFO\$'"
	row=$(grep '^api ' <<<"$OUT")
	assertTrue "api row: up, pid $p1, 0 restarts, 1 process, its memory and CPU, no last exit: '$row'" \
		"grep -Eq '^api +up +$p1 +[0-9.]+m?s +0 +1 +[0-9.]+[BKMG] +[0-9]+\.[0-9][0-9]s +- +- +-\$' <<<\"\$row\""

	ctl status --json
	assertEquals "status --json: $ERR" 0 "$RC"
	printf '%s\n' "$OUT" | "$PY" -m json.tool >/dev/null 2>&1
	assertTrue "valid JSON (python3 -m json.tool): $OUT" $?
	assertEquals "JSON: one array element; its keys; numbers are numbers" \
		"1 command cpu_usec fails health health_fails last_exit last_exit_ago_ms memory_bytes name next_start_ms notify pid processes restarts starts state status_text tracking uptime_ms want why ok" \
		"$(jq -r '"\(length) \(.[0] | keys | join(" ")) \(if ([.[0][] | numbers] | length) == 11 then "ok" else "not" end)"' <<<"$OUT")"
	jparse "$OUT" api
	assertEquals "name" api "${J[name]}"
	assertEquals "state" up "${J[state]}"
	assertEquals "want" up "${J[want]}"
	assertEquals "pid = the recorded pid" "$p1" "${J[pid]}"
	assertEquals "starts" 1 "${J[starts]}"
	assertEquals "restarts" 0 "${J[restarts]}"
	assertEquals "last_exit" none "${J[last_exit]}"
	assertEquals "next_start_ms when not in backoff" -1 "${J[next_start_ms]}"
	assertTrue "uptime_ms >= 0: ${J[uptime_ms]}" "[ '${J[uptime_ms]}' -ge 0 ]"
	assertTrue "tracking: ${J[tracking]}" "grep -Eqx 'cgroup|pgroup' <<<'${J[tracking]}'"
	assertEquals "processes: the one sleep" 1 "${J[processes]}"
	assertTrue "memory_bytes > 0: ${J[memory_bytes]}" "[ '${J[memory_bytes]}' -gt 0 ]"
	assertTrue "cpu_usec >= 0: ${J[cpu_usec]}" "[ '${J[cpu_usec]}' -ge 0 ]"
	assertEquals "command" "sh -c 'echo \$\$ >> $T/api.pids; exec sleep 1000'" \
		"${J[command]}"

	kill -KILL "$p1"
	wait_starts api 2 || return
	p2=$(last_pid api)
	wait_for "status to show the new pid $p2" "$WAIT" pid_is api "$p2" || return
	ctl status --json api
	jparse "$OUT" api
	assertEquals "status --json api: $ERR" 0 "$RC"
	assertEquals "state after kill -9" up "${J[state]}"
	assertEquals "pid after kill -9" "$p2" "${J[pid]}"
	assertEquals "restarts after kill -9" 1 "${J[restarts]}"
	assertEquals "starts after kill -9" 2 "${J[starts]}"
	assertEquals "last_exit after kill -9" signal:KILL "${J[last_exit]}"
	assertTrue "last_exit_ago_ms >= 0: ${J[last_exit_ago_ms]}" "[ '${J[last_exit_ago_ms]}' -ge 0 ]"
	ctl status api
	row=$(grep '^api ' <<<"$OUT")
	assertTrue "table after kill -9: pid $p2, 1 restart, signal KILL: '$row'" \
		"grep -Eq '^api +up +$p2 +[0-9.]+m?s +1 +1 +[0-9.]+[BKMG] +[0-9]+\.[0-9][0-9]s +signal KILL, [0-9.]+m?s ago +- +-\$' <<<\"\$row\""
}

# ---- 3. start, stop, restart ----

test_restart_waits_for_new_pid() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local p1 p2
	p1=$(last_pid api)
	ctl restart api
	assertEquals "restart api: $ERR" 0 "$RC"
	# Right after it returned: a new process, up, and the one status shows.
	assertEquals "restart started one new process" 2 "$(npids api)"
	p2=$(last_pid api)
	assertNotEquals "restart: a new pid" "$p1" "$p2"
	is_alive "$p2"
	assertTrue "new process $p2 running" $?
	is_gone "$p1"
	assertTrue "old process $p1 gone" $?
	ctl status --json api
	jparse "$OUT" api
	assertEquals "state right after restart" up "${J[state]}"
	assertEquals "pid right after restart" "$p2" "${J[pid]}"
	# The process has exec'd: it is sleep now, not the sh that recorded the pid.
	assertEquals "new process has exec'd" sleep "$(proc_comm "$p2")"
}

test_stop_waits_for_group_and_start_again() {
	family_conf fam >"$CONF"
	start_ready || return
	wait_state fam up || return
	wait_for "grandchild recorded" "$WAIT" lines_ge "$T/fam.gc.pids" 1 || return
	local p gc
	p=$(last_pid fam) gc=$(cat "$T/fam.gc.pids")
	ctl stop fam
	assertEquals "stop fam: $ERR" 0 "$RC"
	# Right after it returned: the process and its whole group are gone.
	is_gone "$p"
	assertTrue "main process $p gone when stop returned" $?
	is_gone "$gc"
	assertTrue "grandchild $gc gone when stop returned" $?
	group_gone "$p"
	assertTrue "process group $p empty when stop returned" $?
	ctl status --json fam
	jparse "$OUT" fam
	assertEquals "state after stop" down "${J[state]}"
	assertEquals "want after stop" down "${J[want]}"
	assertEquals "pid after stop" 0 "${J[pid]}"
	ctl status fam
	assertEquals "status NAME of a stopped service: 3" 3 "$RC"
	ctl stop fam
	assertEquals "stop of a stopped service: $ERR" 0 "$RC"

	ctl start fam
	assertEquals "start fam: $ERR" 0 "$RC"
	assertEquals "start: one new process" 2 "$(npids fam)"
	ctl status --json fam
	jparse "$OUT" fam
	assertEquals "state right after start" up "${J[state]}"
	assertEquals "want right after start" up "${J[want]}"
	assertEquals "pid right after start" "$(last_pid fam)" "${J[pid]}"
	ctl start fam
	assertEquals "start of a running service: $ERR" 0 "$RC"
	assertEquals "start of a running service starts nothing" 2 "$(npids fam)"
}

test_no_wait_and_stop_timeout() {
	stubborn_conf stub 'stop_timeout = 2s' >"$CONF"
	start_ready || return
	wait_state stub up || return
	local p t0 el
	p=$(last_pid stub)
	t0=$(now_us)
	ctl stop --no-wait stub
	el=$(( ($(now_us) - t0) / 1000 ))
	assertEquals "stop --no-wait: $ERR" 0 "$RC"
	assertTrue "stop --no-wait returned at once (${el} ms)" "[ $el -lt 1500 ]"
	is_alive "$p"
	assertTrue "the TERM-ignoring process still running when --no-wait returned" $?
	assertEquals "state: stopping" stopping "$(jfield stub state)"
	# start while stopping: answered once the new process is up.
	ctl start stub
	assertEquals "start while stopping: $ERR" 0 "$RC"
	is_gone "$p"
	assertTrue "the old process $p gone when start returned" $?
	assertEquals "start while stopping: one new process" 2 "$(npids stub)"
	ctl status --json stub
	jparse "$OUT" stub
	assertEquals "start while stopping: up" up "${J[state]}"
	assertEquals "start while stopping: the new pid" "$(last_pid stub)" "${J[pid]}"

	# stop --no-wait, start --no-wait, then a stop that times out client-side.
	ctl stop --no-wait stub
	ctl start --no-wait stub
	assertEquals "start --no-wait: $ERR" 0 "$RC"
	wait_starts stub 3 || return
	wait_state stub up || return
	p=$(last_pid stub)
	t0=$(now_us)
	ctl stop --timeout 0.5 stub
	el=$(( ($(now_us) - t0) / 1000 ))
	assertEquals "stop --timeout 0.5 of a 2 s stop: error" 1 "$RC"
	assertContains "says timed out" "$ERR" "timed out"
	assertTrue "returned after about 0.5 s, not 2 s (${el} ms)" "[ $el -ge 400 ] && [ $el -lt 1900 ]"
	wait_for "stub gone after stop_timeout" "$WAIT" is_gone "$p" || return

	# restart --no-wait returns before the new process is up.
	wait_state stub down || return
	ctl restart --no-wait stub
	assertEquals "restart --no-wait: $ERR" 0 "$RC"
	wait_state stub up || return
}

test_stop_survives_reload() {
	{
		svc_conf api
		svc_conf other
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_state other up || return
	ctl stop api
	assertEquals "stop api: $ERR" 0 "$RC"
	local n
	n=$(count_log 'reload: [0-9]+ added')
	kill -HUP "$DPID"
	wait_for "the SIGHUP reload to be applied" "$WAIT" \
		log_count_ge 'reload: 0 added, 0 removed, 0 changed, 2 unchanged' $((n + 1)) || return
	ctl status --json api
	jparse "$OUT" api
	assertEquals "after SIGHUP: still down" down "${J[state]}"
	assertEquals "after SIGHUP: still want down" down "${J[want]}"
	assertEquals "after SIGHUP: not started again" 1 "$(npids api)"
	ctl reload
	assertEquals "guardianctl reload: $ERR" 0 "$RC"
	assertEquals "after guardianctl reload: still down" down "$(jfield api state)"
	assertEquals "after guardianctl reload: not started again" 1 "$(npids api)"
	assertEquals "other kept its process" 1 "$(npids other)"

	ctl start api
	assertEquals "start after stop: $ERR" 0 "$RC"
	assertEquals "start after stop: a new process" 2 "$(npids api)"
	assertEquals "start after stop: up" up "$(jfield api state)"
	assertEquals "start after stop: pid" "$(last_pid api)" "$(jfield api pid)"
}

# ---- 4. crash loop: backoff, and start now ----

test_start_cuts_backoff_short() {
	loop_conf loop 'backoff_initial = 5s' 'backoff_max = 10s' >"$CONF"
	start_ready || return
	wait_state loop backoff || return
	local t0
	t0=$(now_us)
	ctl status --json loop
	jparse "$OUT" loop
	assertEquals "state" backoff "${J[state]}"
	assertEquals "last_exit" exited:3 "${J[last_exit]}"
	assertEquals "pid in backoff" 0 "${J[pid]}"
	assertEquals "starts" 1 "${J[starts]}"
	assertTrue "next_start_ms in (0, 5000]: ${J[next_start_ms]}" \
		"[ '${J[next_start_ms]}' -gt 0 ] && [ '${J[next_start_ms]}' -le 5000 ]"
	ctl status loop
	assertEquals "status loop in backoff: 3" 3 "$RC"
	assertTrue "table: backoff, exited 3, a next start: $OUT" \
		"grep -Eq '^loop +backoff +- +- +0 +0 +- +- +exited 3, [0-9.]+m?s ago +[0-9.]+m?s +-\$' <<<\"\$OUT\""

	ctl start --no-wait loop
	assertEquals "start --no-wait loop: $ERR" 0 "$RC"
	# Started now, not when the 5 s backoff runs out.
	wait_for "loop started again at once" 3 lines_ge "$T/loop.pids" 2 || return
	local el=$(( ($(now_us) - t0) / 1000 ))
	assertTrue "second start ${el} ms after backoff began, well before 5 s" "[ $el -lt 4000 ]"
	wait_for "starts = 2 in status" 3 jfield_is loop starts 2 || return
}

test_stop_in_backoff() {
	loop_conf loop 'backoff_initial = 1s' >"$CONF"
	start_ready || return
	wait_state loop backoff || return
	local t0
	t0=$(now_us)
	ctl stop loop
	assertEquals "stop of a service in backoff: $ERR" 0 "$RC"
	ctl status --json loop
	jparse "$OUT" loop
	assertEquals "state" down "${J[state]}"
	assertEquals "want" down "${J[want]}"
	assertEquals "no next start" -1 "${J[next_start_ms]}"
	# Past the moment the backoff would have started it again (a window).
	observe_until $((t0 + 1600000))
	assertEquals "not started again" 1 "$(npids loop)"
	assertEquals "still down" down "$(jfield loop state)"
}

test_start_of_failing_service_fails() {
	# Its program deletes itself on its first run: from then on every
	# start fails (a missing program at the load is a config error).
	# shellcheck disable=SC2016  # $0 is the script's own
	printf '#!/bin/sh\nrm -f "$0"\nexit 1\n' >"$T/vanishing"
	chmod 755 "$T/vanishing"
	printf '[service bad]\ncommand = %s/vanishing\n\n' "$T" >"$CONF"
	start_ready || return
	wait_state bad fatal || return
	assertEquals "last_exit" "exec-failed:No such file or directory" "$(jfield bad last_exit)"
	ctl start bad --timeout 10
	assertEquals "start of a service that cannot start: error" 1 "$RC"
	assertContains "names the service" "$ERR" "bad"
	assertEquals "it was tried again" 3 "$(jfield bad starts)"
}

# ---- 5. signal ----

test_signal_names_and_numbers() {
	{
		printf '[service trap]\n'
		printf "command = sh -c 'trap \"echo got-usr1\" USR1; echo \$\$ >> %s/trap.pids; while :; do sleep 0.1; done'\n\n" "$T"
	} >"$CONF"
	start_ready || return
	wait_state trap up || return
	local s n=0
	for s in USR1 SIGUSR1 usr1 10; do
		ctl signal trap "$s"
		assertEquals "signal trap $s: $ERR" 0 "$RC"
		n=$((n + 1))
		wait_for "got-usr1 #$n in logs (signal $s)" "$WAIT" logs_count_ge trap got-usr1 "$n" || return
	done
	ctl logs trap
	assertTrue "the trap's output in logs: $OUT" \
		"grep -Eq '^[0-9-]{10} [0-9:]{8} trap\\[$(last_pid trap)\\]: got-usr1\$' <<<\"\$OUT\""
	assertEquals "the service was not restarted" 1 "$(npids trap)"
	wait_log "trap: sent USR1 to pid $(last_pid trap)"

	# A signal that kills: restarted, and the signal shows as last exit.
	local p
	p=$(last_pid trap)
	ctl signal trap TERM
	assertEquals "signal trap TERM: $ERR" 0 "$RC"
	wait_starts trap 2 || return
	wait_state trap up || return
	assertEquals "last_exit after TERM" signal:TERM "$(jfield trap last_exit)"
	ctl signal trap 9
	assertEquals "signal trap 9: $ERR" 0 "$RC"
	wait_starts trap 3 || return
	wait_for "last_exit signal:KILL" "$WAIT" jfield_is trap last_exit signal:KILL || return
}

# ---- 6. logs ----

test_logs_lines_and_stderr() {
	{
		printf '[service talk]\n'
		# The pause orders the two pipes: stderr is written after stdout was read.
		printf "command = sh -c 'echo \$\$ >> %s/talk.pids; echo one; echo two; echo three; sleep 0.3; echo oops >&2; exec sleep 1000'\n\n" "$T"
	} >"$CONF"
	start_ready || return
	wait_for "oops in logs" "$WAIT" logs_count_ge talk oops 1 || return
	local p re
	p=$(last_pid talk)
	re="^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} talk\\[$p\\]"
	ctl logs talk -n 2
	assertEquals "logs -n 2: $ERR" 0 "$RC"
	assertEquals "logs -n 2: exactly two lines: $OUT" 2 "$(grep -c '' <<<"$OUT")"
	assertTrue "first: the last stdout line: $(head -n 1 <<<"$OUT")" \
		"head -n 1 <<<\"\$OUT\" | grep -Eq '$re: three\$'"
	assertTrue "second: the stderr line, marked: $(tail -n 1 <<<"$OUT")" \
		"tail -n 1 <<<\"\$OUT\" | grep -Eq '$re stderr: oops\$'"
	ctl logs talk
	assertEquals "logs: all four lines" 4 "$(grep -c '' <<<"$OUT")"
	assertTrue "logs: first line: $OUT" "head -n 1 <<<\"\$OUT\" | grep -Eq '$re: one\$'"
	ctl logs talk --lines 1
	assertTrue "logs --lines 1: $OUT" "[ \"\$(grep -c '' <<<\"\$OUT\")\" = 1 ] && grep -q 'stderr: oops' <<<\"\$OUT\""
	ctl logs talk -n 0
	assertEquals "logs -n 0: nothing" "" "$OUT"
	ctl logs talk -n 100
	assertEquals "logs -n 100 of 4: four" 4 "$(grep -c '' <<<"$OUT")"
}

test_logs_keeps_last_200() {
	{
		printf '[service many]\n'
		printf "command = sh -c 'echo \$\$ >> %s/many.pids; i=1; while [ \$i -le 250 ]; do echo line-\$i; i=\$((i+1)); done; exec sleep 1000'\n\n" "$T"
	} >"$CONF"
	start_ready || return
	wait_for "line-250 in logs" "$WAIT" logs_count_ge many 'line-250$' 1 || return
	ctl logs many
	assertEquals "logs keeps 200 lines" 200 "$(grep -c '' <<<"$OUT")"
	assertTrue "oldest kept: line-51: $(head -n 1 <<<"$OUT")" "head -n 1 <<<\"\$OUT\" | grep -q ': line-51\$'"
	assertTrue "newest: line-250" "tail -n 1 <<<\"\$OUT\" | grep -q ': line-250\$'"
}

# ---- 7. wait ----

test_wait() {
	{
		svc_conf api
		loop_conf loop 'backoff_initial = 5s'
	} >"$CONF"
	start_ready || return
	wait_state loop backoff || return
	local t0 el
	t0=$(now_us)
	ctl wait loop --timeout 0.5
	el=$(( ($(now_us) - t0) / 1000 ))
	assertEquals "wait on a service in backoff: 3" 3 "$RC"
	assertTrue "after about 0.5 s (${el} ms)" "[ $el -ge 400 ] && [ $el -lt 3000 ]"
	wait_state api up || return
	ctl wait api --timeout 5
	assertEquals "wait on an up service: $ERR" 0 "$RC"

	# A wait that is answered when the service comes up.
	ctl stop api
	assertEquals "stop api: $ERR" 0 "$RC"
	timeout 30 "$CTL" -s "$SOCK" wait api --timeout 20 >"$T/wait.out" 2>&1 &
	local w=$!
	OTHER_PIDS+=("$w")
	wait_for "wait client connected" "$WAIT" sock_conns_ge 1 || return
	is_alive "$w"
	assertTrue "wait blocks while api is down" $?
	ctl start --no-wait api
	wait_for "wait to return" "$WAIT" is_gone "$w" || return
	wait "$w"
	assertEquals "wait returned 0 once api was up: $(cat "$T/wait.out")" 0 $?
}

# ---- 8. reload ----

test_reload_via_guardianctl() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local p
	p=$(last_pid api)
	svc_conf added >>"$CONF"
	ctl reload
	assertEquals "reload: $ERR" 0 "$RC"
	assertEquals "reload summary" "1 added, 0 removed, 0 changed, 1 unchanged" "$OUT"
	wait_state added up || return
	assertEquals "list after reload" "$(printf 'api\nadded')" "$("$CTL" -s "$SOCK" list)"
	assertEquals "api kept its pid" "$p" "$(jfield api pid)"

	# A broken config: exit 1, file:line on stderr, nothing changes.
	cp "$CONF" "$T/good.conf"
	{
		svc_conf third
		printf '[service added]\nnot_a_key = 1\n'
	} >>"$CONF"
	local line
	line=$(grep -n '^not_a_key' "$CONF" | cut -d: -f1)
	ctl reload
	assertEquals "reload of a broken config" 1 "$RC"
	assertContains "stderr names file:line" "$ERR" "$CONF:$line"
	assertContains "stderr says what is wrong" "$ERR" "not_a_key"
	assertEquals "list unchanged" "$(printf 'api\nadded')" "$("$CTL" -s "$SOCK" list)"
	assertEquals "api same pid" "$p" "$(jfield api pid)"
	assertEquals "api not restarted" 1 "$(npids api)"
	assertEquals "added not restarted" 1 "$(npids added)"
	assertEquals "third not started" 0 "$(npids third)"
	assertEquals "added still up" up "$(jfield added state)"

	# The config fixed again: the daemon still reloads.
	cp "$T/good.conf" "$CONF"
	ctl reload
	assertEquals "reload of the good config: $ERR" 0 "$RC"
	assertEquals "nothing to change" "0 added, 0 removed, 0 changed, 2 unchanged" "$OUT"
}

# ---- 10. robustness ----

test_fifty_clients_at_once() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local i pids=() bad=0
	for i in $(seq 1 50); do
		{ timeout 30 "$CTL" -s "$SOCK" status --json >"$T/c$i.out" 2>"$T/c$i.err"; echo $? >"$T/c$i.rc"; } &
		pids+=("$!")
	done
	OTHER_PIDS+=("${pids[@]}")
	for i in "${pids[@]}"; do wait "$i"; done
	for i in $(seq 1 50); do
		if [ "$(cat "$T/c$i.rc" 2>/dev/null)" != 0 ] ||
			! grep -q '"name": "api", "state": "up"' "$T/c$i.out"; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && echo "  client $i: rc=$(cat "$T/c$i.rc" 2>/dev/null) err=$(cat "$T/c$i.err")"
		fi
	done
	assertEquals "clients of 50 that failed" 0 "$bad"
	ctl status api
	assertEquals "still answering afterwards" 0 "$RC"
}

test_silent_client_does_not_stall() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	# A client that connects and never sends.
	# Two separate jobs joined by a FIFO (a pipeline job would make tearDown's
	# `wait` on socat wait for the sleep too).
	local sp hp t0
	mkfifo "$T/idle.fifo"
	sleep 100 >"$T/idle.fifo" &
	hp=$!
	OTHER_PIDS+=("$hp")
	socat - "UNIX-CONNECT:$SOCK" <"$T/idle.fifo" >"$T/idle.out" 2>&1 &
	sp=$!
	OTHER_PIDS+=("$sp")
	wait_for "the silent client connected" "$WAIT" sock_conns_ge 1 || return
	t0=$(now_us)
	kill -KILL "$(last_pid api)"
	wait_for "api restarted while a client sits silent" 2 lines_ge "$T/api.pids" 2 || return
	assertTrue "restarted well before the 5 s request timeout" "[ $(( $(now_us) - t0 )) -lt 2500000 ]"
	is_alive "$sp"
	assertTrue "the silent client is still connected (this test proved something)" $?
	ctl status api
	assertEquals "others are served meanwhile: $ERR" 0 "$RC"
	# The silent client is dropped after about 5 s.
	wait_for "the silent client to be disconnected" 12 sock_conns_lt 1 || return
	wait_for "socat to see the close" 5 is_gone "$sp"
}

# A client that sends a request and goes away without reading the answer.
test_client_hangup_does_not_kill_daemon() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	cat >"$T/hangup.py" <<'EOF'
import socket, sys
# Whether the daemon writes before or after the close is a race: try often.
for i in range(25):
    for req in (b"status\n", b"list\n", b"logs api\n", b"frobnicate\n"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(sys.argv[1])
            s.sendall(req)
        except OSError as e:
            print("after %d rounds: %s" % (i, e))
            sys.exit(0)
        s.close()
EOF
	RUN_TIMEOUT=20 run "$PY" "$T/hangup.py" "$SOCK"
	assertEquals "python client: $ERR" 0 "$RC"
	# A full round trip after them: their answers have been written by now.
	ctl status api
	assertEquals "guardianctl still answered: $ERR" 0 "$RC"
	is_alive "$DPID"
	assertTrue "guardiand $DPID survived clients that hung up ${OUT:+(client: $OUT)}" $?
	if ! is_alive "$DPID"; then
		wait "$DPID" 2>/dev/null
		echo "  guardiand exited with status $? (141 = SIGPIPE)"
	fi
	assertEquals "api not started twice" 1 "$(npids api)"
}

# More than 64 clients at once: the daemon stops accepting, keeps
# supervising, and serves again once the silent ones are dropped.
test_client_cap() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	cat >"$T/hold.py" <<'EOF'
import socket, sys, time
held = []
for i in range(70):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
print("connected", flush=True)
time.sleep(60)
EOF
	"$PY" "$T/hold.py" "$SOCK" >"$T/hold.out" 2>&1 &
	OTHER_PIDS+=("$!")
	wait_for "70 connections made" "$WAIT" file_has "$T/hold.out" connected || return
	wait_log "64 clients connected, not accepting" || return
	kill -KILL "$(last_pid api)"
	wait_for "api restarted while the daemon is full" 3 lines_ge "$T/api.pids" 2 || return
	local t0 el
	t0=$(now_us)
	RUN_TIMEOUT=30 ctl status api
	el=$(( ($(now_us) - t0) / 1000 ))
	assertEquals "status served once the silent clients are dropped: $ERR" 0 "$RC"
	assertTrue "within the 5 s request timeout and some slack (${el} ms)" "[ $el -lt 12000 ]"
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
}

test_overlong_request() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	# 5000 bytes, no newline, the connection kept open for writing: the
	# daemon must answer and close on its own.
	cat >"$T/long.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(8)
s.connect(sys.argv[1])
try:
    s.sendall(b"a" * 5000)
except OSError as e:
    print("send: %s" % e)
data = b""
end = "?"
try:
    while True:
        d = s.recv(4096)
        if not d:
            end = "closed"
            break
        data += d
except socket.timeout:
    end = "timeout"
except OSError as e:
    end = "recv: %s" % e
print(data.decode(errors="replace").split("\n")[0])
print(end)
EOF
	RUN_TIMEOUT=20 run "$PY" "$T/long.py" "$SOCK"
	assertEquals "python client: $ERR" 0 "$RC"
	assertTrue "the answer is ERR 2: $OUT" "head -n 1 <<<\"\$OUT\" | grep -q '^ERR 2 '"
	# Closed by the daemon: an orderly EOF, or a reset (the daemon closed
	# with our unread bytes in its queue); not a timeout.
	assertTrue "the daemon closed the connection: $(sed -n 2p <<<"$OUT")" \
		"sed -n 2p <<<\"\$OUT\" | grep -Eq '^(closed|recv: .*Connection reset by peer)\$'"
	ctl status api
	assertEquals "still serving: $ERR" 0 "$RC"
	assertEquals "api untouched" 1 "$(npids api)"
}

# ---- 11. the socket file ----

test_stale_socket_replaced() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local old=$DPID
	kill -KILL "$old"
	wait_for "the daemon $old gone" "$WAIT" is_gone "$old" || return
	wait "$old" 2>/dev/null
	assertTrue "the socket file is left behind" "[ -S '$SOCK' ]"
	ctl status
	assertEquals "guardianctl on a stale socket: not running" 3 "$RC"
	start_ready || return
	assertNotEquals "a new daemon" "$old" "$DPID"
	ctl status api
	assertEquals "guardianctl works with the new daemon: $ERR" 0 "$RC"
	wait_log "replaced stale socket"
}

test_live_socket_refused() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -f "$CONF" -p "$T/second.pid" -s "$SOCK"
	assertEquals "a second daemon on a live socket: exit 6" 6 "$RC"
	assertContains "says in use: $ERR" "$ERR" "in use"
	assertEquals "the second daemon started no service" 1 "$(npids api)"
	ctl status api
	assertEquals "the first daemon still answers: $ERR" 0 "$RC"
}

test_symlink_socket_refused() {
	svc_conf api >"$CONF"
	ln -s "$T/target" "$SOCK"
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -f "$CONF" -p "$PIDFILE" -s "$SOCK"
	assertEquals "foreground: exit 6" 6 "$RC"
	assertContains "foreground: says symbolic link: $ERR" "$ERR" "symbolic link"
	assertFalse "nothing created at the link target" "[ -e '$T/target' ] || [ -L '$T/target' ]"
	assertTrue "the link left as it was" "[ -L '$SOCK' ] && [ \"\$(readlink '$SOCK')\" = '$T/target' ]"
	start_detached
	assertEquals "detached: exit 6" 6 "$RC"
	assertContains "detached: says symbolic link: $ERR" "$ERR$OUT" "symbolic link"
	assertFalse "still nothing at the link target" "[ -e '$T/target' ]"
	assertEquals "no service started" 0 "$(npids api)"
}

test_socket_mode_default() {
	needs_root || return 0
	svc_conf api >"$CONF"
	start_ready || return
	assertEquals "socket mode, owner, group" "socket 600 root root" \
		"$(stat -c '%F %a %U %G' "$SOCK" | sed 's/^socket /socket /')"
}

# ---- 9. permissions ----

test_perms_status_group() {
	needs_root || return 0
	local sg
	make_group sg || return
	{
		printf '[guardiand]\nstatus_group = %s\n\n' "$sg"
		svc_conf api
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "socket mode and group" "660 root $sg" "$(stat -c '%a %U %G' "$SOCK")"

	# Outside the group: cannot even connect.
	as_nobody "" "$CTL" -s "$SOCK" status
	assertEquals "stranger: status refused" 1 "$RC"
	assertContains "stranger: permission denied" "$ERR" "ermission denied"
	as_nobody "" "$CTL" -s "$SOCK" stop api
	assertEquals "stranger: stop refused" 1 "$RC"

	# In status_group: the read-only commands work...
	local c
	as_nobody "$sg" "$CTL" -s "$SOCK" status
	assertEquals "member: status: $ERR" 0 "$RC"
	assertContains "member: status shows api" "$OUT" "api"
	as_nobody "$sg" "$CTL" -s "$SOCK" status --json
	assertEquals "member: status --json: $ERR" 0 "$RC"
	jparse "$OUT" api
	assertEquals "member: status --json content" up "${J[state]}"
	as_nobody "$sg" "$CTL" -s "$SOCK" list
	assertEquals "member: list: $ERR" 0 "$RC"
	as_nobody "$sg" "$CTL" -s "$SOCK" logs api
	assertEquals "member: logs: $ERR" 0 "$RC"
	as_nobody "$sg" "$CTL" -s "$SOCK" wait api --timeout 5
	assertEquals "member: wait: $ERR" 0 "$RC"
	# ...and the others are refused by the daemon.
	for c in "stop api" "start api" "restart api" "signal api TERM" "reload"; do
		# shellcheck disable=SC2086
		as_nobody "$sg" "$CTL" -s "$SOCK" $c
		assertEquals "member: $c refused" 1 "$RC"
		assertContains "member: $c: permission denied" "$ERR" "permission denied"
	done
	assertEquals "api untouched" 1 "$(npids api)"
	assertEquals "api still up" up "$(jfield api state)"
	wait_log "control: stop refused to uid $(id -u nobody)"
}

test_perms_control_group() {
	needs_root || return 0
	local cg
	make_group cg || return
	{
		printf '[guardiand]\ncontrol_group = %s\n\n' "$cg"
		svc_conf api
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "socket mode and group" "660 root $cg" "$(stat -c '%a %U %G' "$SOCK")"
	as_nobody "" "$CTL" -s "$SOCK" stop api
	assertEquals "stranger: stop refused" 1 "$RC"
	assertContains "stranger: permission denied" "$ERR" "ermission denied"

	local p
	p=$(last_pid api)
	as_nobody "$cg" "$CTL" -s "$SOCK" stop api
	assertEquals "member (supplementary group): stop: $ERR" 0 "$RC"
	is_gone "$p"
	assertTrue "stopped by a control_group member" $?
	as_nobody "$cg" "$CTL" -s "$SOCK" status api
	assertEquals "member: status of the stopped api: 3" 3 "$RC"
	# The group as the primary group counts too.
	run setpriv --reuid=nobody --regid="$cg" --clear-groups "$CTL" -s "$SOCK" start api
	assertEquals "member (primary group): start: $ERR" 0 "$RC"
	assertEquals "started again" 2 "$(npids api)"
	as_nobody "$cg" "$CTL" -s "$SOCK" reload
	assertEquals "member: reload: $ERR" 0 "$RC"
}

test_perms_both_groups() {
	needs_root || return 0
	local sg cg
	make_group sg || return
	make_group cg || return
	{
		printf '[guardiand]\ncontrol_group = %s\nstatus_group = %s\n\n' "$cg" "$sg"
		svc_conf api
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "socket group: status_group's" "660 root $sg" "$(stat -c '%a %U %G' "$SOCK")"
	as_nobody "$sg" "$CTL" -s "$SOCK" status api
	assertEquals "status member: status: $ERR" 0 "$RC"
	as_nobody "$sg" "$CTL" -s "$SOCK" stop api
	assertEquals "status member: stop refused" 1 "$RC"
	assertContains "status member: permission denied" "$ERR" "permission denied"
	as_nobody "$sg,$cg" "$CTL" -s "$SOCK" stop api
	assertEquals "member of both: stop: $ERR" 0 "$RC"
	assertEquals "api down" down "$(jfield api state)"
}

# ---- 12. JSON escaping ----

test_json_escaping_round_trip() {
	local tab=$'\t' cmd
	# quotes, backslashes, a tab, a percent sign that looks like an escape.
	cmd="sh -c 'echo \$\$ >> $T/esc.pids; exec sleep 1000' \"say \\\"hi\\\"\" 'back\\slash' '${tab}' 100%41"
	printf '[service esc]\ncommand = %s\n\n' "$cmd" >"$CONF"
	start_ready || return
	wait_state esc up || return
	ctl status --json
	assertEquals "status --json: $ERR" 0 "$RC"
	printf '%s\n' "$OUT" | "$PY" -m json.tool >/dev/null 2>&1
	assertTrue "valid JSON: $OUT" $?
	jparse "$OUT" esc
	assertEquals "command round-trips (jq)" "$cmd" "${J[command]}"
	assertEquals "command round-trips (python)" "$cmd" \
		"$("$PY" -c 'import json,sys; print(json.load(sys.stdin)[0]["command"])' <<<"$OUT")"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
