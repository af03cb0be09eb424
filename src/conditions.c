/*
 * conditions.c: condition_* and assert_*, systemd's Condition*= and
 * Assert*= (systemd.unit(5)), checked before each start. "!" first negates
 * one, "|" makes it triggering: every other one must hold, and at least one
 * of the triggering ones if there are any. A condition that fails leaves
 * the service down, which is no failure (no restart, no backoff); an assert
 * that fails is a failed start.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

static const char *const kind_names[COND_NKINDS] = { "path_exists",
	"path_is_directory", "file_not_empty", "file_is_executable",
	"virtualization" };

/* The value without its "|" and "!" (in systemd's order: "|!"). */
static const char *
strip_prefixes(const char *v, bool *trigger, bool *negate)
{
	*trigger = *negate = false;
	if (*v == '|') {
		*trigger = true;
		v++;
	}
	if (*v == '!') {
		*negate = true;
		v++;
	}
	return v;
}

/* What is wrong with one line of a condition of kind (COND_...), or NULL. */
const char *
cond_bad_value(int kind, const char *value)
{
	bool t, n;
	const char *v = strip_prefixes(value, &t, &n);

	if (kind == COND_VIRTUALIZATION)
		return config_parse_bool(v) >= 0 || strcmp(v, "vm") == 0 ||
		    strcmp(v, "container") == 0 || virt_known_name(v) ? NULL :
		    "not a virtualization (yes, no, vm, container, kvm, "
		    "docker...)";
	return v[0] == '/' ? NULL : "not an absolute path (! and | may "
	    "come first)";
}

/* Whether one test holds, before negation. */
static bool
test_one(int kind, const char *v, const struct virt_info *vi)
{
	struct stat st;

	switch (kind) {
	case COND_PATH_EXISTS:
		return access(v, F_OK) == 0;
	case COND_PATH_IS_DIRECTORY:
		return stat(v, &st) == 0 && S_ISDIR(st.st_mode);
	case COND_FILE_NOT_EMPTY:
		return stat(v, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size > 0;
	case COND_FILE_IS_EXECUTABLE:
		return stat(v, &st) == 0 && S_ISREG(st.st_mode) &&
		    (st.st_mode & 0111) != 0;
	case COND_VIRTUALIZATION:
		return virt_matches(vi, v);
	}
	return false;
}

/*
 * Whether the conditions (asserts false) or the asserts of sc hold, on the
 * virtualization vi: 1 yes; 0 no, with the one that failed in what as
 * "condition_path_exists=/x" (the last triggering one, when none of them
 * held).
 */
int
cond_check(const struct svc_conf *sc, bool asserts, const struct virt_info *vi,
    char *what, size_t len)
{
	bool any_trigger = false, triggered = false;
	const char *prefix = asserts ? "assert" : "condition";
	int base = asserts ? COND_NKINDS : 0;

	for (int k = 0; k < COND_NKINDS; k++)
		for (char **c = sc->conds[base + k]; c && *c; c++) {
			bool trigger, negate;
			const char *v = strip_prefixes(*c, &trigger, &negate);
			bool ok = test_one(k, v, vi) != negate;

			if (trigger) {
				any_trigger = true;
				triggered |= ok;
				if (!ok && !triggered)
					snprintf(what, len, "%s_%s=%s", prefix,
					    kind_names[k], *c);
			} else if (!ok) {
				snprintf(what, len, "%s_%s=%s", prefix,
				    kind_names[k], *c);
				return 0;
			}
		}
	return !any_trigger || triggered;
}
