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
	needs_root || return 0
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

# ---- as from the caller's shell (the nohup replacement) ----

# api_script DIR: DIR/api, an executable script that records its pid, writes
# what it sees (directory, umask, $FOO, descriptor and stack limits) to
# $T/api.out and sleeps.
api_script() {
	mkdir -p "$1"
	cat >"$1/api" <<-EOF
		#!/bin/sh
		echo \$\$ >> $T/api.pids
		echo "\$(pwd) \$(umask) \$FOO \$(ulimit -n) \$(ulimit -s)" > $T/api.out
		exec sleep 1000
	EOF
	chmod 755 "$1/api"
}

# "${IN_DIR[@]}" DIR CMD...: CMD run from DIR with umask 027, descriptor
# limit 300, stack limit 4096 KiB and FOO='a b' in its environment.
# shellcheck disable=SC2016  # for sh -c
IN_DIR=(sh -c 'cd "$1" && umask 027 && ulimit -S -n 300 && ulimit -S -s 4096 &&
	shift && FOO="a b" exec "$@"' sh)

# The README's first example: `cd /srv/app && guardiand -- ./api`.
test_oneshot_detached_runs_like_the_shell() {
	api_script "$T/app"
	RUN_TIMEOUT=30 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -p "$PIDFILE" "${SOCK_ARGS[@]}" -- ./api
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	wait_for "api to report" "$WAIT" file_has "$T/api.out" . || return
	assertEquals "directory, umask, environment, limits of the caller" \
		"$T/app 0027 a b 300 4096" "$(cat "$T/api.out")"
	is_alive "$(last_pid api)"
	assertTrue "./api runs" $?
	assertEquals "started once" 1 "$(npids api)"
}

test_oneshot_foreground_relative_command() {
	api_script "$T/app"
	(cd "$T/app" && exec "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --name api -- ./api) \
		</dev/null >>"$LOG" 2>&1 &
	DPID=$!
	DAEMON_PIDS+=("$DPID")
	wait_starts api 1 || return
	wait_log "api: started, pid $(pid_n api 1)"
	assertEquals "directory" "$T/app" "$(readlink "/proc/$(pid_n api 1)/cwd")"
	assertFalse "no exec failure" "log_has 'cannot execute'"
}

# Options still say otherwise, and their relative paths mean the caller's.
test_oneshot_options_override_the_caller() {
	api_script "$T/app"
	mkdir "$T/app/sub"
	RUN_TIMEOUT=30 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -p "$PIDFILE" "${SOCK_ARGS[@]}" \
		--directory sub --umask 077 --env FOO=set -o limit_nofile=123 \
		-o stdout=file:out.log -- sh -c '../api; echo never'
	assertEquals "launcher exit status (stderr: $ERR)" 0 "$RC"
	wait_for "api to report" "$WAIT" file_has "$T/api.out" . || return
	assertEquals "the options' directory, umask, environment, limit" \
		"$T/app/sub 0077 set 123 4096" "$(cat "$T/api.out")"
	assertTrue "relative file output made absolute" "[ -f '$T/app/out.log' ]"
}

test_oneshot_unexecutable_command_is_an_error() {
	mkdir "$T/app" "$T/app/dir"
	printf 'echo hi\n' >"$T/app/data"
	local c
	for c in ./nope ./data ./dir "nosuch-command-$$" "$T/app/nope"; do
		RUN_TIMEOUT=15 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -p "$PIDFILE" "${SOCK_ARGS[@]}" -- "$c"
		assertEquals "$c: detached launcher's exit status" 1 "$RC"
		assertContains "$c: says why: $ERR" "$ERR" "cannot start: command \"$c\": "
		RUN_TIMEOUT=15 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" -- "$c"
		assertEquals "$c: foreground exit status" 1 "$RC"
		assertContains "$c: says why: $ERR" "$ERR" "cannot start: command \"$c\": "
	done
	assertContains "not found: $ERR" "$ERR" "No such file or directory"
	RUN_TIMEOUT=15 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -F -p "$PIDFILE" -- ./data
	assertContains "not executable: $ERR" "$ERR" "not an executable file"
	RUN_TIMEOUT=15 run "${IN_DIR[@]}" "$T/app" "$GUARDIAND" -F -p "$PIDFILE" -- "nosuch-command-$$"
	assertContains "not on PATH: $ERR" "$ERR" "not found in PATH"
	assertFalse "no pidfile" "[ -e '$PIDFILE' ]"
	assertFalse "no socket" "[ -e '$SOCK' ]"
}

# ---- the end of the one service is guardiand's end ----

test_oneshot_exits_with_the_service_status() {
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart never -- sh -c 'exit 3'
	assertEquals "exit 3 under restart never (stderr: $ERR)" 3 "$RC"
	assertContains "says why it exits: $ERR" "$ERR" "sh will not be started again, exiting with status 3"
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart never -- sh -c 'kill -TERM $$'
	assertEquals "killed by TERM: 128 + 15" 143 "$RC"
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart on-failure -- sh -c 'exit 0'
	assertEquals "success under on-failure" 0 "$RC"
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --give-up-after 3 \
		--backoff-initial 10ms -- sh -c "echo \$\$ >> $T/gu.pids; exit 5"
	assertEquals "gave up: the last status" 5 "$RC"
	assertEquals "gave up after 3 starts" 3 "$(npids gu)"
	assertFalse "pidfile removed" "[ -e '$PIDFILE' ]"
	assertFalse "socket removed" "[ -e '$SOCK' ]"
}

# What the service left running is stopped before guardiand exits.
test_oneshot_exit_stops_leftovers() {
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart never --stop-timeout 5s -- \
		sh -c "sleep 1000 & echo \$! >> $T/left.pids; exit 4"
	assertEquals "exit status of the service (stderr: $ERR)" 4 "$RC"
	assertEquals "one leftover recorded" 1 "$(npids left)"
	is_gone "$(pid_n left 1)"
	assertTrue "the leftover sleep is stopped" $?
}

# guardianctl stop is the operator's pause, not the end: start brings it back.
test_oneshot_operator_stop_is_not_the_end() {
	spawn_fg -p "$PIDFILE" "${SOCK_ARGS[@]}" --name rec --restart never -- sh -c "$(recorder "$T/rec.pids")"
	wait_starts rec 1 || return
	RUN_TIMEOUT=30 run "$GUARDIANCTL" -s "$SOCK" stop rec
	assertEquals "stop (stderr: $ERR)" 0 "$RC"
	RUN_TIMEOUT=30 run "$GUARDIANCTL" -s "$SOCK" start rec
	assertEquals "start after stop: guardiand still there (stderr: $ERR)" 0 "$RC"
	wait_starts rec 2 || return
	is_alive "$DPID"
	assertTrue "guardiand runs on" $?
}

# ---- option values ----

# shellcheck disable=SC2016  # the service's sh expands
test_oneshot_env_value_with_blanks() {
	RUN_TIMEOUT=30 run "$GUARDIAND" -F -p "$PIDFILE" "${SOCK_ARGS[@]}" --restart never \
		--env 'A=x  y' --env "B=it's \"q\" \$HOME" --env C= -- sh -c 'echo "[$A|$B|$C]"'
	assertEquals "exit status (stderr: $ERR)" 0 "$RC"
	assertContains "values as given: $ERR" "$ERR" "[x  y|it's \"q\" \$HOME|]"
}

test_oneshot_repeated_option_is_an_error() {
	local args
	for args in "--restart never --restart always" "--restart never -o restart=never" \
		"-o nice=1 -o nice=2" "--directory / --directory /tmp" "-n a -n b" \
		"-p $T/a.pid -p $T/b.pid" "-s $T/a.sock -s $T/b.sock"; do
		# shellcheck disable=SC2086  # the words of $args are options
		RUN_TIMEOUT=15 run "$GUARDIAND" -F $args -- sh -c "$(recorder "$T/x.pids")"
		assertEquals "$args: exit status" 1 "$RC"
		assertContains "$args: says so: $ERR" "$ERR" "given more than once"
	done
	assertEquals "nothing started" 0 "$(npids x)"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
