/*
 * The restart policy on fake time: service_step alone, no processes.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "guardiand.h"
#include "t.h"
#include "policy_t.h"

/* A fresh service with the default policy. */
static void
setup(void)
{
	policy_setup(RESTART_ALWAYS, 0);
}

static void
test_start_spawns(void)
{
	setup();
	CHECK_INT(service_step(&sv, EV_START, 0), ACT_SPAWN);
	CHECK_INT(sv.want, WANT_UP);
	spawn_at(0);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(sv.starts, 1);
}

static void
test_healthy_crash_restarts_at_once(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
	CHECK_INT(sv.restarts, 1);
	CHECK_INT(sv.last_runtime_ms, DEF_HEALTHY_AFTER_MS);
}

static void
test_quick_crashes_double_to_cap(void)
{
	int64_t t = 0, expect = DEF_BACKOFF_INITIAL_MS;

	setup();
	service_step(&sv, EV_START, t);
	for (int i = 0; i < 20; i++) {
		spawn_at(t);
		t += 5;
		CHECK_INT(exit_at(t, STATUS(1)), ACT_NONE);
		CHECK_INT(sv.state, SV_BACKOFF);
		CHECK_INT(sv.delay_ms, expect);
		CHECK_INT(sv.deadline_ms, t + expect);
		/* Nothing happens before the deadline... */
		CHECK_INT(service_step(&sv, EV_TIMER, t + expect - 1), ACT_NONE);
		/* ...and the start comes at it. */
		t += expect;
		CHECK_INT(service_step(&sv, EV_TIMER, t), ACT_SPAWN);
		expect = expect * 2 > DEF_BACKOFF_MAX_MS ? DEF_BACKOFF_MAX_MS : expect * 2;
	}
	CHECK_INT(sv.fails, 20);
	CHECK_INT(sv.delay_ms, DEF_BACKOFF_MAX_MS);
}

static void
test_healthy_run_resets_backoff(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(10, STATUS(1));
	spawn_at(200);
	exit_at(210, STATUS(1));
	CHECK_INT(sv.delay_ms, 200);
	spawn_at(1000);
	/* stays up healthy_after, then dies: back to an immediate restart */
	CHECK_INT(exit_at(1000 + DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
	spawn_at(20000);
	CHECK_INT(exit_at(20001, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.delay_ms, DEF_BACKOFF_INITIAL_MS);
}

/* A run of at least RUN_ONCE_MS that dies is restarted at once, as runit
 * and daemontools do; a second failure in a row within healthy_after
 * starts the backoff, and the third doubles it. */
static void
test_first_failure_after_a_second_restarts_at_once(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(RUN_ONCE_MS, KILLED9), ACT_SPAWN);
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.delay_ms, 0);
	CHECK_INT(sv.outcome, SVO_RESTART_NOW);
	spawn_at(RUN_ONCE_MS);
	CHECK_INT(exit_at(2 * RUN_ONCE_MS + 500, KILLED9), ACT_NONE);
	CHECK_INT(sv.delay_ms, DEF_BACKOFF_INITIAL_MS);
	spawn_at(4000);
	CHECK_INT(exit_at(4010, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.delay_ms, 2 * DEF_BACKOFF_INITIAL_MS);
	CHECK_INT(sv.fails, 3);
	/* a shorter first run backs off at once, as before */
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(RUN_ONCE_MS - 1, KILLED9), ACT_NONE);
	CHECK_INT(sv.delay_ms, DEF_BACKOFF_INITIAL_MS);
}

static void
test_exec_failure_backs_off_even_if_slow(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_EXEC_FAILED, 0);
	/* even a "long" runtime does not make an exec failure healthy */
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS + 1, STATUS(127)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
}

static void
test_never_and_on_failure(void)
{
	setup();
	sc.restart = RESTART_NEVER;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(50, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);

	setup();
	sc.restart = RESTART_ON_FAILURE;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(service_step(&sv, EV_START, 20000), ACT_SPAWN);
	spawn_at(20000);
	CHECK_INT(exit_at(20000 + DEF_HEALTHY_AFTER_MS, STATUS(3)), ACT_SPAWN);
	spawn_at(40000);
	CHECK_INT(exit_at(40000 + DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
}

/* A set of exit statuses from a config value, or the test fails. */
static void
exit_set(struct exit_set *e, const char *value)
{
	char bad[32];

	CHECK_INT(config_parse_exit_set(value, e, bad, sizeof(bad)), 0);
}

static void
test_exit_status_sets(void)
{
	char bad[32];
	struct exit_set e;

	/* success_exit_status: 3 and TERM are a success under on-failure */
	setup();
	sc.restart = RESTART_ON_FAILURE;
	exit_set(&sc.success_status, "3 SIGTERM");
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(3)), ACT_NONE);
	CHECK_INT(sv.outcome, SVO_DONE_OK);
	service_step(&sv, EV_START, 20000);
	spawn_at(20000);
	CHECK_INT(exit_at(20000 + DEF_HEALTHY_AFTER_MS, SIGTERM), ACT_NONE);
	CHECK_INT(sv.outcome, SVO_DONE_OK);
	service_step(&sv, EV_START, 40000);
	spawn_at(40000);
	CHECK_INT(exit_at(40000 + DEF_HEALTHY_AFTER_MS, STATUS(4)), ACT_SPAWN);

	/* restart_prevent_exit_status beats restart = always */
	setup();
	exit_set(&sc.restart_prevent, "78 KILL");
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(78)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_DONE_FAIL);
	service_step(&sv, EV_START, 20000);
	spawn_at(20000);
	CHECK_INT(exit_at(20000 + DEF_HEALTHY_AFTER_MS, KILLED9), ACT_NONE);
	service_step(&sv, EV_START, 40000);
	spawn_at(40000);
	CHECK_INT(exit_at(40000 + DEF_HEALTHY_AFTER_MS, STATUS(1)), ACT_SPAWN);

	/* restart_force_exit_status beats restart = never, and a quick one
	 * backs off as any quick failure does */
	setup();
	sc.restart = RESTART_NEVER;
	exit_set(&sc.restart_force, "0");
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(5, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(service_step(&sv, EV_TIMER, 5 + DEF_BACKOFF_INITIAL_MS), ACT_SPAWN);
	spawn_at(5 + DEF_BACKOFF_INITIAL_MS);
	CHECK_INT(exit_at(10 + DEF_BACKOFF_INITIAL_MS, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);

	/* the values */
	CHECK_INT(config_parse_exit_set("", &e, bad, sizeof(bad)), 0);
	CHECK_INT(service_exit_in(&e, STATUS(0)), 0);
	CHECK_INT(config_parse_exit_set(" 0  255\tHUP sigpipe 9 ", &e, bad,
	    sizeof(bad)), 0);
	CHECK_INT(service_exit_in(&e, STATUS(255)), 1);
	CHECK_INT(service_exit_in(&e, STATUS(9)), 1);
	CHECK_INT(service_exit_in(&e, KILLED9), 0);	/* 9: a code */
	CHECK_INT(service_exit_in(&e, SIGPIPE), 1);
	CHECK_INT(service_exit_in(&e, SIGHUP), 1);
	CHECK_INT(service_exit_in(&e, STATUS(1)), 0);
	CHECK_INT(config_parse_exit_set("1 256", &e, bad, sizeof(bad)), -1);
	CHECK_STR(bad, "256");
	CHECK_INT(config_parse_exit_set("NOSUCHSIG", &e, bad, sizeof(bad)), -1);
	CHECK_STR(bad, "NOSUCHSIG");
	CHECK_INT(config_parse_exit_set("-1", &e, bad, sizeof(bad)), -1);
}

static void
test_give_up_after(void)
{
	setup();
	sc.give_up_after = 3;
	service_step(&sv, EV_START, 0);
	for (int i = 0; i < 2; i++) {
		spawn_at(i * 1000);
		exit_at(i * 1000 + 1, STATUS(1));
		CHECK_INT(sv.state, SV_BACKOFF);
	}
	spawn_at(5000);
	exit_at(5001, STATUS(1));
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(service_step(&sv, EV_TIMER, 999999), ACT_NONE);
	/* an explicit start tries again from scratch */
	CHECK_INT(service_step(&sv, EV_START, 999999), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
}

static void
test_stop_term_then_kill(void)
{
	setup();
	sc.stop_timeout_ms = 2000;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(service_step(&sv, EV_STOP, 100), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(sv.want, WANT_DOWN);
	CHECK_INT(service_step(&sv, EV_TIMER, 2099), ACT_NONE);
	CHECK_INT(service_step(&sv, EV_TIMER, 2100), ACT_KILL);
	CHECK(sv.killed);
	/* exit while the group lingers: still stopping */
	CHECK_INT(exit_at(2150, KILLED9), ACT_NONE);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 2160), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	/* a stopped service is not restarted by timers */
	CHECK_INT(service_step(&sv, EV_TIMER, 99999), ACT_NONE);
}

static void
test_stop_in_backoff_and_restart_while_stopping(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(1, STATUS(1));
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(service_step(&sv, EV_STOP, 2), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(service_step(&sv, EV_TIMER, 100000), ACT_NONE);

	/* stop then start (a changed config): starts once the group is gone */
	CHECK_INT(service_step(&sv, EV_START, 200000), ACT_SPAWN);
	spawn_at(200000);
	CHECK_INT(service_step(&sv, EV_STOP, 200100), ACT_TERM);
	CHECK_INT(service_step(&sv, EV_START, 200100), ACT_NONE);
	exit_at(200200, SIGTERM);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 200200), ACT_SPAWN);
}

static void
test_start_in_backoff_starts_now(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(1, STATUS(1));
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(service_step(&sv, EV_START, 2), ACT_SPAWN);
	CHECK_INT(sv.deadline_ms, -1);
}

#define HOUR_MS	(60 * 60 * 1000LL)

static void
test_cannot_exec_is_fatal_until_start(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	/* it ran a while, then its program vanished: the restart's exec fails */
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(1)), ACT_SPAWN);
	sv.pid = 101;
	service_step(&sv, EV_SPAWNED, DEF_HEALTHY_AFTER_MS);
	CHECK_INT(service_step(&sv, EV_CANNOT_EXEC, DEF_HEALTHY_AFTER_MS),
	    ACT_NONE);
	CHECK_INT(sv.state, SV_STARTING);	/* its exit decides */
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS + 1, STATUS(127)), ACT_NONE);
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(sv.deadline_ms, -1);
	CHECK(sv.exec_failed);
	/* no timer ever retries it, however long */
	CHECK_INT(service_step(&sv, EV_TIMER, 48 * HOUR_MS), ACT_NONE);
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(sv.starts, 2);
	/* an operator's start (or a reload) tries again, from scratch */
	CHECK_INT(service_step(&sv, EV_START, 48 * HOUR_MS), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
	spawn_at(48 * HOUR_MS);
	CHECK(!sv.hopeless);
	CHECK_INT(sv.state, SV_UP);
	/* stop from FATAL is down */
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_CANNOT_EXEC, 0);
	exit_at(1, STATUS(127));
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(service_step(&sv, EV_STOP, 2), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
}

static void
test_cannot_exec_is_fatal_whatever_the_policy(void)
{
	/* restart = never, and a passing exec failure: not FATAL */
	setup();
	sc.restart = RESTART_NEVER;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_EXEC_FAILED, 0);
	exit_at(1, STATUS(127));
	CHECK_INT(sv.state, SV_DOWN);
	/* ...one that cannot work is */
	setup();
	sc.restart = RESTART_NEVER;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	service_step(&sv, EV_CANNOT_EXEC, 0);
	exit_at(1, STATUS(127));
	CHECK_INT(sv.state, SV_FATAL);
}

static void
test_cannot_start_is_fatal_at_once(void)
{
	/* at the first start: nothing runs, FATAL, and it counts as a start */
	setup();
	CHECK_INT(service_step(&sv, EV_START, 0), ACT_SPAWN);
	CHECK_INT(service_step(&sv, EV_CANNOT_START, 0), ACT_NONE);
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(sv.starts, 1);
	CHECK_INT(sv.deadline_ms, -1);
	CHECK_INT(service_step(&sv, EV_TIMER, HOUR_MS), ACT_NONE);
	/* at a restart out of backoff (the user was deleted meanwhile) */
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(1, STATUS(1));
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(service_step(&sv, EV_TIMER, 1 + DEF_BACKOFF_INITIAL_MS),
	    ACT_SPAWN);
	CHECK_INT(service_step(&sv, EV_CANNOT_START, 1 + DEF_BACKOFF_INITIAL_MS),
	    ACT_NONE);
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(service_step(&sv, EV_TIMER, HOUR_MS), ACT_NONE);
	CHECK_INT(sv.state, SV_FATAL);
	/* at an immediate restart after a healthy run, from UP */
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
	service_step(&sv, EV_CANNOT_START, DEF_HEALTHY_AFTER_MS);
	CHECK_INT(sv.state, SV_FATAL);
	CHECK_INT(service_step(&sv, EV_START, HOUR_MS), ACT_SPAWN);
}

static void
test_start_in_backoff_keeps_the_delay(void)
{
	/* a long backoff: 1h after the first quick failure, up to 4h */
	setup();
	sc.backoff_initial_ms = HOUR_MS;
	sc.backoff_max_ms = 4 * HOUR_MS;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	exit_at(1, STATUS(1));
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.delay_ms, HOUR_MS);
	/* the operator starts it by hand; it dies again at once */
	CHECK_INT(service_step(&sv, EV_START, 1000), ACT_SPAWN);
	spawn_at(1000);
	CHECK_INT(exit_at(1001, STATUS(1)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.delay_ms, HOUR_MS);	/* not 2h */
	CHECK_INT(sv.deadline_ms, 1001 + HOUR_MS);
	CHECK_INT(sv.fails, 1);
	/* and again, by restart (stop, then start) */
	service_step(&sv, EV_STOP, 2000);
	CHECK_INT(service_step(&sv, EV_START, 2000), ACT_SPAWN);
	spawn_at(2000);
	exit_at(2001, STATUS(1));
	CHECK_INT(sv.delay_ms, HOUR_MS);
	/* the schedule's own restart that fails doubles, as before */
	CHECK_INT(service_step(&sv, EV_TIMER, 2001 + HOUR_MS), ACT_SPAWN);
	spawn_at(2001 + HOUR_MS);
	exit_at(2002 + HOUR_MS, STATUS(1));
	CHECK_INT(sv.delay_ms, 2 * HOUR_MS);
	/* a first failure after an operator's start counts as one */
	setup();
	sc.give_up_after = 2;
	CHECK_INT(service_step(&sv, EV_START, 0), ACT_SPAWN);
	spawn_at(0);
	exit_at(1, STATUS(1));
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.delay_ms, DEF_BACKOFF_INITIAL_MS);
	/* an operator's tries do not count toward give_up_after either */
	for (int i = 0; i < 3; i++) {
		service_step(&sv, EV_START, 10 + i);
		spawn_at(10 + i);
		exit_at(11 + i, STATUS(1));
		CHECK_INT(sv.state, SV_BACKOFF);
	}
	CHECK_INT(service_step(&sv, EV_TIMER, 1000), ACT_SPAWN);
	spawn_at(1000);
	exit_at(1001, STATUS(1));
	CHECK_INT(sv.state, SV_FATAL);
}

static void
test_fork_failure_backs_off(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	CHECK_INT(service_step(&sv, EV_SPAWN_FAILED, 0), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.deadline_ms, DEF_BACKOFF_INITIAL_MS);
	CHECK_INT(service_step(&sv, EV_TIMER, DEF_BACKOFF_INITIAL_MS), ACT_SPAWN);
}

static void
test_backoff_function(void)
{
	setup();
	CHECK_INT(service_backoff(&sc, 0), 0);
	CHECK_INT(service_backoff(&sc, 1), 100);
	CHECK_INT(service_backoff(&sc, 2), 200);
	CHECK_INT(service_backoff(&sc, 10), 51200);
	CHECK_INT(service_backoff(&sc, 11), 60000);
	CHECK_INT(service_backoff(&sc, 4000000000u), 60000);
}

/* type = forking: a service spawned at 0 whose starter exits 0 at 50. */
static void
forking_started(void)
{
	setup();
	sc.type = TYPE_FORKING;
	sc.ready_timeout_ms = 1000;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(sv.state, SV_STARTING);	/* not up at its exec */
	CHECK_INT(sv.deadline_ms, 1000);
	CHECK_INT(exit_at(50, STATUS(0)), ACT_CHECK_START);
	CHECK_INT(sv.state, SV_STARTING);
	CHECK(sv.forked);
	CHECK_INT(sv.find_delay_ms, FIND_MAIN_FIRST_MS);
}

static void
test_forking_up_once_its_main_is_found(void)
{
	forking_started();
	/* the look after the starter's exit found nothing: on the timer again */
	sv.deadline_ms = 60;
	CHECK_INT(service_step(&sv, EV_TIMER, 60), ACT_CHECK_START);
	sv.pid = 200;
	CHECK_INT(service_step(&sv, EV_MAIN_FOUND, 70), ACT_NONE);
	CHECK_INT(sv.state, SV_UP);
	CHECK(!sv.forked && !sv.exited);
	CHECK_INT(sv.deadline_ms, -1);
	/* its main process's end is an exit like any other; the healthy
	 * clocks started when it was up */
	CHECK_INT(exit_at(70 + RUN_ONCE_MS - 1, KILLED9), ACT_NONE);
	CHECK_INT(sv.fails, 1);
	forking_started();
	sv.pid = 200;
	service_step(&sv, EV_MAIN_FOUND, 70);
	CHECK_INT(exit_at(70 + DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
}

static void
test_forking_starter_failing_is_a_failed_run(void)
{
	setup();
	sc.type = TYPE_FORKING;
	sc.ready_timeout_ms = 1000;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(exit_at(50, STATUS(3)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK(!sv.forked);
	CHECK_INT(sv.fails, 1);
}

static void
test_forking_start_failed_backs_off_once_stopped(void)
{
	forking_started();
	CHECK_INT(service_step(&sv, EV_START_FAILED, 1000), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK(sv.run_failed);
	CHECK_INT(sv.deadline_ms, 1000 + DEF_STOP_TIMEOUT_MS);
	/* once what it started is gone: a failed run, backing off */
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 1100), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.outcome, SVO_RESTART_LATER);
	CHECK_INT(sv.deadline_ms, 1100 + DEF_BACKOFF_INITIAL_MS);
	/* restart = never: down, a failure */
	forking_started();
	sc.restart = RESTART_NEVER;
	service_step(&sv, EV_START_FAILED, 1000);
	service_step(&sv, EV_GROUP_GONE, 1100);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_DONE_FAIL);
	/* stopped by the operator meanwhile: down, stopped */
	forking_started();
	service_step(&sv, EV_START_FAILED, 1000);
	service_step(&sv, EV_STOP, 1050);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 1100), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_STOPPED);
}

static void
test_forking_stop_before_its_main_is_known(void)
{
	forking_started();
	CHECK_INT(service_step(&sv, EV_STOP, 60), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	/* a main found late changes nothing */
	CHECK_INT(service_step(&sv, EV_MAIN_FOUND, 70), ACT_NONE);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 80), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_STOPPED);
}

static void
test_simple_ignores_forking_events(void)
{
	setup();
	service_step(&sv, EV_START, 0);
	spawn_at(0);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(service_step(&sv, EV_MAIN_FOUND, 10), ACT_NONE);
	CHECK_INT(service_step(&sv, EV_START_FAILED, 10), ACT_NONE);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(exit_at(DEF_HEALTHY_AFTER_MS, STATUS(0)), ACT_SPAWN);
}

/* A simple service with a readiness check, spawned (and exec'd) at 0. */
static void
ready_started(void)
{
	setup();
	sc.ready.kind = PROBE_TCP;
	sc.ready_timeout_ms = 1000;
	service_step(&sv, EV_START, 0);
	spawn_at(0);
}

static void
test_ready_starting_until_ready(void)
{
	ready_started();
	CHECK_INT(sv.state, SV_STARTING);	/* not up at its exec */
	CHECK_INT(sv.deadline_ms, 1000);
	CHECK_INT(service_step(&sv, EV_READY, 300), ACT_NONE);
	CHECK_INT(sv.state, SV_UP);
	CHECK_INT(sv.ready_ms, 300);
	CHECK_INT(sv.deadline_ms, -1);
	/* the clocks of healthy_after and of RUN_ONCE_MS start at readiness */
	CHECK_INT(exit_at(300 + RUN_ONCE_MS - 1, KILLED9), ACT_NONE);
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.state, SV_BACKOFF);
	ready_started();
	service_step(&sv, EV_READY, 300);
	CHECK_INT(exit_at(300 + DEF_HEALTHY_AFTER_MS, KILLED9), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
}

static void
test_ready_timeout_is_a_failed_start(void)
{
	ready_started();
	CHECK_INT(service_step(&sv, EV_TIMER, 1000), ACT_CHECK_START);
	CHECK_INT(service_step(&sv, EV_START_FAILED, 1000), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK_INT(exit_at(1050, SIGTERM), ACT_NONE);	/* TERM */
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 1060), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
	CHECK_INT(sv.outcome, SVO_RESTART_LATER);
	/* an exit before it was ready: a quick failure */
	ready_started();
	CHECK_INT(exit_at(5000, STATUS(0)), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
}

static void
test_unhealthy_restarts(void)
{
	ready_started();
	service_step(&sv, EV_READY, 100);
	CHECK_INT(service_step(&sv, EV_UNHEALTHY, 100 + 60000), ACT_TERM);
	CHECK_INT(sv.state, SV_STOPPING);
	CHECK(sv.run_failed);
	CHECK_INT(sv.want, WANT_UP);
	exit_at(100 + 60100, SIGTERM);
	/* up long enough: restarted at once, no backoff */
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 100 + 60100), ACT_SPAWN);
	CHECK_INT(sv.fails, 0);
	/* soon after readiness: a quick failure */
	ready_started();
	service_step(&sv, EV_READY, 100);
	service_step(&sv, EV_UNHEALTHY, 200);
	exit_at(210, SIGTERM);
	CHECK_INT(service_step(&sv, EV_GROUP_GONE, 210), ACT_NONE);
	CHECK_INT(sv.state, SV_BACKOFF);
	CHECK_INT(sv.fails, 1);
	/* not while starting, nor after */
	ready_started();
	CHECK_INT(service_step(&sv, EV_UNHEALTHY, 200), ACT_NONE);
	CHECK_INT(sv.state, SV_STARTING);
}

static void
test_waiting_for_the_order(void)
{
	setup();
	CHECK_INT(service_step(&sv, EV_START, 0), ACT_SPAWN);
	CHECK_INT(service_step(&sv, EV_WAIT, 0), ACT_NONE);
	CHECK_INT(sv.state, SV_WAITING);
	CHECK_INT(sv.want, WANT_UP);
	CHECK_INT(sv.deadline_ms, -1);
	CHECK_INT(service_step(&sv, EV_START, 50), ACT_SPAWN);
	CHECK_INT(service_step(&sv, EV_WAIT, 50), ACT_NONE);
	CHECK_INT(service_step(&sv, EV_STOP, 60), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
	CHECK_INT(sv.outcome, SVO_STOPPED);
	/* not while down by choice */
	CHECK_INT(service_step(&sv, EV_WAIT, 70), ACT_NONE);
	CHECK_INT(sv.state, SV_DOWN);
}

int
main(void)
{
	RUN(test_start_spawns);
	RUN(test_cannot_exec_is_fatal_until_start);
	RUN(test_cannot_exec_is_fatal_whatever_the_policy);
	RUN(test_cannot_start_is_fatal_at_once);
	RUN(test_healthy_crash_restarts_at_once);
	RUN(test_quick_crashes_double_to_cap);
	RUN(test_healthy_run_resets_backoff);
	RUN(test_first_failure_after_a_second_restarts_at_once);
	RUN(test_exec_failure_backs_off_even_if_slow);
	RUN(test_never_and_on_failure);
	RUN(test_exit_status_sets);
	RUN(test_give_up_after);
	RUN(test_stop_term_then_kill);
	RUN(test_stop_in_backoff_and_restart_while_stopping);
	RUN(test_start_in_backoff_starts_now);
	RUN(test_start_in_backoff_keeps_the_delay);
	RUN(test_fork_failure_backs_off);
	RUN(test_backoff_function);
	RUN(test_forking_up_once_its_main_is_found);
	RUN(test_forking_starter_failing_is_a_failed_run);
	RUN(test_forking_start_failed_backs_off_once_stopped);
	RUN(test_forking_stop_before_its_main_is_known);
	RUN(test_simple_ignores_forking_events);
	RUN(test_ready_starting_until_ready);
	RUN(test_ready_timeout_is_a_failed_start);
	RUN(test_unhealthy_restarts);
	RUN(test_waiting_for_the_order);
	T_END();
}
