#!/bin/bash
# shellcheck source-path=SCRIPTDIR
# test_forking.sh with cgroup tracking disabled: the process-group fallback.
export GUARDIAND_CGROUP=off
# shellcheck source=test_forking.sh
. "$(dirname "$0")/test_forking.sh"

# shunit2 finds the tests in this file's text: name those of test_forking.sh.
suite() {
	local t
	while read -r t; do
		suite_addTest "$t"
	done < <(grep -o '^test_[a-z0-9_]*' "$(dirname "$0")/test_forking.sh")
}

# shellcheck disable=SC1090
. "$SHUNIT2"
