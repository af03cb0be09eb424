#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_tracking.sh with cgroup tracking disabled: the process-group
# fallback, with what it cannot do skipped.
export GUARDIAND_CGROUP=off
# shellcheck source=test_tracking.sh
. "$(dirname "$0")/test_tracking.sh"

# shunit2 finds the tests in this file's text: name those of test_tracking.sh.
suite() {
	local t
	while read -r t; do
		suite_addTest "$t"
	done < <(grep -o '^test_[a-z0-9_]*' "$(dirname "$0")/test_tracking.sh")
}

# shellcheck disable=SC1090
. "$SHUNIT2"
