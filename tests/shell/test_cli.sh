#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck disable=SC2317  # shunit2 hooks are called indirectly
# shellcheck source-path=SCRIPTDIR
# guardiand's command line: relative paths once detached, where the default
# pidfile and socket go (XDG_RUNTIME_DIR only when private), a second stop
# signal, syslog without a socket and in the foreground (-S), the socket
# directory a one-command instance made, and the usage in the man page.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=syslog_lib.sh
. "$(dirname "$0")/syslog_lib.sh"

setUp() { lib_setup && rs_setup; }
tearDown() {
	rs_teardown
	lib_teardown
}

# ---- relative paths ----

# -f, -p and -s relative to the directory guardiand was started in: the
# pidfile, socket and state file land there, guardianctl finds the daemon,
# and a reload reads the same file.
test_relative_paths_once_detached() {
	mkdir "$T/cwd"
	svc_conf api >"$T/cwd/x.conf"
	PIDFILES+=("$T/cwd/rel.pid")
	RUN_TIMEOUT=30 run sh -c 'cd "$1" && exec "$2" -f x.conf -p rel.pid -s rel.sock' sh \
		"$T/cwd" "$GUARDIAND"
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	local f
	for f in rel.pid rel.sock rel.state; do
		assertTrue "$f in the starting directory" "[ -e '$T/cwd/$f' ]"
	done
	wait_starts api 1 || return
	svc_conf web >>"$T/cwd/x.conf"
	RUN_TIMEOUT=30 run "$GUARDIANCTL" -s "$T/cwd/rel.sock" reload
	assertEquals "reload reads x.conf again (stderr: $ERR)" 0 "$RC"
	assertContains "and adds web: $OUT" "$OUT" "1 added"
	wait_starts web 1 || return
	local pid
	pid=$(tr -d ' \n' <"$T/cwd/rel.pid")
	stop_daemon "$pid"
	wait_for "guardiand to exit" "$WAIT" is_gone "$pid" || return
	for f in rel.pid rel.sock rel.state; do
		assertFalse "$f removed at exit" "[ -e '$T/cwd/$f' ]"
	done
}

# ---- XDG_RUNTIME_DIR ----

# A world-writable XDG_RUNTIME_DIR (as if it were /tmp) or one of another
# user is not used: guardiand and guardianctl both fall back to the private
# /tmp/guardiand-UID, and guardiand says why. What guardiand made there is
# gone when it exits.
test_xdg_runtime_dir_must_be_private() {
	needs_root || return 0
	local uid fallback had_fallback=false ww=$T/ww mine=$T/mine
	uid=$(id -u nobody)
	fallback=/tmp/guardiand-$uid
	[ -e "$fallback" ] && had_fallback=true
	mkdir -p "$ww" "$T/work" "$mine"
	chmod 1777 "$ww"
	chown nobody:nogroup "$T/work" "$mine"
	chmod 770 "$mine"
	PIDFILES+=("$fallback/xg.pid")
	RUN_TIMEOUT=30 run env XDG_RUNTIME_DIR="$ww" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$GUARDIAND" --name xg -- sh -c "echo \$\$ >> $T/work/xg.pids; exec sleep 1000"
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertContains "says why XDG_RUNTIME_DIR is not used: $ERR" "$ERR" "XDG_RUNTIME_DIR=$ww"
	assertEquals "nothing in the world-writable directory" "" "$(ls -A "$ww")"
	assertTrue "pidfile in $fallback" "[ -s '$fallback/xg.pid' ]"
	local pid
	pid=$(tr -d ' \n' 2>/dev/null <"$fallback/xg.pid")
	assertEquals "process in the pidfile" guardiand "$(proc_comm "$pid")"
	RUN_TIMEOUT=30 run env XDG_RUNTIME_DIR="$ww" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$GUARDIANCTL" -n xg status xg
	assertEquals "guardianctl finds it in the same place (stderr: $ERR)" 0 "$RC"
	# Group-writable, though ours: not used either (no daemon needed to see
	# where guardianctl looks).
	RUN_TIMEOUT=30 run env XDG_RUNTIME_DIR="$mine" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$GUARDIANCTL" -n other status
	assertEquals "not running" 3 "$RC"
	assertContains "looks in $fallback: $ERR" "$ERR" "$fallback/other.sock"
	stop_daemon "$pid"
	wait_for "guardiand to exit" "$WAIT" is_gone "$pid" || return
	if $had_fallback; then
		assertFalse "its pidfile removed" "[ -e '$fallback/xg.pid' ]"
		assertFalse "its socket removed" "[ -e '$fallback/xg.sock' ]"
	else
		assertFalse "the directory it made removed" "[ -e '$fallback' ]"
	fi
}

# ---- signals ----


# second_signal SIG STATUS: a second SIG while stopping kills the group and
# exits at once with STATUS, long before stop_timeout.
second_signal() {
	# stub: its sleep ignores SIGTERM, and stop_timeout is long.
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" --name stub --stop-timeout 60s -- \
		sh -c "trap '' TERM; echo \$\$ >> $T/stub.pids; exec sleep 1000"
	wait_starts stub 1 || return
	local pid start
	pid=$(pid_n stub 1)
	wait_log "stub: started, pid $pid" || return
	kill "-$1" "$DPID"
	wait_log "stub: stopping, pid $pid, sending TERM" || return
	is_alive "$pid"
	assertTrue "$1: the service ignores TERM" $?
	start=$(now_us)
	kill "-$1" "$DPID"
	wait_for "guardiand to exit after a second $1" 10 is_gone "$DPID" || return
	wait "$DPID"
	assertEquals "$1: exit status 128 + signal" "$2" $?
	assertTrue "$1: exits within 5 s" "[ $(($(now_us) - start)) -lt 5000000 ]"
	wait_for "the service to be killed" 5 is_gone "$pid" || return
	log_has "$1 while stopping: killing every service's processes now"
	assertTrue "$1: says so" $?
	assertFalse "$1: pidfile removed" "[ -e '$PIDFILE' ]"
	# with cgroups: it waited for the killed to be gone, and removed them
	local cg
	cg=$(sed -n 's/^guardiand: cgroup tracking in //p' "$LOG")
	cg=${cg//\\\\/\\}	# the log writes a backslash as two
	if [ -n "$cg" ]; then
		assertFalse "$1: its cgroups removed: $(ls -R "$cg" 2>&1 | head -n 5)" "[ -e '$cg' ]"
	fi
}

test_second_sigint_kills_now() { second_signal INT 130; }
test_second_sigterm_kills_now() { second_signal TERM 143; }

# ---- syslog ----

# Detached with nothing listening on the syslog socket: a warning before
# detaching; none when syslog is there.
test_warns_when_nothing_listens_on_syslog() {
	{
		syslog_conf "$T/nosuch.sock"
		svc_conf api
	} >"$CONF"
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertContains "warns: $ERR" "$ERR" "nothing listens on the syslog socket $T/nosuch.sock"
	assertContains "says what is lost: $ERR" "$ERR" "log and its services' output will be lost"
	stop_daemon "$DPID"
	RUN_TIMEOUT=30 run "$GUARDIAND" -p "$T/f.pid" -s "$T/f.sock" -o stdout=file:"$T/out" \
		-o stderr=null -- sh -c "$(printf 'echo $$ >> %s/f.pids; exec sleep 1000' "$T")"
	PIDFILES+=("$T/f.pid")
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertContains "output to files: only the log is lost: $ERR" "$ERR" "guardiand's log will be lost"
	rs_start || return
	{
		syslog_conf
		svc_conf api
	} >"$CONF"
	start_detached
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertNotContains "no warning with syslog there: $ERR" "$ERR" "nothing listens"
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -p "$T/fg.pid" -s "$T/fg.sock" --restart never -- true
	assertEquals "foreground: exit status (stderr: $ERR)" 0 "$RC"
	assertNotContains "none in the foreground: $ERR" "$ERR" "nothing listens"
}

# -F -S: in the foreground, the log and the services' lines go to syslog,
# not stderr; start-up errors still reach stderr.
test_foreground_syslog() {
	rs_start || return
	{
		syslog_conf
		printf '[service api]\ncommand = sh -c "echo $$ >> %s/api.pids; echo hello-syslog; exec sleep 1000"\n' "$T"
	} >"$CONF"
	start_fg -S
	wait_starts api 1 || return
	local pid
	pid=$(pid_n api 1)
	wait_syslog "^daemon\.info api\[$pid\]: hello-syslog$" || return
	wait_syslog "guardiand\[$DPID\]: api: started, pid $pid" || return
	assertFalse "the service's line not on stderr" "log_has hello-syslog"
	assertFalse "the log not on stderr" "log_has 'api: started'"
	assertEquals "in the foreground: our child" "$$" "$(status_field "$DPID" PPid)"
	# A start-up error after the switch to syslog is printed too.
	: >"$T/file"
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -S -f "$CONF" -p "$T/fg.pid" -s "$T/file"
	assertEquals "socket error: exit status" 6 "$RC"
	assertContains "printed: $ERR" "$ERR" "not a socket"
}

# ---- what a one-command instance made ----

# As root without -s, the socket goes to /run/guardiand/NAME.sock: the
# directory is removed at exit if this instance made it (and is empty), and
# left alone if it was there before.
test_run_dir_removed_after_oneshot() {
	needs_root || return 0
	local name="gdt$$" had=false
	[ -e /run/guardiand ] && had=true
	PIDFILES+=("/run/guardiand-$name.pid")
	RUN_TIMEOUT=30 run "$GUARDIAND" --name "$name" --restart never -- \
		sh -c "echo \$\$ >> $T/$name.pids; exec sleep 1000"
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertTrue "socket in /run/guardiand" "[ -S /run/guardiand/$name.sock ]"
	wait_starts "$name" 1 || return
	kill "$(pid_n "$name" 1)"
	# The service is finished for good: guardiand exits by itself.
	wait_for "guardiand to exit with its service" "$WAIT" \
		eval "[ ! -e /run/guardiand-$name.pid ]" || return
	wait_for "its socket to go" "$WAIT" eval "[ ! -e /run/guardiand/$name.sock ]" || return
	assertFalse "no state file left" "[ -e /run/guardiand-$name.state ]"
	if $had; then
		assertTrue "a directory it did not make is left" "[ -d /run/guardiand ]"
	else
		wait_for "the directory it made to go" "$WAIT" eval "[ ! -e /run/guardiand ]"
	fi
}

# ---- documentation ----

# Every option of the usage lines appears in guardiand(8)'s SYNOPSIS.
# `make run`'s demo (examples/demo.conf) does what its comments say: the
# crasher is restarted, client starts once web is ready and stops before
# it, and Ctrl-C ends it all.
test_make_run_demo() {
	cp "$TOP_DIR/examples/demo.conf" "$CONF"
	start_fg
	wait_log "web: ready after" || return
	wait_log "client: started" || return
	wait_log "crasher: exited with status 3 after .*, restarting in" || return
	assertTrue "client started after web was ready" \
		"[ $(grep -n 'web: ready after' "$LOG" | cut -d: -f1) -lt $(grep -n 'client: started' "$LOG" | cut -d: -f1) ]"
	log_has "client\\[[0-9]+\\]: web is ready: starting"
	assertTrue "client's output" $?
	kill -INT "$DPID"
	wait_for "guardiand to exit" "$WAIT" is_gone "$DPID" || return
	wait "$DPID"
	assertEquals "Ctrl-C: exit status 0" 0 $?
	assertTrue "client stopped before web" \
		"[ $(grep -n 'client: stopped' "$LOG" | cut -d: -f1) -lt $(grep -n 'web: stopped' "$LOG" | cut -d: -f1) ]"
}

test_man_synopsis_has_every_option() {
	local synopsis usage opt
	synopsis=$(sed -n '/^\.SH SYNOPSIS/,/^\.SH DESCRIPTION/p' "$TOP_DIR/man/guardiand.8" | sed 's/\\-/-/g')
	usage=$("$GUARDIAND" --help | sed -n '1,/^$/p')
	assertContains "usage shows -s" "$usage" "[-s socket]"
	for opt in $(grep -Eo '\[-[A-Za-z]+' <<<"$usage" | sort -u | tr -d '[-'); do
		if [ ${#opt} -gt 1 ]; then
			assertContains "SYNOPSIS has the flags -$opt" "$synopsis" "$opt"
		else
			assertContains "SYNOPSIS has -$opt" "$synopsis" "-$opt"
		fi
	done
	assertContains "--syslog in the man page" "$(sed 's/\\-/-/g' "$TOP_DIR/man/guardiand.8")" "--syslog"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
