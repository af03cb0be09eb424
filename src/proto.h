/*
 * proto.h: the control protocol, shared by guardiand and guardianctl.
 *
 * One request per connection, so it works with socat:
 *
 *     echo status | socat - UNIX-CONNECT:/run/guardiand/control.sock
 *
 * The client sends one line of words separated by blanks: a command, its
 * options (words starting with "--"), then its arguments. The daemon answers
 * with a first line "OK" or "ERR CODE message", where CODE is the exit code
 * guardianctl should use, then body lines, and closes the connection.
 * Bytes that would break a line into words or lines are %XX-escaped in the
 * body; anything else is passed as it is, and escaping it for a terminal
 * is the client's task. A client that may not control (a status_group
 * member) is answered "ERR 1 busy: ..." at once, and disconnected, when
 * the daemon serves as many such clients as it will (control.c).
 *
 * Commands are the rows of proto_cmds[] (proto.c): name, arguments,
 * options, whether they change anything, what they wait for. guardiand
 * dispatches, checks arguments and permissions by the row; guardianctl
 * checks, documents and completes by the same row:
 *     status [NAME...]            one line per service, "key=value" words
 *     list                        service names, one per line
 *     start|stop|restart [--no-wait] [--timeout=MS] NAME...
 *                                 without --no-wait, answers once each named
 *                                 service is up (or failed) / down
 *     signal [--all] NAME SIG     to the service's main process; with --all
 *                                 to every process of the service (its
 *                                 cgroup, or its process group and what
 *                                 left it); body: how many it reached
 *     wait [--timeout=MS] NAME    answers once NAME is up
 *     logs [--lines=N] NAME       the remembered output lines:
 *                                 "WHEN PID STREAM TEXT" (WHEN: ms since
 *                                 the epoch; STREAM: 1 stdout, 2 stderr)
 *     logs [--lines=N] --follow NAME...
 *                                 the remembered lines of each, merged by
 *                                 time, then new ones as they come, until
 *                                 the client leaves: "line NAME WHEN PID
 *                                 STREAM TEXT"; "missed NAME N" once a
 *                                 reader too slow has caught up (lines
 *                                 past 1 MiB unsent are dropped, never
 *                                 waited for); "gone NAME" for a service
 *                                 a reload removed; "end" when none is
 *                                 left (then the reply ends). No reply
 *                                 deadline; 16 followers at most.
 *     reload                      re-reads the config; body: what changed or the errors
 *     reopen [NAME...]            reopens file outputs (after logrotate moved them)
 * An option a command does not take, or a wrong number of arguments, is
 * answered "ERR 2"; a mutating command from a read-only client "ERR 1
 * permission denied".
 *
 * Status keys: name state want pid uptime_ms starts restarts fails
 * last_exit (none | exited:N | signal:NAME | exec-failed:ERRNO-TEXT-WITHOUT-BLANKS)
 * last_exit_ago_ms next_start_ms (in backoff) tracking (cgroup: the service
 * has its own cgroup v2; pgroup: process group and subreaper, the fallback)
 * procs (its processes now: the cgroup's, or the fallback's process group,
 * what left it, marked orphans, and their descendants) mem_bytes (their
 * memory: the cgroup's memory.current where the memory controller is on,
 * else their RSS summed) cpu_usec (CPU time: the cgroup's cpu.stat, which
 * keeps that of exited members, else the live processes' utime+stime
 * summed); these three are measured when status is asked (usage.c).
 * cmd (the command, %-escaped) comes last.
 */
#ifndef GUARDIAND_PROTO_H
#define GUARDIAND_PROTO_H

#include <stdbool.h>
#include <stddef.h>

#define PROTO_MAX_REQUEST	4096	/* bytes, newline included */
#define PROTO_DEFAULT_TIMEOUT_MS 60000

/* guardianctl exit codes, used as CODE in "ERR CODE message". */
enum {
	CTL_OK = 0,
	CTL_ERROR = 1,		/* the daemon answered with an error */
	CTL_USAGE = 2,
	CTL_NOT_RUNNING = 3,	/* daemon, or the named service, not running */
	CTL_NO_SUCH = 4,	/* no such service */
};

/* The commands: indexes into proto_cmds[], in the order of the help. */
enum proto_cmd_id {
	PCMD_STATUS,
	PCMD_START,
	PCMD_STOP,
	PCMD_RESTART,
	PCMD_SIGNAL,
	PCMD_LOGS,
	PCMD_WAIT,
	PCMD_RELOAD,
	PCMD_REOPEN,
	PCMD_LIST,
	PCMD_COUNT
};

/* What a command's answer waits for: nothing, each named service started
 * (or failed), stopped, up. */
enum wait_kind { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED, WAIT_UP,
	WAIT_RELOADED };

/* Options a command takes (struct proto_cmd's opts). All but --json are
 * sent to guardiand; --json and --ready are guardianctl's own. guardianctl's --timeout
 * bounds its wait for any command; it is sent only to those with
 * PROTO_OPT_TIMEOUT. */
#define PROTO_OPT_NO_WAIT	0x01	/* --no-wait: answer at once */
#define PROTO_OPT_TIMEOUT	0x02	/* --timeout=MS (guardianctl: --timeout S) */
#define PROTO_OPT_LINES		0x04	/* --lines=N (guardianctl: -n, --lines N) */
#define PROTO_OPT_JSON		0x08	/* guardianctl --json */
#define PROTO_OPT_ALL		0x10	/* --all: every process, not the main one */
#define PROTO_OPT_FOLLOW	0x20	/* --follow (guardianctl: -f too) */
#define PROTO_OPT_READY		0x40	/* guardianctl wait --ready: up is ready */

#define PROTO_MAX_NAMES		64	/* names one request may wait for */
#define PROTO_ARGS_ANY		(-1)	/* max_args: no limit but the request's */

/* One control command: everything both ends need to know about it. */
struct proto_cmd {
	const char *name;
	int min_args, max_args;	/* max PROTO_ARGS_ANY: unbounded */
	unsigned opts;		/* PROTO_OPT_* it takes */
	bool mutating;		/* refused to read-only (status_group) clients */
	enum wait_kind wait;	/* what the answer waits for */
	const char *args;	/* its arguments, for "usage: NAME ARGS" */
	const char *synopsis;	/* guardianctl --help: arguments and options */
	const char *doc;	/* one line; rows sharing it share a help line */
};

extern const struct proto_cmd proto_cmds[PCMD_COUNT];

/* The row of a command word, or NULL. */
const struct proto_cmd *proto_command(const char *name);
/* Whether n arguments suit the row. */
bool proto_args_ok(const struct proto_cmd *pc, int n);
/* The usage error for a wrong argument count: "usage: signal NAME SIGNAL",
 * "reload takes no arguments". */
void proto_usage(const struct proto_cmd *pc, char *buf, size_t len);

/* Service states as status reports them ("state=up"); the values match
 * enum sv_state (guardiand.h), which proto.c checks at compile time. */
enum proto_state {
	PROTO_STATE_DOWN,
	PROTO_STATE_STARTING,
	PROTO_STATE_UP,
	PROTO_STATE_STOPPING,
	PROTO_STATE_BACKOFF,
	PROTO_STATE_FATAL,
	PROTO_STATE_WAITING,
	PROTO_NSTATES
};

const char *proto_state_name(int st);	/* "?" out of range */

#endif
