/*
 * service_policy.c: the state machine of one service, as a pure function of
 * (state, event, time). service.c performs the actions it returns; the unit
 * tests drive it with fake time.
 */
#include <sys/wait.h>

#include "guardiand.h"

const char *
service_state_name(enum sv_state st)
{
	return proto_state_name((int)st);
}

bool
service_outcome_failed(enum sv_outcome o)
{
	switch (o) {
	case SVO_RESTART_LATER:
	case SVO_GAVE_UP:
	case SVO_HOPELESS:
	case SVO_DONE_OK:
	case SVO_DONE_FAIL:
		return true;
	case SVO_NONE:
	case SVO_STOPPED:
	case SVO_RESTART_NOW:
		return false;
	}
	return false;
}

/* The delay before the next start after `fails` quick failures in a row:
 * backoff_initial, doubling, capped at backoff_max; 0 after none. */
int64_t
service_backoff(const struct svc_conf *sc, unsigned fails)
{
	int64_t d = sc->backoff_initial_ms;

	if (fails == 0)
		return 0;
	for (unsigned i = 1; i < fails && d < sc->backoff_max_ms; i++)
		d *= 2;
	return d > sc->backoff_max_ms ? sc->backoff_max_ms : d;
}

/* Whether a wait status is one the set names. */
bool
service_exit_in(const struct exit_set *e, int st)
{
	if (WIFEXITED(st))
		return e->codes[WEXITSTATUS(st) / 32] & 1U << (WEXITSTATUS(st) % 32);
	if (WIFSIGNALED(st) && WTERMSIG(st) >= 1 && WTERMSIG(st) <= 64)
		return e->sigs & 1ULL << (WTERMSIG(st) - 1);
	return false;
}

/* Whether the run ended well: its start did not fail, and it exited 0 or
 * as success_exit_status says. */
static bool
succeeded(const struct service *sv)
{
	int st = sv->last_status;

	if (sv->run_failed)
		return false;
	return (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
	    service_exit_in(&sv->conf->success_status, st);
}

/* Whether an exit calls for a restart under the service's policy; the
 * exit status sets come first, as systemd's RestartPreventExitStatus= and
 * RestartForceExitStatus= do. */
static bool
wants_restart(const struct service *sv)
{
	const struct svc_conf *sc = sv->conf;
	int st = sv->last_status;

	if (!sv->exec_failed && service_exit_in(&sc->restart_prevent, st))
		return false;
	if (!sv->exec_failed && service_exit_in(&sc->restart_force, st))
		return true;
	switch (sc->restart) {
	case RESTART_ALWAYS:
		return true;
	case RESTART_ON_FAILURE:
		return sv->exec_failed || !succeeded(sv);
	case RESTART_NEVER:
		return false;
	}
	return false;
}

/* A start that cannot work as configured (no such user, directory or
 * program): retrying would only fill the log, so the service waits in
 * FATAL for a reload or an operator's start. */
static enum sv_action
fatal_now(struct service *sv)
{
	sv->fails++;
	sv->state = SV_FATAL;
	sv->outcome = SVO_HOPELESS;
	sv->deadline_ms = -1;
	sv->delay_ms = -1;
	return ACT_NONE;
}

/* The main process ended on its own: decide between now, later, never. */
static enum sv_action
unexpected_exit(struct service *sv, int64_t now)
{
	const struct svc_conf *sc = sv->conf;
	bool by_operator = sv->by_operator;

	sv->by_operator = false;
	if (sv->hopeless)
		return fatal_now(sv);
	if (!wants_restart(sv)) {
		sv->state = SV_DOWN;
		sv->outcome = succeeded(sv) ? SVO_DONE_OK : SVO_DONE_FAIL;
		return ACT_NONE;
	}
	if (sv->last_up_ms >= sc->healthy_after_ms && !sv->exec_failed)
		sv->fails = 0;
	else if (!by_operator || sv->fails == 0) {
		sv->fails++;	/* an operator's try keeps the delay it cut short */
		if (sv->fails == 1)
			sv->free_first = sv->last_up_ms >= RUN_ONCE_MS &&
			    !sv->exec_failed;
	}
	if (sc->give_up_after > 0 && sv->fails >= sc->give_up_after) {
		sv->state = SV_FATAL;
		sv->outcome = SVO_GAVE_UP;
		sv->delay_ms = -1;
		return ACT_NONE;
	}
	sv->delay_ms = service_backoff(sc, sv->fails - (sv->fails > 0 &&
	    sv->free_first ? 1 : 0));
	if (sv->delay_ms == 0) {
		sv->restarts++;
		sv->outcome = SVO_RESTART_NOW;
		return ACT_SPAWN;
	}
	sv->state = SV_BACKOFF;
	sv->outcome = SVO_RESTART_LATER;
	sv->deadline_ms = now + sv->delay_ms;
	return ACT_NONE;
}

/* A new run: starting, its counters and flags fresh (count: one more
 * start; not again when start_pre began it). */
static void
begin_run(struct service *sv, int64_t now, bool count)
{
	sv->state = SV_STARTING;
	sv->started_ms = now;
	if (count)
		sv->starts++;
	sv->exited = false;
	sv->killed = false;
	sv->exec_failed = false;
	sv->hopeless = false;
	sv->forked = false;
	sv->awaiting_main = sv->conf->type == TYPE_FORKING;
	sv->aborted = false;
	sv->run_failed = false;
	sv->post_pending = false;
	sv->let_go = false;
	sv->stop_ran = false;
	sv->ready_ms = -1;
	sv->outcome = SVO_NONE;
	sv->deadline_ms = -1;
}

/* Ready: up, or first its start_post commands (EV_POST_DONE). */
static void
becomes_up(struct service *sv, int64_t now)
{
	sv->deadline_ms = -1;
	if (sv->conf->start_post.n > 0) {
		sv->post_pending = true;
		return;
	}
	sv->state = SV_UP;
	sv->ready_ms = now;
}

/* A oneshot's command exited well (and its start_post passed): up with
 * remain_after_exit, else down and done, whatever restart says. */
static enum sv_action
oneshot_started(struct service *sv, int64_t now)
{
	sv->ready_ms = now;
	sv->deadline_ms = -1;
	sv->fails = 0;
	sv->by_operator = false;
	if (sv->conf->remain_after_exit) {
		sv->state = SV_UP;
		return ACT_NONE;
	}
	sv->state = SV_DOWN;
	sv->outcome = SVO_DONE_OK;
	return ACT_NONE;
}

enum sv_action
service_step(struct service *sv, enum sv_event ev, int64_t now)
{
	switch (ev) {
	case EV_START:
		sv->want = WANT_UP;
		switch (sv->state) {
		case SV_FATAL:
			sv->fails = 0;
			/* FALLTHROUGH */
		case SV_DOWN:
		case SV_BACKOFF:
		case SV_WAITING:
			sv->deadline_ms = -1;
			sv->by_operator = sv->fails > 0;
			return ACT_SPAWN;
		default:
			/* Running, or stopping: EV_GROUP_GONE starts it again. */
			return ACT_NONE;
		}

	case EV_STOP:
		sv->want = WANT_DOWN;
		switch (sv->state) {
		case SV_STARTING:
		case SV_UP:
			sv->state = SV_STOPPING;
			sv->killed = false;
			sv->deadline_ms = now + sv->conf->stop_timeout_ms;
			return ACT_TERM;
		case SV_BACKOFF:
		case SV_FATAL:
		case SV_WAITING:
			sv->state = SV_DOWN;
			sv->outcome = SVO_STOPPED;
			sv->deadline_ms = -1;
			return ACT_NONE;
		case SV_DOWN:
			/* What came of the last start is past now. */
			sv->outcome = SVO_STOPPED;
			return ACT_NONE;
		default:
			return ACT_NONE;
		}

	case EV_PRE_START:
		/* A run begins with its start_pre commands: no main yet. */
		begin_run(sv, now, true);
		sv->in_pre = true;
		sv->exited = true;
		sv->deadline_ms = -1;	/* service_ctl.c times them */
		return ACT_NONE;

	case EV_SPAWNED:
		begin_run(sv, now, !sv->in_pre);
		sv->in_pre = false;
		if (sv->conf->type != TYPE_SIMPLE ||
		    sv->conf->ready.kind != PROBE_NONE) {
			/* Ready (its main process known, a oneshot's exit)
			 * by then, or failed. */
			sv->start_by_ms = now + sv->conf->ready_timeout_ms;
			sv->deadline_ms = sv->start_by_ms;
		}
		return ACT_NONE;

	case EV_POST_DONE:
		if (sv->state != SV_STARTING || !sv->post_pending)
			return ACT_NONE;
		sv->post_pending = false;
		if (sv->conf->type == TYPE_ONESHOT)
			return oneshot_started(sv, now);
		sv->state = SV_UP;
		sv->ready_ms = now;
		sv->deadline_ms = -1;
		return ACT_NONE;

	case EV_LET_GO:
		/* The stop leaves its processes: down once main is gone. */
		if (sv->state != SV_STOPPING)
			return ACT_NONE;
		sv->let_go = true;
		return ACT_NONE;

	case EV_READY:
		if (sv->state != SV_STARTING || sv->awaiting_main ||
		    sv->post_pending || sv->conf->type == TYPE_ONESHOT)
			return ACT_NONE;
		becomes_up(sv, now);
		return ACT_NONE;

	case EV_WAIT:
		/* instead of a start: until order.c says it may */
		if (sv->want != WANT_UP || sv->state == SV_STOPPING)
			return ACT_NONE;
		sv->state = SV_WAITING;
		sv->deadline_ms = -1;
		return ACT_NONE;

	case EV_WATCHDOG:
		/* SIGABRT to the main process, then a stop of the rest: a
		 * failed run for the restart policy. */
		if (sv->state != SV_UP && sv->state != SV_STARTING)
			return ACT_NONE;
		sv->run_failed = true;
		sv->last_runtime_ms = now - sv->started_ms;
		sv->last_up_ms = sv->ready_ms >= 0 ? now - sv->ready_ms : 0;
		sv->state = SV_STOPPING;
		sv->killed = false;
		sv->deadline_ms = now + sv->conf->stop_timeout_ms;
		return ACT_ABORT;

	case EV_UNHEALTHY:
		if (sv->state != SV_UP)
			return ACT_NONE;
		sv->run_failed = true;
		sv->last_runtime_ms = now - sv->started_ms;
		sv->last_up_ms = now - sv->ready_ms;
		sv->state = SV_STOPPING;
		sv->killed = false;
		sv->deadline_ms = now + sv->conf->stop_timeout_ms;
		return ACT_TERM;

	case EV_MAIN_FOUND:
		if (sv->state != SV_STARTING || !sv->forked)
			return ACT_NONE;
		sv->forked = false;
		sv->awaiting_main = false;
		sv->exited = false;
		if (sv->conf->ready.kind != PROBE_NONE)
			return ACT_NONE;	/* starting until ready */
		becomes_up(sv, now);
		return ACT_NONE;

	case EV_START_FAILED:
		/* What it started is stopped; once gone, the restart policy
		 * sees a failed run (EV_GROUP_GONE). */
		if (sv->state != SV_STARTING)
			return ACT_NONE;
		sv->run_failed = true;
		sv->forked = false;
		sv->awaiting_main = false;
		sv->post_pending = false;
		sv->last_runtime_ms = now - sv->started_ms;
		sv->last_up_ms = 0;
		sv->state = SV_STOPPING;
		sv->killed = false;
		sv->deadline_ms = now + sv->conf->stop_timeout_ms;
		return ACT_TERM;

	case EV_CANNOT_START:
		/* Nothing runs: no exit will come. It counts as a start, so
		 * that whoever waits for one learns that it failed. */
		sv->starts++;
		sv->last_runtime_ms = 0;
		sv->exec_failed = true;
		sv->hopeless = true;
		sv->by_operator = false;
		return fatal_now(sv);

	case EV_SPAWN_FAILED:
		/* fork failed: no process, so no exit will come; back off. */
		sv->last_runtime_ms = 0;
		sv->hopeless = false;
		sv->exec_failed = true;
		sv->fails++;
		sv->delay_ms = service_backoff(sv->conf, sv->fails);
		if (sv->delay_ms == 0)
			sv->delay_ms = sv->conf->backoff_initial_ms;
		sv->state = SV_BACKOFF;
		sv->outcome = SVO_RESTART_LATER;
		sv->deadline_ms = now + sv->delay_ms;
		return ACT_NONE;

	case EV_EXEC_OK:
		/* A forking service is up once its main process is known; one
		 * with a readiness check once that passed. */
		if (sv->state == SV_STARTING && sv->conf->type == TYPE_SIMPLE &&
		    sv->conf->ready.kind == PROBE_NONE && !sv->post_pending)
			becomes_up(sv, now);
		return ACT_NONE;

	case EV_EXEC_FAILED:
		sv->exec_failed = true;
		return ACT_NONE;

	case EV_CANNOT_EXEC:
		/* The exit that follows decides (unexpected_exit). */
		sv->exec_failed = true;
		sv->hopeless = true;
		return ACT_NONE;

	case EV_EXITED:
		sv->exited = true;
		sv->last_exit_ms = now;
		sv->last_runtime_ms = now - sv->started_ms;
		sv->last_up_ms = sv->ready_ms >= 0 ? now - sv->ready_ms : 0;
		if (sv->state == SV_STARTING && sv->conf->type == TYPE_FORKING &&
		    !sv->forked && !sv->exec_failed &&
		    WIFEXITED(sv->last_status) &&
		    WEXITSTATUS(sv->last_status) == 0) {
			/* The starter did its part: now its main process. */
			sv->forked = true;
			sv->find_delay_ms = FIND_MAIN_FIRST_MS;
			return ACT_CHECK_START;
		}
		if (sv->state == SV_STARTING && sv->conf->type == TYPE_ONESHOT &&
		    !sv->exec_failed && succeeded(sv)) {
			/* Its command did what it is for: started. */
			sv->deadline_ms = -1;
			if (sv->conf->start_post.n > 0) {
				sv->post_pending = true;
				return ACT_NONE;
			}
			return oneshot_started(sv, now);
		}
		if (sv->state == SV_STOPPING) {
			sv->outcome = SVO_STOPPED;
			return ACT_NONE;	/* the group may linger: EV_GROUP_GONE */
		}
		if (sv->state != SV_STARTING && sv->state != SV_UP) {
			sv->outcome = SVO_NONE;	/* no process was running */
			return ACT_NONE;
		}
		return unexpected_exit(sv, now);

	case EV_GROUP_GONE:
		if (sv->state != SV_STOPPING || !sv->exited)
			return ACT_NONE;
		sv->state = SV_DOWN;
		sv->deadline_ms = -1;
		if (sv->want != WANT_UP) {
			sv->outcome = SVO_STOPPED;
			return ACT_NONE;
		}
		if (sv->run_failed)
			return unexpected_exit(sv, now);	/* backs off */
		return ACT_SPAWN;

	case EV_TIMER:
		if (sv->deadline_ms < 0 || now < sv->deadline_ms)
			return ACT_NONE;
		switch (sv->state) {
		case SV_BACKOFF:
			sv->deadline_ms = -1;
			if (sv->want != WANT_UP) {
				sv->state = SV_DOWN;
				sv->outcome = SVO_STOPPED;
				return ACT_NONE;
			}
			sv->restarts++;
			sv->by_operator = false;
			return ACT_SPAWN;
		case SV_STARTING:
			/* forking: look for its main process again; or give
			 * up at start_by_ms (service.c decides: it knows why) */
			sv->deadline_ms = -1;
			return sv->conf->type != TYPE_SIMPLE ||
			    sv->conf->ready.kind != PROBE_NONE ? ACT_CHECK_START :
			    ACT_NONE;
		case SV_STOPPING:
			/* stop_timeout passed: SIGKILL, and again each timeout after
			 * (a process in uninterruptible sleep takes its time). */
			sv->killed = true;
			sv->deadline_ms = now + sv->conf->stop_timeout_ms;
			return ACT_KILL;
		default:
			sv->deadline_ms = -1;
			return ACT_NONE;
		}
	}
	return ACT_NONE;
}

void
service_leftover_init(struct lo_timing *t, int64_t stop_timeout_ms)
{
	t->stop_timeout_ms = stop_timeout_ms;
	t->kill_at = -1;
	t->announced = false;
}

/*
 * What to do with a leftover group now: on LO_EV_STOP the stop signal (once;
 * SIGKILL after stop_timeout); on LO_EV_CHECK forget it if gone, else
 * announce it the first time and SIGKILL it each stop_timeout past the stop.
 */
unsigned
service_leftover_step(struct lo_timing *t, enum lo_event ev, bool alive,
    int64_t now)
{
	unsigned what = 0;

	switch (ev) {
	case LO_EV_STOP:
		if (t->kill_at >= 0)
			return 0;	/* stopping already */
		t->kill_at = now + t->stop_timeout_ms;
		return LO_TERM;
	case LO_EV_CHECK:
		if (!alive)
			return LO_FORGET | (t->kill_at >= 0 ? LO_WAS_STOPPING : 0);
		if (!t->announced) {
			/* Past the reaping of the zombies of the main's end. */
			t->announced = true;
			what |= LO_ANNOUNCE;
		}
		if (t->kill_at >= 0 && now >= t->kill_at) {
			/* Again each stop_timeout: a process in uninterruptible
			 * sleep takes its time. */
			t->kill_at = now + t->stop_timeout_ms;
			what |= LO_KILL;
		}
		return what;
	}
	return 0;
}

/* When to look at a stopping leftover group again: its SIGKILL deadline, and
 * every GROUP_POLL_MS in case no SIGCHLD tells it is gone; -1 if not stopping. */
int64_t
service_leftover_deadline(const struct lo_timing *t, int64_t now)
{
	int64_t d = now + GROUP_POLL_MS;

	if (t->kill_at < 0)
		return -1;
	return t->kill_at < d ? t->kill_at : d;
}
