#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_usage.sh with cgroup tracking disabled: signal --all and the status
# counts of the process-group fallback.
export GUARDIAND_CGROUP=off
# shellcheck source=test_usage.sh
. "$(dirname "$0")/test_usage.sh"

suite() { suite_of "$(dirname "$0")/test_usage.sh"; }

# shellcheck disable=SC1090
. "$SHUNIT2"
