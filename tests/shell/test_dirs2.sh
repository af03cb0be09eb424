#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# state_directory, cache_directory, logs_directory, configuration_directory
# (systemd's StateDirectory= and friends): made before each start under
# /var/lib, /var/cache, /var/log, /etc (here under GUARDIAND_DIRS_ROOT: the
# tests may not write there), owned by the service's user but the
# configuration one, never removed, in STATE_DIRECTORY and friends; and
# tmpfiles = (tmpfiles.d files made before each start, from overridden
# tmpfiles.d directories here), by guardiand's own d/D/f/L/z or by
# systemd-tmpfiles where it is installed.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

setUp() {
	lib_setup
	export GUARDIAND_DIRS_ROOT=$T/root
	export GUARDIAND_TMPFILES_DIRS=$T/etc.d:$T/run.d:$T/lib.d
	export GUARDIAND_SYSTEMD_TMPFILES=	# guardiand's own, unless a test says
	mkdir "$T/n" "$T/etc.d" "$T/lib.d"
	[ "$(id -u)" = 0 ] && chown nobody "$T/n"
	return 0
}
tearDown() {
	lib_teardown
	unset GUARDIAND_DIRS_ROOT GUARDIAND_TMPFILES_DIRS GUARDIAND_SYSTEMD_TMPFILES \
		XDG_CACHE_HOME
	return 0
}

# dirs_conf NAME LINES...: a service that records its pid and, for each
# kind, its variable and who owns each directory in it with which mode.
dirs_conf() {
	local name=$1
	shift
	cat >"$T/$name.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/$name.pids
	for v in STATE CACHE LOGS CONFIGURATION; do
		eval "d=\\\${\${v}_DIRECTORY:-}"
		echo "\$v=\$d" >>$T/n/$name.env.tmp
		IFS=:
		for p in \$d; do stat -c "\$p %U:%G %a" "\$p" >>$T/n/$name.stat.tmp; done
		unset IFS
	done
	mv $T/n/$name.env.tmp $T/n/$name.env
	mv $T/n/$name.stat.tmp $T/n/$name.stat
	exec sleep 1000
	SCRIPT
	chmod 755 "$T/$name.sh"
	printf '[service %s]\ncommand = %s\n' "$name" "$T/$name.sh"
	printf '%s\n' "$@"
}

test_each_kind_made_owned_and_kept() {
	needs_root || return 0
	local R=$T/root
	dirs_conf api 'user = nobody' 'state_directory = api api/db' \
		'state_directory_mode = 0750' 'cache_directory = api' \
		'cache_directory_mode = 0700' 'logs_directory = api' \
		'logs_directory_mode = 2750' 'configuration_directory = api' \
		'configuration_directory_mode = 0751' >"$CONF"
	start_ready || return
	wait_for "the service to see its directories" "$WAIT" test -s "$T/n/api.stat" || return
	assertEquals "the variables" "STATE=$R/var/lib/api:$R/var/lib/api/db
CACHE=$R/var/cache/api
LOGS=$R/var/log/api
CONFIGURATION=$R/etc/api" "$(cat "$T/n/api.env")"
	assertEquals "owners and modes" "$R/var/lib/api nobody:nogroup 750
$R/var/lib/api/db nobody:nogroup 750
$R/var/cache/api nobody:nogroup 700
$R/var/log/api nobody:nogroup 2750
$R/etc/api root:root 751" "$(cat "$T/n/api.stat")"
	echo kept >"$R/var/lib/api/db/f"
	ctl stop api
	assertEquals "stop: $ERR" 0 "$RC"
	assertEquals "never removed" kept "$(cat "$R/var/lib/api/db/f" 2>/dev/null)"
	assertTrue "the cache kept" "[ -d '$R/var/cache/api' ]"
}

# An existing directory keeps its mode; one someone else owns is given to
# the service's user with what it holds, links not followed.
test_an_existing_directory_is_given_over() {
	needs_root || return 0
	local R=$T/root
	mkdir -p "$R/var/lib/api/sub" "$T/precious"
	chmod 700 "$R/var/lib/api"
	echo x >"$R/var/lib/api/sub/f"
	ln -s "$T/precious" "$R/var/lib/api/link"
	dirs_conf api 'user = nobody' 'state_directory = api' >"$CONF"
	start_ready || return
	wait_for "the service to see its directory" "$WAIT" test -s "$T/n/api.stat" || return
	assertEquals "given over, its mode kept" "$R/var/lib/api nobody:nogroup 700" "$(cat "$T/n/api.stat")"
	assertEquals "what it holds too" "nobody nobody" \
		"$(stat -c %U "$R/var/lib/api/sub") $(stat -c %U "$R/var/lib/api/sub/f")"
	assertEquals "the link itself" nobody "$(stat -c %U "$R/var/lib/api/link")"
	assertEquals "not what it points to" root "$(stat -c %U "$T/precious")"
	wait_log "api: state_directory $R/var/lib/api: owned by 0:0, given to" || return
}

test_a_link_in_the_way_fails_the_start() {
	local R=$T/root
	# not root: the cache is under XDG_CACHE_HOME, here where root's is
	export XDG_CACHE_HOME=$R/var/cache
	mkdir -p "$R/var/cache" "$T/target"
	chmod 700 "$T/target"
	ln -s "$T/target" "$R/var/cache/api"
	dirs_conf api 'cache_directory = api' 'cache_directory_mode = 777' >"$CONF"
	start_ready || return
	wait_log "api: cache_directory $R/var/cache/api: something that is not a directory is in the way" || return
	wait_state api fatal || return
	assertEquals "never started" 0 "$(npids api)"
	assertEquals "the target untouched" 700 "$(stat -c %a "$T/target")"
	assertTrue "the link is left" "[ -L '$R/var/cache/api' ]"
}

# A guardiand that is not root: under the XDG directories, as systemd's
# user manager, owned by its user.
test_as_an_unprivileged_user() {
	needs_root || return 0
	local U=$T/u pid
	mkdir -p "$U/run" "$U/home"
	chown -R nobody:nogroup "$U"
	chmod 700 "$U/run"
	dirs_conf api 'state_directory = api' 'cache_directory = api' \
		'logs_directory = api' 'configuration_directory = api' \
		'configuration_directory_mode = 0700' >"$CONF"
	env -u GUARDIAND_DIRS_ROOT XDG_RUNTIME_DIR="$U/run" HOME="$U/home" \
		XDG_CACHE_HOME="$U/cache" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$GUARDIAND" -F -f "$CONF" -p "$U/run/g.pid" \
		-s "$U/run/ctl.sock" </dev/null >>"$LOG" 2>&1 &
	pid=$!
	DAEMON_PIDS+=("$pid")
	wait_for "the service to see its directories" "$WAIT" test -s "$T/n/api.stat" || return
	assertEquals "the variables" "STATE=$U/home/.local/state/api
CACHE=$U/cache/api
LOGS=$U/home/.local/state/log/api
CONFIGURATION=$U/home/.config/api" "$(cat "$T/n/api.env")"
	assertEquals "owners and modes" "$U/home/.local/state/api nobody:nogroup 755
$U/cache/api nobody:nogroup 755
$U/home/.local/state/log/api nobody:nogroup 755
$U/home/.config/api nobody:nogroup 700" "$(cat "$T/n/api.stat")"
}

test_tmpfiles_d_f_L_z_made() {
	# root gives the files away; anyone else may only name itself
	local X=$T/tree user group
	user=$(id -un) group=$(id -gn)
	if [ "$(id -u)" = 0 ]; then user=nobody group=nogroup; fi
	mkdir -p "$X/old"
	chmod 700 "$X/old"
	cat >"$T/lib.d/api.conf" <<-EOF
	# what boot would make
	d $X/run/api 0750 $user $group -
	f $X/run/api/file 0640 $user $group - hello
	L $X/run/link - - - - $X/run/api
	z $X/old 0755 - - -
	p $X/run/fifo 0644 - - -
	d- $X/run/%%pct 0700 - - -
	EOF
	cat >"$T/lib.d/masked.conf" <<-EOF
	d $X/masked 0755 - - -
	EOF
	printf 'd %s 0711 - - -\n' "$X/winner" >"$T/etc.d/masked.conf"
	svc_conf api 'tmpfiles = api.conf masked.conf' >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "d" "$user:$group 750" "$(stat -c '%U:%G %a' "$X/run/api")"
	assertEquals "f" "$user:$group 640 hello" "$(stat -c '%U:%G %a' "$X/run/api/file") $(cat "$X/run/api/file")"
	assertEquals "L" "$X/run/api" "$(readlink "$X/run/link")"
	assertEquals "z" 755 "$(stat -c %a "$X/old")"
	assertTrue "%% is %" "[ -d '$X/run/%pct' ]"
	assertTrue "/etc's file of the same name wins" "[ -d '$X/winner' ] && [ ! -e '$X/masked' ]"
	assertFalse "p is not made here" "[ -e '$X/run/fifo' ]"
	wait_log "api: tmpfiles $T/lib.d/api.conf: lines not applied \\(only d, D, f, L and z are, without systemd-tmpfiles\\): 6 \\(p\\)" || return
	# at each start again: what went is made again; said once
	rm -rf "$X/run/api"
	kill -KILL "$(pid_n api 1)"
	wait_starts api 2 || return
	wait_state api up || return
	assertTrue "made again" "[ -s '$X/run/api/file' ]"
	assertEquals "said once" 1 "$(count_log 'lines not applied')"
}

# Debian's systemd-tmpfiles, where it is installed, instead of
# guardiand's own.
test_tmpfiles_by_systemd_tmpfiles() {
	[ -x /usr/bin/systemd-tmpfiles ] || { echo "  no systemd-tmpfiles: skipped"; startSkipping; return 0; }
	local X=$T/tree
	unset GUARDIAND_SYSTEMD_TMPFILES
	cat >"$T/lib.d/api.conf" <<-EOF
	d $X/run/api 0751 - - -
	p $X/run/api/fifo 0600 - - -
	EOF
	svc_conf api 'tmpfiles = api.conf' >"$CONF"
	start_ready || return
	wait_state api up || return
	assertEquals "d" 751 "$(stat -c %a "$X/run/api")"
	assertTrue "p too: systemd-tmpfiles makes every type" "[ -p '$X/run/api/fifo' ]"
	assertFalse "nothing said as not applied" "log_has 'lines not applied'"
}

test_a_missing_tmpfiles_file_is_said_and_the_start_goes_on() {
	svc_conf api 'tmpfiles = nothing.conf' >"$CONF"
	start_ready || return
	wait_state api up || return
	wait_log "api: tmpfiles nothing.conf: in none of $T/etc.d:$T/run.d:$T/lib.d" || return
}

test_bad_values_are_file_line_errors() {
	refused_at_its_line "state_directory = /var/lib/x" "cache_directory = ../x" \
		"logs_directory = a a" "configuration_directory_mode = 8" \
		"tmpfiles = x.txt" "tmpfiles = ../x.conf" "tmpfiles = a.conf a.conf"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
