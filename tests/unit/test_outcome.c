/*
 * The outcome service_step records for each exit and failed start (what the
 * exit's log line and `start --wait` read), on fake time: each case, then
 * random walks that check it against the rules it replaced, which worked
 * the outcome out again from state, action and status.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "guardiand.h"
#include "t.h"
#include "policy_t.h"


static void
setup(enum restart_policy restart, unsigned give_up_after)
{
	policy_setup(restart, give_up_after);
}

static void
test_each_outcome(void)
{
	setup(RESTART_ALWAYS, 2);
	CHECK_INT(sv.outcome, SVO_NONE);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(sv.outcome, SVO_NONE);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(1)), ACT_SPAWN);
	CHECK_INT(sv.outcome, SVO_RESTART_NOW);
	CHECK(!service_outcome_failed(sv.outcome));
	spawn_at(DEF_HEALTHY_AFTER_MS);
	CHECK_INT(sv.outcome, SVO_NONE);
	exit_at(DEF_HEALTHY_AFTER_MS + 1, STATUS(1));
	CHECK_INT(sv.outcome, SVO_RESTART_LATER);
	CHECK(service_outcome_failed(sv.outcome));
	CHECK_INT(service_step(&sv, EV_TIMER, sv.deadline_ms), ACT_SPAWN);
	spawn_at(sv.last_exit_ms + 100);
	exit_at(sv.started_ms + 1, STATUS(1));
	CHECK_INT(sv.outcome, SVO_GAVE_UP);
	CHECK(service_outcome_failed(sv.outcome));
	/* a stop puts the failure in the past */
	service_step(&sv, EV_STOP, 999999);
	CHECK_INT(sv.outcome, SVO_STOPPED);
	CHECK(!service_outcome_failed(sv.outcome));

	setup(RESTART_NEVER, 0);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(5, STATUS(0));
	CHECK_INT(sv.outcome, SVO_DONE_OK);
	service_step(&sv, EV_START, 10);
	spawn_at(10);
	exit_at(15, SIGKILL);
	CHECK_INT(sv.outcome, SVO_DONE_FAIL);
	CHECK(service_outcome_failed(sv.outcome));

	setup(RESTART_ON_FAILURE, 0);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(5, STATUS(0));
	CHECK_INT(sv.outcome, SVO_DONE_OK);

	/* an exit during a stop is expected */
	setup(RESTART_ALWAYS, 0);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_STOP, 5);
	exit_at(6, SIGTERM);
	CHECK_INT(sv.outcome, SVO_STOPPED);
}

static void
test_failed_starts(void)
{
	setup(RESTART_ALWAYS, 0);
	service_step(&sv, EV_START, 0);
	service_step(&sv, EV_SPAWN_FAILED, 0);
	CHECK_INT(sv.outcome, SVO_RESTART_LATER);
	service_step(&sv, EV_CANNOT_START, 1);
	CHECK_INT(sv.outcome, SVO_HOPELESS);

	setup(RESTART_ALWAYS, 0);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_CANNOT_EXEC, 0);
	exit_at(1, STATUS(127));
	CHECK_INT(sv.outcome, SVO_HOPELESS);
	CHECK_INT(sv.state, SV_FATAL);
}

/* What the exit's log line said before the outcome was recorded: worked out
 * from the state, the hopeless flag, the action and the status. */
static enum sv_outcome
old_log_branch(const struct service *s, enum sv_action a)
{
	if (s->state == SV_FATAL && s->hopeless)
		return SVO_HOPELESS;
	if (s->state == SV_STOPPING)
		return SVO_STOPPED;
	if (a == ACT_SPAWN)
		return SVO_RESTART_NOW;
	if (s->state == SV_BACKOFF)
		return SVO_RESTART_LATER;
	if (s->state == SV_FATAL)
		return SVO_GAVE_UP;
	if (WIFEXITED(s->last_status) && WEXITSTATUS(s->last_status) == 0)
		return SVO_DONE_OK;
	return SVO_DONE_FAIL;
}

/* What `start --wait` called a failed start before: settled() in control.c. */
static bool
old_start_failed(const struct service *s)
{
	return s->state == SV_BACKOFF || s->state == SV_FATAL ||
	    (s->state == SV_DOWN && s->want == WANT_UP);
}

/* Carries out an action as service.c would, the fork's result drawn. */
static void
act(enum sv_action a, int64_t now)
{
	if (a != ACT_SPAWN)
		return;
	switch (rand() % 8) {
	case 0:
		service_step(&sv, EV_SPAWN_FAILED, now);
		break;
	case 1:
		service_step(&sv, EV_CANNOT_START, now);
		break;
	default:
		sv.pid = 100;
		service_step(&sv, EV_SPAWNED, now);
	}
}

static void
test_random_walks_agree_with_old_rules(void)
{
	static const int statuses[] = { STATUS(0), STATUS(1), STATUS(127),
		SIGKILL, SIGTERM };
	int mismatches = 0, exits = 0, seen[SVO_DONE_FAIL + 1] = { 0 };

	srand(11);
	for (int walk = 0; walk < 2000; walk++) {
		int64_t now = 0;

		setup((enum restart_policy)(rand() % 3), (unsigned)(rand() % 4));
		for (int i = 0; i < 60; i++) {
			enum sv_action a;

			now += rand() % 3 ? rand() % 500 : rand() % 30000;
			switch (rand() % 9) {
			case 0:
				act(service_step(&sv, EV_START, now), now);
				break;
			case 1:
				act(service_step(&sv, EV_STOP, now), now);
				break;
			case 2:
				if (sv.deadline_ms >= 0 && now < sv.deadline_ms)
					now = sv.deadline_ms;
				act(service_step(&sv, EV_TIMER, now), now);
				break;
			case 3:
				if (sv.pid)
					service_step(&sv, rand() % 2 ?
					    EV_EXEC_FAILED : EV_CANNOT_EXEC, now);
				break;
			case 4:
				if (sv.pid == 0)
					act(service_step(&sv, EV_GROUP_GONE,
					    now), now);
				break;
			case 5:
				if (sv.pid)
					service_step(&sv, EV_EXEC_OK, now);
				break;
			default:
				if (sv.pid == 0)
					break;
				sv.pid = 0;
				sv.last_status = statuses[rand() % 5];
				a = service_step(&sv, EV_EXITED, now);
				exits++;
				seen[sv.outcome]++;
				if (sv.outcome != old_log_branch(&sv, a))
					mismatches++;
				act(a, now);
			}
			if (service_outcome_failed(sv.outcome) !=
			    old_start_failed(&sv))
				mismatches++;
		}
	}
	CHECK_INT(mismatches, 0);
	CHECK(exits > 5000);
	/* every outcome an exit can have came up */
	for (int o = SVO_STOPPED; o <= SVO_DONE_FAIL; o++)
		CHECK(seen[o] > 0);
	CHECK_INT(seen[SVO_NONE], 0);
}

int
main(void)
{
	RUN(test_each_outcome);
	RUN(test_failed_starts);
	RUN(test_random_walks_agree_with_old_rules);
	T_END();
}
