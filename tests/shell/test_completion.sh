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
	assertEquals "logs options" "$(printf '%s\n' --follow --json --lines)" \
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

# table_commands: guardianctl's hidden --list-commands, the rows of proto.c's
# table: "NAME [OPTION...]" per command.
table_commands() {
	"$GUARDIANCTL" --list-commands
}

# A command added to the table must be offered, with exactly its options;
# a command the table lacks must not be.
test_completion_follows_the_table() {
	local table name opts
	table=$(table_commands)
	assertEquals "guardianctl --list-commands exits 0" 0 $?
	assertNotNull "the table has rows" "$table"
	assertEquals "every command of the table, and no other" \
		"$(cut -d ' ' -f 1 <<<"$table" | sort)" \
		"$(complete_words guardianctl "")"
	while read -r name opts; do
		assertEquals "$name: the completion offers it" "$name" \
			"$(complete_words guardianctl "$name" | grep -Fx -- "$name")"
		assertEquals "$name: its options, as the table has them" \
			"$(tr ' ' '\n' <<<"$opts" | sed '/^$/d' | sort)" \
			"$(complete_words guardianctl "$name" --)"
	done <<<"$table"
}

# Every command of the table has its entry under COMMANDS in guardianctl(8).
test_every_command_in_the_man_page() {
	local entries name
	entries=$(sed -n '/^\.SH COMMANDS/,/^\.SH OUTPUT/p' "$TOP_DIR/man/guardianctl.8" |
		grep -A1 '^\.TP' | grep '^\.B' | tr -c 'a-z\n' ' ')
	assertNotNull "COMMANDS has entries" "$entries"
	while read -r name _; do
		assertTrue "$name in guardianctl(8) COMMANDS" \
			"grep -qw -- '$name' <<<\"\$entries\""
	done < <(table_commands)
}

test_no_daemon_no_names() {
	assertEquals "nothing to offer, and no error" "" \
		"$(complete_words guardianctl -s "$T/none.sock" stop "" 2>&1)"
}

. "$SHUNIT2"
