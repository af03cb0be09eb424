#!/bin/bash
# shellcheck disable=SC2119,SC2317  # start_fg takes optional args; shunit2 calls the hooks
# shellcheck source-path=SCRIPTDIR
# condition_* and assert_* (systemd's Condition*= and Assert*=), checked
# before each start: a condition not met leaves the service down, which is
# not a failure (no restart, no backoff; status, the log and a waiting
# guardianctl start say which one); an assert not met is a failed start.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# files: an empty one, a full one, an executable, a directory
setUp() {
	lib_setup
	mkdir "$T/dir"
	: >"$T/empty"
	echo x >"$T/full"
	printf '#!/bin/sh\n' >"$T/exe" && chmod 755 "$T/exe"
}

# not_started NAME KEY=VALUE: down, never run, no failure counted, and
# status and the log say which condition.
not_started() {
	wait_log "$1: condition failed: $2; not started" || return 1
	wait_state "$1" down || return 1
	assertEquals "$1 never ran" 0 "$(npids "$1")"
	assertEquals "$1: status says why" "condition failed: $2" "$(jfield "$1" why)"
	assertEquals "$1: not a failure" 0 "$(jfield "$1" fails)"
	assertEquals "$1: wanted down, nothing to restart" down "$(jfield "$1" want)"
}

test_each_kind_not_met_leaves_it_down() {
	{
		svc_conf exists "condition_path_exists = $T/nothing"
		svc_conf isdir "condition_path_is_directory = $T/full"
		svc_conf notempty "condition_file_not_empty = $T/empty"
		svc_conf exec "condition_file_is_executable = $T/full"
		svc_conf virt 'condition_virtualization = zvm'
		svc_conf marker
	} >"$CONF"
	start_ready || return
	wait_state marker up || return
	not_started exists "condition_path_exists=$T/nothing" || return
	not_started isdir "condition_path_is_directory=$T/full" || return
	not_started notempty "condition_file_not_empty=$T/empty" || return
	not_started exec "condition_file_is_executable=$T/full" || return
	not_started virt "condition_virtualization=zvm" || return
	assertEquals "said once" 1 "$(count_log 'exists: condition failed')"
	ctl status
	assertContains "the status table's INFO" "$OUT" "condition failed: condition_path_exists=$T/nothing"
}

# A service kept down by its condition fails nothing that requires or
# follows it, as in systemd (the condition is not a failure).
test_a_skipped_service_does_not_block_what_requires_it() {
	{
		svc_conf db "condition_path_exists = $T/nothing"
		svc_conf api 'requires = db'
		svc_conf web 'after = db'
	} >"$CONF"
	start_ready || return
	wait_starts api 1 || return
	wait_starts web 1 || return
	wait_state api up || return
	assertEquals "db never ran" 0 "$(npids db)"
	assertContains "db: $(jfield db why)" "$(jfield db why)" "condition failed"
}

test_each_kind_met_and_negated() {
	{
		svc_conf exists "condition_path_exists = $T/empty"
		svc_conf isdir "condition_path_is_directory = $T/dir"
		svc_conf notempty "condition_file_not_empty = $T/full"
		svc_conf exec "condition_file_is_executable = $T/exe"
		svc_conf virt 'condition_virtualization = !zvm'
		svc_conf notexists "condition_path_exists = !$T/nothing"
		svc_conf negfails "condition_path_is_directory = !$T/dir"
	} >"$CONF"
	start_ready || return
	for s in exists isdir notempty exec virt notexists; do
		wait_state "$s" up || return
	done
	not_started negfails "condition_path_is_directory=!$T/dir"
}

test_triggering_needs_one_of_them() {
	{
		svc_conf one "condition_path_exists = |$T/nothing" \
			"condition_path_exists = |$T/full"
		svc_conf none "condition_path_exists = |$T/nothing" \
			"condition_path_exists = |$T/nothing2"
		svc_conf plain "condition_path_exists = |$T/full" \
			"condition_path_is_directory = $T/full"
		svc_conf reset "condition_path_exists = $T/nothing" \
			'condition_path_exists ='
	} >"$CONF"
	start_ready || return
	wait_state one up || return
	wait_state reset up || return
	not_started none "condition_path_exists=|$T/nothing2" || return
	not_started plain "condition_path_is_directory=$T/full"
}

test_start_again_once_the_file_appears() {
	svc_conf api "condition_file_not_empty = $T/flag" >"$CONF"
	start_ready || return
	wait_state api down || return
	ctl start api
	assertEquals "start says it did not start: $OUT $ERR" 1 "$RC"
	assertContains "and why" "$OUT$ERR" "api: not started: condition failed: condition_file_not_empty=$T/flag"
	assertEquals "still never ran" 0 "$(npids api)"
	echo on >"$T/flag"
	ctl start api
	assertEquals "started once the file is there: $OUT $ERR" 0 "$RC"
	wait_state api up || return
	assertEquals "ran once" 1 "$(npids api)"
	assertEquals "status has no condition left" "" "$(jfield api why)"
	# a condition failing at a restart: down, not in backoff
	rm "$T/flag"
	kill -KILL "$(pid_n api 1)"
	wait_log "api: condition failed: condition_file_not_empty=$T/flag; not started" || return
	wait_state api down || return
	assertEquals "no second run" 1 "$(npids api)"
}

test_assert_failing_is_a_failed_start() {
	{
		svc_conf api "assert_path_is_directory = $T/full" \
			"condition_path_exists = $T/full"
		svc_conf cond "assert_path_exists = $T/nothing" \
			"condition_path_exists = $T/nothing"
	} >"$CONF"
	start_ready || return
	wait_log "api: assert failed: assert_path_is_directory=$T/full" || return
	wait_state api fatal || return
	assertEquals "never ran" 0 "$(npids api)"
	assertEquals "status says why" "assert failed: assert_path_is_directory=$T/full" "$(jfield api why)"
	ctl start api
	assertEquals "start fails: $OUT $ERR" 1 "$RC"
	assertContains "and says why" "$OUT$ERR" "api: failed to start: assert failed: assert_path_is_directory=$T/full"
	# a condition is checked first: its service is down, not failed
	not_started cond "condition_path_exists=$T/nothing"
	mkdir "$T/full2"
	sed -i "s|assert_path_is_directory = $T/full\$|assert_path_is_directory = $T/full2|" "$CONF"
	ctl reload
	wait_state api up || return
}

# What /proc and / say here, against what the daemon finds.
test_virtualization_of_this_machine() {
	local vm=no ct=no
	grep -qw hypervisor /proc/cpuinfo && vm=yes
	if [ -e /run/systemd/container ] || [ -e /run/.containerenv ] ||
		[ -e /.dockerenv ] || tr '\0' '\n' </proc/1/environ 2>/dev/null | grep -q '^container='; then
		ct=yes
	fi
	{
		if [ $vm = yes ]; then svc_conf vm 'condition_virtualization = vm'; else svc_conf vm 'condition_virtualization = !vm'; fi
		if [ $ct = yes ]; then svc_conf ct 'condition_virtualization = container'; else svc_conf ct 'condition_virtualization = !container'; fi
		if [ $vm$ct = nono ]; then svc_conf any 'condition_virtualization = no'; else svc_conf any 'condition_virtualization = yes'; fi
		if [ -e /.dockerenv ] && [ $ct = yes ] && [ ! -e /run/.containerenv ] && [ ! -e /run/systemd/container ]; then
			svc_conf named 'condition_virtualization = docker'
		else
			svc_conf named 'condition_virtualization = !zvm'
		fi
	} >"$CONF"
	start_ready || return
	for s in vm ct any named; do wait_state "$s" up || return; done
}

test_bad_values_are_file_line_errors() {
	refused_at_its_line "condition_path_exists = relative" "assert_file_not_empty = !|/x" \
		"condition_virtualization = nothing-known" "assert_virtualization = |!maybe"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
