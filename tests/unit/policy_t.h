/*
 * The fixture of the policy's unit tests: one service, its config, and the
 * events of a run on fake time (service_step alone, no processes).
 */
#ifndef POLICY_T_H
#define POLICY_T_H

#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "guardiand.h"

#define KILLED9 SIGKILL		/* wait status of a SIGKILL death */
#define STATUS(n) ((n) << 8)	/* wait status of exit(n) */

static struct svc_conf sc;
static struct service sv;

/* A fresh service, down, with the default timings. */
static void
policy_setup(enum restart_policy restart, unsigned give_up_after)
{
	static char api[] = "api";

	memset(&sc, 0, sizeof(sc));
	sc.name = api;
	sc.restart = restart;
	sc.give_up_after = give_up_after;
	sc.stop_signal = SIGTERM;
	sc.stop_timeout_ms = DEF_STOP_TIMEOUT_MS;
	sc.backoff_initial_ms = DEF_BACKOFF_INITIAL_MS;
	sc.backoff_max_ms = DEF_BACKOFF_MAX_MS;
	sc.healthy_after_ms = DEF_HEALTHY_AFTER_MS;
	memset(&sv, 0, sizeof(sv));
	sv.conf = &sc;
	sv.state = SV_DOWN;
	sv.want = WANT_DOWN;
	sv.deadline_ms = -1;
	sv.last_status = -1;
}

/* Spawn at t, exec succeeds. */
static void
spawn_at(int64_t t)
{
	sv.pid = 100;
	service_step(&sv, EV_SPAWNED, t);
	service_step(&sv, EV_EXEC_OK, t);
}

/* The main process exits at t with wait status st. */
static enum sv_action
exit_at(int64_t t, int st)
{
	sv.pid = 0;
	sv.last_status = st;
	return service_step(&sv, EV_EXITED, t);
}

#endif
