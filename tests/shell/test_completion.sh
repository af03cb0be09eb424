#!/bin/bash
# guardianctl's bash completion, run in a real bash with bash-completion,
# against a running guardiand: commands, options, service names, signals.
# shellcheck disable=SC1091
. "$(dirname "$0")/lib.sh"

# complete WORDS...: the completions bash offers after the given words (the
# last word is the one being completed; "" for a new word).
complete_words() {
	bash --norc --noprofile -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		PATH=$(dirname "$GUARDIANCTL"):$PATH
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="${COMP_WORDS[*]}"
		COMP_POINT=${#COMP_LINE}
		_guardianctl guardianctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort
	' complete "$TOP_DIR/completions/guardianctl" "$@"
}

test_commands_and_options() {
	assertEquals "commands starting with re" "$(printf '%s\n' reload reopen restart)" \
		"$(complete_words guardianctl re)"
	assertEquals "status options" "--json" "$(complete_words guardianctl status --j)"
	assertEquals "logs options" "$(printf '%s\n' --json --lines)" \
		"$(complete_words guardianctl logs api --)"
	assertEquals "restart options" "$(printf '%s\n' --no-wait --timeout)" \
		"$(complete_words guardianctl restart --)"
	assertEquals "signal names" "$(printf '%s\n' USR1 USR2)" \
		"$(complete_words guardianctl signal api US)"
}

test_service_names_from_the_daemon() {
	{ svc_conf api; svc_conf api-worker; svc_conf db; } >"$CONF"
	start_fg
	wait_for "the control socket" "$WAIT" test -S "$SOCK" || return
	assertEquals "names after stop" "$(printf '%s\n' api api-worker)" \
		"$(complete_words guardianctl -s "$SOCK" stop ap)"
	assertEquals "all names after logs" "$(printf '%s\n' api api-worker db)" \
		"$(complete_words guardianctl -s "$SOCK" logs "")"
}

test_no_daemon_no_names() {
	assertEquals "nothing to offer, and no error" "" \
		"$(complete_words guardianctl -s "$T/none.sock" stop "" 2>&1)"
}

. "$SHUNIT2"
