#!/bin/bash
# The Debian package end to end, on a Debian without systemd: build the .deb
# (make deb, nocheck), check it with lintian, install it with apt in a
# debootstrap chroot (the base shared with tests/fresh/run, cached under
# .cache/, made when missing; tests/package/chroot.sh), and
# drive the init script through `service` with a real rsyslogd running in
# the chroot: every action and exit code, reload, drop-ins, stop deadlines,
# remove, purge, reinstall. One chroot and one .deb serve the whole suite;
# the tests run in order and each one first brings about the state it needs.
#
# Needs root (chroot, mount, apt). GUARDIAND_NO_PACKAGE_TESTS=1 (set by
# debian/rules' make check, which runs inside the package build) skips
# every test: this suite builds the package and would recurse.
#
# A first run makes the cached chroot base (debootstrap: 1.5 to 3 minutes
# here, depending on load); tests/run's default 300 s per suite is too tight:
# time-limit: 900

. "$(dirname "$0")/lib.sh"
. "$TOP_DIR/tests/package/chroot.sh"

PKG_W=
DEB=
PKG_CHROOT_PACKAGES="rsyslog procps libdaemon0 libinih1"
SUITE_START=
PKG_SKIP=	# why the suite is skipped, if it is

# Every test starts with `ready || return 0`: skipping, or no chroot (then
# oneTimeSetUp failed), means nothing may run, least of all paths under an
# empty $CHROOT.
ready() { ! isSkipping && [ -n "$CHROOT" ] && [ -d "$CHROOT" ]; }

oneTimeSetUp() {
	SUITE_START=$(now_us)
	if [ -n "${GUARDIAND_NO_PACKAGE_TESTS:-}" ]; then
		PKG_SKIP="GUARDIAND_NO_PACKAGE_TESTS is set (inside the package build)"
		echo "note: $PKG_SKIP: package suite skipped"
		return 0
	fi
	if [ "$(id -u)" -ne 0 ]; then
		PKG_SKIP="the package suite needs root (chroot, mount, apt)"
		echo "note: $PKG_SKIP: skipped"
		return 0
	fi
	PKG_W=$(mktemp -d "${TMPDIR:-/tmp}/guardiand-pkg.XXXXXX") || return 1
	local t0 cache_pid
	t0=$(now_us)
	# The chroot base (cached; made when missing) while the package builds.
	chroot_cache >"$PKG_W/cache.log" 2>&1 &
	cache_pid=$!
	# The package, without make check (the host's make check runs the
	# other suites already, and this one must not recurse).
	if ! DEB_BUILD_OPTIONS=nocheck DEB_BUILD_PROFILES=nocheck \
		make -C "$TOP_DIR" deb DEB_OUT="$PKG_W/out" DEB_WORK="$PKG_W/work" \
		>"$PKG_W/build.log" 2>&1; then
		echo "make deb failed:" >&2
		tail -n 40 "$PKG_W/build.log" >&2
		wait "$cache_pid"
		return 1
	fi
	DEB=$(ls "$PKG_W"/out/guardiand_*.deb 2>/dev/null | head -n 1)
	echo "# built $(basename "$DEB") in $((($(now_us) - t0) / 1000)) ms"
	if ! wait "$cache_pid"; then
		cat "$PKG_W/cache.log" >&2
		return 1
	fi
	cat "$PKG_W/cache.log"
	chroot_cache || return 1	# sets CHROOT_TAR (made by now)
	t0=$(now_us)
	chroot_create "$PKG_W/root" || return 1
	cp "$DEB" "${CHROOT:?}/tmp/guardiand.deb" || return 1
	# On top of the base: the syslog daemon the tests read, ps/pgrep, and
	# the package's run-time libraries (so that installing the .deb in a
	# test is quick). From apt's cache when it has them.
	chroot_apt_lists || return 1
	if ! CHROOT_APT_LOG=$PKG_W/apt.log chroot_apt_install $PKG_CHROOT_PACKAGES; then
		echo "apt-get install $PKG_CHROOT_PACKAGES in the chroot failed:" >&2
		tail -n 30 "$PKG_W/apt.log" >&2
		return 1
	fi
	# rsyslog: no kernel log (that belongs to the host), local files only.
	sed -i -e 's/^\(module(load="imklog"\)/#\1/' -e 's/^\(\$ModLoad imklog\)/#\1/' \
		"$CHROOT/etc/rsyslog.conf"
	echo "# chroot ready in $((($(now_us) - t0) / 1000)) ms"
	# A real syslog daemon. Debian 12's rsyslog has a systemd unit only
	# (no init script): started by hand; it detaches and writes
	# /run/rsyslogd.pid in the chroot.
	chroot_run /usr/sbin/rsyslogd >"$PKG_W/rsyslog.out" 2>&1 || {
		cat "$PKG_W/rsyslog.out" >&2
		return 1
	}
	local dl=$(($(now_us) + WAIT * 1000000))
	until [ -S "${CHROOT:?}/dev/log" ]; do
		if [ "$(now_us)" -gt "$dl" ]; then
			echo "rsyslogd did not create /dev/log in the chroot" >&2
			return 1
		fi
		sleep 0.03
	done
	return 0
}

oneTimeTearDown() {
	[ -n "$SUITE_START" ] || return 0	# shunit2 may call it twice
	if [ -n "$CHROOT" ]; then
		chroot_destroy || echo "warning: chroot $CHROOT not fully removed" >&2
	fi
	if [ -n "$PKG_W" ]; then
		chroot_umount_all "$PKG_W"	# piuparts' chroot, if it was cut short
		rm -rf --one-file-system "$PKG_W"
	fi
	echo "# package suite: $((($(now_us) - SUITE_START) / 1000)) ms"
	SUITE_START=
}

# shunit2 ends skipping before each test: start it again here.
setUp() {
	lib_setup
	if [ -n "$PKG_SKIP" ]; then startSkipping; fi
	return 0
}
tearDown() {
	# On failure, show what the chroot's syslog had.
	if [ "${__shunit_testSuccess:-0}" != "${SHUNIT_TRUE:-0}" ] && [ -n "$CHROOT" ] &&
		[ -s "$CHROOT/var/log/syslog" ]; then
		echo "  ---- last lines of the chroot's syslog ----"
		tail -n 30 "$CHROOT/var/log/syslog" | sed 's/^/  | /'
	fi
	lib_teardown
}

# ---- the states the tests start from ----

apt_install() {
	crun apt-get install -y -q /tmp/guardiand.deb
	[ "$RC" -eq 0 ] || { echo "$OUT"; echo "$ERR"; }
	return "$RC"
}
ensure_installed() { installed || apt_install; }
ensure_running() {
	ensure_installed || return 1
	daemon_running && return 0
	svc start
	daemon_running
}
ensure_stopped() {
	daemon_running || return 0
	svc stop
	! daemon_running
}
# Makes the drop-ins the given names and nothing else, then restarts.
fresh_with() {
	ensure_installed || return 1
	ensure_stopped || return 1
	clear_dropins
	local n
	for n in "$@"; do dropin "$n"; done
	svc start
	assertEquals "start: $ERR" 0 "$RC" || return 1
	for n in "$@"; do wait_svc "$n" || return 1; done
	return 0
}

# ---- the package ----

test_lintian_clean() {
	ready || return 0
	lintian --pedantic -I --show-overrides "$DEB" >"$T/lintian" 2>&1
	sed 's/^/  lintian: /' "$T/lintian"
	assertFalse "lintian errors or warnings" "grep -E '^[EW]: ' '$T/lintian'"
	assertTrue "the one deliberate override is the missing systemd unit" \
		"grep -q '^O: guardiand: missing-systemd-service-for-init.d-script' '$T/lintian'"
	assertEquals "only that override" 1 "$(grep -c '^O: ' "$T/lintian")"
}

test_package_contents() {
	ready || return 0
	local c f
	c=$(dpkg-deb -c "$DEB")
	for f in ./usr/sbin/guardiand ./usr/sbin/guardianctl ./etc/init.d/guardiand ./etc/default/guardiand \
		./etc/guardiand/guardiand.conf ./etc/guardiand/conf.d/ \
		./usr/share/man/man8/guardiand.8.gz ./usr/share/man/man5/guardiand.conf.5.gz \
		./usr/share/man/man8/guardianctl.8.gz \
		./usr/share/doc/guardiand/README.md.gz ./usr/share/doc/guardiand/copyright \
		./usr/share/doc/guardiand/examples/guardiand.conf; do
		assertContains "$f in the package" "$c" " $f"
	done
	dpkg-deb -e "$DEB" "$T/control"
	assertEquals "conffiles" "/etc/default/guardiand
/etc/guardiand/guardiand.conf
/etc/init.d/guardiand" "$(sort "$T/control/conffiles")"
	c=$(dpkg-deb -f "$DEB" Depends)
	assertContains "Depends from shlibs: $c" "$c" "libdaemon0"
	assertContains "Depends from shlibs: $c" "$c" "libinih1"
	assertContains "Recommends" "$(dpkg-deb -f "$DEB" Recommends)" "system-log-daemon"
}

test_apt_install_starts_daemon() {
	ready || return 0
	local host_pidfile_before=no p tty
	[ -e /run/guardiand.pid ] && host_pidfile_before=yes
	apt_install
	assertEquals "apt-get install: $ERR" 0 "$RC"
	assertEquals "package state" ii "$(pkg_status)"
	assertTrue "rc2.d start link" "ls '$CHROOT'/etc/rc2.d/S*guardiand"
	assertTrue "rc0.d kill link" "ls '$CHROOT'/etc/rc0.d/K*guardiand"
	assertTrue "guardiand started on install" daemon_running
	p=$(dpid)
	assertTrue "/run/guardiand created" "[ -d '$CHROOT/run/guardiand' ]"
	# Detached: orphaned to init, no controlling terminal, stdio on /dev/null.
	assertEquals "PPid" 1 "$(status_field "$p" PPid)"
	tty=$(stat_field "$p" 7)
	assertEquals "tty_nr" 0 "$tty"
	assertEquals "stdin" "${CHROOT:?}/dev/null" "$(readlink "/proc/$p/fd/0")"
	assertEquals "stdout" "${CHROOT:?}/dev/null" "$(readlink "/proc/$p/fd/1")"
	# The shipped config runs nothing.
	assertEquals "no service under the shipped config" "" \
		"$(grep -l "^PPid:[[:space:]]*$p\$" /proc/[0-9]*/status 2>/dev/null)"
	# The host's /run is not the chroot's.
	if [ "$host_pidfile_before" = no ]; then
		assertFalse "host /run untouched" "[ -e /run/guardiand.pid ]"
	fi
}

test_syslog_from_rsyslogd() {
	ready || return 0
	ensure_running || fail "not running"
	local p
	p=$(dpid)
	wait_syslog "guardiand\[$p\]: guardiand [0-9.]+ started, pid $p, 0 services"
}

# ---- the init script's actions ----

test_status_exit_codes() {
	ready || return 0
	ensure_running || fail "not running"
	svc status
	assertEquals "status when running" 0 "$RC"
	assertContains "$OUT" "is running"
	svc stop
	assertEquals "stop" 0 "$RC"
	svc status
	assertEquals "status when stopped: $OUT" 3 "$RC"
	# A stale pidfile: a pid that cannot exist, then a live pid of another
	# program (rsyslogd): both are "dead, pidfile exists", and start works.
	cat /proc/sys/kernel/pid_max >"${CHROOT:?}/run/guardiand.pid"
	svc status
	assertEquals "status with a dead pid in the pidfile: $OUT" 1 "$RC"
	tr -d ' \n' <"${CHROOT:?}/run/rsyslogd.pid" >"${CHROOT:?}/run/guardiand.pid"
	svc status
	assertEquals "status with another program's pid: $OUT" 1 "$RC"
	svc start
	assertEquals "start over a stale pidfile: $ERR" 0 "$RC"
	assertTrue "running" daemon_running
	svc status
	assertEquals "status" 0 "$RC"
}

# What `service guardiand start && <a client of the service>` rests on:
# start returns once the services with readiness are ready. web listens 1 s
# after it starts (perl-base's IO::Socket::INET: in every Debian); the connect right
# after start returned must succeed.
test_start_returns_once_services_are_ready() {
	ready || return 0
	ensure_installed || return
	ensure_stopped || fail "still running"
	clear_dropins
	local port
	port=$(free_port)
	cat >"${CHROOT:?}/tmp/web.pl" <<-'PERL'
	use IO::Socket::INET;
	sleep 1;
	my $s = IO::Socket::INET->new(Listen => 5, LocalAddr => "127.0.0.1:$ARGV[0]",
	    ReuseAddr => 1) or die "listen: $!";
	1 while $s->accept;
	PERL
	dropin_raw web "[service web]
command = /usr/bin/perl /tmp/web.pl $port
ready = tcp:127.0.0.1:$port"
	svc start
	assertEquals "start: $ERR" 0 "$RC"
	crun bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
	assertEquals "web answers as soon as start returned: $ERR" 0 "$RC"
	svc stop
	clear_dropins
	rm -f "${CHROOT:?}/tmp/web.pl"
}

test_double_start_double_stop() {
	ready || return 0
	ensure_running || fail "not running"
	local p
	p=$(dpid)
	svc start
	assertEquals "start when running: $ERR" 0 "$RC"
	assertEquals "same daemon" "$p" "$(dpid)"
	assertEquals "one daemon" 1 "$(daemon_pids | wc -l)"
	svc stop
	assertEquals "stop" 0 "$RC"
	assertTrue "daemon gone when stop returns" "is_gone $p"
	assertFalse "pidfile removed" "[ -e '$CHROOT/run/guardiand.pid' ]"
	svc stop
	assertEquals "stop when stopped: $ERR" 0 "$RC"
	svc start
	assertEquals "start" 0 "$RC"
	assertTrue "running" daemon_running
	assertNotEquals "a new daemon" "$p" "$(dpid)"
}

test_restart_new_daemon_and_services() {
	ready || return 0
	fresh_with alpha || return
	local p a
	p=$(dpid) a=$(svc_pid alpha)
	svc restart
	assertEquals "restart: $ERR" 0 "$RC"
	assertTrue "old daemon gone" "is_gone $p"
	assertTrue "old service gone" "is_gone $a"
	assertTrue "running" daemon_running
	assertNotEquals "new daemon pid" "$p" "$(dpid)"
	wait_for "alpha started again" "$WAIT" svc_starts_ge alpha 2
	svc stop
	svc restart
	assertEquals "restart when stopped starts it: $ERR" 0 "$RC"
	assertTrue "running" daemon_running
}

test_reload_picks_up_dropin_without_restarting_others() {
	ready || return 0
	fresh_with alpha || return
	local p a
	p=$(dpid) a=$(svc_pid alpha)
	dropin beta
	svc reload
	assertEquals "reload: $ERR" 0 "$RC"
	wait_svc beta || return
	assertEquals "daemon kept" "$p" "$(dpid)"
	assertEquals "alpha kept" "$a" "$(svc_pid alpha)"
	assertEquals "alpha started once" 1 "$(svc_starts alpha)"
	wait_syslog "reload: 1 added, 0 removed, 0 changed, 1 unchanged"
	# removing a drop-in stops its service, still without touching alpha
	local b
	b=$(svc_pid beta)
	rm "${CHROOT:?}/etc/guardiand/conf.d/beta.conf"
	svc reload
	assertEquals "reload" 0 "$RC"
	wait_for "beta stopped" "$WAIT" is_gone "$b"
	assertEquals "alpha kept" "$a" "$(svc_pid alpha)"
}

test_force_reload() {
	ready || return 0
	fresh_with alpha || return
	local p a
	p=$(dpid) a=$(svc_pid alpha)
	dropin gamma
	svc force-reload
	assertEquals "force-reload: $ERR" 0 "$RC"
	wait_svc gamma || return
	assertEquals "daemon kept" "$p" "$(dpid)"
	assertEquals "alpha kept" "$a" "$(svc_pid alpha)"
	svc stop
	svc force-reload
	assertEquals "force-reload when stopped" 0 "$RC"
	assertFalse "force-reload does not start it" daemon_running
	svc reload
	assertEquals "reload when stopped: LSB 'not running'" 7 "$RC"
	assertFalse "reload does not start it" daemon_running
}

test_configtest_and_broken_config_refused() {
	ready || return 0
	fresh_with alpha || return
	local p
	p=$(dpid)
	svc configtest
	assertEquals "configtest" 0 "$RC"
	assertEquals "configuration OK" "$OUT"
	dropin_raw bad '[service bad]
command = /bin/true
colour = blue'
	svc configtest
	assertEquals "configtest with an error" 1 "$RC"
	assertContains "file:line: error" "$ERR" "conf.d/bad.conf:3:"
	svc reload
	assertEquals "reload refused" 1 "$RC"
	assertContains "the error is shown" "$ERR" "conf.d/bad.conf:3:"
	svc restart
	assertEquals "restart refused" 1 "$RC"
	assertContains "the error is shown" "$ERR" "conf.d/bad.conf:3:"
	assertEquals "daemon untouched" "$p" "$(dpid)"
	assertEquals "alpha untouched" 1 "$(svc_starts alpha)"
	svc stop
	svc start
	assertEquals "start refused" 1 "$RC"
	assertContains "the error is shown" "$ERR" "conf.d/bad.conf:3:"
	assertFalse "not started" daemon_running
	rm -f "${CHROOT:?}/etc/guardiand/conf.d/bad.conf"
	svc start
	assertEquals "start once fixed" 0 "$RC"
}

test_unknown_action_and_no_action_exit_2() {
	ready || return 0
	ensure_installed || return
	svc frobnicate
	assertEquals "unknown action" 2 "$RC"
	assertContains "usage" "$ERR" "Usage: /etc/init.d/guardiand {start|stop|restart|force-reload|reload|status|configtest}"
	crun /etc/init.d/guardiand
	assertEquals "no action" 2 "$RC"
}

test_default_file_optional_and_daemon_args() {
	ready || return 0
	ensure_installed || return
	ensure_stopped
	local def=${CHROOT:?}/etc/default/guardiand
	cp "$def" "$T/default.saved"
	rm -f "$def"
	svc start
	assertEquals "start without /etc/default/guardiand: $ERR" 0 "$RC"
	assertTrue "running" daemon_running
	svc stop
	assertEquals "stop" 0 "$RC"
	# DAEMON_ARGS reach guardiand: -v logs debug messages
	sed 's/^DAEMON_ARGS=.*/DAEMON_ARGS="-v"/' "$T/default.saved" >"$def"
	svc start
	assertEquals "start" 0 "$RC"
	assertEquals "cmdline" "/usr/sbin/guardiand -f /etc/guardiand/guardiand.conf -p /run/guardiand.pid -v" \
		"$(tr '\0' ' ' <"/proc/$(dpid)/cmdline" | sed 's/ $//')"
	cp "$T/default.saved" "$def"
	svc stop
	# /run/guardiand is made when missing (/run is a tmpfs at boot)
	rm -rf "${CHROOT:?}/run/guardiand"
	svc start
	assertEquals "start" 0 "$RC"
	assertTrue "/run/guardiand made again" "[ -d '$CHROOT/run/guardiand' ]"
}

# ---- services under the installed daemon ----

test_dropin_restarted_after_kill9() {
	ready || return 0
	fresh_with alpha || return
	local a
	a=$(svc_pid alpha)
	kill -KILL "$a"
	wait_for "alpha restarted" "$WAIT" svc_starts_ge alpha 2
	wait_svc alpha
	assertNotEquals "new pid" "$a" "$(svc_pid alpha)"
	wait_syslog "alpha: killed by signal 9"
}

test_service_output_in_syslog() {
	ready || return 0
	fresh_with || return
	dropin_raw talker "[service talker]
command = sh -c 'echo hello from talker; echo trouble in talker >&2; exec sleep 1000'"
	svc reload
	assertEquals "reload" 0 "$RC"
	wait_syslog "talker\[[0-9]+\]: hello from talker"
	wait_syslog "talker\[[0-9]+\]: trouble in talker"
}

# stop returns only when the daemon and every service are gone: one service
# takes a second to exit on TERM, one ignores TERM until its stop_timeout.
test_stop_waits_for_every_service() {
	ready || return 0
	fresh_with || return
	dropin_raw slow "[service slow]
command = sh -c 'echo \$\$ >> /tmp/slow.pids; trap \"sleep 1; exit 0\" TERM; while :; do sleep 0.1; done'"
	dropin_raw stubborn "[service stubborn]
command = sh -c 'echo \$\$ >> /tmp/stubborn.pids; trap \"\" TERM; while :; do sleep 0.1; done'
stop_timeout = 2s"
	svc reload
	wait_svc slow || return
	wait_svc stubborn || return
	local p s u t0 ms
	p=$(dpid) s=$(svc_pid slow) u=$(svc_pid stubborn)
	t0=$(now_us)
	svc stop
	ms=$((($(now_us) - t0) / 1000))
	assertEquals "stop: $ERR" 0 "$RC"
	assertTrue "slow gone when stop returns" "group_gone $s"
	assertTrue "stubborn gone when stop returns" "group_gone $u"
	assertTrue "daemon gone when stop returns" "is_gone $p"
	assertTrue "stop_timeout respected: stop took ${ms} ms" "[ $ms -ge 1900 ]"
	wait_syslog "stubborn: stop timeout after 2.0s, sending KILL"
	clear_dropins
}

# The init script's own deadline (STOP_TIMEOUT) when a service's
# stop_timeout is longer: then what is left gets SIGKILL.
test_stop_timeout_escalates_to_kill() {
	ready || return 0
	fresh_with || return
	local def=${CHROOT:?}/etc/default/guardiand
	cp "$def" "$T/default.saved"
	echo "STOP_TIMEOUT=1" >>"$def"
	dropin_raw stubborn "[service stubborn]
command = sh -c 'echo \$\$ >> /tmp/stubborn.pids; trap \"\" TERM; while :; do sleep 0.1; done'
stop_timeout = 1h"
	svc reload
	wait_svc stubborn || { cp "$T/default.saved" "$def"; return; }
	local p u t0 ms
	p=$(dpid) u=$(svc_pid stubborn)
	t0=$(now_us)
	svc stop
	ms=$((($(now_us) - t0) / 1000))
	cp "$T/default.saved" "$def"
	assertEquals "stop: $OUT $ERR" 0 "$RC"
	assertTrue "stubborn killed" "group_gone $u"
	assertTrue "daemon killed" "is_gone $p"
	assertFalse "stale pidfile removed" "[ -e '$CHROOT/run/guardiand.pid' ]"
	assertTrue "within STOP_TIMEOUT + KILL/5: ${ms} ms" "[ $ms -lt 7000 ]"
	assertTrue "nothing left" "[ -z \"\$(daemon_pids)\" ]"
	clear_dropins
}

# ---- remove, purge, reinstall ----

test_remove_stops_everything_keeps_conffiles() {
	ready || return 0
	fresh_with alpha beta || return
	local p a b
	p=$(dpid) a=$(svc_pid alpha) b=$(svc_pid beta)
	crun apt-get remove -y -q guardiand
	assertEquals "apt-get remove: $ERR" 0 "$RC"
	assertEquals "state: removed, config kept" rc "$(pkg_status)"
	assertTrue "daemon stopped" "is_gone $p"
	assertTrue "alpha stopped" "group_gone $a"
	assertTrue "beta stopped" "group_gone $b"
	assertFalse "binary removed" "[ -e '$CHROOT/usr/sbin/guardiand' ]"
	local f
	for f in /etc/guardiand/guardiand.conf /etc/default/guardiand /etc/init.d/guardiand \
		/etc/guardiand/conf.d/alpha.conf; do
		assertTrue "$f kept" "[ -f '$CHROOT$f' ]"
	done
	# the leftover init script is disabled (chmod -x) and harmless
	assertFalse "init script no longer executable" "[ -x '$CHROOT/etc/init.d/guardiand' ]"
	crun sh /etc/init.d/guardiand start
	assertEquals "start after remove does nothing" 0 "$RC"
	crun sh /etc/init.d/guardiand status
	assertEquals "status after remove: $OUT" 3 "$RC"
	assertTrue "nothing of guardiand runs" no_daemon
}

test_purge_removes_conffiles() {
	ready || return 0
	installed || [ "$(pkg_status)" = rc ] || apt_install || return
	clear_dropins
	crun apt-get purge -y -q guardiand
	assertEquals "apt-get purge: $ERR" 0 "$RC"
	assertEquals "state: not installed" "" "$(pkg_status | tr -d n)"
	local f
	for f in /etc/guardiand /etc/default/guardiand /etc/init.d/guardiand; do
		assertFalse "$f removed" "[ -e '$CHROOT$f' ]"
	done
	assertEquals "rc.d links removed" "" "$(find "$CHROOT"/etc/rc?.d -name '*guardiand')"
	assertTrue "nothing of guardiand runs" no_daemon
}

test_reinstall_after_purge() {
	ready || return 0
	installed && { crun apt-get purge -y -q guardiand; }
	apt_install
	assertEquals "install again: $ERR" 0 "$RC"
	assertTrue "running again" daemon_running
	assertTrue "conffile back" "[ -f '$CHROOT/etc/guardiand/guardiand.conf' ]"
	svc status
	assertEquals "status" 0 "$RC"
	crun apt-get purge -y -q guardiand
	assertEquals "purge" 0 "$RC"
	# Nothing left running in the chroot but the rsyslogd we started.
	local p left=
	for p in $(chroot_pids); do
		[ "$(proc_comm "$p")" = rsyslogd ] || left="$left $p($(proc_comm "$p"))"
	done
	assertEquals "processes left in the chroot" "" "$left"
}

# ---- piuparts ----

# Debian's own install/purge checker, on the same cached base (piuparts wants
# it as a gzip tarball: made once next to the cache). Its chroot denies
# starting services, so this checks the maintainer scripts and that purge
# leaves nothing behind; the tests above cover running.
test_piuparts() {
	ready || return 0
	local tgz=${CHROOT_TAR%.tar.zst}.piuparts.tgz
	if [ ! -s "$tgz" ]; then
		zstd -q -dc "$CHROOT_TAR" | gzip -1 >"$tgz.$$" && mv "$tgz.$$" "$tgz"
	fi
	mkdir -p "$PKG_W/pp"
	timeout -k 10 600 piuparts -b "$tgz" -d "$(chroot_suite)" -m "$(chroot_mirror)" \
		--no-upgrade-test -t "$PKG_W/pp" "$DEB" >"$T/piuparts.log" 2>&1
	local rc=$?
	grep -E 'INFO: (PASS|FAIL)|ERROR|FAIL:' "$T/piuparts.log" | sed 's/^/  piuparts: /' | tail -n 20
	assertEquals "piuparts exit status" 0 "$rc"
	assertTrue "piuparts: PASS: All tests." "grep -q 'PASS: All tests' '$T/piuparts.log'"
}

. "$SHUNIT2"
