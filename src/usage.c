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

struct uproc {
	pid_t pid, ppid, pgrp;
	int owner;		/* index of the service, or OWNER_* */
};

struct utable {
	struct uproc *v;
	size_t n, cap;
};

static bool
add_proc(void *arg, pid_t pid, const struct procstat *ps)
{
	struct utable *t = arg;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct uproc *nv = reallocarray(t->v, cap, sizeof(*nv));

		if (nv == NULL)
			return false;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n++] = (struct uproc){ pid, ps->ppid, ps->pgrp, OWNER_UNKNOWN };
	return true;
}

static int
by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct uproc *)a)->pid, y = ((const struct uproc *)b)->pid;

	return x < y ? -1 : x > y;
}

static struct uproc *
find(struct utable *t, pid_t pid)
{
	struct uproc key = { .pid = pid };

	return pid > 0 ? bsearch(&key, t->v, t->n, sizeof(*t->v), by_pid) : NULL;
}

/* The service a process's environment names (GUARDIAND_SERVICE=NAME) into
 * name; false if none (or the program overwrote its environment). */
static bool
read_mark(pid_t pid, char *name, size_t len)
{
	static const char want[] = SERVICE_MARK "=";
	char file[64], *buf;
	size_t got = 0, cap = 65536;
	ssize_t n;
	bool found = false;
	int fd;

	snprintf(file, sizeof(file), "/proc/%ld/environ", (long)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return false;
	}
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	for (size_t i = 0; i < got && !found; i += strlen(buf + i) + 1)
		if (strncmp(buf + i, want, sizeof(want) - 1) == 0 &&
		    strlen(buf + i + sizeof(want) - 1) < len) {
			strcpy(name, buf + i + sizeof(want) - 1);
			found = true;
		}
	free(buf);
	return found;
}

/* The owner of p: its own if set, else the first owned ancestor's, which
 * every process on the way gets too. */
static int
resolve(struct utable *t, struct uproc *p)
{
	struct uproc *chain[CHAIN_MAX];
	int n = 0, owner = OWNER_NONE;

	while (p != NULL && p->owner == OWNER_UNKNOWN && n < CHAIN_MAX) {
		chain[n++] = p;
		p = find(t, p->ppid);
	}
	if (p != NULL && p->owner != OWNER_UNKNOWN)
		owner = p->owner;
	while (n > 0)
		chain[--n]->owner = owner;
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
	struct uproc *p;

	t->v = NULL;
	t->n = t->cap = 0;
	if (proc_walk(add_proc, t) < 0)
		return -1;
	qsort(t->v, t->n, sizeof(*t->v), by_pid);
	/* Roots: main processes, those a stop found outside the group. */
	for (size_t i = 0; i < n; i++) {
		if ((p = find(t, sv[i]->pid)) != NULL)
			p->owner = (int)i;
		for (size_t j = 0; j < sv[i]->nescaped; j++)
			if ((p = find(t, sv[i]->escaped[j])) != NULL)
				p->owner = (int)i;
	}
	/* Process group members, and marked orphans that came back to us. */
	for (size_t k = 0; k < t->n; k++) {
		p = &t->v[k];
		if (p->owner != OWNER_UNKNOWN)
			continue;
		for (size_t i = 0; i < n && p->owner == OWNER_UNKNOWN; i++)
			if (sv[i]->pgid > 0 && p->pgrp == sv[i]->pgid)
				p->owner = (int)i;
		if (p->owner != OWNER_UNKNOWN || p->ppid != self ||
		    !read_mark(p->pid, mark, sizeof(mark)))
			continue;
		for (size_t i = 0; i < n && p->owner == OWNER_UNKNOWN; i++)
			if (strcmp(sv[i]->conf->name, mark) == 0)
				p->owner = (int)i;
	}
	/* Then the descendants of all of these. */
	for (size_t k = 0; k < t->n; k++)
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
		for (size_t k = 0; k < t.n; k++) {
			struct track_usage *o;

			if (t.v[k].owner < 0)
				continue;
			o = &u[at[t.v[k].owner]];
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
	for (size_t k = 0; k < t.n; k++) {
		if (t.v[k].owner != 0)
			continue;
		if (group && t.v[k].pgrp == sv->pgid)
			sent++;
		else if (kill(t.v[k].pid, sig) == 0)
			sent++;
	}
	free(t.v);
	return sent;
}
