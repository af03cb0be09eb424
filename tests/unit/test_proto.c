/*
 * proto.c: the control commands' table and the state names, as both
 * guardiand and guardianctl read them.
 */
#include <stdlib.h>

#include "guardiand.h"
#include "t.h"

/* Every row is whole: a name, sane argument counts, its help. */
static void
test_rows_are_complete(void)
{
	for (int i = 0; i < PCMD_COUNT; i++) {
		const struct proto_cmd *pc = &proto_cmds[i];

		CHECK(pc->name != NULL && pc->name[0] != '\0');
		if (pc->name == NULL)
			continue;
		CHECK(pc->args != NULL && pc->synopsis != NULL && pc->doc != NULL);
		CHECK(pc->min_args >= 0);
		CHECK(pc->max_args == PROTO_ARGS_ANY || pc->max_args >= pc->min_args);
		/* a command that waits for named services takes a bound
		 * (reload: only with names; without, it is the config's) */
		if (pc->wait != WAIT_NONE)
			CHECK(pc->max_args != PROTO_ARGS_ANY &&
			    pc->max_args <= PROTO_MAX_NAMES &&
			    (pc->min_args >= 1 || pc->wait == WAIT_RELOADED));
		if (pc->opts & PROTO_OPT_NO_WAIT)
			CHECK(pc->wait != WAIT_NONE);
		CHECK(proto_command(pc->name) == pc);
		for (int j = 0; j < i; j++)
			CHECK(proto_cmds[j].name == NULL ||
			    strcmp(proto_cmds[j].name, pc->name) != 0);
	}
	CHECK(proto_command("frobnicate") == NULL);
	CHECK(proto_command("") == NULL);
	CHECK(proto_command("STATUS") == NULL);
}

/* Who may: the commands a status_group member may use are exactly the
 * ones guardianctl(8) lists for it (status, list, logs, wait). */
static void
test_read_only_commands(void)
{
	static const char *const readonly[] = { "status", "list", "logs",
	    "wait" };
	int n = 0;

	for (int i = 0; i < PCMD_COUNT; i++) {
		bool listed = false;

		for (size_t k = 0; k < sizeof(readonly) / sizeof(readonly[0]); k++)
			listed |= strcmp(proto_cmds[i].name, readonly[k]) == 0;
		if (!proto_cmds[i].mutating) {
			n++;
			CHECK(listed);
		} else
			CHECK(!listed);
	}
	CHECK_INT(n, 4);
}

static void
test_argument_counts(void)
{
	char msg[128];

	CHECK(proto_args_ok(proto_command("status"), 0));
	CHECK(proto_args_ok(proto_command("status"), 1000));
	CHECK(!proto_args_ok(proto_command("start"), 0));
	CHECK(proto_args_ok(proto_command("start"), PROTO_MAX_NAMES));
	CHECK(!proto_args_ok(proto_command("start"), PROTO_MAX_NAMES + 1));
	CHECK(!proto_args_ok(proto_command("signal"), 1));
	CHECK(proto_args_ok(proto_command("signal"), 2));
	CHECK(!proto_args_ok(proto_command("signal"), 3));
	CHECK(!proto_args_ok(proto_command("list"), 1));
	proto_usage(proto_command("signal"), msg, sizeof(msg));
	CHECK_STR(msg, "usage: signal NAME SIGNAL");
	proto_usage(proto_command("restart"), msg, sizeof(msg));
	CHECK_STR(msg, "usage: restart NAME...");
	proto_usage(proto_command("wait"), msg, sizeof(msg));
	CHECK_STR(msg, "usage: wait NAME");
	CHECK(proto_args_ok(proto_command("reload"), 0));
	CHECK(proto_args_ok(proto_command("reload"), PROTO_MAX_NAMES));
	CHECK(!proto_args_ok(proto_command("reload"), PROTO_MAX_NAMES + 1));
	proto_usage(proto_command("list"), msg, sizeof(msg));
	CHECK_STR(msg, "list takes no arguments");
}

/* What each command's answer waits for. */
static void
test_wait_kinds(void)
{
	CHECK_INT(proto_command("start")->wait, WAIT_STARTED);
	CHECK_INT(proto_command("restart")->wait, WAIT_STARTED);
	CHECK_INT(proto_command("stop")->wait, WAIT_STOPPED);
	CHECK_INT(proto_command("wait")->wait, WAIT_UP);
	CHECK_INT(proto_command("status")->wait, WAIT_NONE);
	CHECK_INT(proto_command("reload")->wait, WAIT_RELOADED);
	CHECK(!(proto_command("wait")->opts & PROTO_OPT_NO_WAIT));
}

/* The names status reports, the same through service_state_name(). */
static void
test_state_names(void)
{
	CHECK_STR(service_state_name(SV_DOWN), "down");
	CHECK_STR(service_state_name(SV_STARTING), "starting");
	CHECK_STR(service_state_name(SV_UP), "up");
	CHECK_STR(service_state_name(SV_STOPPING), "stopping");
	CHECK_STR(service_state_name(SV_BACKOFF), "backoff");
	CHECK_STR(service_state_name(SV_FATAL), "fatal");
	CHECK_STR(proto_state_name(PROTO_STATE_UP), "up");
	CHECK_STR(proto_state_name(PROTO_NSTATES), "?");
	CHECK_STR(proto_state_name(-1), "?");
}

int
main(void)
{
	RUN(test_rows_are_complete);
	RUN(test_read_only_commands);
	RUN(test_argument_counts);
	RUN(test_wait_kinds);
	RUN(test_state_names);
	T_END();
}
