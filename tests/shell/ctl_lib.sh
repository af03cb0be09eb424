# shellcheck shell=bash
#
# guardianctl helpers shared by the suites that drive the control socket
# (test_ctl, test_ctl_input, test_checks, test_security); sourced after
# lib.sh.

CTL=${GUARDIANCTL:-$TOP_DIR/build/guardianctl}
# The system python: a pyenv shim may take a second to start.
PY=$(command -v /usr/bin/python3 || command -v python3)

# ctl ARGS...: guardianctl on this test's socket, bounded in time; sets RC,
# OUT, ERR like lib.sh's run (with fewer forks: the machine may be busy).
ctl() {
	timeout -k 5 "${RUN_TIMEOUT:-60}" "$CTL" -s "$SOCK" "$@" </dev/null >"$T/run.out" 2>"$T/run.err"
	RC=$?
	OUT=$(<"$T/run.out")
	ERR=$(<"$T/run.err")
}

# start_ready [ARGS...]: guardiand -F on $CONF, once its socket answers.
start_ready() {
	start_fg "$@"
	wait_for "guardiand $DPID to answer on $SOCK" "$WAIT" ctl_answers
}
ctl_answers() { timeout 10 "$CTL" -s "$SOCK" list >/dev/null 2>&1; }

# jfield NAME KEY: KEY of service NAME from `status --json` (jq -r).
jfield() {
	timeout 10 "$CTL" -s "$SOCK" status --json 2>/dev/null |
		jq -r --arg n "$1" --arg k "$2" '.[] | select(.name == $n) | .[$k]' 2>/dev/null
}
jfield_is() { [ "$(jfield "$1" "$2")" = "$3" ]; }
state_is() { jfield_is "$1" state "$2"; }
# wait_state NAME STATE
wait_state() { wait_for "$1 to be $2" "$WAIT" state_is "$1" "$2"; }

# sock_conns: connected (accepted, state 03) sockets at $SOCK, from
# /proc/net/unix: each client shows up there with the server's path.
sock_conns() { awk -v p="$SOCK" '$NF == p && $6 == "03"' /proc/net/unix | wc -l; }
sock_conns_ge() { [ "$(sock_conns)" -ge "$1" ]; }
sock_conns_lt() { [ "$(sock_conns)" -lt "$1" ]; }
