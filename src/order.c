/*
 * order.c: start order between services (after =, requires =), as the
 * configuration has it: checked when it is loaded (every name a service,
 * no cycle). service_order.c answers for it at run time.
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
bool
order_names_have(char *const *list, const char *name)
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
 * The configuration's start order: every name in after, requires (and
 * part_of) is another service of it, and there is no cycle. 0, or -1 with one
 * "file:line: ..." message in err.
 */
int
order_check(const struct conf *c, char *err, size_t errlen)
{
	struct dfs d = { .c = c, .err = err, .errlen = errlen };
	int r = 0;

	for (struct svc_conf *sc = c->services; sc; sc = sc->next) {
		char *const *lists[3] = { sc->after, sc->requires,
		    sc->part_of };
		static const char *const keys[3] = { "after", "requires",
		    "part_of" };

		d.n++;
		for (int l = 0; l < 3; l++)
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

/* Whether sv takes part in any order (so the loop need not ask). */
bool
order_any(const struct svc_conf *sc)
{
	return (sc->after && sc->after[0]) || (sc->requires && sc->requires[0]);
}
