#!/bin/bash
# shellcheck disable=SC2119  # start_fg/start_detached take optional extra args
# shellcheck source-path=SCRIPTDIR
# SIGHUP reloads: new services start, removed ones stop, changed ones
# restart, unchanged ones keep their pid; a broken config changes nothing.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# Starts guardiand on keep, change and drop, and waits for the three.
start_three() {
	{
		svc_conf keep
		svc_conf change 'stop_timeout = 2s'
		svc_conf drop
	} >"$CONF"
	start_fg
	wait_starts keep 1 && wait_starts change 1 && wait_starts drop 1
}

# The new config: keep as it was, change with another stop_timeout, drop
# gone, add new.
write_new_config() {
	{
		svc_conf keep
		svc_conf change 'stop_timeout = 3s'
		svc_conf add
	} >"$CONF"
}

reload() { kill -HUP "$DPID"; }

test_reload_starts_added_service() {
	start_three || return
	write_new_config
	reload
	wait_starts add 1 || return
	is_alive "$(last_pid add)"
	assertTrue "added service running" $?
}

test_reload_stops_removed_service() {
	start_three || return
	local drop
	drop=$(last_pid drop)
	write_new_config
	reload
	wait_for "removed service $drop to stop" "$WAIT" is_gone "$drop" || return
	wait_log "drop: stopped"
	assertEquals "removed service not restarted" 1 "$(npids drop)"
}

test_reload_restarts_changed_service() {
	start_three || return
	local old
	old=$(last_pid change)
	write_new_config
	reload
	wait_starts change 2 || return
	assertNotEquals "changed service has a new pid" "$old" "$(last_pid change)"
	is_alive "$old"
	assertFalse "old process $old gone" $?
	is_alive "$(last_pid change)"
	assertTrue "new process running" $?
}

test_reload_keeps_unchanged_service() {
	start_three || return
	local keep
	keep=$(last_pid keep)
	write_new_config
	reload
	# Once the reload has visibly been applied...
	wait_starts add 1 || return
	wait_starts change 2 || return
	# ...the unchanged service is the same process, never restarted.
	assertEquals "starts of the unchanged service" 1 "$(npids keep)"
	is_alive "$keep"
	assertTrue "unchanged service $keep still running" $?
}

test_reload_logs_summary() {
	start_three || return
	write_new_config
	reload
	wait_log "reload: 1 added, 1 removed, 1 changed, 1 unchanged"
}

test_reload_broken_config_changes_nothing() {
	start_three || return
	local keep change drop line
	keep=$(last_pid keep) change=$(last_pid change) drop=$(last_pid drop)
	{
		svc_conf keep
		svc_conf add
		printf '[service change]\ncommand = sleep 1000\nrestart = sometimes\n'
	} >"$CONF"
	line=$(grep -n sometimes "$CONF" | cut -d: -f1)
	reload
	wait_log "reload: configuration has errors, keeping the running one" || return
	log_has "guardiand\.conf:$line: "
	assertTrue "the error is logged with file:line" $?
	assertEquals "added service not started" 0 "$(npids add)"
	for svc in keep change drop; do
		assertEquals "$svc not restarted" 1 "$(npids $svc)"
	done
	for p in "$keep" "$change" "$drop"; do
		is_alive "$p"
		assertTrue "service $p still running" $?
	done
	is_alive "$DPID"
	assertTrue "guardiand still running" $?
}

test_reload_picks_up_conf_d_dropin() {
	mkdir "$T/conf.d"
	{
		printf '[guardiand]\ninclude = conf.d/*.conf\n\n'
		svc_conf base
	} >"$CONF"
	svc_conf first >"$T/conf.d/first.conf"
	start_fg
	wait_starts base 1 || return
	wait_starts first 1 || return
	svc_conf second >"$T/conf.d/second.conf"
	reload
	wait_starts second 1 || return
	is_alive "$(last_pid second)"
	assertTrue "drop-in service running" $?
	assertEquals "base not restarted" 1 "$(npids base)"
	assertEquals "first drop-in not restarted" 1 "$(npids first)"
}

# guardianctl reload NAME: a service's own reload (systemd's ExecReload=),
# by signal or by command, waited for, with the reason when it fails.
test_reload_of_a_service() {
	cat >"$T/hup.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/sig.pids
	trap 'echo hup >>$T/sig.hups' HUP
	while :; do sleep 0.1; done
	SCRIPT
	cat >"$T/reload.sh" <<-SCRIPT
	#!/bin/sh
	echo "\$MAINPID" >>$T/cmd.reloads
	SCRIPT
	chmod 755 "$T/hup.sh" "$T/reload.sh"
	{
		printf '[service sig]\ncommand = %s\nreload_signal = HUP\n\n' "$T/hup.sh"
		svc_conf cmd "reload_command = $T/reload.sh"
		svc_conf bad 'reload_command = /bin/false'
		svc_conf none
	} >"$CONF"
	start_ready || return
	wait_starts sig 1 && wait_starts cmd 1 && wait_starts bad 1 && wait_starts none 1 || return
	ctl reload sig
	assertEquals "reload sig: $ERR" 0 "$RC"
	wait_for "sig's HUP" "$WAIT" test -s "$T/sig.hups" || return
	ctl reload cmd
	assertEquals "reload cmd: $ERR" 0 "$RC"
	assertEquals "its command ran, with MAINPID, before the answer" \
		"$(pid_n cmd 1)" "$(cat "$T/cmd.reloads" 2>/dev/null)"
	ctl reload bad none
	assertEquals "reload bad none" 1 "$RC"
	assertContains "$ERR" "bad: reload failed: /bin/false exited with status 1"
	assertContains "$ERR" "none: reload failed: it has neither reload_command nor reload_signal"
	ctl stop cmd
	ctl reload cmd
	assertEquals "reload of a stopped service" 1 "$RC"
	assertContains "$ERR" "cmd: reload failed: it is not up (down)"
	assertEquals "one start each: reloads restart nothing" "1 1" "$(npids sig) $(npids cmd)"
	ctl reload
	assertEquals "reload without names is the config's: $ERR" 0 "$RC"
	assertContains "$OUT" "0 added, 0 removed, 0 changed, 4 unchanged"
	wait_log "sig: reloaded"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
