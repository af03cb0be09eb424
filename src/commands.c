/*
 * commands.c: what each control command does, one handler per row of
 * proto_cmds[] (proto.h). control.c has checked the request against its
 * row (arguments, options, permission) before a handler runs; the
 * handlers answer at once, or, for a start, stop, restart or wait, once
 * the services named have settled (commands_check_wait).
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"
#include "proto.h"
#include "control.h"

typedef void (*command_fn)(struct client *cl, const struct request *rq);

static control_reload_fn reload_fn;

/*
 * What readiness and health say: health=none|ok|failing and the failures in
 * a row; notify=none|reloading|stopping and text=, what the service said
 * with STATUS=; why=, what keeps it starting (the last readiness try), is
 * failing its health checks, or ended its last run (ready_timeout...).
 */
static void
status_ready(struct buf *b, const struct service *sv)
{
	int hf = ready_health_fails(sv);
	bool reloading, stopping;
	const char *text = notify_status(sv, &reloading, &stopping);
	const char *why = "";

	if (svctl_info(sv)[0] != '\0')
		why = svctl_info(sv);	/* a control process runs */
	else if (sv->state == SV_STARTING || hf > 0)
		why = ready_why(sv);
	else if (sv->run_failed && sv->fail_why &&
	    (sv->state == SV_BACKOFF || sv->state == SV_FATAL ||
	    sv->state == SV_STOPPING || sv->state == SV_DOWN))
		why = sv->fail_why;
	else if (sv->cond_why && sv->state == SV_DOWN)
		why = sv->cond_why;
	buf_printf(b, " health=%s health_fails=%d notify=%s text=", hf < 0 ?
	    "none" : hf > 0 ? "failing" : "ok", hf < 0 ? 0 : hf, stopping ?
	    "stopping" : reloading ? "reloading" : "none");
	if (text)
		buf_escaped(b, text, strlen(text));
	buf_printf(b, " why=");
	buf_escaped(b, why, strlen(why));
}

static void
status_line(struct buf *b, const struct service *sv, int64_t now,
    const struct track_usage *u)
{
	int st = sv->last_status;

	buf_printf(b, "name=%s state=%s want=%s pid=%ld", sv->conf->name,
	    service_state_name(sv->state), sv->want == WANT_UP ? "up" : "down",
	    (long)sv->pid);
	buf_printf(b, " uptime_ms=%lld", sv->pid > 0 ?
	    (long long)(now - sv->started_ms) : 0LL);
	buf_printf(b, " starts=%u restarts=%u fails=%u", sv->starts,
	    sv->restarts, sv->fails);
	if (st == -1)
		buf_printf(b, " last_exit=none");
	else if (sv->exec_failed && sv->exec_errno) {
		buf_printf(b, " last_exit=exec-failed:");
		buf_escaped(b, strerror(sv->exec_errno),
		    strlen(strerror(sv->exec_errno)));
	} else if (WIFEXITED(st))
		buf_printf(b, " last_exit=exited:%d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		buf_printf(b, " last_exit=signal:%s", config_signal_name(WTERMSIG(st)));
	else
		buf_printf(b, " last_exit=unknown");
	buf_printf(b, " last_exit_ago_ms=%lld", st == -1 ? -1LL :
	    (long long)(now - sv->last_exit_ms));
	buf_printf(b, " next_start_ms=%lld", sv->state == SV_BACKOFF &&
	    sv->deadline_ms >= 0 ? (long long)(sv->deadline_ms - now) : -1LL);
	buf_printf(b, " tracking=%s", sv->cg ? "cgroup" : "pgroup");
	buf_printf(b, " procs=%ld mem_bytes=%llu cpu_usec=%llu", u->procs,
	    (unsigned long long)u->mem_bytes, (unsigned long long)u->cpu_usec);
	status_ready(b, sv);
	buf_printf(b, " cmd=");
	buf_escaped(b, sv->conf->command, strlen(sv->conf->command));
	buf_printf(b, "\n");
}

/* Resolves each name; on an unknown one, answers ERR 4 and returns -1. */
static int
lookup(struct client *cl, char **names, int n)
{
	for (int i = 0; i < n; i++) {
		if (service_find(names[i]) == NULL) {
			commands_reply(cl, CTL_NO_SUCH, "no such service: %s",
			    names[i]);
			return -1;
		}
	}
	return 0;
}

/*
 * The status lines of every service (n 0) or of each named one, with what
 * their processes hold, measured now for all of them at once (usage.c).
 */
static void
cmd_status(struct client *cl, const struct request *rq)
{
	char **args = rq->args;
	int n = rq->nargs;
	int64_t now = now_ms();
	struct buf body = { 0 };
	struct service **svs;
	struct track_usage *u;
	size_t count = 0;

	if (lookup(cl, args, n) < 0)
		return;
	if (n == 0) {
		for (struct service *sv = service_list(); sv; sv = sv->next)
			if (!sv->removed)
				count++;
	} else
		count = (size_t)n;
	svs = calloc(count ? count : 1, sizeof(*svs));
	u = calloc(count ? count : 1, sizeof(*u));
	if (svs == NULL || u == NULL) {
		free(svs);
		free(u);
		commands_reply(cl, CTL_ERROR, "out of memory");
		return;
	}
	if (n == 0) {
		size_t i = 0;

		for (struct service *sv = service_list(); sv; sv = sv->next)
			if (!sv->removed)
				svs[i++] = sv;
	} else {
		for (int i = 0; i < n; i++)
			svs[i] = service_find(args[i]);
	}
	usage_collect(svs, count, u);
	for (size_t i = 0; i < count; i++)
		status_line(&body, svs[i], now, &u[i]);
	free(svs);
	free(u);
	commands_reply(cl, CTL_OK, "");
	if (body.s)
		buf_printf(&cl->out, "%.*s", (int)body.len, body.s);
	free(body.s);
}

static void
cmd_list(struct client *cl, const struct request *rq)
{
	(void)rq;
	commands_reply(cl, CTL_OK, "");
	for (struct service *sv = service_list(); sv; sv = sv->next)
		if (!sv->removed)
			buf_printf(&cl->out, "%s\n", sv->conf->name);
}

/*
 * logs [--lines=N] [--follow] NAME...: the remembered lines, merged by time;
 * with --follow the client then stays, a follower (follow.c). Several
 * names only with --follow: one answer format per request.
 */
static void
cmd_logs(struct client *cl, const struct request *rq)
{
	struct outlog *logs[PROTO_MAX_NAMES];
	const char *names[PROTO_MAX_NAMES], *why;
	int n = 0;

	if (rq->nargs > 1 && !rq->follow) {
		commands_reply(cl, CTL_USAGE, "usage: logs NAME (several names "
		    "with --follow)");
		return;
	}
	if (lookup(cl, rq->args, rq->nargs) < 0)
		return;
	for (int i = 0; i < rq->nargs && n < PROTO_MAX_NAMES; i++) {
		struct service *sv = service_find(rq->args[i]);
		bool dup = false;

		for (int j = 0; j < n; j++)
			dup = dup || strcmp(names[j], sv->conf->name) == 0;
		if (!dup) {
			logs[n] = sv->log;
			names[n++] = sv->conf->name;
		}
	}
	if (rq->follow && (why = follow_add(cl, names, n)) != NULL) {
		commands_reply(cl, CTL_ERROR, "%s", why);
		return;
	}
	commands_reply(cl, CTL_OK, "");
	follow_put_stored(&cl->out, logs, names, n, rq->lines, rq->follow);
}

/*
 * A signal to the service's main process, or with --all to every process
 * it has (usage.c: its cgroup, or its process group and what left it).
 */
static void
cmd_signal(struct client *cl, const struct request *rq)
{
	char **args = rq->args;
	struct service *sv;
	long sent;
	int sig;

	if (lookup(cl, args, 1) < 0)
		return;
	sv = service_find(args[0]);
	if ((sig = config_parse_signal(args[1])) < 0) {
		commands_reply(cl, CTL_USAGE, "unknown signal \"%s\"", args[1]);
		return;
	}
	if (rq->all) {
		if ((sent = usage_signal_all(sv, sig)) < 0) {
			commands_reply(cl, CTL_ERROR, "%s: cannot list its "
			    "processes: %s", args[0], strerror(errno));
			return;
		}
		if (sent == 0) {
			commands_reply(cl, CTL_NOT_RUNNING, "%s has no processes",
			    args[0]);
			return;
		}
		log_info("%s: sent %s to its %ld process%s on request", args[0],
		    config_signal_name(sig), sent, sent == 1 ? "" : "es");
		commands_reply(cl, CTL_OK, "");
		buf_printf(&cl->out, "%s: %s sent to %ld process%s\n", args[0],
		    config_signal_name(sig), sent, sent == 1 ? "" : "es");
		return;
	}
	if (sv->pid <= 0) {
		commands_reply(cl, CTL_NOT_RUNNING, "%s is not running", args[0]);
		return;
	}
	if (kill(sv->pid, sig) < 0) {
		commands_reply(cl, CTL_ERROR, "%s: kill %ld: %s", args[0],
		    (long)sv->pid, strerror(errno));
		return;
	}
	log_info("%s: sent %s to pid %ld on request", args[0],
	    config_signal_name(sig), (long)sv->pid);
	commands_reply(cl, CTL_OK, "");
	buf_printf(&cl->out, "%s: %s sent to 1 process (pid %ld)\n", args[0],
	    config_signal_name(sig), (long)sv->pid);
}

static void
cmd_reopen(struct client *cl, const struct request *rq)
{
	char **args = rq->args;
	int n = rq->nargs;
	int count = 0;

	if (lookup(cl, args, n) < 0)
		return;
	if (n == 0)
		count = fwd_reopen(NULL);
	for (int i = 0; i < n; i++)
		count += fwd_reopen(args[i]);
	log_info("control: reopened %d output file%s", count, count == 1 ? "" : "s");
	commands_reply(cl, CTL_OK, "");
	buf_printf(&cl->out, "%d output file%s reopened\n", count,
	    count == 1 ? "" : "s");
}

static void
reload_error(void *arg, const char *msg)
{
	struct buf *b = arg;

	log_warnx("%s", msg);
	buf_printf(b, "%s\n", msg);
}

static void wait_for(struct client *cl, const struct request *rq,
    enum wait_kind kind, unsigned *bases);

/* reload NAME...: each service's own reload (service_reload.c); the
 * answer waits until they have ended. */
static void
reload_services(struct client *cl, const struct request *rq)
{
	unsigned bases[PROTO_MAX_NAMES];

	if (lookup(cl, rq->args, rq->nargs) < 0)
		return;
	for (int i = 0; i < rq->nargs; i++) {
		struct service *sv = service_find(rq->args[i]);

		/* one under way is this one: its end answers it */
		bases[i] = sv->reloads;
		service_reload(sv);
	}
	wait_for(cl, rq, WAIT_RELOADED, bases);
}

static void
cmd_reload(struct client *cl, const struct request *rq)
{
	struct buf errs = { 0 };
	char summary[256];

	if (rq->nargs > 0) {
		reload_services(cl, rq);
		return;
	}
	if (reload_fn == NULL) {
		commands_reply(cl, CTL_ERROR, "reload is not available");
		return;
	}
	if (reload_fn(reload_error, &errs, summary, sizeof(summary)) < 0) {
		commands_reply(cl, CTL_ERROR, "%s", summary);
		if (errs.s)
			buf_printf(&cl->out, "%.*s", (int)errs.len, errs.s);
	} else {
		commands_reply(cl, CTL_OK, "");
		buf_printf(&cl->out, "%s\n", summary);
	}
	free(errs.s);
}

/* Where one awaited service stands: 1 settled ok, -1 failed, 0 not yet. */
static int
settled(enum wait_kind kind, struct service *sv, unsigned base, char *why,
    size_t len)
{
	if (sv == NULL) {
		snprintf(why, len, "removed from the configuration");
		return -1;
	}
	switch (kind) {
	case WAIT_STARTED:
		if ((sv->state == SV_UP || (sv->conf->type == TYPE_ONESHOT &&
		    sv->outcome == SVO_DONE_OK)) && sv->starts > base)
			return 1;	/* up, or a oneshot that did its part */
		if (sv->starts > base && service_outcome_failed(sv->outcome)) {
			char f[384], d[32];

			svlog_failure(sv, f, sizeof(f));
			if (sv->state == SV_BACKOFF && sv->deadline_ms >= 0)
				snprintf(why, len, "failed to start: %s (backoff, "
				    "next try in %s)", f, fmt_duration(
				    sv->deadline_ms - now_ms(), d, sizeof(d)));
			else
				snprintf(why, len, "failed to start: %s (%s)", f,
				    service_state_name(sv->state));
			return -1;
		}
		if (sv->want == WANT_DOWN && sv->cond_why) {
			snprintf(why, len, "not started: %s", sv->cond_why);
			return -1;
		}
		if (sv->want == WANT_DOWN) {
			snprintf(why, len, "was stopped meanwhile");
			return -1;
		}
		return 0;
	case WAIT_STOPPED:
		return sv->pid == 0 && (sv->state == SV_DOWN ||
		    sv->state == SV_FATAL) &&
		    !service_has_leftovers(sv->conf->name) ? 1 : 0;
	case WAIT_UP:
		return sv->state == SV_UP ? 1 : 0;
	case WAIT_RELOADED:
		if (sv->reloads <= base)
			return 0;
		if (!sv->reload_failed)
			return 1;
		snprintf(why, len, "reload failed: %s", sv->reload_why ?
		    sv->reload_why : "out of memory");
		return -1;
	case WAIT_NONE:
		break;
	}
	return 1;
}

/* Appends text within one line of the reply: a newline in it (a check's
 * output, in a reason) becomes a space. */
static void
put_oneline(struct buf *b, const char *text)
{
	for (; *text; text++)
		buf_printf(b, "%c", *text == '\n' ? ' ' : *text);
}

/* Answers a waiting client once every service it waits for has settled. */
void
commands_check_wait(struct client *cl, bool timed_out)
{
	struct buf fails = { 0 };
	int failed = 0, pending = 0;
	char why[512];

	for (int i = 0; i < cl->nwait; i++) {
		int r = settled(cl->wait, service_find(cl->wait_names[i]),
		    cl->wait_base[i], why, sizeof(why));

		if (r < 0) {
			failed++;
			buf_printf(&fails, "%s: ", cl->wait_names[i]);
			put_oneline(&fails, why);
			buf_printf(&fails, "\n");
		} else if (r == 0)
			pending++;
	}
	if (pending && !timed_out) {
		free(fails.s);
		return;
	}
	if (pending) {
		commands_reply(cl, cl->wait == WAIT_UP ? CTL_NOT_RUNNING : CTL_ERROR,
		    "timed out");
		for (int i = 0; i < cl->nwait; i++) {
			struct service *sv = service_find(cl->wait_names[i]);
			const char *rw;

			if (settled(cl->wait, sv, cl->wait_base[i], why,
			    sizeof(why)) != 0)
				continue;
			rw = sv->state == SV_STARTING ? ready_why(sv) : "";
			buf_printf(&cl->out, "%s: still %s", cl->wait_names[i],
			    service_state_name(sv->state));
			if (rw[0]) {
				buf_printf(&cl->out, " (not ready: ");
				put_oneline(&cl->out, rw);
				buf_printf(&cl->out, ")");
			}
			buf_printf(&cl->out, "\n");
		}
	} else if (failed)
		commands_reply(cl, CTL_ERROR, "%d failed", failed);
	else
		commands_reply(cl, CTL_OK, "");
	if (fails.s)
		buf_printf(&cl->out, "%.*s", (int)fails.len, fails.s);
	free(fails.s);
	for (int i = 0; i < cl->nwait; i++)
		free(cl->wait_names[i]);
	cl->nwait = 0;
	cl->wait = WAIT_NONE;
	cl->deadline = now_ms() + REPLY_TIMEOUT_MS;
	loop_events(cl->fd, POLLOUT);
}

/*
 * start, stop, restart and wait: act, then answer now or once settled
 * (what settles it is the row's wait kind).
 */
static void
cmd_change(struct client *cl, const struct request *rq)
{
	char **args = rq->args;
	int n = rq->nargs;
	unsigned bases[PROTO_MAX_NAMES];

	if (lookup(cl, args, n) < 0)
		return;
	for (int i = 0; i < n; i++) {
		struct service *sv = service_find(args[i]);
		unsigned base = sv->starts;

		switch (rq->id) {
		case PCMD_START:
			if (sv->state == SV_UP || sv->state == SV_STARTING)
				base = sv->starts - 1;
			log_info("%s: start requested", args[i]);
			service_do(sv, EV_START);
			break;
		case PCMD_STOP:
			log_info("%s: stop requested", args[i]);
			service_do(sv, EV_STOP);
			service_do_parts(args[i], EV_STOP, 0);
			break;
		case PCMD_RESTART:
			log_info("%s: restart requested", args[i]);
			service_do(sv, EV_STOP);
			service_do(sv, EV_START);
			service_do_parts(args[i], EV_START, 0);
			break;
		default:
			break;
		}
		bases[i] = base;
	}
	wait_for(cl, rq, rq->pc->wait, bases);
}

/* The answer to a request about the services named: once each has
 * settled as kind says, counting from its base (at once with --no-wait). */
static void
wait_for(struct client *cl, const struct request *rq, enum wait_kind kind,
    unsigned *bases)
{
	for (int i = 0; i < rq->nargs; i++) {
		if ((cl->wait_names[i] = strdup(rq->args[i])) == NULL) {
			commands_reply(cl, CTL_ERROR, "out of memory");
			cl->nwait = i;
			return;
		}
		cl->wait_base[i] = bases[i];
		cl->nwait = i + 1;
	}
	if (rq->nowait && kind != WAIT_UP) {
		commands_reply(cl, CTL_OK, "");
		return;
	}
	cl->wait = kind;
	cl->deadline = now_ms() + rq->timeout;
	commands_check_wait(cl, false);
}

/* One handler per row; control_open() checks that none is missing. */
static const command_fn handlers[PCMD_COUNT] = {
	[PCMD_STATUS] = cmd_status,
	[PCMD_START] = cmd_change,
	[PCMD_STOP] = cmd_change,
	[PCMD_RESTART] = cmd_change,
	[PCMD_SIGNAL] = cmd_signal,
	[PCMD_LOGS] = cmd_logs,
	[PCMD_WAIT] = cmd_change,
	[PCMD_RELOAD] = cmd_reload,
	[PCMD_REOPEN] = cmd_reopen,
	[PCMD_LIST] = cmd_list,
};

/* Starts the reply; nothing more is read from the client after this. */
void
commands_reply(struct client *cl, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (code == CTL_OK)
		buf_printf(&cl->out, "OK%s%s\n", msg[0] ? " " : "", msg);
	else
		buf_printf(&cl->out, "ERR %d %s\n", code, msg);
}

/* A row without a handler, or NULL: control_open() refuses to start then,
 * so that a command added to the table cannot go unhandled unnoticed. */
const char *
commands_missing(void)
{
	for (int i = 0; i < PCMD_COUNT; i++)
		if (handlers[i] == NULL)
			return proto_cmds[i].name ? proto_cmds[i].name : "?";
	return NULL;
}

void
commands_run(struct client *cl, const struct request *rq)
{
	if (handlers[rq->id] == NULL) {
		log_warnx("control: %s has no handler", rq->pc->name);
		commands_reply(cl, CTL_ERROR, "%s: not implemented", rq->pc->name);
		return;
	}
	handlers[rq->id](cl, rq);
}

/* The reload `reload` runs (main.c's choice: reload_run); NULL refuses it. */
void
control_set_reload(control_reload_fn fn)
{
	reload_fn = fn;
}
