#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# type = forking: programs that daemonize themselves, with and without a
# pidfile, and Debian's nginx (`daemon on`). Run with cgroup tracking, and
# by test_forking_pgroup.sh with GUARDIAND_CGROUP=off (the process-group
# fallback).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

NGINX=${NGINX:-/usr/sbin/nginx}

# daemon_conf NAME PIDFILE [LINE...]: a starter that records its pid in
# $T/NAME.pids, starts a detached daemon (own session) that records its pid
# in $T/NAME.kids and, if PIDFILE is not empty, writes it there (after a
# moment, as real daemons do: after their starter exited), then exits 0.
daemon_conf() {
	local name=$1 pidfile=$2
	shift 2
	cat >"$T/$name.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/$name.pids
	( setsid sh -c 'echo \$\$ >>$T/$name.kids; sleep 0.2; [ -z "$pidfile" ] || echo \$\$ >"$pidfile"; exec sleep 1000' & )
	exit 0
	SCRIPT
	chmod 755 "$T/$name.sh"
	printf '[service %s]\ncommand = %s\ntype = forking\n' "$name" "$T/$name.sh"
	[ -n "$pidfile" ] && printf 'pidfile = %s\n' "$pidfile"
	[ $# -gt 0 ] && printf '%s\n' "$@"
	echo
}

kid_n() { sed -n "${2}p" "$T/$1.kids" 2>/dev/null; }
# main_is NAME PID: status --json says PID is NAME's main process.
main_is() { jfield_is "$1" pid "$2"; }
# new_main NAME OLD: NAME is up with a main process other than OLD.
new_main() {
	local p
	p=$(jfield "$1" pid)
	[ -n "$p" ] && [ "$p" != "$2" ] && [ "$p" != 0 ] && state_is "$1" up
}
# sleep_in PID: the detached daemon became `sleep 1000` (its pid kept).
sleep_in() { [ "$(proc_comm "$1")" = sleep ]; }


test_pidfile_needs_type_forking() {
	printf '[service d]\ncommand = /bin/sleep 1000\npidfile = %s/d.pid\n' "$T" >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "-t fails; $ERR" 1 "$RC"
	assertContains "file:line and why" "$ERR" \
		"pidfile is for type = forking"
	printf '[service d]\ncommand = /bin/sleep 1000\ntype = fork\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "-t fails; $ERR" 1 "$RC"
	assertContains "the values" "$ERR" \
		"$CONF:3: invalid type \"fork\" (simple, forking or oneshot)"
}

# main_replaced_after_kill9 NAME K1: kill -9 of NAME's main process K1 (a
# detached child recorded in $T/NAME.kids) is seen: the next child is the
# main process, the only copy; a stop leaves nothing.
main_replaced_after_kill9() {
	local k2
	wait_for "$2 became sleep" "$WAIT" sleep_in "$2" || return
	kill -KILL "$2"
	wait_for "the second daemon" "$WAIT" kids_ge "$1" 2 || return
	k2=$(kid_n "$1" 2)
	wait_for "main is the new daemon" "$WAIT" main_is "$1" "$k2" || return
	wait_log "$1: killed by signal 9"
	assertEquals "one copy" 1 "$(kids_alive "$1")"
	ctl stop "$1"
	assertEquals "stop; $ERR" 0 "$RC"
	wait_state "$1" down || return
	assertEquals "nothing left" 0 "$(kids_alive "$1")"
}

test_main_is_the_one_process_left_without_pidfile() {
	daemon_conf d '' 'restart = always' 'backoff_initial = 50ms' >"$CONF"
	start_ready || return
	wait_for "the daemon" "$WAIT" kids_ge d 1 || return
	local k1 k2
	k1=$(kid_n d 1)
	wait_state d up || return
	assertEquals "its main process is the daemon" "$k1" "$(jfield d pid)"
	wait_log "d: its starter exited with status 0"
	wait_log "d: started, main pid $k1"
	# its end is seen: restarted, and it is the only copy
	main_replaced_after_kill9 d "$k1"
}

test_main_from_the_pidfile() {
	daemon_conf d "$T/d.pid" 'restart = always' 'backoff_initial = 50ms' >"$CONF"
	start_ready || return
	wait_for "the daemon" "$WAIT" kids_ge d 1 || return
	local k1
	k1=$(kid_n d 1)
	wait_state d up || return
	assertEquals "its main process is the pidfile's" "$k1" "$(jfield d pid)"
	wait_log "d: started, main pid $k1 from $T/d.pid"
	# the stale pidfile (the dead pid) is not taken for the new one
	main_replaced_after_kill9 d "$k1"
}

test_starter_failing_is_a_failed_run() {
	cat >"$T/f.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/f.pids
	exit 3
	SCRIPT
	chmod 755 "$T/f.sh"
	printf '[service f]\ncommand = %s\ntype = forking\nrestart = on-failure\nbackoff_initial = 30s\n' \
		"$T/f.sh" >"$CONF"
	start_ready || return
	wait_state f backoff || return
	wait_log "f: exited with status 3 after .*, restarting in 30(\\.0)?s"
	assertEquals "pid" 0 "$(jfield f pid)"
}

test_pidfile_never_written_fails_the_start() {
	# the daemon runs, but its pidfile never comes: after ready_timeout
	# the start has failed, and what it started is stopped
	daemon_conf d '' 'restart = on-failure' 'backoff_initial = 30s' \
		'ready_timeout = 1s' >"$CONF"
	printf 'pidfile = %s/never.pid\n' "$T" >>"$CONF"
	start_ready || return
	wait_for "the daemon" "$WAIT" kids_ge d 1 || return
	wait_log "d: start failed: .*never.pid.*ready_timeout = 1(\\.0)?s" || return
	wait_for "the daemon stopped" "$WAIT" kids_alive_is d 0 || return
	wait_state d backoff || return
	wait_log "d: its start failed after .*, restarting in 30(\\.0)?s"
}

test_pidfile_naming_a_stranger_is_refused() {
	# the pidfile names a process that is not the service's (here one
	# the test started): never taken as its main process, never signalled
	sleep 1000 &
	local stranger=$!
	OTHER_PIDS+=("$stranger")
	cat >"$T/s.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/s.pids
	( setsid sh -c 'echo \$\$ >>$T/s.kids; exec sleep 1000' & )
	echo $stranger >$T/s.pid
	exit 0
	SCRIPT
	chmod 755 "$T/s.sh"
	printf '[service s]\ncommand = %s\ntype = forking\npidfile = %s/s.pid\nready_timeout = 1s\nrestart = never\n' \
		"$T/s.sh" "$T" >"$CONF"
	start_ready || return
	wait_log "s: start failed: " || return
	wait_state s down || return
	assertTrue "the stranger lives" "is_alive $stranger"
	assertEquals "what the service started is stopped" 0 "$(kids_alive s)"
}

test_starter_that_does_not_exit() {
	recording_conf st 'exec sleep 1000' 'type = forking' 'ready_timeout = 500ms' \
		'restart = never' >"$CONF"
	start_ready || return
	wait_starts st 1 || return
	local p
	p=$(pid_n st 1)
	wait_log "st: start failed: its starter, pid $p, did not exit within ready_timeout = 500ms" || return
	wait_for "it is stopped" "$WAIT" is_gone "$p" || return
	wait_state st down
}

# nginx_conf PORT: nginx with `daemon on`, everything in $T.
nginx_conf() {
	mkdir -p "$T/nginx"
	cat >"$T/nginx/nginx.conf" <<-CONF
	daemon on;
	worker_processes 2;
	pid $T/nginx/nginx.pid;
	error_log $T/nginx/error.log;
	events { worker_connections 64; }
	http {
		access_log $T/nginx/access.log;
		client_body_temp_path $T/nginx/body;
		proxy_temp_path $T/nginx/proxy;
		fastcgi_temp_path $T/nginx/fastcgi;
		uwsgi_temp_path $T/nginx/uwsgi;
		scgi_temp_path $T/nginx/scgi;
		server { listen 127.0.0.1:$1; return 200 "ok\n"; }
	}
	CONF
	printf '[service web]\ncommand = %s -c %s -p %s -e %s\ntype = forking\npidfile = %s\nrestart = always\nbackoff_initial = 100ms\nstop_timeout = 5s\n' \
		"$NGINX" "$T/nginx/nginx.conf" "$T/nginx/" "$T/nginx/error.log" \
		"$T/nginx/nginx.pid" >"$CONF"
}
# http_ok PORT: GET / answers "ok".
http_ok() {
	[ "$(timeout 5 "$PY" -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:%s/" % sys.argv[1], timeout=3).read().decode().strip())' "$1" 2>/dev/null)" = ok ]
}
# children_of PID: the pids of its children.
children_of() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(stat_field "${p#/proc/}" 4)" = "$1" ] && echo "${p#/proc/}"
	done
	return 0
}
# all_gone PID...: none of them is alive.
all_gone() {
	local p
	for p in "$@"; do is_alive "$p" && return 1; done
	return 0
}

test_nginx_restarted_after_kill9_of_its_master() {
	if [ ! -x "$NGINX" ]; then
		echo "  needs $NGINX (nginx-light, in Build-Depends): skipped"
		startSkipping
		return 0
	fi
	local port m1 m2
	port=$(free_port)
	nginx_conf "$port"
	start_ready || return
	wait_state web up || return
	wait_for "nginx answers" "$WAIT" http_ok "$port" || return
	m1=$(tr -d ' \n' <"$T/nginx/nginx.pid")
	assertEquals "main process: the master of the pidfile" "$m1" "$(jfield web pid)"
	local w1 w2
	mapfile -t w1 < <(children_of "$m1")
	assertEquals "two workers" 2 "${#w1[@]}"
	kill -KILL "$m1"
	# its workers hold the port: they are stopped before it starts again
	wait_for "a new master" "$WAIT" new_main web "$m1" || return
	m2=$(jfield web pid)
	wait_for "nginx answers again" "$WAIT" http_ok "$port" || return
	assertEquals "the new master is the pidfile's" "$m2" "$(tr -d ' \n' <"$T/nginx/nginx.pid")"
	assertTrue "the old workers are gone" "all_gone ${w1[*]}"
	assertFalse "no bind error" "file_has '$T/nginx/error.log' 'Address already in use'"
	mapfile -t w2 < <(children_of "$m2")
	assertEquals "two new workers" 2 "${#w2[@]}"
	ctl stop web
	assertEquals "stop; $ERR" 0 "$RC"
	wait_state web down || return
	assertTrue "nothing of nginx left" "all_gone $m2 ${w2[*]}"
}

# pg_bin: the directory of Debian's newest postgres programs, if any.
pg_bin() {
	local d found=
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/pg_ctl" ] && found=$d	# Debian 12 has one: 15
	done
	[ -n "$found" ] && echo "$found"
}
# pg_children PID: how many children the postmaster has.
pg_children() { children_of "$1" | wc -l; }
pg_children_ge() { [ "$(pg_children "$1")" -ge "$2" ]; }

test_pg_ctl_restarted_after_kill9_of_the_postmaster() {
	# pg_ctl start returns once the server accepts connections; the
	# postmaster writes postmaster.pid (0600, owned by postgres): its pid
	# is accepted because its cgroup holds it.
	local bin port m1 m2 kids
	bin=$(pg_bin)
	if [ -z "$bin" ] || ! id postgres >/dev/null 2>&1; then
		echo "  needs postgresql (not in Build-Depends: 40 MB): skipped"
		startSkipping
		return 0
	fi
	needs_root || return 0
	if [ "${GUARDIAND_CGROUP:-}" = off ]; then
		echo "  needs cgroup tracking (a pidfile of postgres' own is trusted only when its cgroup holds the pid): skipped"
		startSkipping
		return 0
	fi
	port=$(free_port)
	mkdir -p "$T/pg" && chown postgres: "$T/pg" || return
	run setpriv --reuid=postgres --regid=postgres --init-groups \
		"$bin/initdb" -D "$T/pg/data" -A trust
	assertEquals "initdb; $ERR" 0 "$RC" || return
	cat >"$CONF" <<-CONF
	[service pg]
	command = $bin/pg_ctl start -D $T/pg/data -l $T/pg/log -o "-k $T/pg -p $port -c listen_addresses=''"
	user = postgres
	type = forking
	pidfile = $T/pg/data/postmaster.pid
	stop_signal = INT
	stop_timeout = 10s
	backoff_initial = 100ms
	CONF
	start_ready || return
	WAIT=$((WAIT * 3)) wait_state pg up || return
	m1=$(jfield pg pid)
	assertEquals "the postmaster is its main process" "$m1" "$(sed -n 1p "$T/pg/data/postmaster.pid")"
	wait_for "the postmaster's helpers" "$WAIT" pg_children_ge "$m1" 3 || return
	mapfile -t kids < <(children_of "$m1")
	kill -KILL "$m1"
	wait_for "a new postmaster" "$WAIT" new_main pg "$m1" || return
	m2=$(jfield pg pid)
	assertTrue "the old postmaster's children were stopped" "all_gone ${kids[*]}"
	mapfile -t kids < <(children_of "$m2")
	ctl stop pg
	assertEquals "stop; $ERR" 0 "$RC"
	wait_state pg down || return
	assertTrue "nothing of postgres left" "all_gone $m2 ${kids[*]}"
}

# Sourced by test_forking_pgroup.sh, which runs these tests itself.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	# shellcheck disable=SC1090
	. "$SHUNIT2"
fi
