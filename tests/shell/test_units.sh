#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# systemd units run by guardiand (unit =, units = enabled): units of the
# test's own in a private unit directory ($SYSTEMD_UNIT_PATH), run,
# reloaded, restarted and stopped through guardianctl; -t -v's report; the
# errors. Real Debian units on real daemons: tests/units/run.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

setUp() {
	lib_setup
	U=$T/units
	mkdir -p "$U"
	export SYSTEMD_UNIT_PATH=$U
	return 0
}
tearDown() {
	lib_teardown
	unset SYSTEMD_UNIT_PATH
	return 0
}

# demo_unit: a template whose service records its pid, argv and two
# variables, and writes "hup" on SIGHUP.
demo_unit() {
	cat >"$T/svc.sh" <<-SCRIPT
	#!/bin/sh
	echo \$\$ >>$T/d.pids
	printf '%s|' "\$@" >$T/d.args
	echo "\$NAME \$GREETING" >$T/d.env
	trap 'echo hup >>$T/d.hup' HUP
	while :; do sleep 0.1; done
	SCRIPT
	chmod 755 "$T/svc.sh"
	echo 'OPTS=--flag "two words"' >"$T/opts"
	cat >"$U/demo@.service" <<-UNIT
	[Unit]
	Description=demo for %I
	After=network.target
	FooBar=1

	[Service]
	Environment="GREETING=hello world" NAME=%i
	EnvironmentFile=-$T/missing
	EnvironmentFile=$T/opts
	ExecStart=$T/svc.sh \$OPTS \${GREETING} %I
	ExecReload=/bin/kill -HUP \$MAINPID
	Restart=on-failure
	RestartSec=100ms
	ProtectSystem=full
	PrivateTmp=yes
	UNIT
}

test_a_template_unit_runs_reloads_restarts_and_stops() {
	demo_unit
	printf '[service d]\nunit = demo@a-b.service\n' >"$CONF"
	start_ready || return
	wait_starts d 1 || return
	wait_for "its arguments" "$WAIT" test -s "$T/d.args" || return
	# the file's quotes are gone (systemd's reading), then $OPTS is split
	assertEquals "\$OPTS split, \${GREETING} one word, %I unescaped" \
		"--flag|two|words|hello world|a/b|" "$(cat "$T/d.args")"
	assertEquals "Environment= with %i" "a-b hello world" "$(cat "$T/d.env")"
	local pid
	pid=$(pid_n d 1)
	ctl reload d
	assertEquals "reload: $ERR" 0 "$RC"
	wait_for "the HUP of ExecReload's kill -HUP \$MAINPID" "$WAIT" test -s "$T/d.hup" || return
	assertEquals "the same process" 1 "$(npids d)"
	kill -KILL "$pid"
	wait_starts d 2 || return	# Restart=on-failure
	ctl stop d
	assertEquals "stop: $ERR" 0 "$RC"
	assertTrue "its process is gone" "is_gone $(pid_n d 2)"
	ctl status d
	assertContains "status shows it like any other: $OUT" "$OUT" "d "
}

test_t_v_reports_the_mapping_and_what_is_not_honoured() {
	demo_unit
	printf '[service d]\nunit = demo@x\nrestart = always\n' >"$CONF"
	run "$GUARDIAND" -t -v -f "$CONF"
	assertEquals "-t: $ERR" 0 "$RC"
	assertContains "$ERR" "d: unit demo@x.service ($U/demo@.service)"
	assertContains "$ERR" "d: ExecStart=$T/svc.sh \$OPTS \${GREETING} %I -> command = $T/svc.sh --flag two words 'hello world' x"
	assertContains "$ERR" "d: ExecReload=/bin/kill -HUP \$MAINPID -> reload_signal = HUP"
	assertContains "the section's key wins" "$ERR" "d: Restart=on-failure: not applied, the section sets restart"
	assertContains "$ERR" "d: $U/demo@.service: not applied (no sandbox, as under an init script): ProtectSystem, PrivateTmp"
	assertContains "$ERR" "d: $U/demo@.service: not honoured: FooBar"
	# without -v: the warnings only
	run "$GUARDIAND" -t -f "$CONF"
	assertNotContains "$ERR" "-> command"
	assertContains "$ERR" "not honoured: FooBar"
}

test_units_enabled_run_in_their_order() {
	cat >"$U/first.service" <<-UNIT
	[Service]
	Type=notify
	ExecStart=$PY $TOP_DIR/tests/shell/notify_client.py --go $T/first.msgs
	[Install]
	WantedBy=multi-user.target
	UNIT
	echo 'READY=1' >"$T/first.msgs"
	cat >"$U/second.service" <<-UNIT
	[Unit]
	After=first.service
	Requires=first.service
	[Service]
	ExecStart=/bin/sh -c 'echo \$\$ >>$T/second.pids; exec sleep 1000'
	UNIT
	cat >"$U/getty@.service" <<-UNIT
	[Service]
	ExecStart=/sbin/agetty %I
	UNIT
	mkdir "$U/multi-user.target.wants"
	ln -s ../first.service ../second.service ../getty@.service "$U/multi-user.target.wants/"
	ln -s ../getty@.service "$U/multi-user.target.wants/getty@tty1.service"
	rm "$U/multi-user.target.wants/getty@.service"
	printf '[guardiand]\nunits = enabled\n' >"$CONF"
	run "$GUARDIAND" -t -v -f "$CONF"
	assertEquals "-t: $ERR" 0 "$RC"
	assertContains "$ERR" "units: getty@tty1.service skipped: terminals are init's (inittab)"
	assertContains "$ERR" "units: first.service runs as service first"
	start_ready || return
	wait_state first starting || return
	assertEquals "second waits for first to be ready" 0 "$(npids second)"
	touch "$T/first.msgs.go"
	wait_state first up || return
	wait_starts second 1 || return
	wait_state second up || return
}

# PartOf=: a restart or stop asked of the unit it names is done to it too;
# one asked of it alone leaves the other be.
test_part_of_follows_a_restart_and_a_stop() {
	local u
	for u in parent child; do
		cat >"$U/$u.service" <<-UNIT
		[Unit]
		$([ $u = child ] && echo 'PartOf=parent.service')
		[Service]
		ExecStart=/bin/sh -c 'echo \$\$ >>$T/$u.pids; exec sleep 1000'
		UNIT
	done
	printf '[service parent]\nunit = parent\n[service child]\nunit = child\n' >"$CONF"
	start_ready || return
	wait_starts parent 1 || return
	wait_starts child 1 || return
	ctl restart child
	assertEquals "restart child: $ERR" 0 "$RC"
	wait_starts child 2 || return
	assertEquals "the parent is left be" 1 "$(npids parent)"
	ctl restart parent
	assertEquals "restart parent: $ERR" 0 "$RC"
	wait_starts parent 2 || return
	wait_starts child 3 || return
	ctl stop parent
	assertEquals "stop parent: $ERR" 0 "$RC"
	wait_state child down || return
	assertTrue "the child's process is gone" "is_gone $(pid_n child 3)"
}

# A unit with an enabled .socket (docker.socket's way): guardiand makes the
# socket and passes it as fd 3, named as systemd names it.
test_a_socket_unit_passes_its_socket() {
	cat >"$U/act.socket" <<-UNIT
	[Socket]
	ListenStream=$T/act.sock
	SocketMode=0600
	[Install]
	WantedBy=sockets.target
	UNIT
	cat >"$U/act.service" <<-UNIT
	[Service]
	ExecStart=$PY $TOP_DIR/tests/shell/listen_service.py $T/act
	UNIT
	mkdir "$U/sockets.target.wants"
	ln -s ../act.socket "$U/sockets.target.wants/act.socket"
	printf '[service act]\nunit = act.service\n' >"$CONF"
	start_ready || return
	wait_for "the service's record" "$WAIT" test -s "$T/act.json" || return
	assertEquals "LISTEN_FDNAMES" "act.socket" \
		"$(jq -r '.env.LISTEN_FDNAMES' "$T/act.json")"
	assertEquals "LISTEN_FDS" 1 "$(jq -r '.env.LISTEN_FDS' "$T/act.json")"
	assertEquals "the socket's mode" 600 "$(stat -c %a "$T/act.sock")"
	run timeout 20 "$PY" "$TOP_DIR/tests/shell/listen_client.py" "$T/act.sock"
	assertEquals "answered on the passed socket: $ERR" 0 "$RC"
	assertContains "$OUT" "fd 3"
}

test_refused_and_missing_units_are_errors_at_their_line() {
	printf '[Service]\nExecStart=/bin/true\nDynamicUser=yes\n' >"$U/dyn.service"
	printf '[service ok]\ncommand = /bin/true\n\n[service d]\nunit = dyn\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "refused: $ERR" 1 "$RC"
	assertContains "$ERR" "$CONF:5: $U/dyn.service:3: DynamicUser=yes: "
	printf '[service d]\nunit = nope\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "missing: $ERR" 1 "$RC"
	assertContains "$ERR" "$CONF:2: unit nope.service: "
	ln -s /dev/null "$U/masked.service"
	printf '[service d]\nunit = masked.service\n' >"$CONF"
	run "$GUARDIAND" -t -f "$CONF"
	assertEquals "masked: $ERR" 1 "$RC"
	assertContains "$ERR" "$CONF:2: unit masked.service: unit masked.service is masked"
}

lib_onetime_setup
# shellcheck source=/dev/null
. "$SHUNIT2"
