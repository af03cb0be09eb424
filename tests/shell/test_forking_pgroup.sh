#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_forking.sh with cgroup tracking disabled: the process-group fallback.
export GUARDIAND_CGROUP=off
# shellcheck source=test_forking.sh
. "$(dirname "$0")/test_forking.sh"

suite() { suite_of "$(dirname "$0")/test_forking.sh"; }

# shellcheck disable=SC1090
. "$SHUNIT2"
