/*
 * probe.c: one try of a readiness or health check, without blocking the
 * loop: a TCP connect (tcp:), a GET whose status must be 2xx or 3xx
 * (http://), or a command that must exit 0 (exec:, started by spawn.c as the
 * service's own process is). Each try ends once, by its callback, with the
 * output or the error that says why it failed; a try that takes longer than
 * its timeout fails. Only tries in flight cost anything: no timers, no
 * descriptors otherwise.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define PROBE_OUT_MAX	400	/* bytes of a command's output kept for the log */

struct probe_run {
	struct probe_run *next;
	struct service *sv;
	enum probe_kind kind;
	int fd;			/* the socket, or the command's output pipe */
	pid_t pid;		/* exec: the command */
	int repfd;		/* exec: its report pipe (spawn_check) */
	char *prog;		/* exec: its program, for messages */
	int64_t deadline, timeout_ms;
	bool sent;		/* http: the request is out */
	char *req;		/* http: the request */
	char out[PROBE_OUT_MAX + 1];
	size_t outlen;
	probe_done_fn done;
	void *arg;
};

static struct probe_run *runs;

static void
unlink_run(struct probe_run *r)
{
	struct probe_run **pp;

	for (pp = &runs; *pp && *pp != r; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = r->next;
}

/* Frees a try; a command still running is killed (and reaped as a
 * stranger later). */
static void
run_free(struct probe_run *r)
{
	unlink_run(r);
	if (r->fd >= 0) {
		loop_del(r->fd);
		close(r->fd);
	}
	if (r->repfd >= 0)
		close(r->repfd);
	if (r->pid > 0)
		kill(r->pid, SIGKILL);
	free(r->prog);
	free(r->req);
	free(r);
}

/* Ends a try: its callback, once, then it is gone. */
static void
finish(struct probe_run *r, bool ok, const char *why)
{
	probe_done_fn done = r->done;
	void *arg = r->arg;
	char msg[PROBE_OUT_MAX * 4 + 512];

	snprintf(msg, sizeof(msg), "%s", why);
	run_free(r);
	done(arg, ok, msg);
}

/* Keeps the first PROBE_OUT_MAX bytes of a command's output; drops the rest. */
static void
drain(struct probe_run *r)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(r->fd, buf, sizeof(buf))) > 0) {
		size_t take = (size_t)n;

		if (take > PROBE_OUT_MAX - r->outlen)
			take = PROBE_OUT_MAX - r->outlen;
		memcpy(r->out + r->outlen, buf, take);
		r->outlen += take;
	}
	r->out[r->outlen] = '\0';
}

/* The output made one line for the log: controls and newlines escaped. */
static void
out_line(const struct probe_run *r, char *buf, size_t len)
{
	size_t o = 0, n = r->outlen;

	while (n > 0 && (r->out[n - 1] == '\n' || r->out[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n && o + 5 < len; i++) {
		unsigned char c = (unsigned char)r->out[i];

		if (c == '\n')
			o += (size_t)snprintf(buf + o, len - o, " | ");
		else if (c < 0x20 || c == 0x7f)
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o < len ? o : len - 1] = '\0';
}

static void
exec_output(int fd, short revents, void *arg)
{
	struct probe_run *r = arg;

	(void)revents;
	drain(r);
	if (r->outlen >= PROBE_OUT_MAX) {
		/* enough for the log: the rest goes nowhere */
		loop_del(fd);
	}
}

/* A command of a try has ended: its status decides. */
bool
probe_reaped(pid_t pid, int status)
{
	struct probe_run *r;
	char out[PROBE_OUT_MAX * 4 + 8], why[sizeof(out) + 256];

	for (r = runs; r && !(r->kind == PROBE_EXEC && r->pid == pid);
	    r = r->next)
		;
	if (r == NULL)
		return false;
	r->pid = 0;
	drain(r);
	if (spawn_check_result(r->sv, r->repfd, r->prog, why, sizeof(why))) {
		r->repfd = -1;
		finish(r, false, why);
		return true;
	}
	r->repfd = -1;
	out_line(r, out, sizeof(out));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		snprintf(why, sizeof(why), "%s exited 0%s%s", r->prog,
		    out[0] ? ": " : "", out);
	else if (WIFEXITED(status))
		snprintf(why, sizeof(why), "%s exited with status %d%s%s",
		    r->prog, WEXITSTATUS(status), out[0] ? ": " : "", out);
	else
		snprintf(why, sizeof(why), "%s killed by signal %s%s%s", r->prog,
		    config_signal_name(WTERMSIG(status)), out[0] ? ": " : "",
		    out);
	finish(r, WIFEXITED(status) && WEXITSTATUS(status) == 0, why);
	return true;
}

/* http: the status line of the answer, once it is in. */
static void
http_read(struct probe_run *r)
{
	char why[PROBE_OUT_MAX + 64];
	ssize_t n;
	char *eol;
	int code;

	n = read(r->fd, r->out + r->outlen, PROBE_OUT_MAX - r->outlen);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n > 0) {
		r->outlen += (size_t)n;
		r->out[r->outlen] = '\0';
	}
	if ((eol = strstr(r->out, "\r\n")) == NULL && n > 0 &&
	    r->outlen < PROBE_OUT_MAX)
		return;		/* more to come */
	if (eol)
		*eol = '\0';
	if (sscanf(r->out, "HTTP/%*d.%*d %3d", &code) != 1) {
		snprintf(why, sizeof(why), "no HTTP answer%s%.80s",
		    r->outlen ? ": " : "", r->out);
		finish(r, false, n < 0 ? strerror(errno) : why);
		return;
	}
	snprintf(why, sizeof(why), "%.120s", r->out);
	finish(r, code >= 200 && code < 400, why);
}

/* A socket of a try is ready: connected (tcp: done; http: send the GET),
 * or an answer is there. */
static void
sock_ready(int fd, short revents, void *arg)
{
	struct probe_run *r = arg;
	int err = 0;
	socklen_t len = sizeof(err);

	(void)revents;
	if (r->kind == PROBE_HTTP && r->sent) {
		http_read(r);
		return;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		err = errno;
	if (err != 0) {
		finish(r, false, strerror(err));
		return;
	}
	if (r->kind == PROBE_TCP) {
		finish(r, true, "connected");
		return;
	}
	if (write(fd, r->req, strlen(r->req)) != (ssize_t)strlen(r->req)) {
		finish(r, false, "cannot send the request");
		return;
	}
	r->sent = true;
	loop_del(fd);
	if (loop_add(fd, POLLIN, sock_ready, r) < 0)
		finish(r, false, "cannot watch the socket");
}

/* Starts a connect to the probe's host and port; 0, or -1 with why. */
static int
connect_start(struct probe_run *r, const struct probe *p, char *why,
    size_t len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICSERV }, *ai;
	int e;

	if ((e = getaddrinfo(p->host, p->port, &hints, &ai)) != 0) {
		snprintf(why, len, "%s: %s", p->host, gai_strerror(e));
		return -1;
	}
	r->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, ai->ai_protocol);
	if (r->fd < 0 || (connect(r->fd, ai->ai_addr, ai->ai_addrlen) < 0 &&
	    errno != EINPROGRESS)) {
		snprintf(why, len, "%s", strerror(errno));
		freeaddrinfo(ai);
		return -1;
	}
	freeaddrinfo(ai);
	if (loop_add(r->fd, POLLOUT, sock_ready, r) < 0) {
		snprintf(why, len, "cannot watch the socket");
		return -1;
	}
	return 0;
}

/*
 * Starts one try of p for sv, ending by done(arg, ok, why) within
 * timeout_ms; NULL with why when it could not even start (then done is not
 * called).
 */
struct probe_run *
probe_try(struct service *sv, const struct probe *p, int64_t timeout_ms,
    probe_done_fn done, void *arg, char *why, size_t len)
{
	struct probe_run *r = calloc(1, sizeof(*r));
	int op[2];

	if (r == NULL) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	r->sv = sv;
	r->kind = p->kind;
	r->fd = r->repfd = -1;
	r->done = done;
	r->arg = arg;
	r->timeout_ms = timeout_ms;
	r->deadline = now_ms() + timeout_ms;
	r->next = runs;
	runs = r;
	switch (p->kind) {
	case PROBE_TCP:
		if (connect_start(r, p, why, len) < 0)
			goto fail;
		return r;
	case PROBE_HTTP:
		if (asprintf(&r->req, "GET %s HTTP/1.0\r\nHost: %s\r\n"
		    "User-Agent: guardiand\r\nConnection: close\r\n\r\n",
		    p->path, p->host) < 0) {
			r->req = NULL;
			snprintf(why, len, "out of memory");
			goto fail;
		}
		if (connect_start(r, p, why, len) < 0)
			goto fail;
		return r;
	case PROBE_EXEC:
		if ((r->prog = strdup(p->argv[0])) == NULL ||
		    pipe2(op, O_CLOEXEC | O_NONBLOCK) < 0) {
			snprintf(why, len, "%s", strerror(errno));
			goto fail;
		}
		r->fd = op[0];
		if (spawn_check(sv, p->argv, op[1], &r->pid, &r->repfd, why,
		    len) < 0) {
			close(op[1]);
			goto fail;
		}
		close(op[1]);
		if (loop_add(r->fd, POLLIN, exec_output, r) < 0)
			log_warn("%s: watching a check's output", sv->conf->name);
		return r;
	default:
		snprintf(why, len, "not a check that can be tried");
		goto fail;
	}
fail:
	r->done = NULL;
	run_free(r);
	return NULL;
}

/* Ends a try without a callback (its service stopped, or was freed). */
void
probe_cancel(struct probe_run *r)
{
	if (r != NULL)
		run_free(r);
}

/* Tries past their timeout fail. */
void
probe_timers(int64_t now)
{
	struct probe_run *r = runs;
	char why[64], d[32];

	while (r != NULL) {
		if (now < r->deadline) {
			r = r->next;
			continue;
		}
		snprintf(why, sizeof(why), "no answer within %s",
		    fmt_duration(r->timeout_ms, d, sizeof(d)));
		finish(r, false, why);
		r = runs;	/* the callback may have changed the list */
	}
}

int64_t
probe_next_deadline(void)
{
	int64_t next = -1;

	for (struct probe_run *r = runs; r; r = r->next)
		next = deadline_min(next, r->deadline);
	return next;
}
