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

static struct service *services;
static unsigned norder;		/* services with after or requires */

static void act(struct service *sv, enum sv_action a);
static void record_groups(void);

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

/* Notes that the process groups guardiand answers for changed: the state
 * file gets them once a loop turn (service_record_state). */
static void
record_groups(void)
{
	svpg_groups_changed();
}

void
service_record_state(void)
{
	svpg_record_state(services);
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

static void settle(void);
static void check_group(struct service *sv);

/* The exec pipe of a start: exec succeeded (up, unless it has a readiness
 * check), or the child says which step failed. */
static void
exec_readable(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	spawn_exec_result(arg);
	settle();	/* up: what waits for it may start */
}

/* What is left of its last run in its cgroup stops with it, unless
 * kill_mode leaves it running. */
static void
stop_left(struct service *sv)
{
	if (!svkill_lets_go(sv->conf))
		svcg_stop_left(sv);
}

/* Forks and execs its main process, now. */
static void
spawn_main(struct service *sv)
{
	char b1[32], why[PATH_MAX + 256];
	const struct svc_conf *sc = sv->conf;
	int r;

	if (ready_prepare(sv) < 0 || notify_prepare(sv) < 0)
		r = -1;
	else if ((r = spawn_start(sv, why, sizeof(why))) == -2) {
		sv->in_pre = false;
		service_step(sv, EV_CANNOT_START, now_ms());
		log_warnx("%s: %s; " NOT_RETRYING, sc->name, why);
		record_groups();
		return;
	}
	if (r < 0) {
		sv->in_pre = false;
		service_step(sv, EV_SPAWN_FAILED, now_ms());
		log_warnx("%s: start failed, retrying in %s", sc->name,
		    fmt_duration(sv->delay_ms, b1, sizeof(b1)));
		return;
	}
	service_step(sv, EV_SPAWNED, now_ms());
	record_groups();
	if (loop_add(sv->exec_fd, POLLIN, exec_readable, sv) < 0)
		log_warn("%s: watching exec pipe", sc->name);
	log_info("%s: started, pid %ld", sc->name, (long)sv->pid);
	if (sc->type == TYPE_SIMPLE)
		ready_begin(sv);
}

/* A start with start_pre: its runtime directories first (they may use
 * them), then the commands; ctl_done starts the main process. */
static void
pre_start(struct service *sv)
{
	struct ident id;
	char why[PATH_MAX + 256];

	if (spawn_ident_resolve(sv->conf, &id, why, sizeof(why)) == 0) {
		(void)svdirs_make(sv->conf, id.set ? id.uid : geteuid(),
		    id.set ? id.gid : getegid(), why, sizeof(why));
		spawn_ident_free(&id);
	}
	service_step(sv, EV_PRE_START, now_ms());
	svctl_run(sv, CTL_START_PRE);
}

static void
act(struct service *sv, enum sv_action a)
{
	char b1[32], why[PATH_MAX + 256];
	const struct svc_conf *sc = sv->conf;
	int r;

	/* Checks and the watchdog run only while it starts or is up. */
	if (sv->state != SV_STARTING && sv->state != SV_UP) {
		if (sv->rd != NULL || sv->ready_wfd >= 0)
			ready_stop(sv);
		if (sv->notify_path != NULL)
			notify_stop(sv);
		service_reload_cancel(sv);
		if (sv->ctl == CTL_START_PRE || sv->ctl == CTL_START_POST)
			svctl_cancel(sv);
	}
	if (sv->ctl == CTL_NONE && sv->state != SV_UP)
		sv->ctl_info[0] = '\0';		/* a oneshot's "exited" */
	switch (a) {
	case ACT_NONE:
		return;
	case ACT_SPAWN:
		if (sv->ctl == CTL_START_PRE || sv->ctl == CTL_START_POST)
			svctl_cancel(sv);	/* of the run that ended */
		if (sv->ctl == CTL_STOP || sv->ctl == CTL_STOP_POST) {
			sv->spawn_pending = true;	/* once they ended */
			return;
		}
		if (!svkill_lets_go(sc) && svcg_populated(sv->cg)) {
			/* Never two instances: the last one's processes go first. */
			log_info("%s: processes of its last run are left in its "
			    "cgroup; stopping them before it starts", sc->name);
			svcg_stop_rest(sv);
			return;
		}
		if (sv->cg == NULL && !svkill_lets_go(sc) &&
		    svpg_stop_old_runs(sv, services))
			return;	/* the same without cgroups */
		if (order_any(sc) && order_blocked(sv, services, why,
		    sizeof(why))) {
			if (sv->state != SV_WAITING)
				log_info("%s: not started yet: %s", sc->name, why);
			service_step(sv, EV_WAIT, now_ms());
			return;
		}
		if ((r = svcond_start(sv, why, sizeof(why))) > 0)
			return;		/* a condition keeps it down */
		if (r == -2) {		/* an assert failed */
			service_step(sv, EV_CANNOT_START, now_ms());
			log_warnx("%s: %s; " NOT_RETRYING, sc->name, why);
			record_groups();
			return;
		}
		sv->in_pre = false;	/* a new run: EV_PRE_START sets it */
		if (svctl_has(sv, CTL_START_PRE))
			pre_start(sv);
		else
			spawn_main(sv);
		return;
	case ACT_TERM:
		if (sv->ctl == CTL_STOP)
			return;		/* the signal comes once it ended */
		if (svctl_has(sv, CTL_STOP) && !sv->stop_ran &&
		    sv->ctl == CTL_NONE && (sv->pid > 0 || sv->ready_ms >= 0)) {
			sv->stop_ran = true;
			svctl_run(sv, CTL_STOP);	/* ctl_done: the signal */
			return;
		}
		svkill_term(sv, handed_over(sv));
		return;
	case ACT_ABORT:
		sv->aborted = true;
		if (sv->pid > 0) {
			log_info("%s: sending ABRT to pid %ld", sc->name,
			    (long)sv->pid);
			kill(sv->pid, SIGABRT);
			kill(sv->pid, SIGCONT);
		} else
			act(sv, ACT_TERM);
		return;
	case ACT_CHECK_START:
		/* EV_MAIN_FOUND, EV_START_FAILED, or look again later */
		r = sv->awaiting_main ? svfork_look(sv, services, now_ms()) :
		    ready_check_start(sv, now_ms());
		if (r >= 0) {
			act(sv, service_step(sv, (enum sv_event)r, now_ms()));
			record_groups();
			if (r == EV_MAIN_FOUND)
				ready_begin(sv);	/* now its checks */
		}
		return;
	case ACT_KILL:
		if (sv->ctl == CTL_STOP) {
			/* stop_command took its stop_timeout: now the signal */
			log_warnx("%s: stop_command `%s` did not end within %s",
			    sc->name, sv->ctl_cmd ? sv->ctl_cmd : "?",
			    fmt_duration(sc->stop_timeout_ms, b1, sizeof(b1)));
			svctl_cancel(sv);
			sv->killed = false;
			svkill_term(sv, handed_over(sv));
			return;
		}
		if (sv->let_go && sc->kill_mode == KILL_NONE)
			return;
		if (!sc->send_sigkill) {
			log_warnx("%s: stop timeout after %s; no KILL "
			    "(send_sigkill = no): its processes are left "
			    "running", sc->name, fmt_duration(sc->stop_timeout_ms,
			    b1, sizeof(b1)));
			svkill_let_go(sv);
			check_group(sv);
			return;
		}
		svkill_timeout(sv, handed_over(sv));
		return;
	}
}

static void
service_free(struct service *sv)
{
	svctl_cancel(sv);
	if (sv->cg) {
		loop_del(sv->cg->events_fd);
		/* A service of the same name added back shares the cgroup. */
		svcg_detach(sv->cg, service_find(sv->conf->name) == NULL);
	}
	fwd_forget(sv->fwd[0]);
	fwd_forget(sv->fwd[1]);
	ready_free(sv);
	notify_free(sv);
	free(sv->escaped);
	free(sv->fail_why);
	free(sv->cond_why);
	service_reload_cancel(sv);
	free(sv->reload_why);
	config_svc_free(sv->conf);
	outlog_unref(sv->log);
	free(sv);
}

/* Start order, after any change: what order.c says is due, done. */
static void
order_settle(void)
{
	enum sv_event ev;
	struct service *sv;
	char why[256];

	for (int i = 0; i < 4096 && (sv = order_next(services, &ev, why,
	    sizeof(why))) != NULL; i++) {
		if (why[0] != '\0')
			log_info("%s: %s", sv->conf->name, why);
		sv->stop_deferred = 0;
		act(sv, service_step(sv, ev, now_ms()));
	}
}

/* Drops services that left the config once nothing of them runs. */
static void
settle(void)
{
	struct service **pp = &services;

	/* Ready, with start_post: its commands, then up. */
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->post_pending && sv->state == SV_STARTING &&
		    sv->ctl == CTL_NONE)
			svctl_run(sv, CTL_START_POST);
	if (norder > 0)
		order_settle();

	while (*pp) {
		struct service *sv = *pp;

		if (sv->removed && sv->state == SV_DOWN && sv->pid == 0 &&
		    sv->exec_fd < 0 && sv->ctl == CTL_NONE) {
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

/* A run has ended, its processes gone or left to be stopped before the
 * next: what it had for its run only goes (a is what comes next). */
static void
run_ended(struct service *sv, enum sv_action a)
{
	svdirs_stopped(sv->conf, a != ACT_SPAWN && sv->state != SV_BACKOFF);
	/* It ended by itself after it was up: stop_command too, as systemd
	 * does; then stop_post. A start waits for them (spawn_pending). */
	if (svctl_has(sv, CTL_STOP) && !sv->stop_ran && sv->ready_ms >= 0) {
		sv->stop_ran = true;
		sv->ctl_then_post = true;
		svctl_run(sv, CTL_STOP);
	} else if (svctl_has(sv, CTL_STOP_POST))
		svctl_run(sv, CTL_STOP_POST);
}

/* A stopping service whose main process is gone is down once its process
 * group is empty. */
static void
check_group(struct service *sv)
{
	enum sv_action a;
	bool failed;

	if (sv->state != SV_STOPPING || !sv->exited || sv->ctl == CTL_STOP)
		return;
	if (handed_over(sv) || sv->let_go)
		;	/* the rest is its successor's to stop, or left running */
	else if (sv->cg ? svcg_populated(sv->cg) :
	    svpg_group_alive(sv->pgid) || svpg_old_runs(sv, services) ||
	    !svpg_escaped_gone(sv))
		return;
	log_info("%s: stopped", sv->conf->name);
	sv->pgid = 0;
	record_groups();
	failed = sv->run_failed;
	a = service_step(sv, EV_GROUP_GONE, now_ms());
	if (failed)
		svlog_end(sv, sv->last_up_ms > 0 ? "it was unhealthy" :
		    "its start failed");
	run_ended(sv, a);
	act(sv, a);
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
	if (sv->notify_path != NULL)
		notify_drain(sv);
	sv->pid = 0;
	sv->last_status = status;
	a = service_step(sv, EV_EXITED, now_ms());
	if (a == ACT_CHECK_START) {
		char rt[32];

		log_info("%s: its starter exited with status 0 after %s",
		    sv->conf->name, fmt_duration(sv->last_runtime_ms, rt,
		    sizeof(rt)));
		act(sv, a);	/* its process group is the service's still */
		return;
	}
	svlog_exit(sv);
	if (sv->state != SV_STOPPING && !sv->exec_failed &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		svlog_last_stderr(sv, pid);
	if (svpg_adopt(services))	/* its orphans, before a restart */
		record_groups();
	if (sv->state != SV_STOPPING) {
		/* Recorded in the state file in both modes; with a cgroup,
		 * the whole cgroup is stopped before the next start too
		 * (not with kill_mode = process or none: they stay). */
		if (!svkill_lets_go(sv->conf) && svpg_group_alive(sv->pgid))
			svpg_leftover_add(sv);
		sv->pgid = 0;
		record_groups();
		/* a oneshot up, or in its start_post, has not ended */
		if (a == ACT_SPAWN || (sv->state != SV_UP &&
		    sv->state != SV_STARTING))
			run_ended(sv, a);
		if (sv->state == SV_UP && sv->conf->type == TYPE_ONESHOT)
			snprintf(sv->ctl_info, sizeof(sv->ctl_info), "exited");
	}
	act(sv, a);
	if (sv->aborted && sv->state == SV_STOPPING) {
		sv->aborted = false;	/* its main is gone: now the rest */
		act(sv, ACT_TERM);
	}
	if (sv->state == SV_STOPPING && sv->conf->kill_mode == KILL_MIXED &&
	    !sv->killed && sv->ctl == CTL_NONE) {
		sv->killed = true;	/* mixed: the rest gets KILL now */
		svkill_all(sv, handed_over(sv));
	}
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
		else if (!probe_reaped(pid, st) &&
		    !svctl_reaped(services, pid, st)) {
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
	bool changed;

	for (struct service *sv = services; sv; sv = sv->next) {
		check_group(sv);
		if (sv->deadline_ms >= 0 && now >= sv->deadline_ms)
			act(sv, service_step(sv, EV_TIMER, now));
	}
	changed = svpg_leftover_check(now);
	if (svpg_adopt_due(now) && svpg_adopt(services))
		changed = true;
	if (changed)
		record_groups();
	svcg_strays_tick(now, false);
	svctl_timers(services, now);
	ready_timers(now);
	notify_timers(now);
	settle();
}

int64_t
service_next_deadline(void)
{
	int64_t next = -1, now = now_ms();

	for (struct service *sv = services; sv; sv = sv->next) {
		next = deadline_min(next, sv->deadline_ms);
		if (sv->state == SV_STOPPING && sv->exited && sv->cg == NULL)
			next = deadline_min(next, now + GROUP_POLL_MS);
	}
	next = deadline_min(next, ready_next_deadline());
	next = deadline_min(next, svctl_next_deadline(services));
	next = deadline_min(next, notify_next_deadline());
	next = deadline_min(next, svcg_strays_next());
	return deadline_min(next, svpg_next_deadline(now));
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

/* What ready.c found: readiness, a failed start, bad health. */
static void
ready_event(struct service *sv, enum sv_event ev)
{
	int64_t now = now_ms();
	char d[32];

	act(sv, service_step(sv, ev, now));
	if (ev == EV_READY && sv->state == SV_UP) {
		log_info("%s: ready after %s", sv->conf->name, fmt_duration(
		    now - sv->started_ms, d, sizeof(d)));
		ready_up(sv);
	}
	settle();
}

/* A start that failed before it was up (start_pre, start_post): said,
 * kept for status, and what it started is stopped. */
static void
start_failed(struct service *sv, const char *why)
{
	log_warnx("%s: start failed: %s", sv->conf->name, why);
	free(sv->fail_why);
	sv->fail_why = strdup(why);
	act(sv, service_step(sv, EV_START_FAILED, now_ms()));
	check_group(sv);
}

/* A phase of control processes has ended (service_ctl.c). */
static void
ctl_done(struct service *sv, enum ctl_phase ph, bool ok, const char *why)
{
	char d[32];

	switch (ph) {
	case CTL_START_PRE:
		if (!ok)
			start_failed(sv, why);
		else if (sv->state == SV_STARTING && sv->want == WANT_UP)
			spawn_main(sv);
		else
			sv->in_pre = false;
		break;
	case CTL_START_POST:
		if (!ok) {
			start_failed(sv, why);
			break;
		}
		act(sv, service_step(sv, EV_POST_DONE, now_ms()));
		if (sv->state == SV_UP) {
			log_info("%s: up after %s", sv->conf->name, fmt_duration(
			    now_ms() - sv->started_ms, d, sizeof(d)));
			ready_up(sv);
			if (sv->conf->type == TYPE_ONESHOT)
				snprintf(sv->ctl_info, sizeof(sv->ctl_info),
				    "exited");
		} else if (sv->state == SV_DOWN)
			run_ended(sv, ACT_NONE);	/* a oneshot, done */
		break;
	case CTL_STOP:
		if (!ok)
			log_warnx("%s: %s", sv->conf->name, why);
		if (sv->ctl_then_post) {
			sv->ctl_then_post = false;
			if (svctl_has(sv, CTL_STOP_POST)) {
				svctl_run(sv, CTL_STOP_POST);
				break;
			}
			ctl_done(sv, CTL_STOP_POST, true, "");
			break;
		}
		if (sv->state != SV_STOPPING)
			break;
		/* now the signal, and stop_timeout again before KILL */
		sv->deadline_ms = now_ms() + sv->conf->stop_timeout_ms;
		sv->killed = false;
		svkill_term(sv, handed_over(sv));
		if (sv->conf->kill_mode == KILL_MIXED && sv->exited) {
			sv->killed = true;	/* main is gone: KILL the rest */
			svkill_all(sv, handed_over(sv));
		}
		check_group(sv);
		break;
	case CTL_STOP_POST:
		if (!ok)
			log_warnx("%s: %s", sv->conf->name, why);
		if (sv->spawn_pending) {
			sv->spawn_pending = false;
			if (sv->want == WANT_UP && sv->state != SV_STOPPING &&
			    sv->state != SV_FATAL)
				act(sv, ACT_SPAWN);
		}
		break;
	case CTL_NONE:
		break;
	}
}

/* Where the notify sockets go; their news comes as ready.c's does. */
void
service_notify_setup(const char *control_socket)
{
	notify_setup(control_socket, ready_event);
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
	sv->ready_wfd = -1;
	sv->ready_ms = -1;
	sv->ctl_repfd = -1;
	sv->ctl_deadline = -1;
	ready_init(ready_event);
	svctl_init(ctl_done);
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

/*
 * A stop in the start order's reverse: what requires sv stops first (and,
 * at shutdown, what starts after it), and sv once they are down.
 */
static void
stop_ordered(struct service *sv, bool shutdown)
{
	struct service *x;

	while (norder > 0 && (x = order_requirer(sv, services)) != NULL) {
		log_info("%s: stopping: it requires %s, which stops",
		    x->conf->name, sv->conf->name);
		stop_ordered(x, shutdown);
	}
	if (norder > 0 && order_dependents_run(sv, services, !shutdown)) {
		/* down is wanted now; the stop comes in order_settle */
		sv->want = WANT_DOWN;
		sv->stop_deferred = shutdown ? 2 : 1;
		log_info("%s: stops once what depends on it is down",
		    sv->conf->name);
		return;
	}
	act(sv, service_step(sv, EV_STOP, now_ms()));
}

void
service_do(struct service *sv, enum sv_event ev)
{
	if (ev == EV_STOP)
		stop_ordered(sv, false);
	else
		act(sv, service_step(sv, ev, now_ms()));
	if (ev == EV_STOP) {
		svpg_leftover_stop(sv->conf->name, services);
		stop_left(sv);
	}
	settle();
}

/*
 * part_of =: a stop or restart asked of name is done to the services
 * that are part of it too (and to theirs), as systemd's PartOf= does;
 * depth bounds a loop of part_of.
 */
void
service_do_parts(const char *name, enum sv_event ev, int depth)
{
	if (depth > 16)
		return;
	for (struct service *sv = services; sv; sv = sv->next) {
		char **p = sv->conf->part_of;

		while (p && *p && strcmp(*p, name) != 0)
			p++;
		if (p == NULL || *p == NULL)
			continue;
		log_info("%s: %s too: it is part of %s", sv->conf->name,
		    ev == EV_START ? "restarted" : "stopped", name);
		service_do(sv, EV_STOP);
		if (ev == EV_START)
			service_do(sv, EV_START);
		service_do_parts(sv->conf->name, ev, depth + 1);
	}
}

void
service_apply(struct conf *c, char *summary, size_t len)
{
	struct svc_conf *sc, *next;
	unsigned added = 0, removed = 0, changed = 0, same = 0;
	int64_t now = now_ms();
	bool ordered = false;	/* the order needs every service known */

	for (sc = c->services; sc && !ordered; sc = sc->next)
		ordered = order_any(sc);
	sockets_apply(c);	/* kept, made or closed before any start */

	/* Services that left the config stop, and go once down. */
	for (struct service *sv = services; sv; sv = sv->next) {
		if (sv->removed || config_find(c, sv->conf->name))
			continue;
		sv->removed = true;
		removed++;
		follow_gone(sv->conf->name);
		act(sv, service_step(sv, EV_STOP, now));
		svpg_leftover_stop(sv->conf->name, services);
		stop_left(sv);
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
			if (ordered)
				sv->just_added = true;	/* started below */
			else
				act(sv, service_step(sv, EV_START, now));
			continue;
		}
		if (config_svc_equal(sv->conf, sc)) {
			bool health = !probe_equal(&sv->conf->health, &sc->health) ||
			    sv->conf->health_interval_ms != sc->health_interval_ms;

			same++;
			config_svc_free(sv->conf);
			sv->conf = sc;
			if (health && sv->state == SV_UP)
				ready_up(sv);	/* the new check, from now */
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
	norder = 0;
	for (struct service *sv = services; sv; sv = sv->next)
		if (!sv->removed && order_any(sv->conf))
			norder++;
	/* New services start once all are known and wanted up: the start
	 * order needs to know which others are to run. */
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->just_added)
			(void)service_step(sv, EV_START, now);	/* ACT_SPAWN */
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->just_added) {
			sv->just_added = false;
			act(sv, ACT_SPAWN);
		}
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
	notify_cleanup();
	sockets_cleanup();
}

void
service_stop_all(void)
{
	for (struct service *sv = services; sv; sv = sv->next) {
		if (sv->want == WANT_UP || sv->state != SV_DOWN)
			stop_ordered(sv, true);
		stop_left(sv);
	}
	svpg_leftover_stop(NULL, services);
	settle();
}
