/*
 * order.c: start order between services (after =, requires =): checked
 * when the configuration is loaded (every name a service, no cycle), and
 * asked by service.c at run time, which acts on the answers (this module
 * calls nothing of it).
 *
 *   after = a b     starts once a and b are ready (up), if they are to run
 *   requires = a    the same, and it does not run while a is down for good
 *                   (stopped, or fatal): it is stopped when a stops for good
 *
 * Stops go the other way: a service stops after those that depend on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* Whether list (NULL-ended) holds name. */
static bool
names_have(char *const *list, const char *name)
{
	for (; list && *list; list++)
		if (strcmp(*list, name) == 0)
			return true;
	return false;
}

static struct svc_conf *
conf_find(const struct conf *c, const char *name)
{
	for (struct svc_conf *sc = c->services; sc; sc = sc->next)
		if (strcmp(sc->name, name) == 0)
			return sc;
	return NULL;
}

/* DFS state of each service while looking for a cycle. */
enum { WHITE, GREY, BLACK };

struct dfs {
	const struct conf *c;
	struct svc_conf **path;		/* the services on the way */
	size_t depth;
	int *color;
	struct svc_conf **all;
	size_t n;
	char *err;
	size_t errlen;
};

static int
index_of(const struct dfs *d, const struct svc_conf *sc)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->all[i] == sc)
			return (int)i;
	return -1;
}

/* "a -> b -> a": the cycle, from where it starts on the path. */
static void
say_cycle(struct dfs *d, const struct svc_conf *back)
{
	size_t from = 0, o;

	while (from < d->depth && d->path[from] != back)
		from++;
	o = (size_t)snprintf(d->err, d->errlen, "%s:%d: service \"%s\": a "
	    "start order cycle: ", d->path[from]->file ? d->path[from]->file :
	    "?", d->path[from]->line, d->path[from]->name);
	for (size_t i = from; i < d->depth && o < d->errlen; i++)
		o += (size_t)snprintf(d->err + o, d->errlen - o, "%s -> ",
		    d->path[i]->name);
	if (o < d->errlen)
		snprintf(d->err + o, d->errlen - o, "%s (after and requires)",
		    back->name);
}

static int
visit(struct dfs *d, struct svc_conf *sc)
{
	int i = index_of(d, sc);
	char *const *lists[2] = { sc->after, sc->requires };

	if (d->color[i] == BLACK)
		return 0;
	if (d->color[i] == GREY) {
		say_cycle(d, sc);
		return -1;
	}
	d->color[i] = GREY;
	d->path[d->depth++] = sc;
	for (int l = 0; l < 2; l++)
		for (char *const *p = lists[l]; p && *p; p++)
			if (visit(d, conf_find(d->c, *p)) < 0)
				return -1;
	d->depth--;
	d->color[i] = BLACK;
	return 0;
}

/*
 * The configuration's start order: every name in after and requires is
 * another service of it, and there is no cycle. 0, or -1 with one
 * "file:line: ..." message in err.
 */
int
order_check(const struct conf *c, char *err, size_t errlen)
{
	struct dfs d = { .c = c, .err = err, .errlen = errlen };
	int r = 0;

	for (struct svc_conf *sc = c->services; sc; sc = sc->next) {
		char *const *lists[2] = { sc->after, sc->requires };
		static const char *const keys[2] = { "after", "requires" };

		d.n++;
		for (int l = 0; l < 2; l++)
			for (char *const *p = lists[l]; p && *p; p++) {
				const char *bad = strcmp(*p, sc->name) == 0 ?
				    "itself" : conf_find(c, *p) == NULL ?
				    "no service of this configuration" : NULL;

				if (bad) {
					snprintf(err, errlen, "%s:%d: service "
					    "\"%s\": %s names \"%s\", which is %s",
					    sc->file ? sc->file : "?", sc->line,
					    sc->name, keys[l], *p, bad);
					return -1;
				}
			}
	}
	if (d.n == 0)
		return 0;
	d.all = calloc(d.n, sizeof(*d.all));
	d.path = calloc(d.n, sizeof(*d.path));
	d.color = calloc(d.n, sizeof(*d.color));
	if (d.all == NULL || d.path == NULL || d.color == NULL) {
		snprintf(err, errlen, "out of memory");
		r = -1;
		goto out;
	}
	d.n = 0;
	for (struct svc_conf *sc = c->services; sc; sc = sc->next)
		d.all[d.n++] = sc;
	for (size_t i = 0; i < d.n && r == 0; i++)
		r = visit(&d, d.all[i]);
out:
	free(d.all);
	free(d.path);
	free(d.color);
	return r;
}

static const struct service *
running_find(const struct service *all, const char *name)
{
	for (const struct service *sv = all; sv; sv = sv->next)
		if (!sv->removed && strcmp(sv->conf->name, name) == 0)
			return sv;
	return NULL;
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

			if (d == NULL || d->state == SV_UP)
				continue;
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

		if (d != NULL && down_for_good(d))
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
		    (names_have(x->conf->requires, sv->conf->name) ||
		    (!requires_only && names_have(x->conf->after,
		    sv->conf->name))))
			return true;
	return false;
}

/* Whether sv takes part in any order (so the loop need not ask). */
bool
order_any(const struct svc_conf *sc)
{
	return (sc->after && sc->after[0]) || (sc->requires && sc->requires[0]);
}

/* A service wanted up that requires sv, or NULL. */
struct service *
order_requirer(const struct service *sv, struct service *all)
{
	for (struct service *x = all; x; x = x->next)
		if (x != sv && !x->removed && x->want == WANT_UP &&
		    names_have(x->conf->requires, sv->conf->name))
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
