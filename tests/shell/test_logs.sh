#!/bin/bash
# shellcheck disable=SC2119,SC2016  # start_ready takes optional args; the services' sh code is single-quoted
# shellcheck source-path=SCRIPTDIR
# `guardianctl logs -f NAME...`: the stored lines then new ones as they come,
# interleaved across services; 100,000 lines with a reader that keeps up
# (none missed) and with one that stalls (the service is not slowed, the
# reader is told how many it missed); Ctrl-C, guardiand stopping, a service
# removed by reload, unknown names, escaping, JSON lines, the follower cap.

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=ctl_lib.sh
. "$(dirname "$0")/ctl_lib.sh"

# ---- local helpers ----

# gated_conf NAME BEFORE AFTER [LINE...]: a service that runs the sh code
# BEFORE, waits for the file $T/NAME.go, runs AFTER, then sleeps (the code
# is in $T/NAME.sh); its output is kept in memory only.
gated_conf() {
	local name=$1
	printf '%s\n' "$2" "while [ ! -e $T/$name.go ]; do sleep 0.02; done" \
		"$3" 'exec sleep 1000' >"$T/$name.sh"
	recording_conf "$name" "exec sh $T/$name.sh" 'stdout = null' \
		'stderr = null' "${@:4}"
}

# follow ARGS...: `guardianctl logs -f ARGS` in the background, output to
# $T/f.out and $T/f.err; FPID is its pid, its exit status goes to $T/f.rc.
follow() {
	"$CTL" -s "$SOCK" logs -f "$@" </dev/null >"$T/f.out" 2>"$T/f.err" &
	FPID=$!
	OTHER_PIDS+=("$FPID")
}

# follower_exit: waits (bounded) for the follower to end; sets FRC.
follower_exit() {
	wait_for "guardianctl logs -f ($FPID) to end" "$WAIT" is_gone "$FPID" || return 1
	wait "$FPID" 2>/dev/null
	FRC=$?
}

out_has() { file_has "$T/f.out" "$1"; }
err_has() { file_has "$T/f.err" "$1"; }
out_hasf() { grep -Fq -- "$1" "$T/f.out"; }
# numbered NAME: how many lines of NAME's output in $T/f.out are numbers.
numbered() { grep -Ec "^[-0-9]+ [0-9:]+ $1\[[0-9]+\]: [0-9]+\$" "$T/f.out"; }
numbered_is() { [ "$(numbered "$1")" = "$2" ]; }
# last_logged NAME TEXT: NAME's last remembered line is TEXT.
last_logged() {
	timeout 10 "$CTL" -s "$SOCK" logs "$1" -n 1 2>/dev/null | grep -q -- ": $2\$"
}
# missed_count: the N of "N lines of api missed" on the follower's stderr.
missed_count() { sed -n 's/^guardianctl: \([0-9]*\) lines of api missed .*/\1/p' "$T/f.err"; }
daemon_fds() { find "/proc/$DPID/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
daemon_fds_is() { [ "$(daemon_fds)" = "$1" ]; }

# ---- tests ----

# 1. The stored lines first, then the new ones, in order.
test_follow_stored_then_new() {
	gated_conf api 'echo one; echo two' 'echo three; echo four' >"$CONF"
	start_ready || return
	wait_for "two in api's logs" "$WAIT" last_logged api two || return
	follow api
	wait_for "the stored lines" "$WAIT" out_has ': two$' || return
	touch "$T/api.go"
	wait_for "the new lines" "$WAIT" out_has ': four$' || return
	assertEquals "stored then new, in order, each once" \
		"$(printf '%s\n' one two three four)" "$(sed 's/^.*: //' "$T/f.out")"
	assertTrue "each line: TIME NAME[PID]: TEXT" \
		"grep -Eqx '[-0-9]+ [0-9:]+ api\\[$(last_pid api)\\]: one' '$T/f.out'"
	assertEquals "nothing on stderr" "" "$(cat "$T/f.err")"
	is_alive "$FPID"
	assertTrue "still following" $?
}

# 2. 100,000 numbered lines while a reader keeps up: all arrive, in order,
# none missed. The service prints them in bursts of 1,000 (well over
# 100,000 lines a second): a reader that keeps up is one that guardiand
# does not outrun by the 1 MiB it holds for it.
test_follow_100000_lines_none_lost() {
	gated_conf api 'echo ready' \
		'i=0; while [ $i -lt 100 ]; do seq $((i * 1000 + 1)) $((i * 1000 + 1000)); i=$((i + 1)); sleep 0.01; done' \
		>"$CONF"
	start_ready || return
	wait_for "api ready" "$WAIT" last_logged api ready || return
	follow api
	wait_for "the stored line" "$WAIT" out_has ': ready$' || return
	touch "$T/api.go"
	wait_for "100000 numbered lines" 120 numbered_is api 100000 || {
		echo "  got $(numbered api); stderr: $(cat "$T/f.err")"
		return
	}
	assertEquals "1 to 100000, in order" "ok" "$(awk '/: [0-9]+$/ {
		sub(/.*: /, ""); if ($0 != ++n) { print "line " n ": " $0; exit } }
		END { if (n == 100000) print "ok" }' "$T/f.out")"
	assertEquals "none missed" "" "$(cat "$T/f.err")"
}

# 3. A reader that stalls (SIGSTOP) does not slow the service nor block
# guardiand; once it reads again it is told how many lines it missed, and
# what it received plus what it missed is what was printed.
test_follow_stalled_reader_misses_and_is_told() {
	gated_conf api 'echo ready' 'seq 1 100000' >"$CONF"
	start_ready || return
	wait_for "api ready" "$WAIT" last_logged api ready || return
	follow api
	wait_for "the stored line" "$WAIT" out_has ': ready$' || return
	kill -STOP "$FPID"
	touch "$T/api.go"
	wait_for "api printing its 100000 lines with the reader stopped" "$WAIT" \
		last_logged api 100000 || { kill -CONT "$FPID"; return; }
	ctl status api
	assertEquals "status answers meanwhile: $ERR" 0 "$RC"
	assertContains "api is up" "$OUT" "up"
	kill -CONT "$FPID"
	wait_for "the missed-lines message" "$WAIT" err_has 'lines of api missed \(the reader was too slow\)' || return
	local got missed
	got=$(numbered api)
	missed=$(missed_count)
	assertTrue "some lines missed: '$missed'" "[ '${missed:-0}' -gt 0 ]"
	assertTrue "some lines received: $got" "[ $got -gt 0 ]"
	assertEquals "received ($got) + missed ($missed) = printed" 100000 $((got + missed))
	assertEquals "the received lines in order" ok "$(awk '/: [0-9]+$/ {
		sub(/.*: /, ""); if ($0 + 0 <= last) { print "after " last ": " $0; exit } last = $0 + 0 }
		END { print "ok" }' "$T/f.out" | tail -n 1)"
	kill -INT "$FPID"
	follower_exit || return
	assertEquals "Ctrl-C after the stall: exit 0" 0 "$FRC"
}

# 4. Two services interleaved, each line with the right name.
test_follow_two_services_interleaved() {
	local loop='i=0; while [ $i -lt 50 ]; do i=$((i + 1)); echo NAME-$i; sleep 0.01; done'
	{
		gated_conf aa 'echo aa-ready' "${loop//NAME/aa}"
		gated_conf bb 'echo bb-ready' "${loop//NAME/bb}"
	} >"$CONF"
	start_ready || return
	wait_for "aa ready" "$WAIT" last_logged aa aa-ready || return
	wait_for "bb ready" "$WAIT" last_logged bb bb-ready || return
	follow aa bb -n 1
	wait_for "both stored lines" "$WAIT" eval 'out_has ": aa-ready$" && out_has ": bb-ready$"' || return
	touch "$T/aa.go" "$T/bb.go"
	wait_for "both services' 50 lines" "$WAIT" eval 'out_has ": aa-50$" && out_has ": bb-50$"' || return
	assertEquals "each line under its own name" "" \
		"$(grep -Ev '^[-0-9]+ [0-9:]+ (aa|bb)\[[0-9]+\]: \1-' "$T/f.out")"
	assertEquals "aa: 51 lines, in order" "$(printf '%s\n' aa-ready aa-{1..50})" \
		"$(sed -n 's/^.* aa\[[0-9]*\]: //p' "$T/f.out")"
	assertEquals "bb: 51 lines, in order" "$(printf '%s\n' bb-ready bb-{1..50})" \
		"$(sed -n 's/^.* bb\[[0-9]*\]: //p' "$T/f.out")"
	assertTrue "interleaved: a bb line comes before aa's last" \
		"[ $(grep -n ': bb-[0-9]' "$T/f.out" | head -n 1 | cut -d: -f1) -lt $(grep -n ': aa-50$' "$T/f.out" | cut -d: -f1) ]"
}

# 5. Ctrl-C ends it with status 0; guardiand keeps running, the client is
# gone, and guardiand holds no more descriptors than before.
test_follow_ctrl_c() {
	gated_conf api 'echo ready' 'true' >"$CONF"
	start_ready || return
	wait_for "api ready" "$WAIT" last_logged api ready || return
	wait_for "no client connected" "$WAIT" sock_conns_lt 1 || return
	local fds
	fds=$(daemon_fds)
	follow api
	wait_for "the stored line" "$WAIT" out_has ': ready$' || return
	assertEquals "one client connected" 1 "$(sock_conns)"
	kill -INT "$FPID"
	follower_exit || return
	assertEquals "Ctrl-C: exit 0" 0 "$FRC"
	assertEquals "Ctrl-C: quiet" "" "$(cat "$T/f.err")"
	wait_for "the client gone" "$WAIT" sock_conns_lt 1 || return
	wait_for "guardiand's descriptors back to $fds" "$WAIT" daemon_fds_is "$fds" || return
	ctl status api
	assertEquals "status still answers" 0 "$RC"
	is_alive "$DPID"
	assertTrue "guardiand still runs" $?
}

# 6. guardiand stopped while followed: exit 1, with a message.
test_follow_daemon_stops() {
	gated_conf api 'echo ready' 'true' >"$CONF"
	start_ready || return
	wait_for "api ready" "$WAIT" last_logged api ready || return
	follow api
	wait_for "the stored line" "$WAIT" out_has ': ready$' || return
	stop_daemon "$DPID"
	follower_exit || return
	assertEquals "guardiand gone: exit 1" 1 "$FRC"
	assertTrue "says so: $(cat "$T/f.err")" "err_has 'guardiand closed the connection'"
}

# 7. Unknown names are refused as logs refuses them; what a service prints
# reaches the terminal escaped, never raw.
test_follow_unknown_name_and_escaping() {
	gated_conf api 'printf "\033[31mred\033[0m \a bell\n"' \
		'printf "\033]0;title\007 \033[2J\n"' >"$CONF"
	start_ready || return
	ctl logs -f nosuch
	assertEquals "logs -f nosuch: exit 4" 4 "$RC"
	assertContains "names it" "$ERR" "nosuch"
	ctl logs -f api nosuch
	assertEquals "logs -f api nosuch: exit 4" 4 "$RC"
	ctl logs api api2
	assertEquals "two names without -f: usage" 2 "$RC"
	wait_for "the first line stored" "$WAIT" last_logged api '.*bell' || return
	follow api
	wait_for "the stored line" "$WAIT" out_has 'bell$' || return
	touch "$T/api.go"
	wait_for "the new line" "$WAIT" out_has '2J$' || return
	assertEquals "no ESC or BEL byte on stdout" 0 "$(tr -cd '\033\007' <"$T/f.out" | wc -c)"
	assertTrue "ESC shown escaped" "out_hasf ': \\x1b[31mred\\x1b[0m \\x07 bell'"
	assertTrue "the new line escaped too" "out_hasf ': \\x1b]0;title\\x07 \\x1b[2J'"
}

# A service removed by a reload: its follower is told, and follows the
# others; with none left, guardianctl is done (exit 0).
test_follow_service_removed_by_reload() {
	{ gated_conf aa 'echo aa-ready' 'echo aa-after'; gated_conf bb 'echo bb-ready' 'echo bb-after'; } >"$CONF"
	start_ready || return
	wait_for "bb ready" "$WAIT" last_logged bb bb-ready || return
	follow aa bb
	wait_for "the stored lines" "$WAIT" out_has ': bb-ready$' || return
	gated_conf bb 'echo bb-ready' 'echo bb-after' >"$CONF"
	ctl reload
	assertEquals "reload: $ERR" 0 "$RC"
	wait_for "told aa is gone" "$WAIT" err_has '^guardianctl: aa was removed from the configuration' || return
	touch "$T/bb.go"
	wait_for "bb still followed" "$WAIT" out_has ': bb-after$' || return
	is_alive "$FPID"
	assertTrue "still following bb" $?
	gated_conf cc 'echo cc' 'true' >"$CONF"
	ctl reload
	follower_exit || return
	assertEquals "nothing left to follow: exit 0" 0 "$FRC"
	assertTrue "told bb is gone" "err_has '^guardianctl: bb was removed'"
}

# --json with -f: one JSON object per line.
test_follow_json_lines() {
	gated_conf api 'echo "a \"quoted\" line"' 'echo err >&2' >"$CONF"
	start_ready || return
	wait_for "the first line stored" "$WAIT" last_logged api '.*line' || return
	"$CTL" -s "$SOCK" logs api -f --json </dev/null >"$T/f.out" 2>"$T/f.err" &
	FPID=$!
	OTHER_PIDS+=("$FPID")
	wait_for "the stored line" "$WAIT" out_has 'quoted' || return
	touch "$T/api.go"
	wait_for "the new line" "$WAIT" out_has '"err"' || return
	assertEquals "objects, one per line" "$(printf '%s\n' \
		"api $(last_pid api) stdout a \"quoted\" line" "api $(last_pid api) stderr err")" \
		"$(jq -r '"\(.service) \(.pid) \(.stream) \(.text)"' "$T/f.out")"
	assertEquals "each has time_ms" 2 "$(jq -r 'select(.time_ms > 1000000000000) | 1' "$T/f.out" | wc -l)"
}

# Following is a read: a status_group member may follow; a stranger may not.
test_follow_as_status_group_member() {
	needs_root || return 0
	local sg
	make_group sg || return
	{
		printf '[guardiand]\nstatus_group = %s\n\n' "$sg"
		gated_conf api 'echo ready' 'echo after'
	} >"$CONF"
	start_ready || return
	wait_for "api ready" "$WAIT" last_logged api ready || return
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$CTL" -s "$SOCK" logs -f api
	assertEquals "stranger: refused" 1 "$RC"
	setpriv --reuid=nobody --regid=nogroup --groups="$sg" "$CTL" -s "$SOCK" \
		logs -f api </dev/null >"$T/f.out" 2>"$T/f.err" &
	FPID=$!
	OTHER_PIDS+=("$FPID")
	wait_for "the stored line" "$WAIT" out_has ': ready$' || return
	touch "$T/api.go"
	wait_for "the new line" "$WAIT" out_has ': after$' || return
	kill -INT "$FPID"
	follower_exit || return
	assertEquals "member: Ctrl-C, exit 0: $(cat "$T/f.err")" 0 "$FRC"
}

# Followers are capped (each may hold 1 MiB of guardiand's memory): the
# one too many is answered busy; commands are still served.
test_follow_cap() {
	gated_conf api 'echo ready' 'true' >"$CONF"
	start_ready || return
	local i pids=()
	for i in $(seq 1 16); do
		"$CTL" -s "$SOCK" logs -f api </dev/null >"$T/f$i.out" 2>&1 &
		pids+=("$!")
		OTHER_PIDS+=("$!")
	done
	for i in $(seq 1 16); do
		wait_for "follower $i" "$WAIT" file_has "$T/f$i.out" ': ready$' || return
	done
	ctl logs -f api
	assertEquals "the 17th: exit 1" 1 "$RC"
	assertContains "busy" "$ERR" "busy"
	ctl status api
	assertEquals "status still served" 0 "$RC"
	kill -INT "${pids[@]}"
	for i in "${pids[@]}"; do
		wait_for "follower $i to end" "$WAIT" is_gone "$i" || return
	done
	wait_for "no client left" "$WAIT" sock_conns_lt 1
}

. "$SHUNIT2"
