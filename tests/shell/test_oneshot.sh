#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck source-path=SCRIPTDIR
# One-command mode: guardiand [options] [--name NAME] [service options] -- COMMAND [ARG...]

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# The sh -c script of a guarded command that records its pid in FILE.
recorder() { printf 'echo $$ >> %s; exec sleep 1000' "$1"; }

test_oneshot_restarts_after_kill() {
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" -- sh -c "$(recorder "$T/one.pids")"
	wait_starts one 1 || return
	local p1
	p1=$(pid_n one 1)
	kill -KILL "$p1"
	wait_starts one 2 || return
	assertNotEquals "a new pid" "$p1" "$(pid_n one 2)"
	is_alive "$(pid_n one 2)"
	assertTrue "restarted command running" $?
	# NAME defaults to the basename of COMMAND.
	wait_log "sh: started, pid $p1"
}

test_oneshot_name() {
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" --name web -- /bin/sh -c "$(recorder "$T/web.pids")"
	wait_starts web 1 || return
	wait_log "web: started, pid $(pid_n web 1)"
}

test_oneshot_service_options() {
	mkdir "$T/work"
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" --name opts --env FOO=bar --env BAZ=qux \
		--directory "$T/work" --umask 027 --restart never -- \
		sh -c "echo \"\$FOO \$BAZ \$(pwd) \$(umask)\" > $T/opts.out; exit 3"
	wait_for "the command to run" "$WAIT" file_has "$T/opts.out" . || return
	assertEquals "environment, directory, umask" "bar qux $T/work 0027" "$(cat "$T/opts.out")"
	wait_log "opts: exited with status 3"
}

test_oneshot_any_key_with_o() {
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" --name anykey -o nice=7 \
		-o stdout=file:"$T/anykey.out" -o limit_nofile=123 -- \
		sh -c "echo hello; $(recorder "$T/anykey.pids")"
	wait_starts anykey 1 || return
	local p
	p=$(pid_n anykey 1)
	assertEquals "nice from -o nice=7" 7 "$(stat_field "$p" 19)"
	assertContains "limit from -o limit_nofile=123" \
		"$(grep 'open files' "/proc/$p/limits")" " 123 "
	wait_for "stdout in the file" "$WAIT" file_has "$T/anykey.out" '^hello$' || return
	RUN_TIMEOUT=15 run "$GUARDIAND" -t -o bogus=1 -- true
	assertEquals "unknown key: exit status" 1 "$RC"
	assertContains "names the key: $ERR" "$ERR" 'unknown key "bogus"'
	RUN_TIMEOUT=15 run "$GUARDIAND" -t -o command=ls -- true
	assertEquals "command through -o: exit status" 1 "$RC"
	RUN_TIMEOUT=15 run "$GUARDIAND" -t -o nice -- true
	assertEquals "no =: exit status" 1 "$RC"
}

test_oneshot_nonroot_default_pidfile() {
	local xdg=$T/xdg
	mkdir "$xdg" "$T/work"
	chown nobody:nogroup "$xdg" "$T/work"
	chmod 700 "$xdg"
	if ! setpriv --reuid=nobody --regid=nogroup --clear-groups test -w "$T/work"; then
		fail "nobody cannot reach $T (make ${TMPDIR:-/tmp} traversable)"
		return
	fi
	PIDFILES+=("$xdg/guardiand-nb.pid")
	RUN_TIMEOUT=30 run env XDG_RUNTIME_DIR="$xdg" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$GUARDIAND" -s "$xdg/control.sock" --name nb -- sh -c "$(recorder "$T/work/nb.pids")"
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	assertTrue "pidfile at \$XDG_RUNTIME_DIR/guardiand-nb.pid" "[ -s '$xdg/guardiand-nb.pid' ]"
	local pid
	pid=$(tr -d ' \n' 2>/dev/null <"$xdg/guardiand-nb.pid")
	assertEquals "process in the pidfile" guardiand "$(proc_comm "$pid")"
	assertEquals "runs as nobody" "$(id -u nobody)" "$(status_field "$pid" Uid | cut -f1)"
	wait_for "nb to start" "$WAIT" lines_ge "$T/work/nb.pids" 1 || return
	is_alive "$(tail -n 1 "$T/work/nb.pids")"
	assertTrue "the command runs" $?
}

test_oneshot_bad_option_value() {
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart sometimes -- sh -c "$(recorder "$T/x.pids")"
	assertEquals "exit status" 1 "$RC"
	assertContains "message names the bad value: $ERR" "$ERR" "sometimes"
	assertEquals "nothing started" 0 "$(npids x)"
	assertFalse "no pidfile" "[ -e '$PIDFILE' ]"
}

test_oneshot_missing_command() {
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --
	assertEquals "exit status with nothing after --" 1 "$RC"
	assertNotNull "a message on stderr" "$ERR"
	RUN_TIMEOUT=15 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --name x --restart never --
	assertEquals "exit status with options but nothing after --" 1 "$RC"
	assertNotNull "a message on stderr" "$ERR"
	assertFalse "no pidfile" "[ -e '$PIDFILE' ]"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
