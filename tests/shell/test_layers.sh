#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# guardiand's modules call one another one way only: no import cycle among
# them, from the symbols of the built objects (scripts/layers).

# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD_DIR=$(dirname "$GUARDIAND")
test_modules_have_no_cycle() {
	run "$TOP_DIR/scripts/layers" "$BUILD_DIR"
	assertEquals "layers exit status; $ERR" 0 "$RC"
	# the edges that made the old cycles run one way now
	assertTrue "service_pg -> state" "grep -qx 'service_pg state' '$T/run.out'"
	assertFalse "state -> service" "grep -qx 'state service' '$T/run.out'"
	assertFalse "state -> service_pg" "grep -qx 'state service_pg' '$T/run.out'"
	assertTrue "slog -> log" "grep -qx 'slog log' '$T/run.out'"
	assertFalse "log -> slog" "grep -qx 'log slog' '$T/run.out'"
	assertFalse "spawn -> service" "grep -qx 'spawn service' '$T/run.out'"
	assertFalse "service_policy -> anything but the state names" \
	    "grep -v '^service_policy proto$' '$T/run.out' | grep -q '^service_policy '"
	# reload is main's callback; the handlers answer without the socket
	assertTrue "main -> control" "grep -qx 'main control' '$T/run.out'"
	assertFalse "control -> main" "grep -qx 'control main' '$T/run.out'"
	assertFalse "commands -> control" "grep -qx 'commands control' '$T/run.out'"
	assertFalse "check -> config" "grep -qx 'check config' '$T/run.out'"
}

# The check itself: two objects that call each other are a cycle.
test_a_cycle_is_found() {
	mkdir "$T/o"
	printf 'void b(void);\nvoid a(void) { b(); }\n' >"$T/a.c"
	printf 'void a(void);\nvoid b(void) { a(); }\n' >"$T/b.c"
	printf 'void a(void);\nvoid c(void) { a(); }\n' >"$T/c.c"
	for m in a b c; do
		cc -c -o "$T/o/$m.o" "$T/$m.c" || fail "cc $m.c"
	done
	run "$TOP_DIR/scripts/layers" "$T/o"
	assertEquals "a cycle fails" 1 "$RC"
	assertTrue "it names a" "grep -qx 'a' '$T/run.err'"
	assertTrue "it names b" "grep -qx 'b' '$T/run.err'"
	run "$TOP_DIR/scripts/layers" -m a,c "$T/o"
	assertEquals "no cycle among a and c" 0 "$RC"
	assertEquals "c a" "$OUT"
}

# shellcheck disable=SC1090
. "$SHUNIT2"
