# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are used by the suites
#
# A private rsyslogd for the syslog suites, sourced after lib.sh.
#
# rs_start [SOCKET] starts a real rsyslogd in the foreground of the test (-n)
# that listens on a unix datagram socket (default $RS_SOCK, in $T) and writes
# every message it gets to $SYSLOG, one a line, as
#
#     FACILITY.SEVERITY TAG[PID]: text          e.g. daemon.info api[4242]: hello
#
# Its config, pidfile and work directory live in $T, and its main queue is in
# memory only, so nothing lands outside $T. rs_stop stops it by pid (SIGCONT
# first: a test may have stopped it with SIGSTOP) and waits until it is gone;
# rs_teardown, called by the suite's tearDown, does that for every rsyslogd
# the test started, and shows the end of $SYSLOG when the test failed.

RSYSLOGD=${RSYSLOGD:-$(command -v rsyslogd || echo /usr/sbin/rsyslogd)}

rs_setup() {
	RS_SOCK=$T/log.sock
	SYSLOG=$T/syslog.out
	RS_PID=
	RS_PIDS=()
	RS_N=0
}

# rs_conf SOCKET N: writes $T/rsyslog.N.conf (its own pidfile and work dir:
# the old rsyslogd may still be on its way out when a new one starts).
rs_conf() {
	local sock=$1 n=$2
	mkdir -p "$T/rs.$n"
	cat >"$T/rsyslog.$n.conf" <<-EOF
		global(workDirectory="$T/rs.$n" maxMessageSize="64k")
		main_queue(queue.type="FixedArray" queue.size="300000")
		module(load="imuxsock" SysSock.Use="off")
		input(type="imuxsock" Socket="$sock" CreatePath="on" RateLimit.Interval="0")
		template(name="guardiand_test" type="string"
		         string="%syslogfacility-text%.%syslogseverity-text% %syslogtag%%msg%\n")
		*.* action(type="omfile" file="$SYSLOG" template="guardiand_test")
	EOF
}

sock_exists() { [ -S "$1" ]; }
sock_absent() { [ ! -e "$1" ]; }

# rs_start [SOCKET]: starts rsyslogd on SOCKET (default $RS_SOCK), sets
# RS_PID, and returns once the socket is there.
rs_start() {
	local sock=${1:-$RS_SOCK}
	RS_N=$((RS_N + 1))
	rs_conf "$sock" "$RS_N"
	"$RSYSLOGD" -n -f "$T/rsyslog.$RS_N.conf" -i "$T/rsyslog.$RS_N.pid" \
		</dev/null >>"$T/rsyslogd.log" 2>&1 &
	RS_PID=$!
	RS_PIDS+=("$RS_PID")
	wait_for "rsyslogd to listen on $sock" "$WAIT" sock_exists "$sock"
}

# rs_stop [PID]: SIGCONT, SIGTERM (rsyslogd writes what it has queued), wait
# until it is gone; SIGKILL after a deadline.
rs_stop() {
	local pid=${1:-$RS_PID}
	[ -n "$pid" ] || return 0
	kill -CONT "$pid" 2>/dev/null
	terminate "$pid" rsyslogd
	wait "$pid" 2>/dev/null
	return 0
}

# rs_teardown: every rsyslogd resumed first (so that a guardiand blocked on
# a stopped one can stop), then the daemons, then the rsyslogds.
rs_teardown() {
	local p
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	for p in "${RS_PIDS[@]}"; do kill -CONT "$p" 2>/dev/null; done
	for p in "${DAEMON_PIDS[@]}"; do stop_daemon "$p"; done
	for p in "${RS_PIDS[@]}"; do rs_stop "$p"; done
	if [ "${__shunit_testSuccess:-0}" != "${SHUNIT_TRUE:-0}" ]; then
		if [ -s "$SYSLOG" ]; then
			echo "  ---- last lines of syslog ($(nlines "$SYSLOG") lines) ----"
			tail -n 30 "$SYSLOG" | cut -c1-200 | sed 's/^/  | /'
		fi
		if [ -s "$T/rsyslogd.log" ]; then
			echo "  ---- rsyslogd's own output ----"
			tail -n 10 "$T/rsyslogd.log" | sed 's/^/  | /'
		fi
	fi
}

# ---- reading $SYSLOG ----

# syslog_has ERE / count_syslog ERE / wait_syslog ERE [SECS]
syslog_has() { file_has "$SYSLOG" "$1"; }
count_syslog() { grep -Ec -- "$1" "$SYSLOG" 2>/dev/null; }
syslog_count_ge() { [ "$(count_syslog "$1")" -ge "$2" ]; }
wait_syslog() { wait_for "syslog line /$1/" "${2:-$WAIT}" syslog_has "$1"; }
# syslog_line ERE: the number of the first line of $SYSLOG matching ERE.
syslog_line() { grep -En -- "$1" "$SYSLOG" 2>/dev/null | head -n 1 | cut -d: -f1; }

# syslog_texts PRI TAG: the texts of the messages with that priority and tag
# (any pid), in the order they arrived.
syslog_texts() {
	sed -n "s/^$1 $2\[[0-9]*\]: //p" "$SYSLOG" 2>/dev/null
}

# syslog_conf [SOCKET]: a [guardiand] section pointing to the private rsyslogd.
syslog_conf() {
	printf '[guardiand]\nsyslog_socket = %s\n\n' "${1:-$RS_SOCK}"
}

# script_conf NAME SCRIPT [LINE...]: a [service NAME] running `sh $T/NAME.sh`,
# SCRIPT written there (no ini quoting or line-length worries). Scripts record
# their pid with `echo $$ >> $T/NAME.pids` themselves when they need to.
script_conf() {
	local name=$1
	printf '%s\n' "$2" >"$T/$name.sh"
	shift 2
	printf '[service %s]\ncommand = sh %s/%s.sh\n' "$name" "$T" "$name"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# wait_count_syslog DESC ERE N SECS [STALL]: waits until N lines match ERE;
# gives up early, failing, if their count has not moved for STALL seconds
# (default 15) - so a lossy run fails in seconds, not at the deadline.
wait_count_syslog() {
	local desc=$1 re=$2 n=$3 secs=$4 stall=${5:-15} deadline c last=-1 moved
	deadline=$(($(now_us) + secs * 1000000))
	moved=$(now_us)
	while :; do
		c=$(count_syslog "$re")
		[ "$c" -ge "$n" ] && return 0
		if [ "$c" != "$last" ]; then last=$c moved=$(now_us); fi
		if [ "$(now_us)" -gt "$deadline" ]; then
			fail "timed out after ${secs}s waiting for $desc: $c of $n"
			return 1
		fi
		if [ "$(now_us)" -gt $((moved + stall * 1000000)) ]; then
			fail "no progress for ${stall}s waiting for $desc: stuck at $c of $n"
			return 1
		fi
		sleep 0.1
	done
}

# numbers_report EXPECTED_FILE GOT_FILE: sets MISSING DUPS (counts) and
# ORDER_OK (true when GOT is EXPECTED in order with nothing else), and
# MISSING_LIST (the missing numbers, sorted).
numbers_report() {
	MISSING_LIST=$(comm -23 <(sort -u "$1") <(sort -u "$2") | sort -n)
	MISSING=$(printf '%s' "$MISSING_LIST" | grep -c .)
	DUPS=$(sort -n "$2" | uniq -d | grep -c .)
	if cmp -s "$1" "$2"; then ORDER_OK=true; else ORDER_OK=false; fi
}

# dropped_reported: the sum of N over "syslog: N lines dropped" reports.
dropped_reported() {
	grep -Eo 'syslog: [0-9]+ lines? dropped' "$SYSLOG" 2>/dev/null |
		awk '{ s += $2 } END { print s + 0 }'
}
