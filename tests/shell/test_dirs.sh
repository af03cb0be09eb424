#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# runtime_directory (systemd's RuntimeDirectory=): made under /run (root)
# or XDG_RUNTIME_DIR before each start, owned by the service's user, with
# its mode; removed when the service stops, as runtime_directory_preserve
# says; a link or file in the way fails the start and is left alone.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# As root the directories are under /run: names unique to this test, and
# removed at teardown if a failure left them. Otherwise under an
# XDG_RUNTIME_DIR inside $T.
setUp() {
	lib_setup
	if [ "$(id -u)" = 0 ]; then
		BASE=/run
	else
		export XDG_RUNTIME_DIR=$T/xdg
		mkdir -m 700 "$XDG_RUNTIME_DIR"
		BASE=$XDG_RUNTIME_DIR
	fi
	RD=gdtest-$$-${RANDOM}
	mkdir "$T/n"	# what the service writes, as nobody too
	[ "$(id -u)" = 0 ] && chown nobody "$T/n"
	return 0
}
tearDown() {
	lib_teardown
	[ -n "${RD:-}" ] && rm -rf --one-file-system "${BASE:?}/$RD"
	return 0
}

# rd_conf NAME LINES...: a service that records its pid, what its
# RUNTIME_DIRECTORY is and who owns it with which mode, and leaves a file
# in it.
rd_conf() {
	local name=$1
	shift
	cat >"$T/$name.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/$name.pids
	echo "\$RUNTIME_DIRECTORY" >$T/n/$name.env
	stat -c '%U %a' "\$RUNTIME_DIRECTORY" >$T/n/$name.stat
	touch "\$RUNTIME_DIRECTORY/x"
	exec sleep 1000
	SCRIPT
	chmod 755 "$T/$name.sh"
	printf '[service %s]\ncommand = %s\n' "$name" "$T/$name.sh"
	printf '%s\n' "$@"
}

test_made_owned_and_removed() {
	local user mode=750 as=
	user=$(id -un)
	if [ "$(id -u)" = 0 ]; then user=nobody mode=2750 as='user = nobody'; fi
	rd_conf api "runtime_directory = $RD" "runtime_directory_mode = $mode" \
		"$as" >"$CONF"
	start_ready || return
	wait_for "the service to see its directory" "$WAIT" test -s "$T/n/api.stat" || return
	assertEquals "RUNTIME_DIRECTORY" "$BASE/$RD" "$(cat "$T/n/api.env")"
	assertEquals "owner and mode" "$user $mode" "$(cat "$T/n/api.stat")"
	ctl stop api
	assertEquals "stop: $ERR" 0 "$RC"
	assertFalse "removed at the stop, with what it held" "[ -e '$BASE/$RD' ]"
}

test_preserve_restart_keeps_it_across_a_restart() {
	rd_conf api "runtime_directory = $RD/inner" 'runtime_directory_preserve = restart' >"$CONF"
	start_ready || return
	wait_for "its file" "$WAIT" test -e "$BASE/$RD/inner/x" || return
	echo kept >"$BASE/$RD/inner/y"
	kill -KILL "$(pid_n api 1)"
	wait_starts api 2 || return
	assertEquals "kept across the restart" kept "$(cat "$BASE/$RD/inner/y" 2>/dev/null)"
	ctl stop api
	assertFalse "removed once stopped for good" "[ -e '$BASE/$RD/inner' ]"
	assertTrue "the directory made on the way is left" "[ -d '$BASE/$RD' ]"
}

test_preserve_no_empties_it_at_each_run() {
	rd_conf api "runtime_directory = $RD" >"$CONF"
	start_ready || return
	wait_for "its file" "$WAIT" test -e "$BASE/$RD/x" || return
	echo old >"$BASE/$RD/y"
	rm -f "$T/n/api.stat"
	kill -KILL "$(pid_n api 1)"
	wait_starts api 2 || return
	wait_for "the new run to see its directory" "$WAIT" test -s "$T/n/api.stat" || return
	assertFalse "the last run's file is gone" "[ -e '$BASE/$RD/y' ]"
}

test_a_link_in_the_way_fails_the_start() {
	mkdir "$T/target" && echo precious >"$T/target/f" && chmod 700 "$T/target"
	ln -s "$T/target" "$BASE/$RD"
	rd_conf api "runtime_directory = $RD" 'runtime_directory_mode = 777' >"$CONF"
	start_ready || return
	wait_log "api: runtime_directory $BASE/$RD: something that is not a directory is in the way \\(a symbolic link is not followed\\); " || return
	wait_state api fatal || return
	assertEquals "never started" 0 "$(npids api)"
	assertEquals "the link's target untouched" "700 precious" \
		"$(stat -c %a "$T/target") $(cat "$T/target/f")"
	assertTrue "the link is left" "[ -L '$BASE/$RD' ]"
	rm -f "${BASE:?}/$RD"
}

test_bad_values_are_file_line_errors() {
	local v
	for v in "../x" "/run/x" "a/../b" "a//b" "a/" "." "x x"; do
		printf '[service api]\ncommand = /bin/true\nruntime_directory = %s\n' "$v" >"$CONF"
		run "$GUARDIAND" -t -f "$CONF"
		assertEquals "$v refused: $ERR" 1 "$RC"
		assertContains "$v: file:line" "$ERR" "$CONF:3: runtime_directory: "
	done
	printf '[service api]\ncommand = /bin/true\nruntime_directory_mode = 8\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "mode 8: $ERR" "$ERR" "$CONF:3: "
	printf '[service api]\ncommand = /bin/true\nruntime_directory = a a\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "named twice: $ERR" "$ERR" "named twice"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
