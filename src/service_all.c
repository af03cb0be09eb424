/*
 * service_all.c: questions and orders about every service at once, for
 * guardiand's start-up and shutdown (main.c): is any still starting, are
 * all down, and the second stop signal's SIGKILL to all of them.
 */
#include <signal.h>

#include "guardiand.h"

/* A second stop signal: SIGKILL to every service's process group and the
 * processes that left it, and to every leftover group, at once. */
void
service_kill_all(void)
{
	for (struct service *sv = service_list(); sv; sv = sv->next) {
		svctl_cancel(sv);	/* its control process, and the rest */
		if (sv->cg) {
			svcg_kill(sv->cg, sv->pid);
			continue;
		}
		if (sv->pgid <= 0)
			continue;
		svpg_find_escaped(sv);
		svpg_send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped, SIGKILL);
	}
	svcg_strays_tick(now_ms(), true);
	svpg_kill_leftovers();
}

/* Whether a service is on its way up: starting (not ready yet), or
 * waiting for the start order. */
bool
service_any_starting(void)
{
	for (struct service *sv = service_list(); sv; sv = sv->next)
		if (!sv->removed && sv->want == WANT_UP &&
		    (sv->state == SV_STARTING || sv->state == SV_WAITING))
			return true;
	return false;
}

bool
service_all_down(void)
{
	if (svpg_has_leftovers(NULL) || svcg_strays_left())
		return false;
	for (struct service *sv = service_list(); sv; sv = sv->next)
		if (sv->pid != 0 || sv->state == SV_STOPPING || sv->ctl != 0 ||
		    sv->state == SV_STARTING || sv->state == SV_UP)
			return false;
	return true;
}
