/*
 * usage.c: what `guardianctl status` reports of each service's processes
 * (count, memory, CPU time) and what `guardianctl signal --all` reaches.
 * With a cgroup, the kernel's list (service_cg.c, track.c). Without one,
 * the process-group fallback's idea of the service: its process group, its
 * main process, the processes a stop found outside the group, orphans that
 * came back to guardiand carrying the service's mark (GUARDIAND_SERVICE),
 * and the descendants of all of these; found in ONE walk of /proc for every
 * service asked, and only when asked: never on a timer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define OWNER_UNKNOWN	(-1)	/* not looked at yet */
#define OWNER_NONE	(-2)	/* no service asked about owns it */
#define CHAIN_MAX	64	/* ancestors followed to find an owner */

/* The processes of one walk of /proc (proc_table); tag: the owner. */
struct utable {
	struct proc_entry *v;
	long n;
};

/* The owner of p: its own if set, else the first owned ancestor's, which
 * every process on the way gets too. */
static int
resolve(struct utable *t, struct proc_entry *p)
{
	struct proc_entry *chain[CHAIN_MAX];
	int n = 0, owner = OWNER_NONE;

	while (p != NULL && p->tag == OWNER_UNKNOWN && n < CHAIN_MAX) {
		chain[n++] = p;
		p = proc_find(t->v, t->n, p->ppid);
	}
	if (p != NULL && p->tag != OWNER_UNKNOWN)
		owner = p->tag;
	while (n > 0)
		chain[--n]->tag = owner;
	return owner;
}

/*
 * Walks /proc once and gives each process the index of the service (of
 * the n in sv, all tracked by process group) it belongs to, or OWNER_NONE.
 * 0, or -1 if /proc cannot be read.
 */
static int
attribute(struct service *const *sv, size_t n, struct utable *t)
{
	pid_t self = getpid();
	char mark[128];
	struct proc_entry *p;

	if ((t->n = proc_table(&t->v)) < 0)
		return -1;
	for (long k = 0; k < t->n; k++)
		t->v[k].tag = OWNER_UNKNOWN;
	/* Roots: main processes, those a stop found outside the group. */
	for (size_t i = 0; i < n; i++) {
		if ((p = proc_find(t->v, t->n, sv[i]->pid)) != NULL)
			p->tag = (int)i;
		for (size_t j = 0; j < sv[i]->nescaped; j++)
			if ((p = proc_find(t->v, t->n, sv[i]->escaped[j])) != NULL)
				p->tag = (int)i;
	}
	/* Process group members, and marked orphans that came back to us. */
	for (long k = 0; k < t->n; k++) {
		p = &t->v[k];
		if (p->tag != OWNER_UNKNOWN)
			continue;
		for (size_t i = 0; i < n && p->tag == OWNER_UNKNOWN; i++)
			if (sv[i]->pgid > 0 && p->pgrp == sv[i]->pgid)
				p->tag = (int)i;
		if (p->tag != OWNER_UNKNOWN || p->ppid != self ||
		    proc_mark(p->pid, mark, sizeof(mark)) <= 0)
			continue;
		for (size_t i = 0; i < n && p->tag == OWNER_UNKNOWN; i++)
			if (strcmp(sv[i]->conf->name, mark) == 0)
				p->tag = (int)i;
	}
	/* Then the descendants of all of these. */
	for (long k = 0; k < t->n; k++)
		(void)resolve(t, &t->v[k]);
	return 0;
}

/*
 * Fills u[i] with what service sv[i] holds now: from its cgroup, or for
 * the services tracked by process group, from one walk of /proc for all.
 */
void
usage_collect(struct service *const *sv, size_t n, struct track_usage *u)
{
	struct service **pg;
	size_t *at, npg = 0;
	struct utable t;
	int memcg = -1;		/* not asked yet */

	memset(u, 0, n * sizeof(*u));
	if ((pg = calloc(n ? n : 1, sizeof(*pg))) == NULL ||
	    (at = calloc(n ? n : 1, sizeof(*at))) == NULL) {
		free(pg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (sv[i]->cg != NULL) {
			if (memcg < 0)
				memcg = svcg_memory_on();
			(void)svcg_usage(sv[i]->cg, &u[i], memcg);
		} else {
			at[npg] = i;
			pg[npg++] = sv[i];
		}
	}
	if (npg > 0 && attribute(pg, npg, &t) == 0) {
		for (long k = 0; k < t.n; k++) {
			struct track_usage *o;

			if (t.v[k].tag < 0)
				continue;
			o = &u[at[t.v[k].tag]];
			o->procs++;
			track_proc_usage(&t.v[k].pid, 1, o, true, true);
		}
	}
	if (npg > 0)
		free(t.v);
	free(pg);
	free(at);
}

/*
 * sig to every process of the service (signal --all): its cgroup's, or
 * without one its process group (in one kill, so that none is missed or
 * signalled twice) and the rest found in /proc. How many processes it
 * reached, or -1 with errno.
 */
long
usage_signal_all(struct service *sv, int sig)
{
	struct service *one[1] = { sv };
	struct utable t;
	long sent = 0;
	bool group = false;

	if (sv->cg != NULL)
		return svcg_signal_all(sv->cg, sv->pid, sig);
	if (attribute(one, 1, &t) < 0)
		return -1;
	/* Before the child's setsid the group does not exist yet. */
	if (sv->pgid > 0 && kill(-sv->pgid, sig) == 0)
		group = true;
	for (long k = 0; k < t.n; k++) {
		if (t.v[k].tag != 0)
			continue;
		if (group && t.v[k].pgrp == sv->pgid)
			sent++;
		else if (kill(t.v[k].pid, sig) == 0)
			sent++;
	}
	free(t.v);
	return sent;
}
