#!/bin/bash
# shellcheck disable=SC2119,SC2120  # start_fg/start_ready take optional extra args
# shellcheck source-path=SCRIPTDIR
# guardianctl's output and the control socket's fairness: what a service
# prints (control characters, NUL, invalid UTF-8) never reaches the terminal
# raw and --json stays valid UTF-8; read-only clients cannot starve root;
# no client holds a slot beyond its deadline; the small things of the
# command line and the status table; one duration format.
# time-limit: 400

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

ESC=$'\033'

logs_has() { timeout 10 "$CTL" -s "$SOCK" logs "$1" 2>/dev/null | grep -q -- "$2"; }
# terminal_safe FILE: FILE is valid UTF-8 with no control character (C0,
# DEL, C1) but newline and tab: nothing a terminal would act on.
terminal_safe() {
	"$PY" -c 'import re,sys
t = open(sys.argv[1], "rb").read().decode("utf-8", "strict")
sys.exit(1 if re.search("[^\\n\\t\\x20-\\x7e\\xa0-\\U0010ffff]", t) else 0)' "$1"
}
# strict_json FILE: python's json module parses FILE (it rejects invalid UTF-8).
strict_json() { "$PY" -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8", errors="strict"))' "$1"; }

# as_member GROUP ARGS...: guardianctl as nobody with supplementary GROUP.
as_member() {
	local g=$1
	shift
	run setpriv --reuid=nobody --regid=nogroup --groups="$g" "$CTL" -s "$SOCK" "$@"
}

# evil_conf: a service that prints ESC sequences (a title, clear screen),
# BEL, NUL, DEL, a C1 control (CSI, U+009B), invalid UTF-8, a backslash, é
# and a tab, and whose command holds an ESC sequence and an invalid byte.
evil_conf() {
	cat >"$T/evil.sh" <<EOF
echo \$\$ >> $T/evil.pids
printf 'A\\033]0;owned\\007B\\033[2JC\\000D\\177E\\302\\233F\\377\\376G\\\\H\\303\\251I\\tJ\\n'
printf '\\033[31merr\\n' >&2
exec sleep 1000
EOF
	printf '[service evil]\ncommand = sh %s/evil.sh \033[0m \377\n\n' "$T"
}

# ---- finding 6: control characters ----

test_logs_escape_control_bytes() {
	evil_conf >"$CONF"
	start_ready || return
	wait_for "evil's output in logs" "$WAIT" logs_has evil err || return
	ctl logs evil
	assertEquals "logs: $ERR" 0 "$RC"
	terminal_safe "$T/run.out"
	assertTrue "no raw control byte in logs: $(od -c "$T/run.out" | head -5)" $?
	local p
	p=$(last_pid evil)
	assertEquals "the stdout line, escaped" \
		"evil[$p]: A\\x1b]0;owned\\x07B\\x1b[2JC\\x00D\\x7fE\\xc2\\x9bF\\xff\\xfeG\\\\H$(printf '\303\251')I	J" \
		"$(head -n 1 <<<"$OUT" | cut -d' ' -f3-)"
	assertEquals "the stderr line, escaped" "evil[$p] stderr: \\x1b[31merr" \
		"$(tail -n 1 <<<"$OUT" | cut -d' ' -f3-)"
	# The status table shows no command, but the JSON's command is safe too.
	ctl status
	terminal_safe "$T/run.out"
	assertTrue "no raw control byte in status" $?
}

test_json_is_strict_utf8() {
	evil_conf >"$CONF"
	start_ready || return
	wait_for "evil's output in logs" "$WAIT" logs_has evil err || return
	local c
	for c in "status --json" "status evil --json" "logs evil --json"; do
		# shellcheck disable=SC2086
		ctl $c
		assertEquals "$c: $ERR" 0 "$RC"
		strict_json "$T/run.out"
		assertTrue "$c parses as strict UTF-8 JSON: $(head -c 300 "$T/run.out")" $?
		terminal_safe "$T/run.out"
		assertTrue "$c: no raw control byte" $?
	done
	# The values: controls kept exactly (as \u escapes), invalid bytes as U+FFFD.
	ctl logs evil --json
	assertEquals "logs --json: the text as python reads it" \
		"'A\\x1b]0;owned\\x07B\\x1b[2JC\\x00D\\x7fE\\x9bF\\ufffd\\ufffdG\\\\H\\xe9I\\tJ' stdout $(last_pid evil)" \
		"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(ascii(d[0]["text"]), d[0]["stream"], d[0]["pid"])' "$T/run.out")"
	assertEquals "logs --json: the stderr line" "'\\x1b[31merr' stderr" \
		"$("$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(ascii(d[1]["text"]), d[1]["stream"])' "$T/run.out")"
	ctl status evil --json
	assertEquals "status --json: the command's ESC and invalid byte" "'\\x1b[0m' '\\ufffd'" \
		"$("$PY" -c 'import json,sys; print(*map(ascii, json.load(open(sys.argv[1]))[0]["command"].split()[-2:]))' "$T/run.out")"
}

test_error_messages_escaped() {
	svc_conf api >"$CONF"
	start_ready || return
	# The daemon echoes the name in its answer; guardianctl in its own messages.
	ctl stop "${ESC}]0;owned"$'\a'
	assertEquals "stop of an unknown name with controls: 4" 4 "$RC"
	assertEquals "the daemon's message, escaped" 'guardianctl: no such service: \x1b]0;owned\x07' "$ERR"
	ctl signal api "${ESC}[2J"
	assertEquals "signal with an ESC signal name: 2" 2 "$RC"
	assertContains "unknown signal, escaped: $ERR" "$ERR" 'unknown signal "\x1b[2J"'
	ctl "${ESC}[2Jfrob"
	assertEquals "an unknown command with ESC: 2" 2 "$RC"
	assertContains "guardianctl's own message, escaped: $ERR" "$ERR" '"\x1b[2Jfrob"'
	ctl status "--${ESC}x"
	assertEquals "an unknown option with ESC: 2" 2 "$RC"
	assertContains "unknown option, escaped: $ERR" "$ERR" '--\x1bx'
	run "$CTL" -s "$T/no${ESC}[2Jsock" status
	assertEquals "socket path with ESC: not running" 3 "$RC"
	assertContains "the path, escaped: $ERR" "$ERR" 'no\x1b[2Jsock'
	printf '%s\n' "$ERR" >"$T/err.txt"
	terminal_safe "$T/err.txt"
	assertTrue "no raw control byte in the messages" $?
}

# ---- finding 7: read-only clients cannot starve root ----

# Holds N connections as whoever runs it; each one the daemon closes is
# made again at once. Writes "connected N" once all are open, then every
# half second "busy B reconnects R" to its stdout.
hold_py() {
	cat >"$T/hold.py" <<'EOF'
import select, socket, sys, time
path, n, secs = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s
p = select.poll()
held = {}
def add(s):
    held[s.fileno()] = s
    p.register(s, select.POLLIN)
for i in range(n):
    add(conn())
print("connected %d" % len(held), flush=True)
busy = reconnects = 0
end = time.time() + secs
report = 0
while time.time() < end:
    for fd, ev in p.poll(100):
        s = held.pop(fd)
        p.unregister(fd)
        try:
            data = s.recv(200)
        except OSError:
            data = b""
        if data.startswith(b"ERR 1 busy"):
            busy += 1
        s.close()
        add(conn())
        reconnects += 1
    if time.time() >= report:
        print("busy %d reconnects %d open %d" % (busy, reconnects, len(held)), flush=True)
        report = time.time() + 0.5
EOF
}
hold_busy() { tail -n 1 "$T/hold.out" | awk '$1 == "busy" { print $2 }'; }
hold_busy_ge() { [ "$(hold_busy)" -ge "$1" ] 2>/dev/null; }

test_readonly_flood_does_not_stall_root() {
	needs_root || return 0
	local sg
	make_group sg || return
	{
		printf '[guardiand]\nstatus_group = %s\n\n' "$sg"
		svc_conf api
	} >"$CONF"
	start_ready || return
	wait_state api up || return
	hold_py
	# 1000 connections need more descriptors than the usual 1024 soft limit.
	local holder
	(ulimit -n 4096 && exec setpriv --reuid=nobody --regid=nogroup --groups="$sg" \
		"$PY" "$T/hold.py" "$SOCK" 1000 120) >"$T/hold.out" 2>&1 &
	holder=$!
	OTHER_PIDS+=("$holder")
	wait_for "1000 read-only connections open" 60 file_has "$T/hold.out" '^connected 1000$' || return
	wait_for "some answered busy" "$WAIT" hold_busy_ge 1 || return
	local i t0 el worst=0
	for i in 1 2 3; do
		t0=$(now_us)
		ctl stop api
		el=$(( ($(now_us) - t0) / 1000 ))
		assertEquals "root: stop #$i: $ERR" 0 "$RC"
		[ "$el" -gt "$worst" ] && worst=$el
		t0=$(now_us)
		ctl start api
		el=$(( ($(now_us) - t0) / 1000 ))
		assertEquals "root: start #$i: $ERR" 0 "$RC"
		[ "$el" -gt "$worst" ] && worst=$el
	done
	echo "  with 1000 read-only connections held: slowest root stop/start ${worst} ms, the daemon holding $(sock_conns) connections ($(tail -n 1 "$T/hold.out"))"
	assertTrue "each root command served within 1 s (slowest ${worst} ms)" "[ $worst -lt 1000 ]"
	assertEquals "api up after the last start" up "$(jfield api state)"
	# Each sample may also see clients accepted this turn and about to be
	# told "busy" (the holder reconnects at once): the fewest of a few
	# samples is what the daemon keeps (without the cap, all 1000).
	local n least=100000
	for i in $(seq 10); do
		n=$(sock_conns)
		[ "$n" -lt "$least" ] && least=$n
		sleep 0.02
	done
	assertTrue "the daemon keeps at most 16 read-only connections: $least" \
		"[ $least -le 16 ]"
	is_alive "$holder"
	assertTrue "the holder still ran throughout" $?
	# A read-only client of its own: answered, by status or by "busy".
	as_member "$sg" status api
	assertTrue "a member's status: answered (0) or busy (1): $RC $ERR" \
		"[ $RC -eq 0 ] || { [ $RC -eq 1 ] && [ \"\$ERR\" = 'guardianctl: busy: too many read-only clients, try again later' ]; }"
	wait_log "control: 16 read-only clients connected, turned away"
	assertTrue "turning away is logged once a minute at most: $(count_log 'turned away')" \
		"[ $(count_log 'turned away') -le 2 ]"
}

# A request sent half, and a reply never read: each client is dropped at its
# deadline (5 s to send the request, 10 s to take the answer), and others are
# served meanwhile.
test_half_request_and_slow_reader_dropped() {
	# Lines of 4000 blanks, each sent as %20: an answer of hundreds of
	# KiB, more than a socket buffer holds.
	cat >"$T/chatty.sh" <<EOF
echo \$\$ >> $T/chatty.pids
i=0
while [ \$i -lt 100 ]; do head -c 4000 /dev/zero | tr '\\0' ' '; echo; i=\$((i+1)); done
echo done
exec sleep 1000
EOF
	printf '[service chatty]\ncommand = sh %s/chatty.sh\n\n' "$T" >"$CONF"
	start_ready || return
	wait_for "chatty's output in logs" "$WAIT" logs_has chatty 'done$' || return
	cat >"$T/slow.py" <<'EOF'
import socket, sys, time
half = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
half.connect(sys.argv[1])
half.sendall(b"stat")                   # no newline, ever
slow = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
slow.connect(sys.argv[1])
slow.sendall(b"logs chatty\n")          # and never read
print("sent", flush=True)
time.sleep(60)
EOF
	"$PY" "$T/slow.py" "$SOCK" >"$T/slow.out" 2>&1 &
	OTHER_PIDS+=("$!")
	wait_for "both requests sent" "$WAIT" file_has "$T/slow.out" sent || return
	local t0 el
	t0=$(now_us)
	wait_for "the two clients connected" "$WAIT" sock_conns_ge 2 || return
	ctl status chatty
	assertEquals "others served meanwhile: $ERR" 0 "$RC"
	wait_for "the half request dropped" 10 sock_conns_lt 2 || return
	el=$(( ($(now_us) - t0) / 1000 ))
	assertTrue "the half request dropped after about 5 s (${el} ms)" "[ $el -ge 3500 ] && [ $el -lt 8000 ]"
	wait_for "the slow reader dropped" 15 sock_conns_lt 1 || return
	el=$(( ($(now_us) - t0) / 1000 ))
	assertTrue "the slow reader dropped after about 10 s (${el} ms)" "[ $el -ge 8000 ] && [ $el -lt 14000 ]"
	ctl status chatty
	assertEquals "still serving: $ERR" 0 "$RC"
}

# The daemon out of descriptors: accepting pauses and is retried every
# 100 ms (no busy loop on poll, one log line), and clients are served again
# once descriptors are free.
test_out_of_descriptors_no_spin() {
	svc_conf api >"$CONF"
	start_ready || return
	wait_state api up || return
	local nfd holder c0 c1 t0
	nfd=$(find "/proc/$DPID/fd" -mindepth 1 | wc -l)
	prlimit --pid "$DPID" --nofile=$((nfd + 4)):$((nfd + 4))
	assertEquals "prlimit on guardiand" 0 $?
	cat >"$T/hold.py" <<'EOF'
import socket, sys, time
held = []
for i in range(int(sys.argv[2])):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    held.append(s)
print("connected", flush=True)
time.sleep(60)
EOF
	"$PY" "$T/hold.py" "$SOCK" 20 >"$T/hold.out" 2>&1 &
	holder=$!
	OTHER_PIDS+=("$holder")
	wait_for "20 connections made" "$WAIT" file_has "$T/hold.out" connected || return
	wait_log "control: accept.*: Too many open files" || return
	# Within the 5 s the accepted ones may stay: the daemon waits, not spins.
	c0=$(( $(stat_field "$DPID" 14) + $(stat_field "$DPID" 15) ))
	t0=$(now_us)
	observe_until $((t0 + 2000000))
	c1=$(( $(stat_field "$DPID" 14) + $(stat_field "$DPID" 15) ))
	assertTrue "guardiand used $((c1 - c0)) clock ticks of CPU in 2 s out of descriptors" \
		"[ $((c1 - c0)) -lt 40 ]"
	assertEquals "one log line for it" 1 "$(count_log 'control: accept')"
	kill -KILL "$holder"
	wait "$holder" 2>/dev/null
	wait_for "guardiand to answer again" "$WAIT" ctl_answers || return
	wait_log "control: accepting clients again"
	ctl status api
	assertEquals "status after: $ERR" 0 "$RC"
}

# ---- finding 9: command line, table, durations ----

test_lines_option_forms() {
	{
		printf '[service talk]\n'
		printf "command = sh -c 'echo \$\$ >> %s/talk.pids; echo one; echo two; echo three; exec sleep 1000'\n\n" "$T"
	} >"$CONF"
	start_ready || return
	wait_for "three lines" "$WAIT" logs_has talk three || return
	local f
	for f in "-n 2" "--lines 2" "--lines=2"; do
		# shellcheck disable=SC2086
		ctl logs talk $f
		assertEquals "logs $f: $ERR" 0 "$RC"
		assertEquals "logs $f: the last two" "two three" "$(awk '{ print $NF }' <<<"$OUT" | tr '\n' ' ' | sed 's/ $//')"
	done
	for f in "--lines=" "--lines=x" "--lines=-1" "-n -1"; do
		# shellcheck disable=SC2086
		ctl logs talk $f
		assertEquals "logs $f: usage error" 2 "$RC"
	done
	run "$CTL" -s "$SOCK" -n talk status
	assertEquals "-s with -n: usage error" 2 "$RC"
	assertContains "says why: $ERR" "$ERR" "-s and -n"
	run "$CTL" -n talk -s "$SOCK" status
	assertEquals "-n with -s: usage error" 2 "$RC"
}

# col_of LINE TEXT: the 0-based column where TEXT starts in LINE.
col_of() { local pre=${1%%"$2"*}; echo "${#pre}"; }
# word_at LINE COL: the word that starts at COL in LINE.
word_at() { local w=${1:$2}; echo "${w%% *}"; }

test_status_table_aligned() {
	{
		svc_conf api
		printf '[service a_service_with_a_name_well_over_twenty]\n'
		printf 'command = %s/busy\nbackoff_initial = 10s\n\n' "$T"
	} >"$CONF"
	# A program that cannot run for now: open for writing (ETXTBSY), a
	# failure worth retrying, so the service waits in backoff.
	cp /bin/true "$T/busy"
	sleep 1000 8>>"$T/busy" &
	OTHER_PIDS+=($!)
	start_ready || return
	wait_state a_service_with_a_name_well_over_twenty backoff || return
	wait_state api up || return
	ctl status
	assertEquals "status: $ERR" 0 "$RC"
	local head long short c
	head=$(head -n 1 <<<"$OUT")
	long=$(grep '^a_service_with' <<<"$OUT")
	short=$(grep '^api ' <<<"$OUT")
	# The long exit text: "exec-failed Text file busy, 1.2s ago".
	assertContains "the long exit text: $long" "$long" "exec-failed Text file busy, "
	local name=${long%% *}
	assertEquals "STATE starts after the longest name" $((${#name} + 1)) "$(col_of "$head" STATE)"
	assertEquals "api's state under STATE" "$(col_of "$head" STATE)" "$(col_of "$short" up)"
	assertEquals "backoff under STATE" "$(col_of "$head" STATE)" "$(col_of "$long" backoff)"
	c=$(col_of "$head" 'LAST EXIT')
	assertEquals "exit text under LAST EXIT" "$c" "$(col_of "$long" exec-failed)"
	assertEquals "api's - under LAST EXIT" "-" "${short:$c:1}"
	c=$(col_of "$head" 'NEXT START')
	assertTrue "NEXT START after the longest exit text: $head / $long" \
		"[ $c -gt $(col_of "$long" ' ago') ]"
	assertTrue "the next start under NEXT START: '${long:$c}'" "grep -Eq '^[0-9.]+m?s\$' <<<'$(word_at "$long" "$c")'"
	assertEquals "api's next start under NEXT START" "-" "$(word_at "$short" "$c")"
	c=$(col_of "$head" 'INFO')
	assertEquals "nothing under INFO" "- -" "$(word_at "$long" "$c") $(word_at "$short" "$c")"
	# Every line as long as its content: no trailing blanks.
	assertFalse "no trailing blanks" "grep -q ' \$' <<<\"\$OUT\""
}

# The same duration format in the daemon's log and in status: a backoff of
# two hours is "2h00m" in the log, and "1h59m" in status a moment later.
test_durations_one_format() {
	{
		printf '[service slow]\n'
		printf "command = sh -c 'echo \$\$ >> %s/slow.pids; exit 3'\n" "$T"
		printf 'backoff_initial = 2h\nbackoff_max = 2h\n\n'
	} >"$CONF"
	start_ready || return
	wait_state slow backoff || return
	wait_log "slow: exited with status 3 after .*, restarting in" || return
	assertTrue "the log says 2h00m: $(grep 'restarting in' "$LOG")" \
		"log_has 'slow: exited with status 3 after [0-9.]+m?s, restarting in 2h00m\$'"
	ctl status slow
	local row c head
	head=$(head -n 1 <<<"$OUT")
	row=$(grep '^slow ' <<<"$OUT")
	c=$(col_of "$head" 'NEXT START')
	assertEquals "status shows the next start as 1h59m" "1h59m" "$(word_at "$row" "$c")"
	assertTrue "the exit, how long ago, the same format: $row" \
		"grep -Eq 'exited 3, [0-9.]+m?s ago' <<<\"\$row\""
}

# guardiand itself, in the foreground, writes to a terminal too: the
# services' lines and its own messages (config errors naming what a file
# holds) come out escaped.
test_foreground_output_escaped() {
	evil_conf >"$CONF"
	start_ready || return
	wait_for "evil's stderr line on guardiand's stderr" "$WAIT" log_has 'evil\[[0-9]+\]: \\x1b\[31merr' || return
	terminal_safe "$LOG"
	assertTrue "no raw control byte from guardiand -F: $(od -c "$LOG" | head -5)" $?
	assertTrue "the stdout line, escaped" "grep -qF 'A\\x1b]0;owned\\x07B' '$LOG'"
	printf '[service x]\ncommand = true\n\033]0;owned\007 = 1\n' >"$T/bad.conf"
	run "$GUARDIAND" -t -f "$T/bad.conf"
	assertEquals "a bad key is an error" 1 "$RC"
	terminal_safe "$T/run.err"
	assertTrue "-t's error, escaped: $(od -c "$T/run.err" | head -5)" $?
	assertContains "-t names the key, escaped: $ERR" "$ERR" '\x1b]0;owned\x07'
}

# shellcheck disable=SC1090
. "$SHUNIT2"
