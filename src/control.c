/*
 * control.c: the control socket. Every client is non-blocking, bounded in
 * what it may send and in time, and capped in number, so that no client,
 * slow or hostile, can hold up supervision. Clients that may only read
 * (status_group members, and anyone refused) have a cap of their own and
 * are turned away at once beyond it, so that they can never keep root or
 * a control_group member from being served. Each request is checked
 * against its command's row in proto_cmds[] (options, permission,
 * arguments), then handed to the row's handler in commands.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "proto.h"
#include "control.h"

#define MAX_CLIENTS		64	/* controlling ones; beyond, stop accepting */
#define MAX_READONLY_CLIENTS	16	/* the others; beyond, answered "busy" and closed */
#define LISTEN_BACKLOG		128
#define ACCEPT_BURST		64	/* accepts per turn of the loop, then supervise */
#define ACCEPT_RETRY_MS		100	/* pause after running out of descriptors */
#define BUSY_LOG_MS		60000	/* at most one "turning away" log line per minute */
#define REQUEST_TIMEOUT_MS	5000	/* to send the request line */

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

/* Splits the request into words; returns the count. */
static int
split(char *s, char **w, int max)
{
	int n = 0;

	for (char *t = strtok(s, " \t\r"); t && n < max; t = strtok(NULL, " \t\r"))
		w[n++] = t;
	return n;
}

/*
 * One request line, checked against its command's row in proto_cmds[]:
 * options it takes, the permission it needs, how many arguments; then
 * the row's handler (commands.c) answers.
 */
static void
handle(struct client *cl, char *line)
{
	char *w[PROTO_MAX_NAMES + 8];
	int n = split(line, w, (int)(sizeof(w) / sizeof(w[0])));
	int first = 1;
	struct request rq = { .lines = -1, .timeout = PROTO_DEFAULT_TIMEOUT_MS };
	const char *cmd;

	if (n == 0) {
		commands_reply(cl, CTL_USAGE, "empty request");
		return;
	}
	cmd = w[0];
	rq.pc = proto_command(cmd);
	for (; first < n && strncmp(w[first], "--", 2) == 0; first++) {
		unsigned opt = 0;
		char *end;

		if (strcmp(w[first], "--no-wait") == 0)
			opt = PROTO_OPT_NO_WAIT;
		else if (strncmp(w[first], "--timeout=", 10) == 0)
			opt = PROTO_OPT_TIMEOUT;
		else if (strncmp(w[first], "--lines=", 8) == 0)
			opt = PROTO_OPT_LINES;
		else if (strcmp(w[first], "--all") == 0)
			opt = PROTO_OPT_ALL;
		else if (strcmp(w[first], "--follow") == 0)
			opt = PROTO_OPT_FOLLOW;
		/* An unknown command's options are checked for form only: it
		 * is answered "unknown command" below. */
		if (opt == 0 || (rq.pc && !(rq.pc->opts & opt))) {
			commands_reply(cl, CTL_USAGE, "unknown option %s", w[first]);
			return;
		}
		if (opt == PROTO_OPT_NO_WAIT)
			rq.nowait = true;
		else if (opt == PROTO_OPT_ALL)
			rq.all = true;
		else if (opt == PROTO_OPT_FOLLOW)
			rq.follow = true;
		else if (opt == PROTO_OPT_TIMEOUT) {
			rq.timeout = strtoll(w[first] + 10, &end, 10);
			if (*end || rq.timeout < 0 || rq.timeout > 24LL * 3600000) {
				commands_reply(cl, CTL_USAGE, "bad %s", w[first]);
				return;
			}
		} else {
			rq.lines = strtol(w[first] + 8, &end, 10);
			if (*end || rq.lines < 0) {
				commands_reply(cl, CTL_USAGE, "bad %s", w[first]);
				return;
			}
		}
	}
	/* The row says who may: an unknown command needs reading only. */
	if ((rq.pc && rq.pc->mutating) ? !may_control(cl) : !may_read(cl)) {
		log_warnx("control: %s refused to uid %ld", cmd, (long)cl->uid);
		commands_reply(cl, CTL_ERROR, "permission denied");
		return;
	}
	if (rq.pc == NULL) {
		commands_reply(cl, CTL_USAGE, "unknown command \"%.64s\"", cmd);
		return;
	}
	rq.id = (enum proto_cmd_id)(rq.pc - proto_cmds);
	rq.args = w + first;
	rq.nargs = n - first;
	if (!proto_args_ok(rq.pc, rq.nargs)) {
		char msg[128];

		proto_usage(rq.pc, msg, sizeof(msg));
		commands_reply(cl, CTL_USAGE, "%s", msg);
		return;
	}
	commands_run(cl, &rq);
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
		commands_reply(cl, CTL_USAGE, "NUL byte in request");
	else
		handle(cl, cl->in);
}

static void
client_io(int fd, short revents, void *arg)
{
	struct client *cl = arg;
	ssize_t n;

	if (cl->follow) {
		if (follow_io(cl, revents) < 0)
			client_close(cl);
		return;
	}
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
			commands_reply(cl, CTL_USAGE, "request too long");
			loop_events(fd, POLLOUT);
		}
		return;
	}
	take_request(cl, nl);
	if (cl->follow) {
		/* A follower has no deadline: it stays until it leaves. */
		cl->deadline = -1;
		loop_events(fd, POLLOUT);
	} else if (cl->wait == WAIT_NONE) {
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
	follow_end(cl);
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

	if (commands_missing()) {
		snprintf(err, errlen, "control command %s has no handler",
		    commands_missing());
		return -1;
	}
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
			commands_check_wait(cl, now >= cl->deadline);
		else if (cl->deadline >= 0 && now >= cl->deadline)
			client_close(cl);
	}
}

int64_t
control_next_deadline(void)
{
	int64_t next = accept_resume;

	for (struct client *cl = clients; cl; cl = cl->next)
		next = deadline_min(next, cl->deadline);
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
		commands_reply(cl, CTL_USAGE, "request too long");
	else
		take_request(cl, nl);
	follow_end(cl);
	for (int i = 0; i < cl->nwait; i++)
		free(cl->wait_names[i]);
	free(cl->out.s);
	free(cl);
}
#endif
