/*
 * The timing of leftover process groups (service_leftover_step) on fake
 * time: announced once, the stop signal at a stop, SIGKILL after
 * stop_timeout and again each stop_timeout while the group lives,
 * forgotten once gone.
 */
#include "guardiand.h"
#include "t.h"

#define TIMEOUT	2000

static void
test_announced_once(void)
{
	struct lo_timing t;

	service_leftover_init(&t, TIMEOUT);
	CHECK_INT(service_leftover_deadline(&t, 0), -1);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 0), LO_ANNOUNCE);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 10), 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 999999), 0);
	/* not stopping: nothing to wake up for, never killed */
	CHECK_INT(service_leftover_deadline(&t, 999999), -1);
}

static void
test_stop_then_kill_every_timeout(void)
{
	struct lo_timing t;

	service_leftover_init(&t, TIMEOUT);
	service_leftover_step(&t, LO_EV_CHECK, true, 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_STOP, true, 1000), LO_TERM);
	/* a second stop while stopping sends nothing more, keeps the time */
	CHECK_INT(service_leftover_step(&t, LO_EV_STOP, true, 1500), 0);
	/* looked at every GROUP_POLL_MS until the deadline */
	CHECK_INT(service_leftover_deadline(&t, 1000), 1000 + GROUP_POLL_MS);
	CHECK_INT(service_leftover_deadline(&t, 2990), 3000);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 2999), 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 3000), LO_KILL);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 3001), 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 4999), 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 5000), LO_KILL);
	/* a late look: the next KILL a full timeout after this one */
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 7500), LO_KILL);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 9499), 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, 9500), LO_KILL);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, false, 9600),
	    LO_FORGET | LO_WAS_STOPPING);
}

static void
test_stop_before_the_first_look(void)
{
	struct lo_timing t;

	/* stopped before the reaping looked at it: announced at that look,
	 * with the KILL if it is due */
	service_leftover_init(&t, TIMEOUT);
	CHECK_INT(service_leftover_step(&t, LO_EV_STOP, true, 0), LO_TERM);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, true, TIMEOUT),
	    LO_ANNOUNCE | LO_KILL);
}

static void
test_forgotten_when_gone(void)
{
	struct lo_timing t;

	/* gone on its own: forgotten, without "stopped" */
	service_leftover_init(&t, TIMEOUT);
	service_leftover_step(&t, LO_EV_CHECK, true, 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, false, 50), LO_FORGET);
	/* gone before it was ever looked at: not announced either */
	service_leftover_init(&t, TIMEOUT);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, false, 0), LO_FORGET);
	/* gone after the stop signal, before the KILL */
	service_leftover_init(&t, TIMEOUT);
	service_leftover_step(&t, LO_EV_STOP, true, 0);
	CHECK_INT(service_leftover_step(&t, LO_EV_CHECK, false, 10),
	    LO_FORGET | LO_WAS_STOPPING);
}

int
main(void)
{
	RUN(test_announced_once);
	RUN(test_stop_then_kill_every_timeout);
	RUN(test_stop_before_the_first_look);
	RUN(test_forgotten_when_gone);
	T_END();
}
