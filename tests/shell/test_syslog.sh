#!/bin/bash
# shellcheck disable=SC2119  # start_detached takes optional extra args
# shellcheck disable=SC2016  # service scripts keep their $ for sh
# shellcheck disable=SC2317  # shunit2 hooks are called indirectly
# shellcheck source-path=SCRIPTDIR
# Service output to syslog, end to end: a detached guardiand writes to a
# real, private rsyslogd (syslog_socket in $T) and we read what rsyslogd
# wrote. Tags, pids, priorities and facilities; the per-service keys; 100000
# lines without loss; long lines, partial lines, CR LF, NUL and invalid UTF-8;
# output after the main process exits; rsyslogd restarting, absent at start,
# or stopped (back-pressure); stdout/stderr to files with reopen; and the
# last stderr lines after a crash.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=syslog_lib.sh
. "$(dirname "$0")/syslog_lib.sh"

setUp() { lib_setup && rs_setup; }
tearDown() {
	rs_teardown
	lib_teardown
}
oneTimeSetUp() {
	lib_onetime_setup || return
	if [ ! -x "$RSYSLOGD" ]; then
		echo "rsyslogd not found (apt-get install rsyslog)" >&2
		return 1
	fi
}

# start: the private rsyslogd, then guardiand detached on $CONF.
start_both() {
	rs_start || return
	start_detached
	assertEquals "guardiand starts detached (stderr: $ERR)" 0 "$RC" || return
	assertNotNull "guardiand's pid" "$DPID"
}

# out_err_script NAME: records its pid, prints out-line and err-line, sleeps.
out_err_script() {
	printf 'echo $$ >> %s/%s.pids\necho out-line\necho err-line >&2\nexec sleep 1000' "$T" "$1"
}

test_lines_have_tag_pid_priority_facility() {
	{
		syslog_conf
		script_conf api "$(out_err_script api)"
	} >"$CONF"
	start_both || return
	wait_starts api 1 || return
	local pid
	pid=$(pid_n api 1)
	wait_syslog "api\[$pid\]: out-line" || return
	wait_syslog "api\[$pid\]: err-line" || return
	wait_syslog "guardiand\[$DPID\]: api: started, pid $pid" || return
	syslog_has "^daemon\.info api\[$pid\]: out-line$"
	assertTrue "stdout at daemon.info as api[$pid]" $?
	syslog_has "^daemon\.warning api\[$pid\]: err-line$"
	assertTrue "stderr at daemon.warning as api[$pid]" $?
	syslog_has "^daemon\.(info|notice) guardiand\[$DPID\]: api: started, pid $pid$"
	assertTrue "own event with tag guardiand[$DPID], facility daemon" $?
	assertEquals "each line once" 1 "$(count_syslog "api\[$pid\]: out-line")"
}

test_per_service_tag_facility_priorities() {
	{
		syslog_conf
		script_conf api "$(out_err_script api)" \
			'syslog_tag = myapp' 'syslog_facility = local3' \
			'stdout_priority = notice' 'stderr_priority = err'
		script_conf other "$(out_err_script other)" 'syslog_facility = user'
	} >"$CONF"
	start_both || return
	wait_starts api 1 || return
	wait_starts other 1 || return
	local pid opid
	pid=$(pid_n api 1) opid=$(pid_n other 1)
	wait_syslog "myapp\[$pid\]: out-line" || return
	wait_syslog "myapp\[$pid\]: err-line" || return
	wait_syslog "other\[$opid\]: err-line" || return
	wait_syslog "other\[$opid\]: out-line" || return
	syslog_has "^local3\.notice myapp\[$pid\]: out-line$"
	assertTrue "stdout as local3.notice myapp[$pid]" $?
	syslog_has "^local3\.err myapp\[$pid\]: err-line$"
	assertTrue "stderr as local3.err myapp[$pid]" $?
	syslog_has "api\[$pid\]"
	assertFalse "no message under the default tag api" $?
	syslog_has "^user\.info other\[$opid\]: out-line$"
	assertTrue "other service: user.info" $?
	syslog_has "^user\.warning other\[$opid\]: err-line$"
	assertTrue "other service: user.warning" $?
	wait_syslog "guardiand\[$DPID\]: api: started, pid $pid" || return
	syslog_has "^daemon\.[a-z]+ guardiand\[$DPID\]: api: started, pid $pid$"
	assertTrue "guardiand's own events keep tag guardiand and facility daemon" $?
}

test_100000_lines_complete_in_order() {
	{
		syslog_conf
		printf '[service count]\ncommand = seq 1 100000\nrestart = never\n\n'
	} >"$CONF"
	start_both || return
	local t0 re='^daemon\.info count\[[0-9]+\]: '
	t0=$(now_us)
	wait_count_syslog "100000 lines of count" "$re" 100000 120 15 || return
	echo "  (100000 lines arrived in $((($(now_us) - t0) / 1000)) ms)"
	seq 1 100000 >"$T/expected"
	syslog_texts 'daemon\.info' count >"$T/got"
	numbers_report "$T/expected" "$T/got"
	assertEquals "missing lines" 0 "$MISSING"
	assertEquals "duplicated lines" 0 "$DUPS"
	assertTrue "lines 1..100000 in order, nothing else: $(cmp "$T/expected" "$T/got" 2>&1 | head -n 1)" "$ORDER_OK"
	assertEquals "one pid in the tags" 1 "$(grep -Eo "^daemon\.info count\[[0-9]+\]" "$SYSLOG" | sort -u | wc -l)"
}

# pieces_len TAG: the total length of the texts with that tag.
pieces_len() { syslog_texts 'daemon\.info' "$1" | tr -d '\n' | wc -c; }
pieces_len_ge() { [ "$(pieces_len "$1")" -ge "$2" ]; }

test_long_line_split_not_dropped() {
	local gen='awk '\''BEGIN { for (i = 0; i < 2000; i++) printf "%010d", i; printf "\n" }'\'''
	{
		syslog_conf
		script_conf long1 "$gen"$'\nexec sleep 1000'
		script_conf long2 "$gen"$'\nexec sleep 1000' 'line_max = 1000'
	} >"$CONF"
	sh -c "$gen" | tr -d '\n' >"$T/expected"
	assertEquals "the test line" 20000 "$(wc -c <"$T/expected")"
	start_both || return
	wait_for "20000 bytes of long1" "$WAIT" pieces_len_ge long1 20000 || return
	wait_for "20000 bytes of long2" "$WAIT" pieces_len_ge long2 20000 || return
	local lens
	syslog_texts 'daemon\.info' long1 | tr -d '\n' >"$T/got1"
	cmp -s "$T/expected" "$T/got1"
	assertTrue "line_max default: the pieces make the line, in order" $?
	lens=$(syslog_texts 'daemon\.info' long1 | awk '{ printf "%s ", length($0) }')
	assertEquals "line_max default (8192): piece lengths" "8192 8192 3616 " "$lens"
	syslog_texts 'daemon\.info' long2 | tr -d '\n' >"$T/got2"
	cmp -s "$T/expected" "$T/got2"
	assertTrue "line_max = 1000: the pieces make the line, in order" $?
	assertEquals "line_max = 1000: pieces" 20 "$(syslog_texts 'daemon\.info' long2 | wc -l)"
	lens=$(syslog_texts 'daemon\.info' long2 | awk 'length($0) != 1000' | wc -l)
	assertEquals "line_max = 1000: pieces not 1000 bytes long" 0 "$lens"
}

test_partial_line_crlf_nul_invalid_utf8() {
	{
		syslog_conf
		script_conf edge "echo \$\$ >> $T/edge.pids
printf 'crlf-line\\r\\n'
printf 'nul-a\\000nul-b\\n'
printf 'bad-\\377\\376-utf8\\n'
printf 'partial-tail'" 'restart = never'
	} >"$CONF"
	start_both || return
	wait_starts edge 1 || return
	local pid cr=$'\r'
	pid=$(pid_n edge 1)
	wait_syslog "edge\[$pid\]: partial-tail" || return
	wait_syslog "edge\[$pid\]: crlf-line" || return
	wait_syslog "edge\[$pid\]: nul-a" || return
	wait_syslog "edge\[$pid\]: bad-" || return
	syslog_has "^daemon\.info edge\[$pid\]: partial-tail$"
	assertTrue "the last line without newline arrives at EOF" $?
	syslog_has "^daemon\.info edge\[$pid\]: crlf-line$"
	assertTrue "CR LF ends the line: crlf-line with nothing after it" $?
	syslog_has "crlf-line(#015|$cr|\\\\r)"
	assertFalse "no CR left in the message" $?
	syslog_has "^daemon\.info edge\[$pid\]: nul-a.+nul-b$"
	assertTrue "the line with a NUL arrives whole, as one record" $?
	syslog_has "^daemon\.info edge\[$pid\]: bad-.+-utf8$"
	assertTrue "the line with invalid UTF-8 arrives as one record" $?
	assertEquals "records of edge" 4 "$(count_syslog "^daemon\.info edge\[$pid\]: ")"
}

test_output_after_main_process_exits() {
	{
		syslog_conf
		script_conf late "echo \$\$ >> $T/late.pids
(sleep 0.5; echo late-line) &
echo early-line
exit 0" 'restart = never'
	} >"$CONF"
	start_both || return
	wait_starts late 1 || return
	local pid exit_at late_at
	pid=$(pid_n late 1)
	wait_syslog "guardiand\[$DPID\]: late: exited with status 0" || return
	wait_syslog "late\[$pid\]: late-line" || return
	syslog_has "^daemon\.info late\[$pid\]: early-line$"
	assertTrue "early-line" $?
	syslog_has "^daemon\.info late\[$pid\]: late-line$"
	assertTrue "the grandchild's line, tagged with the main process's pid $pid" $?
	exit_at=$(syslog_line "late: exited with status 0")
	late_at=$(syslog_line "late\[$pid\]: late-line")
	assertTrue "late-line (line $late_at) came after the exit event (line $exit_at)" \
		"[ $late_at -gt $exit_at ]"
}

test_rsyslogd_restart_mid_stream() {
	local n=250
	{
		syslog_conf
		script_conf tick "echo \$\$ >> $T/tick.pids
i=0
while [ \$i -lt $n ]; do i=\$((i + 1)); echo \$i; echo \$i >> $T/tick.printed; sleep 0.02; done
exec sleep 1000"
	} >"$CONF"
	start_both || return
	wait_starts tick 1 || return
	wait_count_syslog "20 ticks" '^daemon\.info tick\[' 20 "$WAIT" || return
	local a b c
	a=$(nlines "$T/tick.printed")
	rs_stop "$RS_PID"
	b=$(nlines "$T/tick.printed")
	wait_for "10 lines printed while rsyslogd is away" "$WAIT" lines_ge "$T/tick.printed" $((b + 10)) || return
	c=$(nlines "$T/tick.printed")
	rs_start || return
	wait_syslog "^daemon\.info tick\[[0-9]+\]: $n$" 30 || return
	echo "  (rsyslogd stopped after line $a, gone after line $b, back after line $c)"

	seq 1 "$n" >"$T/expected"
	syslog_texts 'daemon\.info' tick >"$T/got"
	numbers_report "$T/expected" "$T/got"
	local lo=$((a - 3)) outside dropped
	outside=$(printf '%s\n' "$MISSING_LIST" | awk -v lo="$lo" -v hi="$b" 'NF && ($1 < lo || $1 > hi)' | tr '\n' ' ')
	dropped=$(dropped_reported)
	if [ "$MISSING" -gt 0 ]; then
		echo "  (missing: $(printf '%s' "$MISSING_LIST" | tr '\n' ' '); reported dropped: $dropped)"
	fi
	assertEquals "duplicated lines" 0 "$DUPS"
	sort -n -c "$T/got" 2>/dev/null
	assertTrue "lines in order" $?
	if [ "$dropped" -eq 0 ]; then
		assertEquals "lines missing, other than those in rsyslogd's socket when it was stopped ($lo..$b)" "" "$outside"
	else
		syslog_has "guardiand\[$DPID\]: syslog: [0-9]+ lines? dropped while $RS_SOCK was unavailable"
		assertTrue "the drop report names the socket" $?
		local nout
		nout=$(printf '%s' "$outside" | wc -w)
		assertTrue "reported drops ($dropped) account for the missing lines ($MISSING, $nout outside $lo..$b)" \
			"[ $dropped -ge $nout ] && [ $dropped -le $MISSING ]"
	fi
}

test_syslog_absent_at_start() {
	local late_sock=$T/later/log.sock
	{
		syslog_conf "$late_sock"
		script_conf early "echo \$\$ >> $T/early.pids
for i in 1 2 3 4 5; do echo early-\$i; done
echo done > $T/early.printed
exec sleep 1000"
	} >"$CONF"
	start_detached
	assertEquals "guardiand starts with no syslog listening (stderr: $ERR)" 0 "$RC" || return
	wait_starts early 1 || return
	wait_for "the service printed" "$WAIT" test -f "$T/early.printed" || return
	local pid
	pid=$(pid_n early 1)
	rs_start "$late_sock" || return
	wait_syslog "early\[$pid\]: early-5" 15 || return
	wait_syslog "guardiand\[$DPID\]: early: started, pid $pid" 5
	syslog_texts 'daemon\.info' early >"$T/got"
	assertEquals "the early lines, once each, in order" "early-1 early-2 early-3 early-4 early-5 " "$(tr '\n' ' ' <"$T/got")"
	syslog_has "^daemon\.[a-z]+ guardiand\[$DPID\]: guardiand .*started, pid $DPID"
	assertTrue "guardiand's start-up event" $?
	syslog_has "^daemon\.[a-z]+ guardiand\[$DPID\]: early: started, pid $pid$"
	assertTrue "the service's start event" $?
	syslog_has "lines? dropped"
	assertFalse "nothing dropped" $?
}

# file_numbers FILE...: the N of the lines ending in file-N, in order.
file_numbers() { cat "$@" 2>/dev/null | sed -n 's/.*file-\([0-9][0-9]*\)$/\1/p'; }

test_stdout_to_file_reopen_and_null() {
	printf 'old-line\n' >"$T/err.log"
	{
		syslog_conf
		script_conf filer "echo \$\$ >> $T/filer.pids
echo err-once >&2
i=0
while :; do i=\$((i + 1)); echo file-\$i; sleep 0.05; done" \
			"stdout = file:$T/out.log" "stderr = file:$T/err.log"
		script_conf nulled "echo \$\$ >> $T/nulled.pids
echo null-out
echo null-err >&2
exec sleep 1000" 'stdout = null'
	} >"$CONF"
	start_both || return
	wait_starts filer 1 || return
	wait_starts nulled 1 || return
	wait_for "lines in out.log" "$WAIT" lines_ge "$T/out.log" 3 || return
	assertEquals "out.log created with mode 0640" 640 "$(stat -c %a "$T/out.log")"
	file_has "$T/out.log" 'file-1$'
	assertTrue "file-1 in out.log" $?
	wait_for "err-once in err.log" "$WAIT" file_has "$T/err.log" 'err-once$' || return
	assertEquals "err.log appended to" old-line "$(head -n 1 "$T/err.log")"

	# Rotation 1: guardianctl reopen NAME.
	mv "$T/out.log" "$T/out.log.1"
	RUN_TIMEOUT=10 run "$GUARDIANCTL" -s "$SOCK" reopen filer
	assertEquals "guardianctl reopen filer (stderr: $ERR)" 0 "$RC"
	wait_for "a new out.log after reopen" "$WAIT" lines_ge "$T/out.log" 2 || return
	# Rotation 2: SIGHUP.
	mv "$T/out.log" "$T/out.log.2"
	kill -HUP "$DPID"
	wait_for "a new out.log after SIGHUP" "$WAIT" lines_ge "$T/out.log" 2 || return

	local all n
	all=$(file_numbers "$T/out.log.1" "$T/out.log.2" "$T/out.log" | tr '\n' ' ')
	n=$(printf '%s' "$all" | wc -w)
	assertEquals "out.log.1 + out.log.2 + out.log: every line once, in order" \
		"$(seq 1 "$n" | tr '\n' ' ')" "$all"
	assertTrue "each file got lines: $(wc -l "$T"/out.log* | tr '\n' ' ')" \
		"[ $(nlines "$T/out.log.1") -ge 3 ] && [ $(nlines "$T/out.log.2") -ge 2 ] && [ $(nlines "$T/out.log") -ge 2 ]"

	wait_syslog "nulled\[$(pid_n nulled 1)\]: null-err" || return
	syslog_has 'file-[0-9]'
	assertFalse "stdout = file: not in syslog" $?
	syslog_has 'err-once'
	assertFalse "stderr = file: not in syslog" $?
	syslog_has 'null-out'
	assertFalse "stdout = null: not in syslog" $?
	file_has "$T/out.log" 'null-out'
	assertFalse "stdout = null: not in another service's file" $?
}

test_crash_logs_last_stderr() {
	{
		syslog_conf
		script_conf crash "echo \$\$ >> $T/crash.pids
echo boom >&2
exit 7" 'restart = never'
		script_conf many "echo \$\$ >> $T/many.pids
for i in 1 2 3 4 5; do echo many-\$i >&2; done
echo not-stderr
exit 3" 'restart = never'
		script_conf sig "echo \$\$ >> $T/sig.pids
echo sig-err >&2
kill -KILL \$\$" 'restart = never'
		script_conf calm "echo \$\$ >> $T/calm.pids
echo calm-err >&2
exec sleep 1000"
	} >"$CONF"
	start_both || return
	local g="guardiand\[$DPID\]: "
	wait_syslog "${g}crash: exited with status 7" || return
	wait_syslog "${g}crash: last stderr: boom$" || return
	assertTrue "last stderr logged after the exit event" \
		"[ $(syslog_line "${g}crash: last stderr: boom") -gt $(syslog_line "${g}crash: exited with status 7") ]"

	wait_syslog "${g}many: last stderr: many-5$" || return
	local l3 l4 l5
	l3=$(syslog_line "${g}many: last stderr: many-3$")
	l4=$(syslog_line "${g}many: last stderr: many-4$")
	l5=$(syslog_line "${g}many: last stderr: many-5$")
	assertTrue "many-3, many-4, many-5 in order (lines $l3 $l4 $l5)" \
		"[ -n '$l3' ] && [ -n '$l4' ] && [ $l3 -lt $l4 ] && [ $l4 -lt $l5 ]"
	syslog_has "many: last stderr: (many-[12]|not-stderr)$"
	assertFalse "at most the last 3 stderr lines, stderr only" $?

	wait_syslog "${g}sig: killed by signal 9" || return
	wait_syslog "${g}sig: last stderr: sig-err$"

	wait_starts calm 1 || return
	wait_syslog "calm\[$(pid_n calm 1)\]: calm-err" || return
	RUN_TIMEOUT=20 run "$GUARDIANCTL" -s "$SOCK" stop calm
	assertEquals "guardianctl stop calm (stderr: $ERR)" 0 "$RC"
	wait_syslog "${g}calm: stopped" || return
	syslog_has "calm: last stderr"
	assertFalse "no last stderr after a requested stop" $?
}

# The lines are long enough (about 900 KB in all) that neither the pipe
# (64 KB) nor what guardiand reads before syslog pushes back can hold them:
# the writer must wait for rsyslogd.
test_backpressure_is_lossless() {
	local fmt='%g back-pressure line, padded to about 45 bytes'
	{
		syslog_conf
		script_conf bp "echo \$\$ >> $T/bp.pids
while [ ! -f $T/bp.go ]; do sleep 0.05; done
seq -f '$fmt' 1 20000
echo done > $T/bp.done
exec sleep 1000"
	} >"$CONF"
	seq -f "$fmt" 1 20000 >"$T/expected"
	start_both || return
	wait_starts bp 1 || return
	wait_syslog "guardiand\[$DPID\]: bp: started" || return
	kill -STOP "$RS_PID"
	: >"$T/bp.go"
	# A time window with rsyslogd not reading: the writer must be held up.
	observe_until $(($(now_us) + 2000000))
	local blocked=true during
	[ -f "$T/bp.done" ] && blocked=false
	during=$(count_syslog '^daemon\.info bp\[')
	kill -CONT "$RS_PID"
	assertTrue "the writer was blocked while rsyslogd was stopped" "$blocked"
	wait_count_syslog "20000 lines of bp" '^daemon\.info bp\[' 20000 60 15 || return
	echo "  (lines in syslog while rsyslogd was stopped: $during)"
	syslog_texts 'daemon\.info' bp >"$T/got"
	numbers_report "$T/expected" "$T/got"
	assertEquals "missing lines" 0 "$MISSING"
	assertEquals "duplicated lines" 0 "$DUPS"
	assertTrue "lines 1..20000 in order: $(cmp "$T/expected" "$T/got" 2>&1 | head -n 1)" "$ORDER_OK"
	wait_for "the writer finished" "$WAIT" test -f "$T/bp.done"
	syslog_has "lines? dropped"
	assertFalse "no drops reported" $?
}

# shellcheck disable=SC1090
. "$SHUNIT2"
