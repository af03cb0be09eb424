#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_tracking.sh with cgroup tracking disabled: the process-group
# fallback, with what it cannot do skipped.
export GUARDIAND_CGROUP=off
# shellcheck source=test_tracking.sh
. "$(dirname "$0")/test_tracking.sh"

suite() { suite_of "$(dirname "$0")/test_tracking.sh"; }

# shellcheck disable=SC1090
. "$SHUNIT2"
