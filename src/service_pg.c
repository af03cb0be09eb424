/*
 * service_pg.c: process-group tracking, the fallback without cgroup v2: a
 * service's process group, the processes that left it (found in /proc),
 * and the groups that outlived their main process ("leftovers"). service.c
 * calls it; it calls nothing of service.c.
 */
#include <sys/types.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/*
 * Process groups of earlier runs that outlived their main process (a
 * grandchild still working, or a daemon the service left behind). Not
 * killed when the main process exits, since they may be finishing work and
 * their output is still forwarded; but a stop of the service, and guardiand's
 * own shutdown, stop them too and wait for them.
 */
struct leftover {
	struct leftover *next;
	char *name;
	pid_t pgid;
	uint64_t start;		/* the leader's start time, for the state file */
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
	size_t n = proctree_escaped(sv->pid, sv->pgid, sv->conf->name, found,
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

/* Asks the leftover groups of a service (NULL: of all) to stop: the stop
 * signal now, SIGKILL after the service's stop_timeout. */
void
svpg_leftover_stop(const char *name)
{
	int64_t now = now_ms();

	for (struct leftover *l = leftovers; l; l = l->next) {
		pid_t found[MAX_ESCAPED];
		size_t n;

		if (name && strcmp(name, l->name) != 0)
			continue;
		if (!(service_leftover_step(&l->t, LO_EV_STOP, true, now) &
		    LO_TERM))
			continue;
		log_info("%s: stopping leftover process group %ld, sending %s",
		    l->name, (long)l->pgid, config_signal_name(l->sig));
		/* Its members' descendants in other sessions, and marked
		 * orphans, go too. */
		n = proctree_escaped(0, l->pgid, l->name, found, MAX_ESCAPED);
		svpg_send_stop(l->pgid, 0, found, n, l->sig);
	}
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
		    svpg_group_alive(l->pgid), now);

		if (what & LO_FORGET) {
			if (what & LO_WAS_STOPPING)
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
			log_warnx("%s: leftover process group %ld: stop timeout, "
			    "sending KILL", l->name, (long)l->pgid);
			svpg_send_stop(l->pgid, 0, NULL, 0, SIGKILL);
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
		g[(*n)++] = (struct state_group){ l->name, l->pgid, l->start };
}

/* The nearest deadline of the stopping leftovers, and a look now and then
 * in case no SIGCHLD tells that they are gone; -1 if none. */
int64_t
svpg_next_deadline(int64_t now)
{
	int64_t next = -1;

	for (struct leftover *l = leftovers; l; l = l->next) {
		int64_t d = service_leftover_deadline(&l->t, now);

		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	return next;
}

/* SIGKILL to every leftover group and what left it, at once. */
void
svpg_kill_leftovers(void)
{
	for (struct leftover *l = leftovers; l; l = l->next) {
		pid_t found[MAX_ESCAPED];
		size_t n = proctree_escaped(0, l->pgid, l->name, found,
		    MAX_ESCAPED);

		svpg_send_stop(l->pgid, 0, found, n, SIGKILL);
	}
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
