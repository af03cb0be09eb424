/*
 * service.c: the process table. It starts services (through spawn.c, the
 * only module that forks), reaps, signals process groups, and carries out
 * what service_step decides.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* Lines of stderr logged with an abnormal exit. */
#define CRASH_LINES	3

static struct service *services;

static void act(struct service *sv, enum sv_action a);
static void record_groups(void);
static void log_end(const struct service *sv, const char *st);

/*
 * cgroup tracking: the service's processes are in its cgroup while no main
 * process runs (left by the last one, or by a guardiand killed with
 * SIGKILL): stop them, as a stop of the service would (the stop signal,
 * SIGKILL at stop_timeout); it is down once the cgroup is empty, and
 * starts then if it is wanted up.
 */
static void
cg_stop_rest(struct service *sv)
{
	sv->state = SV_STOPPING;
	sv->exited = true;
	sv->killed = false;
	sv->deadline_ms = now_ms() + sv->conf->stop_timeout_ms;
	log_info("%s: stopping the processes left in its cgroup, sending %s",
	    sv->conf->name, config_signal_name(sv->conf->stop_signal));
	svcg_signal(sv->cg, 0, sv->conf->stop_signal);
}

/*
 * A service removed from the config, then added back while it was still
 * stopping: the new one shares its cgroup, and stops what is in it before
 * it starts. The old one signals only its main process from then on (a
 * signal to the cgroup could reach the new instance), and is gone once
 * that is reaped.
 */
static bool
handed_over(const struct service *sv)
{
	return sv->cg && sv->removed && service_find(sv->conf->name) != NULL;
}

/* After a stop: what is left in the cgroup of a service that is not
 * running is stopped too. */
static void
cg_stop_left(struct service *sv)
{
	if (sv->pid == 0 && sv->state != SV_STOPPING && svcg_populated(sv->cg))
		cg_stop_rest(sv);
}

static bool groups_changed;	/* since the state file was handed them */

/* Notes that the process groups guardiand answers for changed; the state
 * file is handed them once a loop turn (service_record_state), not at
 * each change, which would cost a walk of every service per exit. */
static void
record_groups(void)
{
	groups_changed = true;
}

/* Hands the state file every process group guardiand answers for: each
 * service's current one, then the leftovers, if they changed. */
void
service_record_state(void)
{
	struct state_group *g;
	size_t n = 0, max = 0;

	if (!groups_changed)
		return;
	groups_changed = false;
	for (struct service *sv = services; sv; sv = sv->next)
		max++;
	max += svpg_count();
	if ((g = calloc(max ? max : 1, sizeof(*g))) == NULL) {
		log_warnx("guardiand: out of memory, state file not updated");
		return;
	}
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pgid > 0)
			g[n++] = (struct state_group){ sv->conf->name, sv->pgid,
			    sv->pg_start };
	svpg_record(g, &n);
	state_record(g, n);
	free(g);
}

struct service *
service_list(void)
{
	return services;
}

static struct service *
find_pid(pid_t pid)
{
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pid == pid)
			return sv;
	return NULL;
}

struct service *
service_find(const char *name)
{
	for (struct service *sv = services; sv; sv = sv->next)
		if (!sv->removed && strcmp(sv->conf->name, name) == 0)
			return sv;
	return NULL;
}

/* "exited with status 1" or "killed by signal 9 (KILL)". */
static const char *
fmt_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
		    config_signal_name(WTERMSIG(st)),
		    WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", st);
	return buf;
}

static void
act(struct service *sv, enum sv_action a)
{
	char b1[32], why[PATH_MAX + 256];
	const struct svc_conf *sc = sv->conf;
	int r;

	switch (a) {
	case ACT_NONE:
		return;
	case ACT_SPAWN:
		if (svcg_populated(sv->cg)) {
			/* Never two instances: the last one's processes go first. */
			log_info("%s: processes of its last run are left in its "
			    "cgroup; stopping them before it starts", sc->name);
			cg_stop_rest(sv);
			return;
		}
		if (sv->cg == NULL && svpg_stop_old_runs(sv, services))
			return;	/* the same without cgroups */
		if ((r = spawn_start(sv, why, sizeof(why))) == -2) {
			service_step(sv, EV_CANNOT_START, now_ms());
			log_warnx("%s: %s; " NOT_RETRYING, sc->name, why);
			record_groups();
			return;
		}
		if (r < 0) {
			service_step(sv, EV_SPAWN_FAILED, now_ms());
			log_warnx("%s: start failed, retrying in %s", sc->name,
			    fmt_duration(sv->delay_ms, b1, sizeof(b1)));
			return;
		}
		service_step(sv, EV_SPAWNED, now_ms());
		record_groups();
		log_info("%s: started, pid %ld", sc->name, (long)sv->pid);
		return;
	case ACT_TERM:
		if (sv->pid > 0)
			log_info("%s: stopping, pid %ld, sending %s", sc->name,
			    (long)sv->pid, config_signal_name(sc->stop_signal));
		else
			log_info("%s: stopping what it started, sending %s",
			    sc->name, config_signal_name(sc->stop_signal));
		if (handed_over(sv)) {
			if (sv->pid > 0)
				kill(sv->pid, sc->stop_signal);
			return;
		}
		if (sv->cg) {
			svcg_signal(sv->cg, sv->pid, sc->stop_signal);
			return;
		}
		svpg_find_escaped(sv);
		svpg_send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped,
		    sc->stop_signal);
		return;
	case ACT_FIND_MAIN:
		/* EV_MAIN_FOUND, EV_START_FAILED, or look again later */
		if ((r = svfork_look(sv, services, now_ms())) >= 0) {
			act(sv, service_step(sv, (enum sv_event)r, now_ms()));
			record_groups();
		}
		return;
	case ACT_KILL:
		if (handed_over(sv)) {
			if (sv->pid > 0)
				kill(sv->pid, SIGKILL);
			return;
		}
		if (sv->cg) {
			log_warnx("%s: stop timeout after %s, sending KILL to "
			    "its cgroup", sc->name, fmt_duration(
			    sc->stop_timeout_ms, b1, sizeof(b1)));
			svcg_kill(sv->cg, sv->pid);
			return;
		}
		log_warnx("%s: stop timeout after %s, sending KILL to process "
		    "group %ld", sc->name, fmt_duration(sc->stop_timeout_ms, b1,
		    sizeof(b1)), (long)sv->pgid);
		svpg_find_escaped(sv);
		svpg_send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped, SIGKILL);
		return;
	}
}

static void
service_free(struct service *sv)
{
	if (sv->cg) {
		loop_del(sv->cg->events_fd);
		/* A service of the same name added back shares the cgroup. */
		svcg_detach(sv->cg, service_find(sv->conf->name) == NULL);
	}
	fwd_forget(sv->fwd[0]);
	fwd_forget(sv->fwd[1]);
	free(sv->escaped);
	free(sv->start_why);
	config_svc_free(sv->conf);
	outlog_unref(sv->log);
	free(sv);
}

/* Drops services that left the config once nothing of them runs. */
static void
settle(void)
{
	struct service **pp = &services;

	while (*pp) {
		struct service *sv = *pp;

		if (sv->removed && sv->state == SV_DOWN && sv->pid == 0 &&
		    sv->exec_fd < 0) {
			*pp = sv->next;
			service_free(sv);
			continue;
		}
		pp = &sv->next;
	}
}

bool
service_has_leftovers(const char *name)
{
	if (svpg_has_leftovers(name))
		return true;
	for (struct service *sv = services; sv; sv = sv->next)
		if ((name == NULL || strcmp(name, sv->conf->name) == 0) &&
		    svcg_populated(sv->cg))
			return true;
	return false;
}

/* A stopping service whose main process is gone is down once its process
 * group is empty. */
static void
check_group(struct service *sv)
{
	if (sv->state != SV_STOPPING || !sv->exited)
		return;
	if (handed_over(sv))
		;	/* the rest of the cgroup is its successor's to stop */
	else if (sv->cg ? svcg_populated(sv->cg) :
	    svpg_group_alive(sv->pgid) || svpg_old_runs(sv, services) ||
	    !svpg_escaped_gone(sv))
		return;
	log_info("%s: stopped", sv->conf->name);
	sv->pgid = 0;
	record_groups();
	if (sv->start_failed) {
		enum sv_action a = service_step(sv, EV_GROUP_GONE, now_ms());

		log_end(sv, "its start failed");
		act(sv, a);
		return;
	}
	act(sv, service_step(sv, EV_GROUP_GONE, now_ms()));
}

/* Logs the end of a run (st: how it ended), with what service_step made of
 * it. */
static void
log_end(const struct service *sv, const char *st)
{
	const struct svc_conf *sc = sv->conf;
	char rt[32], d[32];

	fmt_duration(sv->last_runtime_ms, rt, sizeof(rt));
	switch (sv->outcome) {
	case SVO_HOPELESS:
		log_debug("%s: %s after %s", sc->name, st, rt);	/* said */
		break;
	case SVO_NONE:
	case SVO_STOPPED:
		log_info("%s: %s after %s", sc->name, st, rt);
		break;
	case SVO_RESTART_NOW:
		log_warnx("%s: %s after %s, restarting now", sc->name, st, rt);
		break;
	case SVO_RESTART_LATER:
		log_warnx("%s: %s after %s, restarting in %s", sc->name, st, rt,
		    fmt_duration(sv->delay_ms, d, sizeof(d)));
		break;
	case SVO_GAVE_UP:
		log_warnx("%s: %s after %s, giving up after %u quick failures "
		    "in a row", sc->name, st, rt, sv->fails);
		break;
	case SVO_DONE_OK:
		log_info("%s: %s after %s, not restarting (restart = %s)",
		    sc->name, st, rt, sc->restart == RESTART_NEVER ? "never" :
		    "on-failure");
		break;
	case SVO_DONE_FAIL:
		log_warnx("%s: %s after %s, not restarting (restart = never)",
		    sc->name, st, rt);
		break;
	}
}

/* Logs one exit of a main process, with what service_step made of it. */
static void
log_exit(const struct service *sv)
{
	char st[64];

	log_end(sv, fmt_status(sv->last_status, st, sizeof(st)));
}

/* After an abnormal exit: the process's last stderr lines, for context. */
static void
log_last_stderr(const struct service *sv, pid_t pid)
{
	size_t n = outlog_count(sv->log), len, idx[CRASH_LINES];
	int found = 0, stream;
	int64_t when;
	pid_t p;

	for (size_t i = n; i-- > 0 && found < CRASH_LINES;) {
		outlog_get(sv->log, i, &len, &when, &p, &stream);
		if (p == pid && stream == 2)
			idx[found++] = i;
	}
	while (found-- > 0) {
		const char *t = outlog_get(sv->log, idx[found], &len, &when, &p,
		    &stream);
		log_warnx("%s: last stderr: %.*s", sv->conf->name,
		    len > 1024 ? 1024 : (int)len, t);
	}
}

static void
exited(struct service *sv, int status)
{
	enum sv_action a;
	pid_t pid = sv->pid;

	/* The exec pipe holds the reason if exec failed: read it first. */
	if (sv->exec_fd >= 0)
		spawn_exec_result(sv);
	/* Its last words come before the news of its exit. */
	fwd_drain(sv->fwd[0]);
	fwd_drain(sv->fwd[1]);
	sv->pid = 0;
	sv->last_status = status;
	a = service_step(sv, EV_EXITED, now_ms());
	if (a == ACT_FIND_MAIN) {
		char rt[32];

		log_info("%s: its starter exited with status 0 after %s",
		    sv->conf->name, fmt_duration(sv->last_runtime_ms, rt,
		    sizeof(rt)));
		act(sv, a);	/* its process group is the service's still */
		return;
	}
	log_exit(sv);
	if (sv->state != SV_STOPPING && !sv->exec_failed &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		log_last_stderr(sv, pid);
	if (svpg_adopt(services))	/* its orphans, before a restart */
		record_groups();
	if (sv->state != SV_STOPPING) {
		/* Recorded in the state file in both modes; with a cgroup,
		 * the whole cgroup is stopped before the next start too. */
		if (svpg_group_alive(sv->pgid))
			svpg_leftover_add(sv);
		sv->pgid = 0;
		record_groups();
	}
	act(sv, a);
	check_group(sv);
}

/* Reaps every child that has ended: services, and strangers (orphans that
 * came to us as a subreaper). */
void
service_reap(void)
{
	pid_t pid;
	int st;
	bool stranger = false;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct service *sv = find_pid(pid);

		if (sv)
			exited(sv, st);
		else {
			log_debug("reaped pid %ld", (long)pid);
			stranger = true;
		}
	}
	if (stranger && svpg_adopt(services))	/* its children are ours now */
		record_groups();
	for (struct service *sv = services; sv; sv = sv->next)
		check_group(sv);
	if (svpg_leftover_check(now_ms()))
		record_groups();
	settle();
}

void
service_timers(int64_t now)
{
	for (struct service *sv = services; sv; sv = sv->next) {
		check_group(sv);
		if (sv->deadline_ms >= 0 && now >= sv->deadline_ms)
			act(sv, service_step(sv, EV_TIMER, now));
	}
	if (svpg_leftover_check(now))
		record_groups();
	svcg_strays_tick(now, false);
	settle();
}

int64_t
service_next_deadline(void)
{
	int64_t next = -1;

	for (struct service *sv = services; sv; sv = sv->next) {
		int64_t d = sv->deadline_ms;

		if (sv->state == SV_STOPPING && sv->exited && sv->cg == NULL) {
			int64_t poll_at = now_ms() + GROUP_POLL_MS;
			if (d < 0 || poll_at < d)
				d = poll_at;
		}
		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	{
		int64_t d = svcg_strays_next();

		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	{
		int64_t d = svpg_next_deadline(now_ms());

		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	return next;
}

/*
 * The service's cgroup changed (populated 1 or 0): the read resets the
 * event. An empty cgroup can come before the reaping of the main process
 * (zombies do not count), so reap first: check_group needs both.
 */
static void
cg_events(int fd, short revents, void *arg)
{
	struct service *sv = arg;

	(void)fd;
	(void)revents;
	(void)svcg_populated(sv->cg);
	service_reap();
}

static struct service *
service_new(struct svc_conf *sc)
{
	struct service *sv = calloc(1, sizeof(*sv));

	if (sv == NULL)
		return NULL;
	sv->conf = sc;
	sv->state = SV_DOWN;
	sv->want = WANT_DOWN;
	sv->deadline_ms = -1;
	sv->last_status = -1;
	sv->exec_fd = -1;
	if ((sv->log = outlog_new(sc->log_lines,
		    (size_t)sc->log_lines * sc->line_max)) == NULL) {
		free(sv);
		return NULL;
	}
	/* Its cgroup's cgroup.events tells (POLLPRI) when it empties. */
	if ((sv->cg = svcg_attach(sc->name)) != NULL &&
	    loop_add(sv->cg->events_fd, POLLPRI, cg_events, sv) < 0)
		log_warn("%s: watching its cgroup", sc->name);
	return sv;
}

void
service_do(struct service *sv, enum sv_event ev)
{
	act(sv, service_step(sv, ev, now_ms()));
	if (ev == EV_STOP) {
		svpg_leftover_stop(sv->conf->name, services);
		cg_stop_left(sv);
	}
	settle();
}

void
service_apply(struct conf *c, char *summary, size_t len)
{
	struct svc_conf *sc, *next;
	unsigned added = 0, removed = 0, changed = 0, same = 0;
	int64_t now = now_ms();

	/* Services that left the config stop, and go once down. */
	for (struct service *sv = services; sv; sv = sv->next) {
		if (sv->removed || config_find(c, sv->conf->name))
			continue;
		sv->removed = true;
		removed++;
		act(sv, service_step(sv, EV_STOP, now));
		svpg_leftover_stop(sv->conf->name, services);
		cg_stop_left(sv);
	}
	for (sc = c->services; sc; sc = next) {
		struct service *sv = service_find(sc->name);

		next = sc->next;
		sc->next = NULL;
		if (sv == NULL) {
			struct service **pp = &services;

			if ((sv = service_new(sc)) == NULL) {
				log_warnx("%s: out of memory", sc->name);
				config_svc_free(sc);
				continue;
			}
			while (*pp)
				pp = &(*pp)->next;
			*pp = sv;
			added++;
			act(sv, service_step(sv, EV_START, now));
			continue;
		}
		if (config_svc_equal(sv->conf, sc)) {
			same++;
			config_svc_free(sv->conf);
			sv->conf = sc;
			/* What was missing may be there now: one more try. */
			if (sv->state == SV_FATAL && sv->want == WANT_UP)
				act(sv, service_step(sv, EV_START, now));
			continue;
		}
		changed++;
		if (sv->conf->log_lines != sc->log_lines ||
		    sv->conf->line_max != sc->line_max) {
			struct outlog *ol = outlog_new(sc->log_lines,
			    (size_t)sc->log_lines * sc->line_max);

			if (ol) {
				outlog_unref(sv->log);
				sv->log = ol;
			}
		}
		if (sv->want == WANT_UP) {
			/* Stop with the old settings, start with the new. */
			act(sv, service_step(sv, EV_STOP, now));
			config_svc_free(sv->conf);
			sv->conf = sc;
			act(sv, service_step(sv, EV_START, now));
		} else {
			config_svc_free(sv->conf);
			sv->conf = sc;
		}
	}
	c->services = NULL;
	config_free(c);
	snprintf(summary, len, "%u added, %u removed, %u changed, %u unchanged",
	    added, removed, changed, same);
	settle();
}

void
service_stop_strays(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		if (service_find(names[i]) == NULL)
			svcg_stop_stray(names[i]);
	track_free_list(names);
}

/* At exit: nothing is running any more; give the memory back. */
void
service_free_all(void)
{
	svpg_free_leftovers();
	while (services) {
		struct service *sv = services;

		services = sv->next;
		if (sv->exec_fd >= 0) {
			loop_del(sv->exec_fd);
			close(sv->exec_fd);
		}
		service_free(sv);
	}
}

void
service_stop_all(void)
{
	int64_t now = now_ms();

	for (struct service *sv = services; sv; sv = sv->next) {
		act(sv, service_step(sv, EV_STOP, now));
		cg_stop_left(sv);
	}
	svpg_leftover_stop(NULL, services);
	settle();
}

/* A second stop signal: SIGKILL to every service's process group and the
 * processes that left it, and to every leftover group, at once. */
void
service_kill_all(void)
{
	for (struct service *sv = services; sv; sv = sv->next) {
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

bool
service_all_down(void)
{
	if (svpg_has_leftovers(NULL) || svcg_strays_left())
		return false;
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pid != 0 || sv->state == SV_STOPPING ||
		    sv->state == SV_STARTING || sv->state == SV_UP)
			return false;
	return true;
}
