/*
 * service_order.c: the start order at run time (after =, requires =, as
 * order.c checked them): what service.c asks before a start, and what is
 * due after a change. It answers; service.c acts (this module calls
 * nothing of it).
 *
 *   after = a b     starts once a and b are ready (up), if they are to run
 *   requires = a    the same, and it does not run while a is down for good
 *                   (stopped, or fatal): it is stopped when a stops for good
 *
 * Stops go the other way: a service stops after those that depend on it.
 */
#include <stdio.h>
#include <string.h>

#include "guardiand.h"

static const struct service *
running_find(const struct service *all, const char *name)
{
	for (const struct service *sv = all; sv; sv = sv->next)
		if (!sv->removed && strcmp(sv->conf->name, name) == 0)
			return sv;
	return NULL;
}

/* Kept down by a condition not met: as in systemd, that fails nothing
 * that follows or requires it. */
static bool
skipped(const struct service *d)
{
	return d->state == SV_DOWN && d->cond_why != NULL;
}

/* Down for good: stopped (not wanted up), or given up on. */
static bool
down_for_good(const struct service *d)
{
	return d->state == SV_FATAL || (d->want == WANT_DOWN &&
	    d->state == SV_DOWN);
}

/*
 * Whether sv must wait before it starts: a service of its after or
 * requires that is to run but is not ready yet, or one it requires that is
 * down for good. why says which.
 */
bool
order_blocked(const struct service *sv, const struct service *all, char *why,
    size_t len)
{
	char *const *lists[2] = { sv->conf->after, sv->conf->requires };

	for (int l = 0; l < 2; l++)
		for (char *const *p = lists[l]; p && *p; p++) {
			const struct service *d = running_find(all, *p);

			if (d == NULL || d->state == SV_UP || (d->conf->type ==
			    TYPE_ONESHOT && d->state == SV_DOWN &&
			    d->outcome == SVO_DONE_OK) || skipped(d))
				continue;	/* up, or a oneshot that did its
						 * part, or not run by a condition */
			if (l == 1 && down_for_good(d)) {
				snprintf(why, len, "it requires %s, which is %s",
				    d->conf->name, service_state_name(d->state));
				return true;
			}
			if (!down_for_good(d)) {
				snprintf(why, len, "waiting for %s (%s)",
				    d->conf->name, service_state_name(d->state));
				return true;
			}
		}
	return false;
}

/* The service sv requires that is down for good, or NULL. */
const struct service *
order_required_down(const struct service *sv, const struct service *all)
{
	for (char *const *p = sv->conf->requires; p && *p; p++) {
		const struct service *d = running_find(all, *p);

		if (d != NULL && down_for_good(d) && !skipped(d))
			return d;
	}
	return NULL;
}

/* Whether a service that depends on sv (by requires; or by after too,
 * unless requires_only) still runs: sv stops after it. */
bool
order_dependents_run(const struct service *sv, const struct service *all,
    bool requires_only)
{
	for (const struct service *x = all; x; x = x->next)
		if (x != sv && !x->removed && (x->pid != 0 ||
		    x->state == SV_STARTING || x->state == SV_UP ||
		    x->state == SV_STOPPING) &&
		    (order_names_have(x->conf->requires, sv->conf->name) ||
		    (!requires_only && order_names_have(x->conf->after,
		    sv->conf->name))))
			return true;
	return false;
}

/* A service wanted up that requires sv, or NULL. */
struct service *
order_requirer(const struct service *sv, struct service *all)
{
	for (struct service *x = all; x; x = x->next)
		if (x != sv && !x->removed && x->want == WANT_UP &&
		    order_names_have(x->conf->requires, sv->conf->name))
			return x;
	return NULL;
}

/*
 * The next step the start order calls for, or NULL: a waiting service that
 * may start now (*ev EV_START); one wanted up whose required service is
 * down for good (EV_STOP, why says so); one whose stop waited for what
 * depends on it, which is down (EV_STOP).
 */
struct service *
order_next(struct service *all, enum sv_event *ev, char *why, size_t len)
{
	const struct service *d;
	char tmp[256];

	why[0] = '\0';
	for (struct service *sv = all; sv; sv = sv->next) {
		if (sv->removed)
			continue;
		if (sv->stop_deferred && !order_dependents_run(sv, all,
		    sv->stop_deferred == 1)) {
			*ev = EV_STOP;
			return sv;
		}
		if (!order_any(sv->conf) || sv->want != WANT_UP)
			continue;
		if (sv->state == SV_WAITING &&
		    !order_blocked(sv, all, tmp, sizeof(tmp))) {
			*ev = EV_START;
			return sv;
		}
		if (sv->state != SV_WAITING &&
		    (d = order_required_down(sv, all)) != NULL) {
			snprintf(why, len, "stopping: it requires %s, which is "
			    "%s", d->conf->name, service_state_name(d->state));
			*ev = EV_STOP;
			return sv;
		}
	}
	return NULL;
}
