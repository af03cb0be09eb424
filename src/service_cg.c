/*
 * service_cg.c: cgroup v2 tracking for the service core. guardiand's own
 * subtree (track.c) is opened once at start-up; each service keeps its
 * cgroup open for its life. Without a usable cgroup2 nothing here is used
 * and services are tracked by process group, as before.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

static struct track_root root = { -1, NULL, NULL };
static enum cgroup_mode started;	/* [guardiand] cgroup at start-up */

/* Opens this instance's subtree (unless cgroup = off) and logs which
 * tracking is used. */
void
svcg_open(const char *pidfile, enum cgroup_mode mode)
{
	char why[512];

	started = mode;
	/* track_cgroup2 honours GUARDIAND_CGROUP=off too. */
	if (track_root_open(&root, pidfile, mode != CGROUP_OFF, why,
	    sizeof(why)) == 0)
		log_info("guardiand: cgroup tracking in %s", root.path);
	else
		log_info("guardiand: process-group tracking: %s", why);
}

/* A reload cannot change the tracking of running services: says so. */
void
svcg_reload_check(enum cgroup_mode mode)
{
	const struct config_key *k = config_key_find("cgroup", KEY_MAIN);

	if (mode != started)
		log_warnx("reload: cgroup = %s is ignored until guardiand is "
		    "restarted (still %s)", k->choices[mode],
		    k->choices[started]);
}

bool
svcg_on(void)
{
	return root.fd >= 0;
}

/* At exit: the subtree goes if nothing is left in it. */
void
svcg_close(void)
{
	track_root_close(&root, true);
}

/* Opens a service's cgroup (making it): NULL without cgroup tracking, or
 * when it cannot be opened (logged). */
struct track_cg *
svcg_attach(const char *name)
{
	struct track_cg *cg;

	if (root.fd < 0)
		return NULL;
	if ((cg = calloc(1, sizeof(*cg))) == NULL ||
	    track_cg_open(&root, name, cg) != 0) {
		log_warn("%s: cannot open its cgroup in %s", name, root.path);
		free(cg);
		return NULL;
	}
	return cg;
}

/* Closes a service's cgroup, removing it when empty (and remove). */
void
svcg_detach(struct track_cg *cg, bool remove)
{
	if (cg == NULL)
		return;
	if (!remove || track_populated(cg) != 0 ||
	    track_cg_remove(&root, cg) != 0)
		track_cg_close(cg);
	free(cg);
}

/* 1 if the cgroup holds processes, 0 if not (or none is open). */
int
svcg_populated(const struct track_cg *cg)
{
	return cg != NULL && track_populated(cg) == 1;
}

/* A stop signal to every process of the cgroup, and to main if it has not
 * joined yet; a stopped process needs SIGCONT to act on it. */
void
svcg_signal(const struct track_cg *cg, pid_t main, int sig)
{
	if (cg == NULL)
		return;
	track_signal(cg, sig);
	if (main > 0 && track_has(cg, main) == 0)
		kill(main, sig);
	if (sig != SIGKILL && sig != SIGCONT)
		track_signal(cg, SIGCONT);
}

/* SIGKILL to every process of the cgroup (cgroup.kill where there). */
void
svcg_kill(const struct track_cg *cg, pid_t main)
{
	if (cg == NULL)
		return;
	track_kill(cg);
	if (main > 0 && track_has(cg, main) == 0)
		kill(main, SIGKILL);
}

/* The services whose cgroups a previous guardiand left populated. */
char **
svcg_leftovers(void)
{
	return root.fd >= 0 ? track_leftovers(&root) : NULL;
}

/*
 * Stray cgroups: services of a guardiand killed with SIGKILL that are no
 * longer in the config. Stopped as a service would be (SIGTERM, SIGKILL
 * after STRAY_TIMEOUT_MS), removed once empty.
 */
#define STRAY_TIMEOUT_MS	10000
struct stray {
	struct stray *next;
	struct track_cg cg;
	int64_t kill_at;
};
static struct stray *strays;

static void
stray_forget(struct stray *s)
{
	struct stray **pp;

	for (pp = &strays; *pp && *pp != s; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = s->next;
	loop_del(s->cg.events_fd);
	log_info("%s: stopped", s->cg.name);
	if (track_cg_remove(&root, &s->cg) != 0)
		track_cg_close(&s->cg);
	free(s);
}

static void
stray_events(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	if (track_populated(&((struct stray *)arg)->cg) == 0)
		stray_forget(arg);
}

/* Stops the cgroup of a service of an earlier guardiand not in the config. */
void
svcg_stop_stray(const char *name)
{
	struct stray *s = calloc(1, sizeof(*s));

	if (s == NULL || track_cg_open(&root, name, &s->cg) != 0) {
		log_warn("%s: cannot open the cgroup an earlier guardiand left",
		    name);
		free(s);
		return;
	}
	s->kill_at = now_ms() + STRAY_TIMEOUT_MS;
	s->next = strays;
	strays = s;
	log_info("%s: no longer configured; stopping what an earlier guardiand "
	    "left in %s, sending TERM", name, s->cg.name);
	if (loop_add(s->cg.events_fd, POLLPRI, stray_events, s) < 0)
		log_warn("%s: watching its cgroup", name);
	svcg_signal(&s->cg, 0, SIGTERM);
	if (track_populated(&s->cg) == 0)
		stray_forget(s);
}

/* SIGKILL to the strays past their time (all: to every one now). */
void
svcg_strays_tick(int64_t now, bool all)
{
	for (struct stray *s = strays; s; s = s->next)
		if (all || now >= s->kill_at) {
			log_warnx("%s: stop timeout, sending KILL to its cgroup",
			    s->cg.name);
			track_kill(&s->cg);
			s->kill_at = now + STRAY_TIMEOUT_MS;
		}
}

/* The next SIGKILL deadline of a stray, or -1. */
int64_t
svcg_strays_next(void)
{
	int64_t next = -1;

	for (struct stray *s = strays; s; s = s->next)
		next = deadline_min(next, s->kill_at);
	return next;
}

bool
svcg_strays_left(void)
{
	return strays != NULL;
}

/* Whether the services' cgroups have memory.current: once per status. */
bool
svcg_memory_on(void)
{
	return track_root_memory(&root);
}

/* What a service's cgroup holds now (guardianctl status): 0, or -1.
 * memcg: svcg_memory_on()'s answer. An empty cgroup (a service down or in
 * backoff) holds nothing, known from the open cgroup.events alone. */
int
svcg_usage(const struct track_cg *cg, struct track_usage *u, bool memcg)
{
	if (cg == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (track_populated(cg) == 0) {
		memset(u, 0, sizeof(*u));
		return 0;
	}
	return track_usage_as(cg, u, memcg);
}

/*
 * The operator's signal to every process of the cgroup (signal --all), and
 * to main if it has not joined yet: as given, no SIGCONT after it. How many
 * processes it reached, or -1.
 */
long
svcg_signal_all(const struct track_cg *cg, pid_t main, int sig)
{
	long n;

	if (cg == NULL) {
		errno = EINVAL;
		return -1;
	}
	if ((n = track_signal(cg, sig)) < 0)
		return -1;
	if (main > 0 && track_has(cg, main) == 0 && kill(main, sig) == 0)
		n++;
	return n;
}

/*
 * cgroup tracking: the service's processes are in its cgroup while no main
 * process runs (left by the last one, or by a guardiand killed with
 * SIGKILL): stop them, as a stop of the service would (the stop signal,
 * SIGKILL at stop_timeout); it is down once the cgroup is empty, and
 * starts then if it is wanted up.
 */
void
svcg_stop_rest(struct service *sv)
{
	sv->state = SV_STOPPING;
	sv->exited = true;
	sv->killed = false;
	sv->deadline_ms = now_ms() + sv->conf->stop_timeout_ms;
	log_info("%s: stopping the processes left in its cgroup, sending %s",
	    sv->conf->name, config_signal_name(sv->conf->stop_signal));
	svcg_signal(sv->cg, 0, sv->conf->stop_signal);
}

/* After a stop: what is left in the cgroup of a service that is not
 * running is stopped too. */
void
svcg_stop_left(struct service *sv)
{
	if (sv->pid == 0 && sv->state != SV_STOPPING && svcg_populated(sv->cg))
		svcg_stop_rest(sv);
}
