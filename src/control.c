/*
 * control.c: the control socket. Every client is non-blocking, bounded in
 * what it may send and in time, and capped in number, so that no client,
 * slow or hostile, can hold up supervision. Clients that may only read
 * (status_group members, and anyone refused) have a cap of their own and
 * are turned away at once beyond it, so that they can never keep root or
 * a control_group member from being served.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "proto.h"

#define MAX_CLIENTS		64	/* controlling ones; beyond, stop accepting */
#define MAX_READONLY_CLIENTS	16	/* the others; beyond, answered "busy" and closed */
#define LISTEN_BACKLOG		128
#define ACCEPT_BURST		64	/* accepts per turn of the loop, then supervise */
#define ACCEPT_RETRY_MS		100	/* pause after running out of descriptors */
#define BUSY_LOG_MS		60000	/* at most one "turning away" log line per minute */
#define REQUEST_TIMEOUT_MS	5000	/* to send the request line */
#define REPLY_TIMEOUT_MS	10000	/* to read the whole reply */
#define MAX_WAIT_NAMES		64
#define MAX_GROUPS		256

enum wait_kind { WAIT_NONE, WAIT_STARTED, WAIT_STOPPED, WAIT_UP };

struct client {
	int fd;
	uid_t uid;
	gid_t groups[MAX_GROUPS + 1];
	int ngroups;
	char in[PROTO_MAX_REQUEST];
	size_t inlen;
	struct buf out;
	size_t outoff;
	bool draining;		/* reply sent, reading to EOF before closing */
	bool readonly;		/* may not control: counted in nreadonly */
	int64_t deadline;
	/* a start/stop/restart/wait that answers once the services settle */
	enum wait_kind wait;
	char *wait_names[MAX_WAIT_NAMES];
	unsigned wait_base[MAX_WAIT_NAMES];
	int nwait;
	struct client *next;
};

static int listen_fd = -1;
static char *sock_path;
static struct client *clients;
static int nclients, nreadonly;	/* controlling clients, the others */
static int64_t accept_resume = -1;	/* when accepting paused for want of fds */
static bool fd_starved;			/* accept failed so, and was logged */
static int64_t busy_logged = -1;	/* when "turning away" was last logged */
static unsigned busy_count;		/* turned away since */
static gid_t control_gid = (gid_t)-1, status_gid = (gid_t)-1;

static void client_close(struct client *cl);
static void accept_update(int64_t now);

/* Appends bytes %-escaped, so that any text fits on one protocol line. */
static void
buf_escaped(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%' || c == '\n' || c == '\0' || c == ' ')
			buf_printf(b, "%%%02X", c);
		else
			buf_printf(b, "%c", c);
	}
}

static bool
in_group(const struct client *cl, gid_t g)
{
	if (g == (gid_t)-1)
		return false;
	for (int i = 0; i < cl->ngroups; i++)
		if (cl->groups[i] == g)
			return true;
	return false;
}

static bool
may_control(const struct client *cl)
{
	return cl->uid == 0 || cl->uid == geteuid() || in_group(cl, control_gid);
}

static bool
may_read(const struct client *cl)
{
	return may_control(cl) || in_group(cl, status_gid);
}

/* Starts the reply; nothing more is read from the client after this. */
static void
reply(struct client *cl, int code, const char *fmt, ...)
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

static void
status_line(struct buf *b, const struct service *sv, int64_t now)
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
			reply(cl, CTL_NO_SUCH, "no such service: %s", names[i]);
			return -1;
		}
	}
	return 0;
}

static void
cmd_status(struct client *cl, char **args, int n)
{
	int64_t now = now_ms();
	struct buf body = { 0 };

	if (lookup(cl, args, n) < 0)
		return;
	if (n == 0) {
		for (struct service *sv = service_list(); sv; sv = sv->next)
			if (!sv->removed)
				status_line(&body, sv, now);
	} else {
		for (int i = 0; i < n; i++)
			status_line(&body, service_find(args[i]), now);
	}
	reply(cl, CTL_OK, "");
	if (body.s)
		buf_printf(&cl->out, "%.*s", (int)body.len, body.s);
	free(body.s);
}

static void
cmd_list(struct client *cl)
{
	reply(cl, CTL_OK, "");
	for (struct service *sv = service_list(); sv; sv = sv->next)
		if (!sv->removed)
			buf_printf(&cl->out, "%s\n", sv->conf->name);
}

static void
cmd_logs(struct client *cl, char **args, int n, long lines)
{
	struct service *sv;
	size_t count, first, len;
	int64_t when;
	pid_t pid;
	int stream;

	if (n != 1) {
		reply(cl, CTL_USAGE, "usage: logs [--lines=N] NAME");
		return;
	}
	if (lookup(cl, args, 1) < 0)
		return;
	sv = service_find(args[0]);
	count = outlog_count(sv->log);
	first = lines >= 0 && (size_t)lines < count ? count - (size_t)lines : 0;
	reply(cl, CTL_OK, "");
	for (size_t i = first; i < count; i++) {
		const char *t = outlog_get(sv->log, i, &len, &when, &pid, &stream);

		buf_printf(&cl->out, "%lld %ld %d ", (long long)when, (long)pid, stream);
		buf_escaped(&cl->out, t, len);
		buf_printf(&cl->out, "\n");
	}
}

static void
cmd_signal(struct client *cl, char **args, int n)
{
	struct service *sv;
	int sig;

	if (n != 2) {
		reply(cl, CTL_USAGE, "usage: signal NAME SIGNAL");
		return;
	}
	if (lookup(cl, args, 1) < 0)
		return;
	sv = service_find(args[0]);
	if ((sig = config_parse_signal(args[1])) < 0) {
		reply(cl, CTL_USAGE, "unknown signal \"%s\"", args[1]);
		return;
	}
	if (sv->pid <= 0) {
		reply(cl, CTL_NOT_RUNNING, "%s is not running", args[0]);
		return;
	}
	if (kill(sv->pid, sig) < 0) {
		reply(cl, CTL_ERROR, "%s: kill %ld: %s", args[0], (long)sv->pid,
		    strerror(errno));
		return;
	}
	log_info("%s: sent %s to pid %ld on request", args[0],
	    config_signal_name(sig), (long)sv->pid);
	reply(cl, CTL_OK, "");
}

static void
cmd_reopen(struct client *cl, char **args, int n)
{
	int count = 0;

	if (lookup(cl, args, n) < 0)
		return;
	if (n == 0)
		count = fwd_reopen(NULL);
	for (int i = 0; i < n; i++)
		count += fwd_reopen(args[i]);
	log_info("control: reopened %d output file%s", count, count == 1 ? "" : "s");
	reply(cl, CTL_OK, "");
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

static void
cmd_reload(struct client *cl)
{
	struct buf errs = { 0 };
	char summary[256];

	if (guardiand_reload(reload_error, &errs, summary, sizeof(summary)) < 0) {
		reply(cl, CTL_ERROR, "%s", summary);
		if (errs.s)
			buf_printf(&cl->out, "%.*s", (int)errs.len, errs.s);
	} else {
		reply(cl, CTL_OK, "");
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
		if (sv->state == SV_UP && sv->starts > base)
			return 1;
		if (sv->starts > base && (sv->state == SV_BACKOFF ||
		    sv->state == SV_FATAL || (sv->state == SV_DOWN &&
		    sv->want == WANT_UP))) {
			snprintf(why, len, "failed to start (%s)",
			    service_state_name(sv->state));
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
	case WAIT_NONE:
		break;
	}
	return 1;
}

/* Answers a waiting client once every service it waits for has settled. */
static void
check_wait(struct client *cl, bool timed_out)
{
	struct buf fails = { 0 };
	int failed = 0, pending = 0;
	char why[128];

	for (int i = 0; i < cl->nwait; i++) {
		int r = settled(cl->wait, service_find(cl->wait_names[i]),
		    cl->wait_base[i], why, sizeof(why));

		if (r < 0) {
			failed++;
			buf_printf(&fails, "%s: %s\n", cl->wait_names[i], why);
		} else if (r == 0)
			pending++;
	}
	if (pending && !timed_out) {
		free(fails.s);
		return;
	}
	if (pending) {
		reply(cl, cl->wait == WAIT_UP ? CTL_NOT_RUNNING : CTL_ERROR,
		    "timed out");
		for (int i = 0; i < cl->nwait; i++)
			if (settled(cl->wait, service_find(cl->wait_names[i]),
			    cl->wait_base[i], why, sizeof(why)) == 0)
				buf_printf(&cl->out, "%s: still %s\n",
				    cl->wait_names[i], service_state_name(
				    service_find(cl->wait_names[i])->state));
	} else if (failed)
		reply(cl, CTL_ERROR, "%d failed", failed);
	else
		reply(cl, CTL_OK, "");
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

/* start, stop, restart and wait: act, then answer now or once settled. */
static void
cmd_change(struct client *cl, const char *cmd, char **args, int n,
    bool nowait, int64_t timeout)
{
	enum wait_kind kind;

	if (n == 0 || n > MAX_WAIT_NAMES) {
		reply(cl, CTL_USAGE, "usage: %s NAME...", cmd);
		return;
	}
	if (lookup(cl, args, n) < 0)
		return;
	kind = strcmp(cmd, "stop") == 0 ? WAIT_STOPPED :
	    strcmp(cmd, "wait") == 0 ? WAIT_UP : WAIT_STARTED;
	for (int i = 0; i < n; i++) {
		struct service *sv = service_find(args[i]);
		unsigned base = sv->starts;

		if (strcmp(cmd, "start") == 0) {
			if (sv->state == SV_UP || sv->state == SV_STARTING)
				base = sv->starts - 1;
			log_info("%s: start requested", args[i]);
			service_do(sv, EV_START);
		} else if (strcmp(cmd, "stop") == 0) {
			log_info("%s: stop requested", args[i]);
			service_do(sv, EV_STOP);
		} else if (strcmp(cmd, "restart") == 0) {
			log_info("%s: restart requested", args[i]);
			service_do(sv, EV_STOP);
			service_do(sv, EV_START);
		}
		if ((cl->wait_names[i] = strdup(args[i])) == NULL) {
			reply(cl, CTL_ERROR, "out of memory");
			cl->nwait = i;
			return;
		}
		cl->wait_base[i] = base;
		cl->nwait = i + 1;
	}
	if (nowait && kind != WAIT_UP) {
		reply(cl, CTL_OK, "");
		return;
	}
	cl->wait = kind;
	cl->deadline = now_ms() + timeout;
	check_wait(cl, false);
}

/* Splits the request into words; returns the count. */
static int
split(char *s, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(s, " \t\r"); t && n < max; t = strtok(NULL, " \t\r"))
		w[n++] = t;
	return n;
}

static void
handle(struct client *cl, char *line)
{
	char *w[MAX_WAIT_NAMES + 8];
	int n = split(line, w, (int)(sizeof(w) / sizeof(w[0])));
	int first = 1;
	bool nowait = false;
	long lines = -1;
	int64_t timeout = PROTO_DEFAULT_TIMEOUT_MS;
	const char *cmd;
	bool changing;

	if (n == 0) {
		reply(cl, CTL_USAGE, "empty request");
		return;
	}
	cmd = w[0];
	for (; first < n && strncmp(w[first], "--", 2) == 0; first++) {
		char *end;

		if (strcmp(w[first], "--no-wait") == 0)
			nowait = true;
		else if (strncmp(w[first], "--timeout=", 10) == 0) {
			timeout = strtoll(w[first] + 10, &end, 10);
			if (*end || timeout < 0 || timeout > 24LL * 3600000) {
				reply(cl, CTL_USAGE, "bad %s", w[first]);
				return;
			}
		} else if (strncmp(w[first], "--lines=", 8) == 0) {
			lines = strtol(w[first] + 8, &end, 10);
			if (*end || lines < 0) {
				reply(cl, CTL_USAGE, "bad %s", w[first]);
				return;
			}
		} else {
			reply(cl, CTL_USAGE, "unknown option %s", w[first]);
			return;
		}
	}
	changing = strcmp(cmd, "start") == 0 || strcmp(cmd, "stop") == 0 ||
	    strcmp(cmd, "restart") == 0 || strcmp(cmd, "signal") == 0 ||
	    strcmp(cmd, "reload") == 0 || strcmp(cmd, "reopen") == 0;
	if (changing ? !may_control(cl) : !may_read(cl)) {
		log_warnx("control: %s refused to uid %ld", cmd, (long)cl->uid);
		reply(cl, CTL_ERROR, "permission denied");
		return;
	}
	if (strcmp(cmd, "status") == 0)
		cmd_status(cl, w + first, n - first);
	else if (strcmp(cmd, "list") == 0)
		cmd_list(cl);
	else if (strcmp(cmd, "logs") == 0)
		cmd_logs(cl, w + first, n - first, lines);
	else if (strcmp(cmd, "signal") == 0)
		cmd_signal(cl, w + first, n - first);
	else if (strcmp(cmd, "reload") == 0)
		cmd_reload(cl);
	else if (strcmp(cmd, "reopen") == 0)
		cmd_reopen(cl, w + first, n - first);
	else if (strcmp(cmd, "start") == 0 || strcmp(cmd, "stop") == 0 ||
	    strcmp(cmd, "restart") == 0 || strcmp(cmd, "wait") == 0)
		cmd_change(cl, cmd, w + first, n - first, nowait, timeout);
	else
		reply(cl, CTL_USAGE, "unknown command \"%.64s\"", cmd);
}


/* The request is in: up to the newline nl, or all of it at EOF. */
static void
take_request(struct client *cl, char *nl)
{
	if (nl)
		*nl = '\0';
	else
		cl->in[cl->inlen < sizeof(cl->in) ? cl->inlen : sizeof(cl->in) - 1] = '\0';
	if (strlen(cl->in) != (nl ? (size_t)(nl - cl->in) : cl->inlen))
		reply(cl, CTL_USAGE, "NUL byte in request");
	else
		handle(cl, cl->in);
}

static void
client_io(int fd, short revents, void *arg)
{
	struct client *cl = arg;
	ssize_t n;

	if (cl->draining) {
		/* The reply is out: discard what the client still sends, so
		 * that closing with unread input does not reset the reply. */
		char junk[4096];

		n = read(fd, junk, sizeof(junk));
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			client_close(cl);
		return;
	}
	if (cl->out.len > 0 || cl->out.failed) {
		if (cl->out.failed) {
			client_close(cl);
			return;
		}
		if (cl->wait != WAIT_NONE) {
			/* waiting: only a hang-up matters */
			if (revents & (POLLHUP | POLLERR))
				client_close(cl);
			return;
		}
		n = send(fd, cl->out.s + cl->outoff, cl->out.len - cl->outoff,
		    MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0) {
			client_close(cl);
			return;
		}
		cl->outoff += (size_t)n;
		if (cl->outoff == cl->out.len) {
			shutdown(fd, SHUT_WR);
			cl->draining = true;
			loop_events(fd, POLLIN);
		}
		return;
	}
	n = read(fd, cl->in + cl->inlen, sizeof(cl->in) - cl->inlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && cl->inlen == 0)) {
		client_close(cl);
		return;
	}
	cl->inlen += (size_t)n;
	char *nl = memchr(cl->in, '\n', cl->inlen);
	if (nl == NULL && n > 0) {
		if (cl->inlen == sizeof(cl->in)) {
			reply(cl, CTL_USAGE, "request too long");
			loop_events(fd, POLLOUT);
		}
		return;
	}
	take_request(cl, nl);
	if (cl->wait == WAIT_NONE) {
		cl->deadline = now_ms() + REPLY_TIMEOUT_MS;
		loop_events(fd, POLLOUT);
	} else {
		/* Watch for a hang-up only (POLLHUP is always reported). */
		loop_events(fd, 0);
	}
}

static void
client_close(struct client *cl)
{
	struct client **pp;

	for (pp = &clients; *pp && *pp != cl; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = cl->next;
	loop_del(cl->fd);
	close(cl->fd);
	for (int i = 0; i < cl->nwait; i++)
		free(cl->wait_names[i]);
	free(cl->out.s);
	if (cl->readonly)
		nreadonly--;
	else
		nclients--;
	free(cl);
	accept_update(now_ms());
}

/* Listens for new clients unless the controlling ones are at their cap or
 * accepting paused after running out of descriptors. */
static void
accept_update(int64_t now)
{
	if (accept_resume >= 0 && now >= accept_resume)
		accept_resume = -1;
	if (listen_fd >= 0)
		loop_events(listen_fd, nclients < MAX_CLIENTS &&
		    accept_resume < 0 ? POLLIN : 0);
}

/* Who is on the other end: uid and every group, for the permission check. */
static void
peer_identity(struct client *cl)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	socklen_t glen = sizeof(cl->groups) - sizeof(gid_t);

	cl->uid = (uid_t)-1;
	cl->ngroups = 0;
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return;
	cl->uid = cr.uid;
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERGROUPS, cl->groups, &glen) == 0)
		cl->ngroups = (int)(glen / sizeof(gid_t));
	cl->groups[cl->ngroups++] = cr.gid;
}

/*
 * A read-only client over its cap: answered "busy" and closed at once, its
 * request (if already sent) read first so that the close does not reset
 * the answer. Logged once a minute at most, with a count.
 */
static void
turn_away(int fd, uid_t uid)
{
	static const char busy[] = "ERR 1 busy: too many read-only clients, "
	    "try again later\n";
	char junk[PROTO_MAX_REQUEST];
	int64_t now = now_ms();

	if (send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 &&
	    errno != EAGAIN)
		log_warn("control: busy answer");
	shutdown(fd, SHUT_WR);
	for (int i = 0; i < 4 && read(fd, junk, sizeof(junk)) > 0; i++)
		;
	close(fd);
	busy_count++;
	if (busy_logged < 0 || now - busy_logged >= BUSY_LOG_MS) {
		log_warnx("control: %d read-only clients connected, turned away "
		    "%u more (the last uid %ld)", MAX_READONLY_CLIENTS,
		    busy_count, (long)uid);
		busy_logged = now;
		busy_count = 0;
	}
}

/*
 * Accepts a burst of clients, then lets the loop supervise. Who a client is
 * decides its cap: a controlling client is always accepted while fewer than
 * MAX_CLIENTS are connected; a read-only one only while fewer than
 * MAX_READONLY_CLIENTS are.
 */
static void
accept_ready(int fd, short revents, void *arg)
{
	(void)revents;
	(void)arg;
	for (int i = 0; i < ACCEPT_BURST && nclients < MAX_CLIENTS; i++) {
		int cfd = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct client *cl;

		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* The connection stays queued: retry later,
				 * or poll would report it again at once. */
				if (!fd_starved)
					log_warn("control: accept (retrying "
					    "every %d ms)", ACCEPT_RETRY_MS);
				fd_starved = true;
				accept_resume = now_ms() + ACCEPT_RETRY_MS;
				accept_update(now_ms());
			} else if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("control: accept");
			return;
		}
		if (fd_starved) {
			log_info("control: accepting clients again");
			fd_starved = false;
		}
		if ((cl = calloc(1, sizeof(*cl))) == NULL) {
			close(cfd);
			return;
		}
		cl->fd = cfd;
		peer_identity(cl);
		cl->readonly = !may_control(cl);
		if (cl->readonly && nreadonly >= MAX_READONLY_CLIENTS) {
			turn_away(cfd, cl->uid);
			free(cl);
			continue;
		}
		cl->deadline = now_ms() + REQUEST_TIMEOUT_MS;
		if (loop_add(cfd, POLLIN, client_io, cl) < 0) {
			close(cfd);
			free(cl);
			return;
		}
		cl->next = clients;
		clients = cl;
		if (cl->readonly)
			nreadonly++;
		else if (++nclients == MAX_CLIENTS) {
			log_warnx("control: %d clients connected, not accepting "
			    "more until one leaves", MAX_CLIENTS);
			accept_update(now_ms());
		}
	}
}

static gid_t
group_id(const char *name)
{
	struct group *gr;

	if (name == NULL)
		return (gid_t)-1;
	if ((gr = getgrnam(name)) == NULL) {
		log_warnx("control: unknown group \"%s\", ignored", name);
		return (gid_t)-1;
	}
	return gr->gr_gid;
}

/* Applies the [guardiand] socket groups: file group and permission checks. */
void
control_set_groups(const char *control_group, const char *status_group)
{
	gid_t file_gid;

	control_gid = group_id(control_group);
	status_gid = group_id(status_group);
	if (sock_path == NULL)
		return;
	file_gid = status_gid != (gid_t)-1 ? status_gid : control_gid;
	if (lchown(sock_path, (uid_t)-1, file_gid == (gid_t)-1 ? getegid() :
	    file_gid) < 0 || chmod(sock_path, file_gid == (gid_t)-1 ? 0600 :
	    0660) < 0)
		log_warn("control: %s", sock_path);
}

/*
 * Creates the listening socket. A symlink at the path is refused, a live
 * socket (another daemon answers) is refused, a stale one is replaced.
 * Returns 0, or -1 with a message in err.
 */
int
control_open(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (S_ISLNK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s is a symbolic "
			    "link, refusing it", path);
			return -1;
		}
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "control socket %s exists and is "
			    "not a socket", path);
			return -1;
		}
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
			close(fd);
			snprintf(err, errlen, "control socket %s is in use by "
			    "another process", path);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		if (unlink(path) < 0) {
			snprintf(err, errlen, "cannot remove stale control "
			    "socket %s: %s", path, strerror(errno));
			return -1;
		}
		log_info("control: replaced stale socket %s", path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	old = umask(0177);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	if (listen(fd, LISTEN_BACKLOG) < 0 || loop_add(fd, POLLIN, accept_ready,
	    NULL) < 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	listen_fd = fd;
	if ((sock_path = strdup(path)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* Removes the socket at exit, and only if it is still ours. */
void
control_close(void)
{
	while (clients)
		client_close(clients);
	if (listen_fd >= 0) {
		struct stat a, b;

		if (fstat(listen_fd, &a) == 0 && lstat(sock_path, &b) == 0 &&
		    S_ISSOCK(b.st_mode))
			unlink(sock_path);
		loop_del(listen_fd);
		close(listen_fd);
		listen_fd = -1;
	}
	free(sock_path);
	sock_path = NULL;
}

/* After each turn of the loop: answer waits that settled, drop the late. */
void
control_tick(int64_t now)
{
	struct client *cl, *next;

	if (accept_resume >= 0 && now >= accept_resume)
		accept_update(now);
	for (cl = clients; cl; cl = next) {
		next = cl->next;
		if (cl->wait != WAIT_NONE)
			check_wait(cl, now >= cl->deadline);
		else if (now >= cl->deadline)
			client_close(cl);
	}
}

int64_t
control_next_deadline(void)
{
	int64_t next = accept_resume;

	for (struct client *cl = clients; cl; cl = cl->next)
		if (next < 0 || cl->deadline < next)
			next = cl->deadline;
	return next;
}

#ifdef GUARDIAND_FUZZ
/*
 * For the fuzzer only (built with -DGUARDIAND_FUZZ): one request through the
 * same checks as client_io() and the same handle(), as a root client whose
 * reply stays in its buffer (fd -1, never sent), then dropped.
 */
void
control_fuzz_request(const char *data, size_t len)
{
	struct client *cl;
	char *nl;

	if ((cl = calloc(1, sizeof(*cl))) == NULL)
		return;
	cl->fd = -1;
	cl->uid = 0;
	cl->inlen = len < sizeof(cl->in) ? len : sizeof(cl->in);
	memcpy(cl->in, data, cl->inlen);
	nl = memchr(cl->in, '\n', cl->inlen);
	if (nl == NULL && cl->inlen == sizeof(cl->in))
		reply(cl, CTL_USAGE, "request too long");
	else
		take_request(cl, nl);
	for (int i = 0; i < cl->nwait; i++)
		free(cl->wait_names[i]);
	free(cl->out.s);
	free(cl);
}
#endif
