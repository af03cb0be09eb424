/*
 * The policy's part in control processes (start_pre, start_post) and in
 * type = oneshot, on fake time: service_step alone, no processes.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "guardiand.h"
#include "t.h"
#include "policy_t.h"

static struct ctl_cmd one_cmd;

static void
setup(enum restart_policy r)
{
	policy_setup(r, 0);
	sc.ready_timeout_ms = 5000;
}

/* start_pre begins the run: starting, counted once, no main process. */
static void
test_start_pre_is_one_start(void)
{
	setup(RESTART_ALWAYS);
	CHECK_INT(service_step(&sv, EV_START, 0), ACT_SPAWN);
	CHECK_INT(service_step(&sv, EV_PRE_START, 0), ACT_NONE);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK_INT(sv.starts, 1);
	CHECK(sv.exited);
	CHECK_INT(sv.deadline_ms, -1);
	spawn_at(10);
	CHECK_INT(sv.starts, 1);
	CHECK(!sv.exited);
	CHECK_INT(sv.state, SV_UP);
}

/* A failed start_pre stops (nothing), and backs off as a quick exit. */
static void
test_start_pre_failure_backs_off(void)
{
	setup(RESTART_ALWAYS);
	service_step(&sv, EV_START, 0);
	service_step(&sv, EV_PRE_START, 0);
	CHECK_INT(service_step(&sv, EV_START_FAILED, 5), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 6), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.outcome, SVO_RESTART_LATER);
}

/* With start_post, ready is not up yet: EV_POST_DONE is. */
static void
test_start_post_then_up(void)
{
	setup(RESTART_ALWAYS);
	sc.start_post.v = &one_cmd;
	sc.start_post.n = 1;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK(sv.post_pending);
	CHECK_INT(service_step(&sv, EV_READY, 1), ACT_NONE);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK_INT(service_step(&sv, EV_POST_DONE, 7), ACT_NONE);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(sv.ready_ms, 7);
	CHECK(!sv.post_pending);
}

/* A oneshot is starting until its exit; exit 0 is done, not restarted. */
static void
test_oneshot_done_is_down_whatever_restart(void)
{
	setup(RESTART_ALWAYS);
	sc.type = TYPE_ONESHOT;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK_INT(sv.deadline_ms, 5000);
	CHECK_INT(exit_at(100, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_DONE_OK);
	CHECK_INT(sv.want, WANT_UP);
	CHECK_INT(sv.deadline_ms, -1);
}

/* success_exit_status counts as done too. */
static void
test_oneshot_success_status(void)
{
	setup(RESTART_ON_FAILURE);
	sc.type = TYPE_ONESHOT;
	sc.success_status.codes[0] = 1U << 3;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(100, STATUS(3)), ACT_NONE);
	CHECK_INT(sv.outcome, SVO_DONE_OK);
}

/* remain_after_exit: up after the exit, and a stop takes it down. */
static void
test_oneshot_remains_up(void)
{
	setup(RESTART_ALWAYS);
	sc.type = TYPE_ONESHOT;
	sc.remain_after_exit = true;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(100, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(sv.ready_ms, 100);
	CHECK_INT(service_step(&sv, EV_STOP, 200), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 210), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_STOPPED);
}

/* A oneshot that fails: on-failure restarts it, never does not. */
static void
test_oneshot_failure(void)
{
	setup(RESTART_ON_FAILURE);
	sc.type = TYPE_ONESHOT;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(5, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	setup(RESTART_NEVER);
	sc.type = TYPE_ONESHOT;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(5, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_DONE_FAIL);
}

/* ready_timeout bounds a oneshot's run: service.c fails it at start_by. */
static void
test_oneshot_timeout(void)
{
	setup(RESTART_ALWAYS);
	sc.type = TYPE_ONESHOT;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(service_step(&sv, EV_TIMER, 4999), ACT_NONE);
	CHECK_INT(service_step(&sv, EV_TIMER, 5000), ACT_CHECK_START);
	CHECK_INT(service_step(&sv, EV_START_FAILED, 5000), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
}

/* A oneshot's start_post runs after its exit; then it is done. */
static void
test_oneshot_start_post(void)
{
	setup(RESTART_ALWAYS);
	sc.type = TYPE_ONESHOT;
	sc.start_post.v = &one_cmd;
	sc.start_post.n = 1;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(100, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK(sv.post_pending);
	CHECK_INT(service_step(&sv, EV_POST_DONE, 150), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_DONE_OK);
}

/* A stop that leaves the rest (kill_mode, send_sigkill = no). */
static void
test_let_go_only_while_stopping(void)
{
	setup(RESTART_ALWAYS);
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_LET_GO, 1);
	CHECK(!sv.let_go);
	service_step(&sv, EV_STOP, 2);
	service_step(&sv, EV_LET_GO, 3);
	CHECK(sv.let_go);
	service_step(&sv, EV_START, 4);
	exit_at(5, KILLED9);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 6), ACT_SPAWN);
	spawn_at(7);
	CHECK(!sv.let_go);
}

int
main(void)
{
	RUN(test_start_pre_is_one_start);
	RUN(test_start_pre_failure_backs_off);
	RUN(test_start_post_then_up);
	RUN(test_oneshot_done_is_down_whatever_restart);
	RUN(test_oneshot_success_status);
	RUN(test_oneshot_remains_up);
	RUN(test_oneshot_failure);
	RUN(test_oneshot_timeout);
	RUN(test_oneshot_start_post);
	RUN(test_let_go_only_while_stopping);
	T_END();
}
