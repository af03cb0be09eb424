/*
 * service_fork.c: the main process of a service that daemonizes itself
 * (type = forking). Its starter runs as any service does; once it has exited
 * 0, the main process is read from the pidfile (mainpid.c's rules), or,
 * without one, is the one process the starter left that came to guardiand
 * (a child subreaper gets the orphans of its children). service.c asks again
 * on a timer until ready_timeout; nothing here waits.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* Whether pid is the main process of one of the services. */
static bool
is_a_main(const struct service *all, pid_t pid)
{
	for (const struct service *sv = all; sv; sv = sv->next)
		if (sv->pid == pid)
			return true;
	return false;
}

/* mainpid_read's question, with cgroups: is pid in the service's cgroup. */
static int
in_cgroup(pid_t pid, void *arg)
{
	return track_has(arg, pid) == 1;
}

/* The candidates for a main process without a pidfile. */
struct cand {
	const struct service *sv;
	const struct service *all;	/* every service, to skip their mains */
	pid_t self;
	pid_t pid[2];		/* the first two found */
	size_t n;		/* how many were found */
	size_t nmarked;		/* of which carry the service's mark */
	pid_t marked;
};

static void
cand_add(struct cand *c, pid_t pid)
{
	if (c->n < 2)
		c->pid[c->n] = pid;
	c->n++;
	if (proc_has_mark(pid, c->sv->conf->name)) {
		c->nmarked++;
		c->marked = pid;
	}
}

/* Without cgroups: guardiand's children started since the starter that no
 * service has as its main process. */
static bool
cand_walk(void *arg, pid_t pid, const struct procstat *ps)
{
	struct cand *c = arg;

	if (ps->ppid == c->self && ps->start >= c->sv->pg_start &&
	    !is_a_main(c->all, pid))
		cand_add(c, pid);
	return true;
}

/* The one candidate, or 0 with why. */
static pid_t
cand_pick(const struct cand *c, char *why, size_t wlen)
{
	if (c->n == 1)
		return c->pid[0];
	if (c->nmarked == 1)
		return c->marked;
	if (c->n == 0)
		snprintf(why, wlen, "its starter exited 0 and left no process "
		    "that came to guardiand");
	else
		snprintf(why, wlen, "its starter left %zu processes that came "
		    "to guardiand (pids %ld, %ld...), so its main process is not "
		    "known: set pidfile", c->n, (long)c->pid[0],
		    (long)c->pid[1]);
	return 0;
}

/* Without a pidfile: the one process the starter left that is our child. */
static pid_t
find_child(const struct service *sv, const struct service *all, char *why,
    size_t wlen)
{
	struct cand c = { .sv = sv, .all = all, .self = getpid() };
	struct procstat ps;
	pid_t *pids;
	long n;

	if (sv->cg == NULL) {
		if (proc_walk(cand_walk, &c) != 0) {
			snprintf(why, wlen, "cannot read /proc: %s",
			    strerror(errno));
			return 0;
		}
		return cand_pick(&c, why, wlen);
	}
	if ((n = track_pids(sv->cg, &pids)) < 0) {
		snprintf(why, wlen, "cannot list its cgroup: %s",
		    strerror(errno));
		return 0;
	}
	for (long i = 0; i < n; i++)
		if (proc_live(pids[i], &ps) && ps.ppid == c.self)
			cand_add(&c, pids[i]);
	free(pids);
	return cand_pick(&c, why, wlen);
}

/*
 * Looks for the main process of a forking service whose starter exited 0:
 * 1 with *pidp, 0 if not (yet) found, with why; -1 if it cannot be found any
 * more (its cgroup is empty), with why.
 */
static int
find(const struct service *sv, const struct service *all, pid_t *pidp,
    char *why, size_t wlen)
{
	const struct svc_conf *sc = sv->conf;

	*pidp = 0;
	if (sv->cg && track_populated(sv->cg) == 0) {
		snprintf(why, wlen, "its starter exited 0 and no process of "
		    "it is left");
		return -1;
	}
	if (sc->pidfile == NULL)
		return (*pidp = find_child(sv, all, why, wlen)) > 0;
	if (mainpid_read(sc->pidfile, sv->cg ? in_cgroup : NULL, sv->cg, pidp,
	    why, wlen) == 0)
		return 1;
	*pidp = 0;
	return 0;
}

/* Whether pid came to guardiand (its parent), so that waitpid sees its end. */
static bool
is_child(pid_t pid)
{
	struct procstat ps;

	return proc_live(pid, &ps) && ps.ppid == getpid();
}

/* A forking service's start failed: said, kept for the log of its end. */
static int
start_failed(struct service *sv, const char *why)
{
	free(sv->fail_why);
	sv->fail_why = strdup(why);
	log_warnx("%s: start failed: %s", sv->conf->name, why);
	return EV_START_FAILED;
}

/*
 * ACT_CHECK_START: its starter has exited 0 (or the timer of the next look
 * fired). The main process is looked for: EV_MAIN_FOUND with sv->pid set,
 * EV_START_FAILED, or -1 with the next look on sv's timer, until
 * ready_timeout. all: every service (their main processes are not this
 * one's).
 */
int
svfork_look(struct service *sv, const struct service *all, int64_t now)
{
	char why[PATH_MAX + 256] = "", b[32];
	pid_t pid;
	int r;

	if (!sv->forked) {
		if (now < sv->start_by_ms) {
			sv->deadline_ms = sv->start_by_ms;
			return -1;
		}
		snprintf(why, sizeof(why), "its starter, pid %ld, did not exit "
		    "within ready_timeout = %s", (long)sv->pid, fmt_duration(
		    sv->conf->ready_timeout_ms, b, sizeof(b)));
		return start_failed(sv, why);
	}
	if ((r = find(sv, all, &pid, why, sizeof(why))) == 1 &&
	    !is_child(pid)) {
		snprintf(why, sizeof(why), "pid %ld is not a child of guardiand "
		    "(its parent lives), so its end could not be seen",
		    (long)pid);
		r = 0;
	}
	if (r == 1) {
		struct procstat ps;

		if (why[0] != '\0')
			log_warnx("%s: %s", sv->conf->name, why);
		sv->pid = pid;
		svpg_disown(pid);	/* an adopted orphan no longer: the main */
		if (sv->cg == NULL && proc_stat(pid, &ps) == 0 && ps.pgrp > 0) {
			struct procstat lead;

			sv->pgid = ps.pgrp;
			sv->pg_start = proc_stat(ps.pgrp, &lead) == 0 ?
			    lead.start : 0;
		}
		log_info("%s: started, main pid %ld%s%s", sv->conf->name,
		    (long)pid, sv->conf->pidfile ? " from " : "",
		    sv->conf->pidfile ? sv->conf->pidfile : "");
		return EV_MAIN_FOUND;
	}
	if (r < 0 || now >= sv->start_by_ms) {
		if (r == 0) {
			size_t n = strlen(why);

			snprintf(why + n, sizeof(why) - n, "%s(after "
			    "ready_timeout = %s)", n ? " " : "", fmt_duration(
			    sv->conf->ready_timeout_ms, b, sizeof(b)));
		}
		return start_failed(sv, why);
	}
	log_debug("%s: main process not known yet: %s", sv->conf->name, why);
	sv->deadline_ms = now + sv->find_delay_ms;
	if (sv->deadline_ms > sv->start_by_ms)
		sv->deadline_ms = sv->start_by_ms;
	sv->find_delay_ms *= 2;
	if (sv->find_delay_ms > FIND_MAIN_MAX_MS)
		sv->find_delay_ms = FIND_MAIN_MAX_MS;
	return -1;
}
