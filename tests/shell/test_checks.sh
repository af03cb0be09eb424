#!/bin/bash
# shellcheck disable=SC2119,SC2120  # start_fg/start_ready take optional extra args
# shellcheck source-path=SCRIPTDIR
# What guardiand checks before it starts anything: guardiand -t (and the
# load at start and reload) refuses services that can never start,
# includes that are not regular files, config directories others can
# write, and a log_lines that would take too much memory; at run time a
# start that cannot work is one message and the fatal state, until a
# reload or guardianctl start.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# vanishing PATH [RM]: a program that deletes itself (with RM, default rm)
# and fails: there when the config is loaded, gone by its restart.
vanishing() {
	# shellcheck disable=SC2016  # $0 is the script's own
	printf '#!/bin/sh\n%s -f "$0"\nexit 1\n' "${2:-rm}" >"$1"
	chmod 755 "$1"
}
# line_of TEXT: the line number of the first line of $CONF holding TEXT.
line_of() { grep -nF -- "$1" "$CONF" | head -n 1 | cut -d: -f1; }
# check_t: guardiand -t on $CONF, bounded (a hang fails as exit 124).
check_t() { RUN_TIMEOUT=15 run "$GUARDIAND" -t -f "$CONF"; }

# ---- guardiand -t: services that can never start ----

test_t_refuses_services_that_cannot_start() {
	mkdir "$T/app"
	printf 'data\n' >"$T/app/notes.txt"
	{
		printf '[service u]\ncommand = /bin/sleep 1\nuser = nosuchuser\n'
		printf 'group = nosuchgroup\n\n'
		printf '[service d]\ncommand = /bin/sleep 1\ndirectory = /nonexistent\n\n'
		printf '[service x]\ncommand = /etc/passwd\n\n'
		printf '[service p]\ncommand = no-such-program-here --flag\n\n'
		printf '[service e]\ncommand = ""\n\n'
		printf '[service o]\ncommand = /bin/sleep 1\nstdout = file:/nonexistent/dir/x.log\n\n'
		printf '[service r]\ndirectory = %s/app\ncommand = ./notes.txt\n\n' "$T"
		printf '[service ok]\ncommand = sleep 1\n'
	} >"$CONF"
	check_t
	assertEquals "guardiand -t exit status: $OUT $ERR" 1 "$RC"
	assertNotContains "not OK" "$OUT" "configuration OK"
	local want
	for want in \
		"$(line_of 'user = nosuchuser'): unknown user \"nosuchuser\" for user" \
		"$(line_of 'group = nosuchgroup'): unknown group \"nosuchgroup\" for group" \
		"$(line_of 'directory = /nonexistent'): directory \"/nonexistent\": No such file or directory" \
		"$(line_of 'command = /etc/passwd'): command \"/etc/passwd\": not an executable file" \
		"$(line_of 'command = no-such'): command \"no-such-program-here\": not found in PATH" \
		"$(line_of 'command = ""'): command \"\": the program name is empty" \
		"$(line_of 'stdout = file:'): stdout \"file:/nonexistent/dir/x.log\": directory /nonexistent/dir: No such file or directory" \
		"$(line_of 'command = ./notes.txt'): command \"./notes.txt\": not an executable file"; do
		assertContains "-t says $want" "$ERR" "$CONF:$want"
	done
	assertEquals "one error line each, all file:line:" 8 \
		"$(grep -c "^$CONF:[0-9]*: " <<<"$ERR")"
	# guardiand does not start with them either
	start_detached
	assertEquals "guardiand refuses to start: $ERR" 1 "$RC"
	assertFalse "no pidfile" "[ -e '$PIDFILE' ]"
}

test_t_accepts_what_can_start() {
	needs_root || return 0
	mkdir "$T/app"
	printf '#!/bin/sh\nexec /bin/sleep 1000\n' >"$T/app/api"
	chmod 755 "$T/app/api"
	{
		printf '[service rel]\ndirectory = %s/app\ncommand = ./api\n' "$T"
		printf 'stdout = file:%s/app/out.log\nuser = nobody\ngroup = nogroup\n\n' "$T"
		printf '[service path]\nenvironment = PATH=/nonexistent:%s/app\ncommand = api\n' "$T"
	} >"$CONF"
	check_t
	assertEquals "guardiand -t: $ERR" 0 "$RC"
	assertEquals "configuration OK" "$OUT"
	# and they do start
	start_ready || return
	wait_state rel up || return
	wait_state path up
}

# ---- includes: regular files only, never a hang ----

test_t_fifo_include_is_an_error_not_a_hang() {
	mkdir "$T/conf.d"
	mkfifo "$T/conf.d/pipe.conf"
	printf '[guardiand]\ninclude = conf.d/*.conf\n\n[service a]\ncommand = sleep 1\n' >"$CONF"
	check_t
	assertEquals "guardiand -t returns, exit 1 (124: it hung): $ERR" 1 "$RC"
	assertContains "file:line, the pattern, the file and why" "$ERR" \
		"$CONF:2: include \"$T/conf.d/*.conf\": $T/conf.d/pipe.conf: not a regular file (a FIFO); refusing it"
}

test_t_proc_include_is_an_error_not_a_hang() {
	printf '[guardiand]\ninclude = /proc/self/*\n\n[service a]\ncommand = sleep 1\n' >"$CONF"
	check_t
	assertEquals "guardiand -t returns, exit 1 (124: it hung)" 1 "$RC"
	assertContains "a /proc file is refused" "$ERR" \
		"$CONF:2: include \"/proc/self/*\": /proc/self/status: a file of /proc or /sys, not a configuration file"
}

test_reload_with_fifo_include_stays_responsive() {
	mkdir "$T/conf.d"
	{
		printf '[guardiand]\ninclude = conf.d/*.conf\n\n'
		svc_conf base
	} >"$CONF"
	start_ready || return
	wait_starts base 1 || return
	mkfifo "$T/conf.d/pipe.conf"
	svc_conf added >"$T/conf.d/added.conf"
	kill -HUP "$DPID"
	wait_log "reload: configuration has errors, keeping the running one" || return
	assertTrue "the error names the FIFO" "log_has 'pipe.conf: not a regular file \(a FIFO\)'"
	ctl status
	assertEquals "guardianctl status answers after the reload: $ERR" 0 "$RC"
	assertContains "status shows base" "$OUT" "base"
	ctl reload
	assertEquals "guardianctl reload answers, with the errors" 1 "$RC"
	assertContains "reload's errors name the FIFO: $OUT $ERR" "$OUT $ERR" "not a regular file (a FIFO)"
	assertEquals "added not started" 0 "$(npids added)"
	assertEquals "base untouched" 1 "$(npids base)"
	# Once the FIFO is gone the reload applies.
	rm -f "$T/conf.d/pipe.conf"
	ctl reload
	assertEquals "reload without the FIFO: $ERR" 0 "$RC"
	wait_starts added 1
}

# ---- directories are checked like files ----

test_t_refuses_writable_include_directory() {
	needs_root || return 0
	mkdir "$T/conf.d"
	svc_conf a >"$T/conf.d/a.conf"
	chmod 0777 "$T/conf.d"
	printf '[guardiand]\ninclude = conf.d/*.conf\n' >"$CONF"
	check_t
	assertEquals "-t with a mode 0777 include directory" 1 "$RC"
	assertContains "says which directory and why: $ERR" "$ERR" \
		"$CONF:2: include \"$T/conf.d/*.conf\": $T/conf.d/a.conf: directory $T/conf.d is writable by others than root (owner uid 0, mode 0777); refusing it"
	chmod 0755 "$T/conf.d"
	check_t
	assertEquals "-t once it is 0755: $ERR" 0 "$RC"
}

test_t_refuses_writable_main_directory() {
	needs_root || return 0
	svc_conf a >"$CONF"
	chmod 0777 "$T"
	check_t
	chmod 0755 "$T"
	assertEquals "-t with the main file in a mode 0777 directory" 1 "$RC"
	assertContains "says why: $ERR" "$ERR" \
		"$CONF: directory $T is writable by others than root (owner uid 0, mode 0777); refusing it"
}

# ---- log_lines ----

test_log_lines_kept_as_asked_or_refused() {
	printf '[service a]\ncommand = sleep 1\nlog_lines = 100000\n' >"$CONF"
	check_t
	assertEquals "log_lines = 100000 with line_max 8192" 1 "$RC"
	assertContains "says the limit: $ERR" "$ERR" \
		"$CONF:1: service \"a\": log_lines = 100000 lines of up to line_max = 8192 bytes could take 782 MiB; at most 64 MiB (lower log_lines or line_max)"
	# 5000 lines of 120 bytes: 600 KB, past the 256 KiB it used to keep.
	# shellcheck disable=SC2016
	printf 'i=0\nwhile [ $i -lt 6000 ]; do i=$((i + 1)); printf "%%0120d\\n" $i; done\n' >"$T/many.sh"
	printf '[service many]\nlog_lines = 5000\nrestart = never\ncommand = sh %s/many.sh\n' "$T" >"$CONF"
	check_t
	assertEquals "-t: $ERR" 0 "$RC"
	start_ready || return
	wait_state many down || return
	local out n
	out=$(timeout 10 "$CTL" -s "$SOCK" logs many -n 100000)
	n=$(grep -c . <<<"$out")
	assertEquals "lines kept" 5000 "$n"
	assertContains "the last one is the 6000th" "$(tail -n 1 <<<"$out")" "$(printf '%0120d' 6000)"
	assertContains "the first one is the 1001st" "$(head -n 1 <<<"$out")" "$(printf '%0120d' 1001)"
}

# ---- at run time: a start that cannot work is FATAL, once ----

test_vanished_program_is_fatal_until_start() {
	# there at the load; it deletes itself on its first run and fails
	vanishing "$T/prog"
	printf '[service api]\ncommand = %s/prog\n' "$T" >"$CONF"
	start_ready || return
	wait_state api fatal || return
	assertEquals "last_exit" "exec-failed:No such file or directory" "$(jfield api last_exit)"
	assertEquals "starts" 2 "$(jfield api starts)"
	# No retries: past several backoffs (100ms, 200ms, 400ms...).
	observe_until $(($(now_us) + 1500000))
	assertEquals "still fatal" fatal "$(jfield api state)"
	assertEquals "still 2 starts" 2 "$(jfield api starts)"
	assertEquals "one message" 1 "$(count_log 'api: cannot execute')"
	assertTrue "the message says what and until when" \
		"log_has 'api: cannot execute $T/prog: No such file or directory; not retrying until a reload or guardianctl start'"
	# The program is back: an operator's start runs it.
	printf '#!/bin/sh\necho $$ >>%s/api.pids\nexec sleep 1000\n' "$T" >"$T/prog"
	chmod 755 "$T/prog"
	ctl start api
	assertEquals "guardianctl start: $ERR" 0 "$RC"
	wait_state api up
}

test_vanished_directory_is_fatal_until_reload() {
	mkdir "$T/app"
	# The first run removes its own (empty) working directory and fails.
	{
		printf '[service api]\ndirectory = %s/app\n' "$T"
		printf "command = sh -c 'echo \$\$ >>%s/api.pids; [ -e %s/once ] || { touch %s/once; rmdir \"\$PWD\"; exit 1; }; exec sleep 1000'\n" "$T" "$T" "$T"
	} >"$CONF"
	start_ready || return
	wait_state api fatal || return
	assertTrue "one clear message" \
		"log_has 'api: cannot change directory to $T/app: No such file or directory; not retrying until a reload or guardianctl start'"
	assertEquals "ran once" 1 "$(npids api)"
	mkdir "$T/app"
	# The same config again: the reload gives the fatal service a new try.
	kill -HUP "$DPID"
	wait_state api up || return
	assertEquals "ran again" 2 "$(npids api)"
}

test_deleted_group_is_fatal_until_start() {
	needs_root || return 0
	local g
	make_group g || return
	recording_conf api 'exit 1' "group = $g" 'backoff_initial = 3s' >"$CONF"
	start_ready || return
	wait_state api backoff || return
	# The group goes during the backoff: the restart cannot work.
	groupdel "$g" || return
	wait_state api fatal || return
	assertEquals "ran once" 1 "$(npids api)"
	assertEquals "one message" 1 "$(count_log "api: unknown group")"
	assertTrue "it says what and until when" \
		"log_has 'api: unknown group \"$g\"; not retrying until a reload or guardianctl start'"
	groupadd "$g" || return
	ctl start api --no-wait
	assertEquals "guardianctl start: $ERR" 0 "$RC"
	wait_starts api 2
}

test_start_of_missing_program_answers_at_once() {
	vanishing "$T/prog"
	{
		printf '[service api]\ncommand = %s/prog\n\n' "$T"
		printf '[service p]\nenvironment = PATH=%s\ncommand = prog2\n' "$T"
	} >"$CONF"
	# its PATH has no rm
	vanishing "$T/prog2" /bin/rm
	start_ready || return
	wait_state api fatal || return
	wait_state p fatal || return
	assertTrue "a PATH command that vanished: no fork, one message" \
		"log_has 'p: cannot execute prog2: not found \(PATH $T\); not retrying'"
	assertEquals "p's last exit in status" "exec-failed:No such file or directory" \
		"$(jfield p last_exit)"
	local t0
	t0=$(now_us)
	ctl start api p --timeout 20
	assertEquals "start of what cannot start: error" 1 "$RC"
	assertContains "names api: $ERR" "$ERR" "api"
	assertTrue "answered in under 5 s" "[ $(($(now_us) - t0)) -lt 5000000 ]"
	assertEquals "p fatal again" fatal "$(jfield p state)"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
