#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_usage.sh with cgroup tracking disabled: signal --all and the status
# counts of the process-group fallback.
export GUARDIAND_CGROUP=off
# shellcheck source=test_usage.sh
. "$(dirname "$0")/test_usage.sh"

# shunit2 finds the tests in this file's text: name those of test_usage.sh.
suite() {
	local t
	while read -r t; do
		suite_addTest "$t"
	done < <(grep -o '^test_[a-z0-9_]*' "$(dirname "$0")/test_usage.sh")
}

# shellcheck disable=SC1090
. "$SHUNIT2"
