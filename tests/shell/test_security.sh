#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck source-path=SCRIPTDIR
# Security and process hygiene, each checked from /proc of the real service
# process: privilege drop (user=, group=, supplementary groups through NSS,
# the identity's environment), descriptors a service inherits, environment=,
# environment_file= and clear_environment=, resource limits, nice,
# no_new_privileges and umask, StrictModes on config files (guardiand -t
# and reload), pidfile and socket safety, nothing of a stopped service left
# running (process group and setsid'd descendants), and guardiand as the
# child subreaper of its services' orphans.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

DEFAULT_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ---- local helpers ----

# svc_pid NAME: the service's pid from `status NAME --json` (0 when none).
svc_pid() {
	timeout 10 "$CTL" -s "$SOCK" status "$1" --json 2>/dev/null |
		jq -r '.[0].pid // 0' 2>/dev/null
}

# sleep_svc NAME [LINE...]: a [service NAME] whose command is `sleep 1000`
# with no shell in between, so its environment and descriptors are exactly
# what guardiand gave it. Its pid comes from guardianctl (a service running
# as nobody cannot write into $T).
sleep_svc() {
	local name=$1
	shift
	printf '[service %s]\ncommand = sleep 1000\n' "$name"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

# svc_sleeping NAME: NAME's process runs sleep (it has exec'd); sets SPID.
svc_sleeping() {
	SPID=$(svc_pid "$1")
	case "$SPID" in '' | 0 | *[!0-9]*) return 1 ;; esac
	[ "$(proc_comm "$SPID")" = sleep ]
}

# wait_sleep NAME: wait until NAME runs sleep; sets SPID and records it in
# $T/tracked.pids, which tearDown kills (kill_recorded_pid) if still alive.
wait_sleep() {
	wait_for "service $1 running sleep" "$WAIT" svc_sleeping "$1" || return 1
	echo "$SPID" >>"$T/tracked.pids"
}

# env_of PID: the process's initial environment, one entry a line, sorted.
env_of() { tr '\0' '\n' <"/proc/$1/environ" | sort; }
# has_line TEXT LINE: TEXT has LINE as a whole line.
has_line() { grep -qxF -- "$2" <<<"$1"; }
# env_keys PID: the names only, sorted, space separated.
env_keys() { env_of "$1" | sed 's/=.*//' | sort | tr '\n' ' '; }

# sorted_words WORDS...: the words sorted numerically and unique, one line.
sorted_words() { printf '%s\n' "$@" | grep -v '^$' | sort -nu | tr '\n' ' '; }

# limit_of PID NAME: "SOFT HARD" of the /proc/PID/limits line NAME.
limit_of() {
	awk -v n="$2" 'index($0, n) == 1 { print $(NF - 2), $(NF - 1) }' "/proc/$1/limits"
}

# children_of PID: live (non-zombie) children of PID.
children_of() {
	local d
	for d in /proc/[0-9]*; do
		read_stat "${d#/proc/}" && [ "${STAT[1]}" = "$1" ] &&
			[ "${STAT[0]}" != Z ] && [ "${STAT[0]}" != X ] && echo "${d#/proc/}"
	done
	return 0
}

# comm_is PID NAME
comm_is() { [ "$(proc_comm "$1")" = "$2" ]; }
# ppid_is PID PPID
ppid_is() { [ "$(status_field "$1" PPid)" = "$2" ]; }
# proc_vanished PID: no /proc entry at all (exited and reaped, not a zombie).
proc_vanished() { [ ! -e "/proc/$1" ]; }

# poll_until SECS CMD...: like wait_for, but only returns the outcome
# (0 when CMD became true before the deadline) without failing the test.
poll_until() {
	local deadline=$(($(now_us) + $1 * 1000000))
	shift
	until "$@"; do
		[ "$(now_us)" -gt "$deadline" ] && return 1
		sleep 0.03
	done
	return 0
}

# kill_sleep PID: SIGKILL a process we started, by pid, if it still is a sleep.
kill_sleep() {
	is_alive "$1" && [ "$(proc_comm "$1")" = sleep ] && kill -KILL "$1" 2>/dev/null
	return 0
}



# ---- 1. privilege drop ----

test_user_drops_privileges_and_sets_groups_and_env() {
	needs_root || return 0
	local g gid
	make_group g -U nobody || { fail "groupadd -U nobody failed"; return; }
	gid=$(getent group "$g" | cut -d: -f3)
	assertContains "nobody is in $g per id -G: $(id -G nobody)" " $(id -G nobody) " " $gid "

	sleep_svc api 'user = nobody' >"$CONF"
	start_fg
	wait_sleep api || return
	local p=$SPID
	assertEquals "Uid" "65534 65534 65534 65534" "$(status_field "$p" Uid | tr -s ' \t' ' ')"
	assertEquals "Gid" "65534 65534 65534 65534" "$(status_field "$p" Gid | tr -s ' \t' ' ')"
	local groups expect
	groups=$(status_field "$p" Groups)
	# shellcheck disable=SC2046,SC2086
	expect=$(sorted_words $(id -G nobody))
	# shellcheck disable=SC2086
	assertEquals "Groups are exactly id -G nobody" "$expect" "$(sorted_words $groups)"
	assertContains "temporary group $g ($gid) through initgroups/NSS" " $groups " " $gid "
	assertNotContains "no root group leaks: Groups '$groups'" " $groups " " 0 "

	local pw home shell env
	pw=$(getent passwd nobody)
	home=$(cut -d: -f6 <<<"$pw") shell=$(cut -d: -f7 <<<"$pw")
	env=$(env_of "$p")
	assertContains "HOME from passwd" "$env" "HOME=$home"
	assertContains "USER" "$env" "USER=nobody"
	assertContains "LOGNAME" "$env" "LOGNAME=nobody"
	assertContains "SHELL from passwd" "$env" "SHELL=$shell"
}

# supplementary_groups adds groups to the user's; an unknown one is fatal.
test_supplementary_groups() {
	needs_root || return 0
	local g gid
	make_group g || { fail "groupadd failed"; return; }
	gid=$(getent group "$g" | cut -d: -f3)
	{
		sleep_svc api 'user = nobody' "supplementary_groups = $g"
		sleep_svc bad 'user = nobody' 'supplementary_groups = gdt-no-such-group'
	} >"$CONF"
	start_fg
	wait_sleep api || return
	local groups expect
	groups=$(status_field "$SPID" Groups)
	# shellcheck disable=SC2046,SC2086
	expect=$(sorted_words $(id -G nobody) "$gid")
	# shellcheck disable=SC2086
	assertEquals "nobody's groups and $g" "$expect" "$(sorted_words $groups)"
	wait_log 'bad: unknown group "gdt-no-such-group" in supplementary_groups' || return
	wait_state bad fatal || return
	assertEquals "bad has no process" 0 "$(jfield bad pid)"
}

test_group_alone_sets_only_gid() {
	needs_root || return 0
	sleep_svc api 'group = nogroup' >"$CONF"
	start_fg
	wait_sleep api || return
	local p=$SPID
	assertEquals "Uid stays root" "0 0 0 0" "$(status_field "$p" Uid | tr -s ' \t' ' ')"
	assertEquals "Gid" "65534 65534 65534 65534" "$(status_field "$p" Gid | tr -s ' \t' ' ')"
	assertEquals "Groups exactly 65534" "65534" "$(status_field "$p" Groups | tr -d ' \t')"
}

test_unknown_user_never_starts() {
	{
		svc_conf bad 'user = no-such-user'
		sleep_svc ok
	} >"$CONF"
	local line
	line=$(grep -n 'user = no-such-user' "$CONF" | cut -d: -f1)
	# A config error (guardiand -t says so), so nothing starts at all.
	start_detached
	assertEquals "guardiand refuses the config: $ERR" 1 "$RC"
	assertContains "file:line names user and value: $ERR" "$ERR" \
		"$CONF:$line: unknown user \"no-such-user\" for user"
	assertEquals "bad never ran its command" 0 "$(npids bad)"
	assertEquals "ok was not started either" 0 "$(npids ok)"
}

# ---- 2. descriptors ----

# check_fds PID: exactly 0 1 2; 0 is /dev/null, 1 and 2 are pipes.
check_fds() {
	local p=$1 fds
	fds=$(find "/proc/$p/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -n | tr '\n' ' ')
	assertEquals "the service's descriptors: $(find "/proc/$p/fd" -mindepth 1 -printf '%f->%l ' 2>&1)" "0 1 2 " "$fds"
	assertEquals "fd 0" /dev/null "$(readlink "/proc/$p/fd/0")"
	assertContains "fd 1 is a pipe" "$(readlink "/proc/$p/fd/1")" "pipe:"
	assertContains "fd 2 is a pipe" "$(readlink "/proc/$p/fd/2")" "pipe:"
}

test_service_sees_only_stdio_fg() {
	sleep_svc api >"$CONF"
	start_fg 7>"$T/leak"
	wait_sleep api || return
	assertEquals "precondition: guardiand -F holds the leaked fd 7" "$T/leak" \
		"$(readlink "/proc/$DPID/fd/7")"
	check_fds "$SPID"
}

test_service_sees_only_stdio_detached() {
	sleep_svc api >"$CONF"
	start_detached 7>"$T/leak"
	assertEquals "detached start: $ERR" 0 "$RC"
	[ -n "$DPID" ] || return
	wait_sleep api || return
	check_fds "$SPID"
}

# ---- 3. environment ----

test_environment_file_and_overrides() {
	cat >"$T/env" <<-'EOF'
		# a comment

		FOO="a b"
		export BAR=1
		   # an indented comment
		BAZ=from-file

	EOF
	# several files, in order (as a unit's EnvironmentFile= lines): the
	# later one wins, a missing optional one is skipped
	printf 'BAR=2\nONLY2=yes\n' >"$T/env2"
	sleep_svc api "environment_file = $T/env -$T/missing $T/env2" \
		'environment = BAZ=from-conf QUX=2' >"$CONF"
	export GD_SEC_MARK=inherited
	start_fg
	unset GD_SEC_MARK
	wait_sleep api || return
	local env
	env=$(env_of "$SPID")
	has_line "$env" 'FOO=a b'
	assertTrue "FOO=\"a b\": value with its blank, quotes removed" $?
	has_line "$env" 'BAR=2'
	assertTrue "export BAR=1, then BAR=2 from the second file" $?
	has_line "$env" 'ONLY2=yes'
	assertTrue "the second file's own" $?
	has_line "$env" 'BAZ=from-conf'
	assertTrue "environment= overrides the file's BAZ" $?
	has_line "$env" 'QUX=2'
	assertTrue "QUX from environment=" $?
	assertNotContains "the file's BAZ is gone" "$env" "BAZ=from-file"
	assertContains "guardiand's own environment inherited" "$env" "GD_SEC_MARK=inherited"
	assertNotContains "no comment became a variable" "$env" "comment"
	assertEquals "BAZ appears once" 1 "$(grep -c '^BAZ=' <<<"$env")"
}

test_clear_environment() {
	needs_root || return 0
	{
		sleep_svc plain 'clear_environment = yes' 'environment = A=1 B="x y"'
		sleep_svc asuser 'clear_environment = yes' 'user = nobody' 'environment = A=1'
	} >"$CONF"
	export GD_SEC_MARK=inherited
	start_fg
	unset GD_SEC_MARK
	wait_sleep plain || return
	local p1=$SPID
	wait_sleep asuser || return
	local p2=$SPID
	assertEquals "only PATH, the GUARDIAND_SERVICE mark and what the config adds: $(env_of "$p1" | tr '\n' ' ')" \
		"A B GUARDIAND_SERVICE PATH " "$(env_keys "$p1")"
	assertContains "PATH is the default" "$(env_of "$p1")" "PATH=$DEFAULT_PATH"
	assertContains "B keeps its blank" "$(env_of "$p1")" "B=x y"
	assertEquals "with user=: PATH, the identity and A: $(env_of "$p2" | tr '\n' ' ')" \
		"A GUARDIAND_SERVICE HOME LOGNAME PATH SHELL USER " "$(env_keys "$p2")"
}

test_environment_file_missing() {
	{
		sleep_svc opt "environment_file = -$T/missing-opt"
		sleep_svc req "environment_file = $T/missing-req"
	} >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "a missing environment_file is no config error: $OUT $ERR" 0 "$RC"
	start_fg
	wait_sleep opt || return
	wait_log "req: .*$T/missing-req" || return
	wait_log "req: start failed" || return
	log_has "req: .*environment_file.*$T/missing-req.*No such file"
	assertTrue "the message names environment_file and the file: $(grep 'req:' "$LOG" | head -n 3)" $?
	assertEquals "req has no process" 0 "$(svc_pid req)"
	assertNotContains "no complaint about the optional file" "$(cat "$LOG")" "missing-opt"
	printf '[service x]\ncommand = /bin/true\nenvironment_file = /a rel\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "a relative one: $ERR" "$ERR" "$CONF:3: environment_file: \"rel\" is not an absolute path"
}

# ---- 4. limits and priority ----

test_limits_nice_nnp_umask_oom() {
	{
		sleep_svc tight 'limit_nofile = 100:200' 'limit_core = 0' 'limit_nproc = 50' \
			'limit_as = 1G' 'nice = 5' 'no_new_privileges = yes' 'umask = 027' \
			'oom_score_adjust = 300'
		sleep_svc plain
	} >"$CONF"
	start_fg
	wait_sleep tight || return
	local p=$SPID
	wait_sleep plain || return
	local q=$SPID
	assertEquals "Max open files" "100 200" "$(limit_of "$p" 'Max open files')"
	assertEquals "Max core file size" "0 0" "$(limit_of "$p" 'Max core file size')"
	assertEquals "Max processes" "50 50" "$(limit_of "$p" 'Max processes')"
	assertEquals "Max address space" "1073741824 1073741824" "$(limit_of "$p" 'Max address space')"
	assertEquals "nice (stat field 19)" 5 "$(stat_field "$p" 19)"
	assertEquals "NoNewPrivs with no_new_privileges" 1 "$(status_field "$p" NoNewPrivs)"
	assertEquals "Umask" 0027 "$(status_field "$p" Umask)"
	assertEquals "NoNewPrivs of guardiand itself (precondition)" 0 "$(status_field "$DPID" NoNewPrivs)"
	assertEquals "NoNewPrivs without it" 0 "$(status_field "$q" NoNewPrivs)"
	assertEquals "nice without it" 0 "$(stat_field "$q" 19)"
	assertEquals "default Umask" 0022 "$(status_field "$q" Umask)"
	assertEquals "oom_score_adj" 300 "$(cat "/proc/$p/oom_score_adj")"
	assertEquals "guardiand's oom_score_adj without it" \
		"$(cat "/proc/$DPID/oom_score_adj")" "$(cat "/proc/$q/oom_score_adj")"
}

# Limits above the hard one and a lower oom_score_adj, which root without
# CAP_SYS_RESOURCE (a container) may not set: as systemd does, the limit
# is the closest permitted and the oom_score_adj is ignored, each said in
# the service's log, and the service runs. With the privilege, both are
# exactly as asked.
test_limits_above_what_is_permitted_are_the_closest() {
	sleep_svc big 'limit_nofile = infinity' 'oom_score_adjust = -999' >"$CONF"
	start_fg
	wait_sleep big || return
	local p=$SPID hard
	hard=$(limit_of "$DPID" 'Max open files')
	hard=${hard#* }
	if [ "$(limit_of "$p" 'Max open files')" = "unlimited unlimited" ]; then
		assertEquals "asked, and permitted: -999" -999 "$(cat "/proc/$p/oom_score_adj")"
	else
		assertEquals "the closest: guardiand's own hard limit" "$hard $hard" \
			"$(limit_of "$p" 'Max open files')"
		wait_log "big\\[$p\\]: guardiand: limit_nofile: the hard limit cannot be raised here" || return
		if [ "$(cat "/proc/$p/oom_score_adj")" != -999 ]; then
			wait_log "big\\[$p\\]: guardiand: oom_score_adjust: not permitted here, ignored" || return
		fi
	fi
}

# capabilities = (AmbientCapabilities=): a service run as nobody keeps
# CAP_NET_BIND_SERVICE, and binds a port under 1024 with it (caddy's :80);
# without it the bind is refused. capability_bounding_set cuts what even a
# root service may have.
test_capabilities_and_bounding_set() {
	needs_root || return 0
	local port
	for port in $(shuf -i 600-1000 -n 20); do
		"$PY" -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1])))' "$port" 2>/dev/null && break
	done
	mkdir "$T/n" && chown nobody "$T/n" || return
	cat >"$T/bind.py" <<-PY
	import socket, sys
	try:
	    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	    s.bind(("127.0.0.1", $port)); r = "bound"
	except OSError as e:
	    r = "refused: %s" % e.strerror
	open("$T/n/" + sys.argv[1], "w").write(r + "\\n")
	PY
	{
		printf '[service cap]\ncommand = %s %s cap\nuser = nobody\nrestart = never\n' "$PY" "$T/bind.py"
		printf 'capabilities = CAP_NET_BIND_SERVICE\n\n'
		printf '[service nocap]\ncommand = %s %s nocap\nuser = nobody\nrestart = never\n\n' "$PY" "$T/bind.py"
		sleep_svc bounded 'capability_bounding_set = net_bind_service CAP_KILL'
		sleep_svc kept 'user = nobody' 'capabilities = CAP_NET_BIND_SERVICE' \
			'no_new_privileges = yes'
	} >"$CONF"
	start_fg
	wait_for "cap's bind" "$WAIT" test -s "$T/n/cap" || return
	wait_for "nocap's bind" "$WAIT" test -s "$T/n/nocap" || return
	assertEquals "with capabilities, as nobody, port $port" bound "$(cat "$T/n/cap")"
	assertEquals "without" "refused: Permission denied" "$(cat "$T/n/nocap")"
	wait_sleep bounded || return
	assertEquals "bounding set: NET_BIND_SERVICE and KILL" 0000000000000420 "$(status_field "$SPID" CapBnd)"
	assertEquals "root's effective set within it" 0000000000000420 "$(status_field "$SPID" CapEff)"
	wait_sleep kept || return
	assertEquals "ambient as nobody" 0000000000000400 "$(status_field "$SPID" CapAmb)"
	assertEquals "effective as nobody, only that" 0000000000000400 "$(status_field "$SPID" CapEff)"
	assertEquals "uid" 65534 "$(status_field "$SPID" Uid | awk '{print $1}')"
	printf '[service x]\ncommand = /bin/true\ncapabilities = CAP_NO_SUCH\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertContains "unknown name: $ERR" "$ERR" "$CONF:3: unknown capability \"CAP_NO_SUCH\" for capabilities"
}

# ---- 5. StrictModes ----

test_strict_modes_check() {
	needs_root || return 0
	mkdir "$T/conf.d"
	{
		printf '[guardiand]\ninclude = %s/conf.d/*.conf\n\n' "$T"
		sleep_svc api
	} >"$CONF"
	chmod 0644 "$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "control: the config as root's, mode 0644: $OUT $ERR" 0 "$RC"

	chmod 0666 "$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "-t on a mode 0666 config" 1 "$RC"
	assertContains "-t says why (0666)" "$OUT $ERR" "writable by others than root"
	chmod 0644 "$CONF"

	sleep_svc extra >"$T/conf.d/extra.conf"
	chmod 0644 "$T/conf.d/extra.conf"
	chown nobody "$T/conf.d/extra.conf"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "-t with a drop-in owned by nobody" 1 "$RC"
	assertContains "-t says why (drop-in)" "$OUT $ERR" "writable by others than root"
	assertContains "-t names the drop-in" "$OUT $ERR" "$T/conf.d/extra.conf"
}

test_strict_modes_reload_ctl() {
	needs_root || return 0
	sleep_svc api >"$CONF"
	chmod 0644 "$CONF"
	start_fg
	wait_sleep api || return
	local p=$SPID
	sleep_svc added >>"$CONF"
	chmod 0666 "$CONF"
	ctl reload
	assertEquals "guardianctl reload of a mode 0666 config: $OUT $ERR" 1 "$RC"
	assertContains "reload answer says why" "$OUT $ERR" "writable by others than root"
	wait_log "writable by others than root" || return
	ctl status added
	assertEquals "the new service was not added" 4 "$RC"
	assertEquals "api keeps running with the same pid" "$p" "$(svc_pid api)"
	is_alive "$p"
	assertTrue "api's process $p alive" $?
}

test_strict_modes_reload_sighup_dropin() {
	needs_root || return 0
	mkdir "$T/conf.d"
	{
		printf '[guardiand]\ninclude = %s/conf.d/*.conf\n\n' "$T"
		sleep_svc api
	} >"$CONF"
	chmod 0644 "$CONF"
	start_fg
	wait_sleep api || return
	local p=$SPID
	sleep_svc added >"$T/conf.d/added.conf"
	chmod 0644 "$T/conf.d/added.conf"
	chown nobody "$T/conf.d/added.conf"
	kill -HUP "$DPID"
	wait_log "added.conf.*writable by others than root" || return
	wait_log "reload: .*(error|keeping)" || return
	ctl status added
	assertEquals "the drop-in's service was not added" 4 "$RC"
	assertEquals "api keeps running with the same pid" "$p" "$(svc_pid api)"
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
}

# ---- 6. pidfile and socket ----

test_pidfile_symlink_refused() {
	svc_conf api >"$CONF"
	# A dangling link: the target must not be created.
	ln -s "$T/target" "$T/pid.link"
	PIDFILES+=("$T/pid.link" "$T/target")
	run "$GUARDIAND" -f "$CONF" -p "$T/pid.link" "${SOCK_ARGS[@]}"
	assertEquals "exit status, dangling symlink pidfile: $ERR" 3 "$RC"
	assertContains "message" "$OUT $ERR" "symbolic link"
	assertFalse "the link's target was not created" "[ -e '$T/target' ]"
	# A link to an existing file: the file must not change.
	printf 'precious\n' >"$T/target2"
	chmod 0640 "$T/target2"
	local before after
	before=$(stat -c '%a %U %s %Y' "$T/target2")$(md5sum <"$T/target2")
	ln -s "$T/target2" "$T/pid.link2"
	PIDFILES+=("$T/pid.link2" "$T/target2")
	run "$GUARDIAND" -f "$CONF" -p "$T/pid.link2" "${SOCK_ARGS[@]}"
	assertEquals "exit status, symlink to a file: $ERR" 3 "$RC"
	assertContains "message" "$OUT $ERR" "symbolic link"
	after=$(stat -c '%a %U %s %Y' "$T/target2")$(md5sum <"$T/target2")
	assertEquals "the link's target unchanged" "$before" "$after"
	assertEquals "no service was started" 0 "$(npids api)"
	assertFalse "no control socket" "[ -e '$SOCK' ]"
}

test_pidfile_and_socket_modes() {
	needs_root || return 0
	sleep_svc api >"$CONF"
	local old
	old=$(umask)
	umask 000	# guardiand must not depend on the caller's umask
	start_detached
	umask "$old"
	assertEquals "detached start: $ERR" 0 "$RC"
	[ -n "$DPID" ] || return
	wait_sleep api || return
	assertEquals "pidfile mode and owner" "644 root root" "$(stat -c '%a %U %G' "$PIDFILE")"
	assertEquals "control socket mode, type, owner" "600 socket root" "$(stat -c '%a %F %U' "$SOCK")"
}

# ---- 7. nothing of a stopped service remains ----

test_stop_kills_process_group_member() {
	{
		printf '[service family]\n'
		printf "command = sh -c 'sleep 1000 & echo \$! >> %s/family.gc.pids; echo \$\$ >> %s/family.pids; wait'\n\n" "$T" "$T"
	} >"$CONF"
	start_fg
	wait_starts family 1 || return
	wait_for "grandchild recorded" "$WAIT" lines_ge "$T/family.gc.pids" 1 || return
	local main gc
	main=$(last_pid family) gc=$(tail -n 1 "$T/family.gc.pids")
	is_alive "$gc"
	assertTrue "grandchild $gc runs before the stop" $?
	assertEquals "grandchild is in the service's process group" "$main" "$(stat_field "$gc" 5)"
	ctl stop family
	assertEquals "guardianctl stop family: $ERR" 0 "$RC"
	wait_for "family down" "$WAIT" state_is family down || return
	wait_for "main process $main gone" "$WAIT" is_gone "$main" || return
	wait_for "grandchild $gc gone" "$WAIT" is_gone "$gc" || return
	group_alive "$main"
	assertFalse "process group $main empty" $?
}

test_stop_kills_setsid_descendant() {
	cat >"$CONF" <<-EOF
		[service escaper]
		command = sh -c 'setsid sh -c "echo \\\$\\\$ >> $T/esc.pids; exec sleep 1000" & echo \$\$ >> $T/escaper.pids; wait'

	EOF
	start_fg
	wait_starts escaper 1 || return
	wait_for "setsid'd descendant recorded" "$WAIT" lines_ge "$T/esc.pids" 1 || return
	local main esc
	main=$(last_pid escaper) esc=$(tail -n 1 "$T/esc.pids")
	wait_for "descendant $esc runs sleep" "$WAIT" comm_is "$esc" sleep || return
	assertEquals "precondition: the descendant leads its own session" "$esc" "$(stat_field "$esc" 6)"
	assertNotEquals "precondition: it left the service's process group" "$main" "$(stat_field "$esc" 5)"
	ctl stop escaper
	assertEquals "guardianctl stop escaper: $ERR" 0 "$RC"
	wait_for "escaper down" "$WAIT" state_is escaper down || return
	wait_for "main process $main gone" "$WAIT" is_gone "$main" || return
	# Give guardiand a bounded chance to deal with it after the stop.
	if poll_until 3 is_gone "$esc"; then
		assertTrue "escaped setsid descendant is gone after stop" 0
	else
		fail "escaped setsid descendant survives stop: pid $esc ($(proc_comm "$esc")), PPid $(status_field "$esc" PPid) (guardiand $DPID), session $(stat_field "$esc" 6), 3s after escaper was reported down"
		kill_sleep "$esc"
		wait_for "escaped $esc killed by the test" "$WAIT" is_gone "$esc"
	fi
}

# ---- 8. child subreaper ----

test_orphans_reparented_to_guardiand() {
	{
		printf '[service parent]\n'
		printf "command = sh -c 'sleep 1000 & echo \$! >> %s/orphan.pids; echo \$\$ >> %s/parent.pids; exit 0'\n" "$T" "$T"
		printf 'restart = never\n\n'
	} >"$CONF"
	start_fg
	wait_starts parent 1 || return
	wait_for "orphan recorded" "$WAIT" lines_ge "$T/orphan.pids" 1 || return
	local main orphan
	main=$(last_pid parent) orphan=$(tail -n 1 "$T/orphan.pids")
	wait_log "parent: exited with status 0" || return
	wait_for "service's main process $main reaped" "$WAIT" proc_vanished "$main" || return
	is_alive "$orphan"
	assertTrue "orphan $orphan still runs" $?
	wait_for "orphan $orphan reparented to guardiand $DPID (PPid now $(status_field "$orphan" PPid))" \
		"$WAIT" ppid_is "$orphan" "$DPID" || return
	# As its parent now, guardiand reaps it: no zombie is left behind.
	kill_sleep "$orphan"
	wait_for "orphan $orphan reaped by guardiand (no zombie)" "$WAIT" proc_vanished "$orphan"
}

# ---- 9. a guardiand killed with SIGKILL ----

# Its services survive it (they are in their own sessions). Started again,
# guardiand must terminate them before starting its own, not run a second
# copy beside them; a worker a service left behind goes too.
test_survivors_of_a_killed_daemon_are_terminated() {
	{
		svc_conf plain
		printf '[service stubborn]\n'
		printf "command = sh -c 'trap \"\" TERM; echo \$\$ >> %s/stubborn.pids; while :; do sleep 0.2; done'\n" "$T"
		printf '\n[service leaver]\n'
		printf "command = sh -c 'sleep 1000 & echo \$! >> %s/leftover.pids; echo \$\$ >> %s/leaver.pids; exit 0'\n" "$T" "$T"
		printf 'restart = never\n\n'
	} >"$CONF"
	start_fg
	local d1=$DPID
	wait_starts plain 1 || return
	wait_starts stubborn 1 || return
	wait_for "the leftover worker" "$WAIT" lines_ge "$T/leftover.pids" 1 || return
	local p1 s1 w1
	p1=$(last_pid plain) s1=$(last_pid stubborn) w1=$(tail -n 1 "$T/leftover.pids")
	wait_for "the state file lists the leftover" "$WAIT" \
		file_has "${PIDFILE%.pid}.state" "^leaver $(stat_field "$w1" 5) " || return
	kill -KILL "$d1"
	wait_for "guardiand $d1 gone" "$WAIT" is_gone "$d1" || return
	is_alive "$p1" && is_alive "$s1" && is_alive "$w1"
	assertTrue "its services outlive it" $?

	start_fg
	wait_for "plain's old process $p1 gone" "$WAIT" is_gone "$p1"
	wait_for "stubborn's old process $s1 gone (SIGKILL after 5 s)" "$WAIT" is_gone "$s1"
	wait_for "the leftover worker $w1 gone" "$WAIT" is_gone "$w1"
	wait_starts plain 2 || return
	wait_starts stubborn 2 || return
	RUN_TIMEOUT=20 run "$GUARDIANCTL" -s "$SOCK" status plain stubborn
	assertEquals "both run again (status: $OUT)" 0 "$RC"
	assertEquals "one plain process" 1 "$(alive_count "$T/plain.pids")"
	assertTrue "what it did is logged" \
		"log_has 'plain: processes of session $p1 survive from a previous guardiand: terminating them'"
	assertTrue "the SIGKILL too" "log_has 'survivors still there after 5.0s: sent KILL'"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
