/*
 * svcond.c: a service's conditions and asserts (conditions.c) at the
 * moment of a start: a condition not met leaves it down, which is not a
 * failure; an assert not met is a failed start.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/*
 * Before a start: 0 when it may go on; 1 when a condition failed, and the
 * service is left down (said once in the log, and in sv->cond_why for
 * status and a waiting start); -2 when an assert failed (why says which):
 * a failed start.
 */
int
svcond_start(struct service *sv, char *why, size_t len)
{
	const struct svc_conf *sc = sv->conf;
	char what[PATH_MAX + 64];
	/* looked up only for a service that asks (once per run then) */
	static const struct virt_info none = { NULL, NULL };
	const struct virt_info *vi = sc->conds[COND_VIRTUALIZATION] ||
	    sc->conds[COND_NKINDS + COND_VIRTUALIZATION] ? virt_get() : &none;

	free(sv->cond_why);
	sv->cond_why = NULL;
	if (cond_check(sc, false, vi, what, sizeof(what)) == 0) {
		if (asprintf(&sv->cond_why, "condition failed: %s", what) < 0)
			sv->cond_why = NULL;
		log_info("%s: condition failed: %s; not started", sc->name,
		    what);
		/* down, as if stopped: nothing waits to restart it */
		sv->want = WANT_DOWN;
		sv->state = SV_DOWN;
		sv->outcome = SVO_STOPPED;
		sv->deadline_ms = -1;
		sv->run_failed = false;	/* no run: an older failure is past */
		return 1;
	}
	if (cond_check(sc, true, vi, what, sizeof(what)) == 0) {
		snprintf(why, len, "assert failed: %s", what);
		/* for status and a waiting start (svlog_failure) */
		free(sv->fail_why);
		sv->fail_why = strdup(why);
		sv->run_failed = true;
		return -2;
	}
	return 0;
}
