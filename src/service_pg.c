/*
 * service_pg.c: process-group tracking, the fallback without cgroup v2: a
 * service's process group, the processes that left it (found in /proc),
 * and the groups that outlived their main process ("leftovers"), among them
 * those of orphans adopted by guardiand (a child subreaper). service.c
 * calls it, and hands it its table to read where it needs the other
 * services; it calls nothing of service.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/*
 * What earlier runs left: process groups that outlived their main process
 * (a grandchild still working, or a daemon the service left behind), and
 * orphans guardiand adopted (pid != 0: one process, known by pid and start
 * time, wherever it goes: a setsid after its adoption does not lose it).
 * Not killed when the main process exits, since they may be finishing work
 * and their output is still forwarded; but a stop of the service, a new
 * start of it, and guardiand's own shutdown stop them and wait for them.
 */
struct leftover {
	struct leftover *next;
	char *name;
	pid_t pgid;		/* a group; 0 for an orphan */
	pid_t pid;		/* an orphan; 0 for a group */
	uint64_t start;		/* the leader's (orphan's) start time */
	int sig;		/* the service's stop_signal */
	struct lo_timing t;	/* when to announce, stop, kill: the policy's */
};
static struct leftover *leftovers;

/*
 * Sends a stop signal to a process group (before the child's setsid ran the
 * group does not exist yet: then to main itself) and to the extra processes
 * outside it; a stopped process cannot act on it until continued, so
 * SIGCONT follows.
 */
void
svpg_send_stop(pid_t pgid, pid_t main, const pid_t *extra, size_t n, int sig)
{
	int sigs[2] = { sig, SIGCONT };

	if (pgid <= 0)
		return;		/* never kill(0) or kill(-1) */
	for (int i = 0; i < (sig == SIGKILL || sig == SIGCONT ? 1 : 2); i++) {
		if (kill(-pgid, sigs[i]) < 0 && errno == ESRCH && main > 0)
			kill(main, sigs[i]);
		for (size_t j = 0; j < n; j++)
			kill(extra[j], sigs[i]);
	}
}

/* Adds the service's processes outside its group (setsid, setpgid) to
 * what a stop signals and waits for. */
void
svpg_find_escaped(struct service *sv)
{
	pid_t found[MAX_ESCAPED];
	size_t n;

	if (sv->pid <= 0 && sv->pgid <= 0)
		return;		/* nothing to start from */
	n = proctree_escaped(sv->pid, sv->pgid, sv->conf->name, found,
	    MAX_ESCAPED);
	if (sv->escaped == NULL &&
	    (sv->escaped = calloc(MAX_ESCAPED, sizeof(pid_t))) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (size_t j = 0; j < sv->nescaped && !known; j++)
			known = sv->escaped[j] == found[i];
		if (!known && sv->nescaped < MAX_ESCAPED) {
			sv->escaped[sv->nescaped++] = found[i];
			log_info("%s: pid %ld left the process group; stopping it "
			    "too", sv->conf->name, (long)found[i]);
		}
	}
}

/* Whether every process outside the group that a stop waits for is gone. */
bool
svpg_escaped_gone(struct service *sv)
{
	for (size_t i = 0; i < sv->nescaped; i++)
		if (proc_live(sv->escaped[i], NULL))
			return false;
	free(sv->escaped);
	sv->escaped = NULL;
	sv->nescaped = 0;
	return true;
}

bool
svpg_group_alive(pid_t pgid)
{
	return pgid > 0 && (kill(-pgid, 0) == 0 || errno != ESRCH);
}

/* The main process is gone but its group lives on: remember the group. */
void
svpg_leftover_add(const struct service *sv)
{
	struct leftover *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(sv->conf->name)) == NULL) {
		free(l);
		log_warnx("%s: out of memory, process group %ld forgotten",
		    sv->conf->name, (long)sv->pgid);
		return;
	}
	l->pgid = sv->pgid;
	l->start = sv->pg_start;
	l->sig = sv->conf->stop_signal;
	service_leftover_init(&l->t, sv->conf->stop_timeout_ms);
	l->next = leftovers;
	leftovers = l;
}

/* Whether an adopted orphan is still there (the same process: its start
 * time tells it from a reuse of the pid); its stat in ps. */
static bool
orphan_live(const struct leftover *l, struct procstat *ps)
{
	return proc_live(l->pid, ps) && ps->start == l->start;
}

/* Whether a leftover is still there: its group, or the orphan itself (its
 * children come back to guardiand when it dies, and are adopted then). */
static bool
leftover_alive(const struct leftover *l)
{
	struct procstat ps;

	return l->pid ? orphan_live(l, &ps) : svpg_group_alive(l->pgid);
}

/* A signal to a leftover and what left it: a group's members and their
 * descendants elsewhere (with marked orphans); an orphan, its group if it
 * leads one, and its descendants. */
static void
leftover_signal(const struct leftover *l, int sig)
{
	pid_t found[MAX_ESCAPED], pgid = l->pgid, main = 0;
	struct procstat ps;
	size_t n;

	if (l->pid) {
		if (!orphan_live(l, &ps))
			return;
		main = l->pid;
		pgid = ps.pgrp == l->pid ? l->pid : 0;
	}
	n = proctree_escaped(main, pgid, l->name, found, MAX_ESCAPED);
	if (pgid > 0)
		svpg_send_stop(pgid, main, found, n, sig);
	else {
		kill(main, sig);
		for (size_t i = 0; i < n; i++)
			kill(found[i], sig);
		if (sig != SIGKILL && sig != SIGCONT) {
			kill(main, SIGCONT);
			for (size_t i = 0; i < n; i++)
				kill(found[i], SIGCONT);
		}
	}
}

/* Stops one leftover (if not stopping already): the stop signal now,
 * SIGKILL after the service's stop_timeout. */
static void
leftover_stop_one(struct leftover *l, int64_t now)
{
	if (!(service_leftover_step(&l->t, LO_EV_STOP, true, now) & LO_TERM))
		return;
	if (l->pid)
		log_info("%s: stopping pid %ld, left by an earlier run, sending "
		    "%s", l->name, (long)l->pid, config_signal_name(l->sig));
	else
		log_info("%s: stopping leftover process group %ld, sending %s",
		    l->name, (long)l->pgid, config_signal_name(l->sig));
	leftover_signal(l, l->sig);
}

/* Asks the leftovers of a service (NULL: of all) to stop; orphans that
 * came to guardiand unnoticed are looked for first (all: the services). */
void
svpg_leftover_stop(const char *name, struct service *all)
{
	int64_t now = now_ms();

	(void)svpg_adopt(all);
	for (struct leftover *l = leftovers; l; l = l->next)
		if (name == NULL || strcmp(name, l->name) == 0)
			leftover_stop_one(l, now);
}

static int
cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return (x > y) - (x < y);
}

/* The service record a process group or session id belongs to: one whose
 * current group it is; NULL if none. */
static struct service *
group_owner(struct service *all, pid_t id)
{
	for (struct service *sv = all; sv; sv = sv->next)
		if (sv->pgid > 0 && sv->pgid == id)
			return sv;
	return NULL;
}

/* The leftover whose group (or orphan, as a group or session leader) has
 * this id; NULL if none. */
static struct leftover *
leftover_of(pid_t id)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		if ((l->pid ? l->pid : l->pgid) == id)
			return l;
	return NULL;
}

static bool
orphan_known(pid_t pid)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		if (l->pid == pid)
			return true;
	return false;
}

/* The record to attribute a process marked with name to: the configured
 * service, else one removed but still there; NULL if none. */
static struct service *
named(struct service *all, const char *name)
{
	struct service *any = NULL;

	for (struct service *sv = all; sv; sv = sv->next)
		if (strcmp(sv->conf->name, name) == 0) {
			if (!sv->removed)
				return sv;
			any = sv;
		}
	return any;
}

/* Remembers an adopted orphan as a leftover of a service (name, stop
 * signal and timeout given); NULL if out of memory. */
static struct leftover *
adopt_one(const char *name, pid_t pid, uint64_t start, int sig,
    int64_t stop_timeout_ms)
{
	struct leftover *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(name)) == NULL) {
		free(l);
		log_warnx("%s: out of memory, orphan %ld forgotten", name,
		    (long)pid);
		return NULL;
	}
	l->pid = pid;
	l->start = start;
	l->sig = sig;
	service_leftover_init(&l->t, stop_timeout_ms);
	l->t.announced = true;	/* said when adopted */
	l->next = leftovers;
	leftovers = l;
	return l;
}

/* An orphan that could not be told apart yet (an execve under way shows
 * an empty environment for a moment) is looked at again: after 5 ms,
 * doubling to 1 s, ADOPT_TRIES times, then taken for one without a mark
 * (said, with its pid: ours to stop with a service no longer). */
#define ADOPT_TRIES 12	/* about 5 s in all */
static int64_t adopt_again_ms = -1;
static unsigned adopt_tries;

static void
adopt_again(pid_t unsure, int64_t now)
{
	int64_t delay = (int64_t)5 << (adopt_tries < 8 ? adopt_tries : 8);

	adopt_again_ms = -1;
	if (!unsure) {
		adopt_tries = 0;
		return;
	}
	if (adopt_tries == ADOPT_TRIES) {
		log_info("guardiand: pid %ld, an orphan of guardiand, still "
		    "has an empty environment: taken for no service's",
		    (long)unsure);
		return;
	}
	log_debug("pid %ld, an orphan of guardiand, has an empty environment "
	    "(in an execve?): looked at again in %lld ms", (long)unsure,
	    (long long)(delay < 1000 ? delay : 1000));
	adopt_tries++;
	adopt_again_ms = now + (delay < 1000 ? delay : 1000);
}

/*
 * Orphans: processes reparented to guardiand (a child subreaper) when their
 * parent died. Each is attributed to a service: by its process group (the
 * main's, or a leftover's), else by its session (one that left its group
 * with setpgid stays in the service's session, whose id is the main
 * process's group), else by the GUARDIAND_SERVICE mark in its environment;
 * and remembered as a leftover of that service by pid and start time, so
 * that leaving its group later (setsid) does not lose it: recorded in the
 * state file, stopped with the service and before it starts again, and at
 * once if the service is stopping or wanted down. Called when a main
 * process exits or a stranger is reaped, the moments orphans arrive: one
 * read of guardiand's children, no polling. Services with a cgroup are
 * left to it. Whether a leftover was added (the state file is to follow).
 */
bool
svpg_adopt(struct service *all)
{
	pid_t *kids, *mains;
	size_t nkids, nmains = 0, i;
	bool fallback = false, added = false;
	pid_t unsure = 0;	/* an orphan not told apart yet */
	int64_t now = now_ms();

	for (struct service *sv = all; sv; sv = sv->next) {
		nmains++;
		fallback |= sv->cg == NULL;
	}
	if (!fallback || (nkids = proc_children(&kids)) == 0) {
		adopt_again(0, now);	/* nothing to look at again */
		return false;
	}
	/* mains, and their control processes (start_pre...) */
	if ((mains = calloc(nmains ? 2 * nmains : 1, sizeof(*mains))) == NULL) {
		free(kids);
		adopt_again(-1, now);
		return false;
	}
	nmains = 0;
	for (struct service *sv = all; sv; sv = sv->next)
		if (sv->pid > 0)
			mains[nmains++] = sv->pid;
	for (struct service *sv = all; sv; sv = sv->next)
		if (sv->ctl_pid > 0)
			mains[nmains++] = sv->ctl_pid;
	qsort(mains, nmains, sizeof(*mains), cmp_pid);
	for (i = 0; i < nkids; i++) {
		struct procstat ps;
		struct service *owner;
		struct leftover *by = NULL, *l;
		char mark[128];
		const char *how = NULL;
		int m;

		if (bsearch(&kids[i], mains, nmains, sizeof(*mains), cmp_pid) ||
		    orphan_known(kids[i]) || !proc_live(kids[i], &ps))
			continue;	/* a main process, or known */
		if ((owner = group_owner(all, ps.pgrp)) == NULL &&
		    (by = leftover_of(ps.pgrp)) == NULL) {
			how = "its session";
			if ((owner = group_owner(all, ps.sid)) == NULL &&
			    (by = leftover_of(ps.sid)) == NULL) {
				how = "its " SERVICE_MARK " mark";
				if ((m = proc_mark(kids[i], mark, sizeof(mark))) < 0 &&
				    proc_live(kids[i], NULL)) {
					unsure = kids[i];	/* in an execve: later */
					continue;
				}
				if (m <= 0 || (owner = named(all, mark)) == NULL) {
					log_debug("pid %ld, an orphan of guardiand, "
					    "belongs to no service it knows",
					    (long)kids[i]);
					continue;
				}
			}
		}
		if (owner && owner->cg != NULL)
			continue;	/* its cgroup tracks it */
		if (owner && (owner->conf->kill_mode == KILL_PROCESS ||
		    owner->conf->kill_mode == KILL_NONE))
			continue;	/* kill_mode: left running, not its */
		l = owner ? adopt_one(owner->conf->name, kids[i], ps.start,
		    owner->conf->kill_mode == KILL_MIXED ? SIGKILL :
		    owner->conf->stop_signal, owner->conf->stop_timeout_ms) :
		    adopt_one(by->name, kids[i], ps.start, by->sig,
		    by->t.stop_timeout_ms);
		if (l == NULL)
			continue;
		added = true;
		/* In a group it knows, it is said only if it leaves it. */
		if (how)
			log_info("%s: pid %ld outlived its parent outside the "
			    "service's process group; by %s it is the service's, "
			    "stopped with it", l->name, (long)kids[i], how);
		else
			log_debug("%s: pid %ld outlived its parent: adopted",
			    l->name, (long)kids[i]);
		/* without an owner, by is the leftover it came from */
		if (owner ? owner->state == SV_STOPPING || owner->removed ||
		    owner->want == WANT_DOWN : by->t.kill_at >= 0)
			leftover_stop_one(l, now);
	}
	free(mains);
	free(kids);
	adopt_again(unsure, now);
	return added;
}

/* Whether the look again for an orphan in an execve is due. */
bool
svpg_adopt_due(int64_t now)
{
	return adopt_again_ms >= 0 && now >= adopt_again_ms;
}

/* A pid taken on as a main process (a forking service's daemon, read from
 * its pidfile after its starter exited) is no orphan to stop any more. */
void
svpg_disown(pid_t pid)
{
	struct leftover **pp = &leftovers;

	while (*pp) {
		struct leftover *l = *pp;

		if (l->pid == pid && pid > 0) {
			*pp = l->next;
			free(l->name);
			free(l);
			continue;
		}
		pp = &l->next;
	}
}

/* Whether another record of the service's name (one removed from the config,
 * still stopping) has processes: the new one waits for them. */
static bool
old_instance_runs(const struct service *sv, const struct service *all)
{
	if (sv->removed)
		return false;
	for (const struct service *o = all; o; o = o->next)
		if (o != sv && o->removed &&
		    strcmp(o->conf->name, sv->conf->name) == 0 &&
		    (o->pid != 0 || o->state == SV_STOPPING ||
		    svpg_group_alive(o->pgid)))
			return true;
	return false;
}

/* Whether processes of the service's earlier runs are left (leftover groups,
 * adopted orphans, an old instance): it is not started beside them. */
bool
svpg_old_runs(const struct service *sv, const struct service *all)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		if (strcmp(l->name, sv->conf->name) == 0 && leftover_alive(l))
			return true;	/* gone ones are forgotten later */
	return old_instance_runs(sv, all);
}

/*
 * Never two instances, without cgroups: a service about to start whose
 * earlier runs left processes stops them first (the stop signal, SIGKILL
 * at stop_timeout: the leftovers' own timing; an old instance stops by its
 * own) and waits in state stopping; it starts once they are gone
 * (EV_GROUP_GONE, as with cgroups). Whether it must wait.
 */
bool
svpg_stop_old_runs(struct service *sv, struct service *all)
{
	(void)svpg_adopt(all);
	if (!svpg_old_runs(sv, all))
		return false;
	log_info("%s: processes of its last run are left; stopping them "
	    "before it starts", sv->conf->name);
	sv->state = SV_STOPPING;
	sv->exited = true;
	sv->killed = false;
	sv->deadline_ms = -1;	/* the leftovers keep their own SIGKILL time */
	svpg_leftover_stop(sv->conf->name, all);
	return true;
}

/* Does what the policy says for each leftover group: forget the ones that
 * are gone, announce new ones, SIGKILL the ones past their time. Whether
 * one was forgotten (the state file is to follow). */
bool
svpg_leftover_check(int64_t now)
{
	struct leftover **pp = &leftovers;
	bool forgot = false;

	while (*pp) {
		struct leftover *l = *pp;
		unsigned what = service_leftover_step(&l->t, LO_EV_CHECK,
		    leftover_alive(l), now);

		if (what & LO_FORGET) {
			if ((what & LO_WAS_STOPPING) && l->pid)
				log_debug("%s: pid %ld stopped", l->name,
				    (long)l->pid);
			else if (what & LO_WAS_STOPPING)
				log_info("%s: leftover process group %ld stopped",
				    l->name, (long)l->pgid);
			*pp = l->next;
			free(l->name);
			free(l);
			forgot = true;
			continue;
		}
		if (what & LO_ANNOUNCE)
			log_info("%s: process group %ld lives on after its main "
			    "process; it will be stopped with the service",
			    l->name, (long)l->pgid);
		if (what & LO_KILL) {
			log_warnx("%s: leftover %s %ld: stop timeout, sending "
			    "KILL", l->name, l->pid ? "pid" : "process group",
			    (long)(l->pid ? l->pid : l->pgid));
			leftover_signal(l, SIGKILL);
		}
		pp = &l->next;
	}
	return forgot;
}

bool
svpg_has_leftovers(const char *name)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		if (name == NULL || strcmp(name, l->name) == 0)
			return true;
	return false;
}

/* How many leftover groups there are (svpg_record adds them to g). */
size_t
svpg_count(void)
{
	size_t n = 0;

	for (struct leftover *l = leftovers; l; l = l->next)
		n++;
	return n;
}

void
svpg_record(struct state_group *g, size_t *n)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		g[(*n)++] = (struct state_group){ l->name,
		    l->pid ? l->pid : l->pgid, l->start };
}

/* The nearest deadline of the stopping leftovers, and a look now and then
 * in case no SIGCHLD tells that they are gone; -1 if none. */
int64_t
svpg_next_deadline(int64_t now)
{
	int64_t next = -1;

	for (struct leftover *l = leftovers; l; l = l->next)
		next = deadline_min(next, service_leftover_deadline(&l->t, now));
	return deadline_min(next, adopt_again_ms);
}

/* SIGKILL to every leftover and what left it, at once. */
void
svpg_kill_leftovers(void)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		leftover_signal(l, SIGKILL);
}

void
svpg_free_leftovers(void)
{
	while (leftovers) {
		struct leftover *l = leftovers;

		leftovers = l->next;
		free(l->name);
		free(l);
	}
}

static bool groups_changed;	/* since the state file was handed them */

/* Notes that the process groups guardiand answers for changed; the state
 * file is handed them once a loop turn (svpg_record_state), not at each
 * change, which would cost a walk of every service per exit. */
void
svpg_groups_changed(void)
{
	groups_changed = true;
}

/* Hands the state file every process group guardiand answers for: each
 * service's current one, then the leftovers, if they changed. */
void
svpg_record_state(const struct service *all)
{
	struct state_group *g;
	size_t n = 0, max = 0;

	if (!groups_changed)
		return;
	groups_changed = false;
	for (const struct service *sv = all; sv; sv = sv->next)
		max++;
	max += svpg_count();
	if ((g = calloc(max ? max : 1, sizeof(*g))) == NULL) {
		log_warnx("guardiand: out of memory, state file not updated");
		return;
	}
	for (const struct service *sv = all; sv; sv = sv->next)
		if (sv->pgid > 0)
			g[n++] = (struct state_group){ sv->conf->name, sv->pgid,
			    sv->pg_start };
	svpg_record(g, &n);
	state_record(g, n);
	free(g);
}
