# shellcheck shell=bash
# shellcheck disable=SC2034  # variables set here are used by the suites
#
# Helpers for the shunit2 suites. A suite sources this file, defines its
# test_* functions and ends with `. "$SHUNIT2"`.
#
# Every test gets its own temp dir $T (config, pidfile, socket, logs and the
# pid files that services write all live there). tearDown stops every
# guardiand the test started and every service pid recorded in $T/*.pids, so
# nothing is left running even when an assertion failed half-way.
#
# Conventions:
#   $CONF $PIDFILE $SOCK $LOG  the default paths, all in $T
#   $T/NAME.pids               services append their pid here (svc_conf does)
#   wait_for DESC SECS CMD...  poll CMD until true, fail the test on timeout
#
# Note: in this container pid 1 never reaps orphans, so a detached process
# that exits stays a zombie with PPid 1: is_alive treats state Z as gone.

LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP_DIR=$(cd "$LIB_DIR/../.." && pwd)
GUARDIAND=${GUARDIAND:-$TOP_DIR/build/guardiand}
GUARDIANCTL=${GUARDIANCTL:-$TOP_DIR/build/guardianctl}
SHUNIT2=${SHUNIT2:-/usr/bin/shunit2}
SHUNIT_COLOR=${SHUNIT_COLOR:-none}
export LC_ALL=C

# Generous: the machine may be slow and noisy; a deadline costs nothing when
# things work.
WAIT=${WAIT:-20}

# ---- time ----

# Monotonic enough for deadlines: microseconds since the epoch, no fork.
now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "${t:-$(($(date +%s%N) / 1000))}"; }

# wait_for DESC TIMEOUT_S CMD...: re-runs CMD every 30 ms until it succeeds;
# on timeout fails the test with DESC and returns 1 (so `|| return`).
wait_for() {
	local desc=$1 secs=$2 deadline
	shift 2
	deadline=$(($(now_us) + secs * 1000000))
	until "$@"; do
		if [ "$(now_us)" -gt "$deadline" ]; then
			fail "timed out after ${secs}s waiting for: $desc"
			return 1
		fi
		sleep 0.03
	done
	return 0
}

# observe_until T_US: let time pass until the instant T_US (from now_us).
# Only for measuring how often something happens in a time window (a rate),
# never for waiting for a state: use wait_for for that.
observe_until() {
	while [ "$(now_us)" -lt "$1" ]; do sleep 0.05; done
}

# ---- processes ----

# read_stat PID: sets the array STAT to the fields of /proc/PID/stat after
# the comm field (which may hold spaces): STAT[0] is field 3, the state.
read_stat() {
	local s
	read -r s 2>/dev/null <"/proc/$1/stat" || return 1
	s=${s##*) }
	read -ra STAT <<<"$s"
}
# stat_field PID N: field N (3 and up, numbered as in proc(5)).
stat_field() { read_stat "$1" && echo "${STAT[$2 - 3]}"; }

# is_alive PID: the process exists and is not a zombie.
is_alive() {
	[ -n "${1:-}" ] && read_stat "$1" && [ "${STAT[0]}" != Z ] && [ "${STAT[0]}" != X ]
}
is_gone() { ! is_alive "$1"; }
# proc_comm PID: the process's name (/proc/PID/comm).
proc_comm() { local c; { read -r c <"/proc/$1/comm"; } 2>/dev/null && echo "$c"; }

# status_field PID KEY: a value from /proc/PID/status (PPid, Umask, Uid...).
status_field() {
	local k v
	while read -r k v; do
		[ "$k" = "$2:" ] && { echo "$v"; return 0; }
	done 2>/dev/null <"/proc/$1/status"
	return 1
}

# group_alive PGID: some live process is in process group PGID.
group_alive() {
	local d
	for d in /proc/[0-9]*; do
		read_stat "${d#/proc/}" && [ "${STAT[2]}" = "$1" ] &&
			[ "${STAT[0]}" != Z ] && [ "${STAT[0]}" != X ] && return 0
	done
	return 1
}
group_gone() { ! group_alive "$1"; }

# procs_in_T: pids of live processes whose command line mentions $T (any
# guardiand started with -f $T/..., or a service's sh -c '... $T/...').
procs_in_T() {
	local d p args
	[ -n "${T:-}" ] || return 0
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		if [ "$p" = "$$" ] || [ "$p" = "$BASHPID" ]; then continue; fi
		mapfile -d '' args 2>/dev/null <"$d/cmdline" || continue
		case "${args[*]}" in *"$T"*) is_alive "$p" && echo "$p" ;; esac
	done
	return 0
}
nothing_in_T() { [ -z "$(procs_in_T)" ]; }

# ---- files ----

nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
lines_ge() { [ "$(nlines "$1")" -ge "$2" ]; }
# npids NAME / pid_n NAME N / last_pid NAME: the pids a service recorded.
npids() { nlines "$T/$1.pids"; }
pid_n() { sed -n "${2}p" "$T/$1.pids" 2>/dev/null; }
last_pid() { tail -n 1 "$T/$1.pids" 2>/dev/null; }
# wait_starts NAME N: wait until service NAME has started N times.
wait_starts() { wait_for "$1 to have started $2 time(s)" "$WAIT" lines_ge "$T/$1.pids" "$2"; }
file_has() { grep -Eq -- "$2" "$1" 2>/dev/null; }
log_has() { file_has "$LOG" "$1"; }
count_log() { grep -Ec -- "$1" "$LOG" 2>/dev/null; }
log_count_ge() { [ "$(count_log "$1")" -ge "$2" ]; }
wait_log() { wait_for "log line /$1/" "$WAIT" log_has "$1"; }
# pidfile_holds FILE PID
pidfile_holds() { [ -f "$1" ] && [ "$(tr -d ' \n' 2>/dev/null <"$1")" = "$2" ]; }

# recording_conf NAME THEN [LINE...]: a [service NAME] section whose command
# records its pid in $T/NAME.pids and then runs the sh code THEN; LINEs are
# more keys.
recording_conf() {
	local name=$1 then=$2
	shift 2
	printf '[service %s]\n' "$name"
	printf "command = sh -c 'echo \$\$ >> %s/%s.pids; %s'\n" "$T" "$name" "$then"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# svc_conf NAME [LINE...]: one that then becomes `sleep 1000` (exec keeps
# the pid).
svc_conf() { recording_conf "$1" 'exec sleep 1000' "${@:2}"; }

# kids_alive NAME: how many of the detached children NAME recorded in
# $T/NAME.kids are alive (the daemonizing tests); kids_ge NAME N: N or
# more recorded.
kids_alive() { if [ -f "$T/$1.kids" ]; then alive_count "$T/$1.kids"; else echo 0; fi; }
kids_alive_is() { [ "$(kids_alive "$1")" = "$2" ]; }
kids_ge() { lines_ge "$T/$1.kids" "$2"; }

# free_port: a TCP port of 127.0.0.1 nothing listens on now.
free_port() {
	"${PY:-python3}" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# alive_count FILE: how many of the pids listed in FILE are alive.
alive_count() {
	local p n=0
	while read -r p; do is_alive "$p" && n=$((n + 1)); done <"$1"
	echo "$n"
}

# refused_at_its_line "KEY = VALUE"...: each, alone in a service section,
# is a configuration error at its own line (guardiand -t).
refused_at_its_line() {
	local kv
	for kv in "$@"; do
		printf '[service api]\ncommand = /bin/true\n%s\n' "$kv" >"$CONF"
		run "$GUARDIAND" -t -f "$CONF"
		assertEquals "$kv refused: $ERR" 1 "$RC"
		assertContains "$kv: file:line" "$ERR" "$CONF:3: "
	done
}

# ---- the daemon ----

# run CMD...: runs CMD bounded in time (RUN_TIMEOUT, default 60 s), with
# stdin from /dev/null; sets RC, OUT and ERR. Output goes to files, not
# pipes, so that a detached daemon holding them cannot block the test.
run() {
	timeout -k 5 "${RUN_TIMEOUT:-60}" "$@" </dev/null >"$T/run.out" 2>"$T/run.err"
	RC=$?
	OUT=$(cat "$T/run.out")
	ERR=$(cat "$T/run.err")
}

# spawn_fg ARGS...: `guardiand -F ARGS` in the background of the test, output
# appended to $LOG; sets DPID and remembers it for tearDown.
spawn_fg() {
	"$GUARDIAND" -F "$@" </dev/null >>"$LOG" 2>&1 &
	DPID=$!
	DAEMON_PIDS+=("$DPID")
}

# start_fg [ARGS...]: the configured services, in the foreground.
start_fg() { spawn_fg -f "$CONF" -p "$PIDFILE" "${SOCK_ARGS[@]}" "$@"; }

# start_detached [ARGS...]: the launcher returns when the daemon is ready;
# sets RC/OUT/ERR, and DPID from the pidfile when RC is 0.
start_detached() {
	DPID=
	run "$GUARDIAND" -f "$CONF" -p "$PIDFILE" "${SOCK_ARGS[@]}" "$@"
	if [ "$RC" -eq 0 ] && [ -f "$PIDFILE" ]; then
		DPID=$(tr -d ' \n' 2>/dev/null <"$PIDFILE")
		DAEMON_PIDS+=("$DPID")
	fi
	return "$RC"
}

# terminate PID WHAT: SIGTERM, wait for it to go, SIGKILL after a deadline.
terminate() {
	local pid=$1 deadline
	is_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null
	deadline=$(($(now_us) + WAIT * 1000000))
	while is_alive "$pid" && [ "$(now_us)" -lt "$deadline" ]; do sleep 0.03; done
	if is_alive "$pid"; then
		echo "  ($2 $pid ignored SIGTERM for ${WAIT}s: SIGKILL)"
		kill -KILL "$pid" 2>/dev/null
	fi
	return 0
}

# stop_daemon PID: terminate it; sets DSTATUS to its exit status when it is
# a child of this shell.
stop_daemon() {
	local pid=$1
	DSTATUS=
	[ -n "$pid" ] || return 0
	terminate "$pid" guardiand
	if jobs -p | grep -qx -- "$pid"; then
		wait "$pid" 2>/dev/null
		DSTATUS=$?
	fi
	return 0
}

# kill_recorded_pid PID: SIGKILL a pid a service recorded, and its group.
# Our services are sh or sleep: anything else is a reused pid, left alone.
kill_recorded_pid() {
	is_alive "$1" || return 0
	case "$(proc_comm "$1")" in sh | dash | bash | sleep) ;; *) return 0 ;; esac
	[ "$(stat_field "$1" 5)" = "$1" ] && kill -KILL -- "-$1" 2>/dev/null
	kill -KILL "$1" 2>/dev/null
}

# kill_and_wait PID...: processes a test told guardiand to let run, killed
# and gone before guardiand exits, so that nothing is left and guardiand
# can remove their cgroup.
kill_and_wait() {
	local p
	kill -KILL "$@" 2>/dev/null
	for p in "$@"; do
		wait_for "pid $p gone" "$WAIT" is_gone "$p" || return
	done
}

# ---- shunit2 hooks ----

lib_setup() {
	T=$(mktemp -d "${TMPDIR:-/tmp}/guardiand-test.XXXXXX") || return 1
	chmod 755 "$T"	# traversable by the unprivileged user of test_oneshot
	CONF=$T/guardiand.conf
	PIDFILE=$T/guardiand.pid
	SOCK=$T/control.sock
	LOG=$T/guardiand.log
	: >"$LOG"
	DAEMON_PIDS=()
	OTHER_PIDS=()	# other processes the test started (stale-pidfile sleeps...)
	PIDFILES=("$PIDFILE")	# pidfiles whose daemon tearDown must stop
	DPID=
	SOCK_ARGS=(-s "$SOCK")	# the control socket in $T too
	return 0
}

# needs_root || return 0: a test that needs root (users, groups, chown,
# root-owned files) is skipped, and said to be, when run as another user,
# as Debian's build daemons run a package's tests.
needs_root() {
	[ "$(id -u)" = 0 ] && return 0
	echo "  needs root: skipped"
	startSkipping
	return 1
}

# make_group VAR [groupadd ARGS...]: a temporary group, its name in VAR;
# lib_teardown removes it.
MADE_GROUPS=()
make_group() {
	local _var=$1 _name="gdt$$_${#MADE_GROUPS[@]}"
	shift
	groupadd "$@" "$_name" || return 1
	MADE_GROUPS+=("$_name")
	printf -v "$_var" '%s' "$_name"
}

lib_teardown() {
	local p f g
	for g in "${MADE_GROUPS[@]}"; do groupdel "$g" 2>/dev/null; done
	MADE_GROUPS=()
	[ -n "${T:-}" ] && [ -d "$T" ] || return 0
	# The daemons: the ones we know, and any named in a pidfile we used.
	for f in "${PIDFILES[@]}"; do
		p=$(tr -d ' \n' 2>/dev/null <"$f")
		case "$p" in '' | *[!0-9]*) ;; *) [ "$(proc_comm "$p")" = guardiand ] && DAEMON_PIDS+=("$p") ;; esac
	done
	for p in "${DAEMON_PIDS[@]}"; do stop_daemon "$p"; done
	# Whatever services recorded (their pids; the detached children of
	# the daemonizing tests), and anything else still mentioning $T.
	for f in "$T"/*.pids "$T"/*/*.pids "$T"/*.kids; do
		[ -f "$f" ] || continue
		while read -r p; do
			case "$p" in '' | *[!0-9]*) ;; *) kill_recorded_pid "$p" ;; esac
		done <"$f"
	done
	# Kill them all before reaping any: `wait` on a pipeline's pid waits for
	# the whole pipeline.
	local others
	mapfile -t others < <(procs_in_T)
	others+=("${OTHER_PIDS[@]}")
	for p in "${others[@]}"; do kill -KILL "$p" 2>/dev/null; done
	for p in "${others[@]}"; do wait "$p" 2>/dev/null; done
	# On failure, show what the daemon said.
	if [ "${__shunit_testSuccess:-0}" != "${SHUNIT_TRUE:-0}" ] && [ -s "$LOG" ]; then
		echo "  ---- last lines of guardiand's log ----"
		tail -n 40 "$LOG" | sed 's/^/  | /'
	fi
	if isSkipping; then echo "SKIPPED: ${_shunit_test_:-?}"; fi
	rm -rf "$T"
	T=
	return 0
}

lib_onetime_setup() {
	if [ ! -x "$GUARDIAND" ]; then
		echo "guardiand binary not found at $GUARDIAND (build it first: make all)" >&2
		return 1
	fi
	return 0
}

# suite_of FILE: shunit2's suite() for a file that sources FILE and runs
# its tests again another way (the *_pgroup.sh files, without cgroups):
# shunit2 finds tests only in the text of the file it runs.
suite_of() {
	local t
	while read -r t; do
		suite_addTest "$t"
	done < <(grep -o '^test_[a-z0-9_]*' "$1")
}

setUp() { lib_setup; }
tearDown() { lib_teardown; }
oneTimeSetUp() { lib_onetime_setup; }
