#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_control.sh with cgroup tracking disabled: the process-group fallback.
export GUARDIAND_CGROUP=off
# shellcheck source=test_control.sh
. "$(dirname "$0")/test_control.sh"

suite() { suite_of "$(dirname "$0")/test_control.sh"; }

# shellcheck disable=SC1090
. "$SHUNIT2"
