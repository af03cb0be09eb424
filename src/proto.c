/*
 * proto.c: the control commands and the state names, one table each,
 * linked into guardiand and guardianctl alike (proto.h). Adding a command
 * is its id in enum proto_cmd_id, a row here, its handler in commands.c
 * (guardiand refuses to start without one), and its word in the bash
 * completion and guardianctl(8) (tests/shell/test_completion.sh checks
 * both against this table).
 */
#include <stdio.h>
#include <string.h>

#include "guardiand.h"
#include "proto.h"

_Static_assert((int)PROTO_STATE_DOWN == (int)SV_DOWN &&
    (int)PROTO_STATE_STARTING == (int)SV_STARTING &&
    (int)PROTO_STATE_UP == (int)SV_UP &&
    (int)PROTO_STATE_STOPPING == (int)SV_STOPPING &&
    (int)PROTO_STATE_BACKOFF == (int)SV_BACKOFF &&
    (int)PROTO_STATE_FATAL == (int)SV_FATAL &&
    (int)PROTO_STATE_WAITING == (int)SV_WAITING &&
    (int)PROTO_NSTATES == (int)SV_WAITING + 1,
    "enum proto_state follows enum sv_state");

static const char change_doc[] = "change state; waits until done unless --no-wait";

const struct proto_cmd proto_cmds[PCMD_COUNT] = {
	[PCMD_STATUS] = { "status", 0, PROTO_ARGS_ANY, PROTO_OPT_JSON, false,
	    WAIT_NONE, "[NAME...]", "[NAME...] [--json]",
	    "state of every (or each named) service" },
	[PCMD_START] = { "start", 1, PROTO_MAX_NAMES, PROTO_OPT_NO_WAIT |
	    PROTO_OPT_TIMEOUT, true, WAIT_STARTED, "NAME...",
	    "[--no-wait] [--timeout S] NAME...", change_doc },
	[PCMD_STOP] = { "stop", 1, PROTO_MAX_NAMES, PROTO_OPT_NO_WAIT |
	    PROTO_OPT_TIMEOUT, true, WAIT_STOPPED, "NAME...",
	    "[--no-wait] [--timeout S] NAME...", change_doc },
	[PCMD_RESTART] = { "restart", 1, PROTO_MAX_NAMES, PROTO_OPT_NO_WAIT |
	    PROTO_OPT_TIMEOUT, true, WAIT_STARTED, "NAME...",
	    "[--no-wait] [--timeout S] NAME...", change_doc },
	[PCMD_SIGNAL] = { "signal", 2, 2, PROTO_OPT_ALL, true, WAIT_NONE,
	    "NAME SIGNAL", "[--all] NAME SIG",
	    "signal its main process (--all: every process)" },
	[PCMD_LOGS] = { "logs", 1, PROTO_MAX_NAMES, PROTO_OPT_LINES |
	    PROTO_OPT_JSON | PROTO_OPT_FOLLOW, false, WAIT_NONE, "NAME",
	    "[-f] NAME... [-n LINES] [--json]",
	    "the service's last lines of output; -f: then follow" },
	[PCMD_WAIT] = { "wait", 1, 1, PROTO_OPT_TIMEOUT | PROTO_OPT_READY, false,
	    WAIT_UP, "NAME", "NAME [--ready] [--timeout S]",
	    "wait until the service is up: ready (exit 3 on timeout)" },
	[PCMD_RELOAD] = { "reload", 0, PROTO_MAX_NAMES, PROTO_OPT_TIMEOUT, true,
	    WAIT_RELOADED, "[NAME...]", "[--timeout S] [NAME...]",
	    "re-read the configuration, apply what changed; with names, "
	    "reload those services" },
	[PCMD_REOPEN] = { "reopen", 0, PROTO_ARGS_ANY, 0, true, WAIT_NONE,
	    "[NAME...]", "[NAME...]", "reopen file outputs (for logrotate)" },
	[PCMD_LIST] = { "list", 0, 0, 0, false, WAIT_NONE, "", "",
	    "service names" },
};

static const char *const state_names[PROTO_NSTATES] = {
	[PROTO_STATE_DOWN] = "down",
	[PROTO_STATE_STARTING] = "starting",
	[PROTO_STATE_UP] = "up",
	[PROTO_STATE_STOPPING] = "stopping",
	[PROTO_STATE_BACKOFF] = "backoff",
	[PROTO_STATE_FATAL] = "fatal",
	[PROTO_STATE_WAITING] = "waiting",
};

const struct proto_cmd *
proto_command(const char *name)
{
	for (int i = 0; i < PCMD_COUNT; i++)
		if (proto_cmds[i].name && strcmp(proto_cmds[i].name, name) == 0)
			return &proto_cmds[i];
	return NULL;
}

bool
proto_args_ok(const struct proto_cmd *pc, int n)
{
	return n >= pc->min_args && (pc->max_args == PROTO_ARGS_ANY ||
	    n <= pc->max_args);
}

void
proto_usage(const struct proto_cmd *pc, char *buf, size_t len)
{
	if (pc->max_args == 0)
		snprintf(buf, len, "%s takes no arguments", pc->name);
	else
		snprintf(buf, len, "usage: %s %s", pc->name, pc->args);
}

const char *
proto_state_name(int st)
{
	return st >= 0 && st < PROTO_NSTATES && state_names[st] ?
	    state_names[st] : "?";
}
