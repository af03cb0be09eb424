/*
 * notify.c: systemd's sd_notify protocol (sd_notify(3), systemd.service(5)),
 * so that programs written for systemd tell guardiand when they are ready.
 *
 * Each service with ready = notify gets its own AF_UNIX datagram socket,
 * <control socket>.n/<id>, made at its first start and kept until the
 * service goes: messages after READY=1 (STATUS=, RELOADING=1, STOPPING=1,
 * WATCHDOG=1) arrive too. Its NOTIFY_SOCKET names it. The socket file
 * belongs to the service's user in a directory of guardiand's (0755), and
 * anyone may write to it (0666), as to systemd's /run/systemd/notify:
 * daemons that drop to a user of their own after the exec (unbound,
 * postgres) notify as that user; who is heard is the credentials' say.
 *
 * Only the service's own processes are heard: the sender's pid (from
 * SCM_CREDENTIALS, SO_PASSCRED on) must be its main process, or, with
 * notify_access = all, any process of its cgroup (of its process group or
 * tree without cgroups). A datagram of 4096 bytes or more, a truncated one,
 * one holding a NUL or without credentials is dropped; descriptors passed
 * along are closed; senders refused are logged, at most once per 10 s per
 * service with the count.
 *
 * What a datagram says goes to service.c as events (EV_READY,
 * EV_WATCHDOG); the rest (STATUS=, RELOADING=1, ...) is kept here for
 * status. Within one datagram STOPPING=1 beats READY=1 beats RELOADING=1.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define NOTIFY_MAX	4096		/* as systemd: PIPE_BUF */
#define REFUSED_LOG_MS	10000		/* refused senders: one line per this */

struct notifier {
	struct notifier *next;
	struct service *sv;
	int fd;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *status;		/* STATUS= */
	int errnum;		/* ERRNO=, 0 none */
	bool reloading;		/* RELOADING=1 until READY=1 */
	bool stopping;		/* STOPPING=1 */
	int64_t watchdog_usec;	/* the period now (watchdog, WATCHDOG_USEC=) */
	int64_t watchdog_at;	/* a WATCHDOG=1 is due by then, -1 off */
	unsigned refused;	/* senders refused since the last log line */
	int64_t refused_logged;	/* when that was */
};

static struct notifier *notifiers;
static char *dir;		/* <control socket>.n, NULL before notify_setup */
static bool dir_made;
static unsigned next_id;
static notify_event_fn on_event;

/* Where the sockets go: next to the control socket (the directory is made
 * when a service first needs it). */
void
notify_setup(const char *control_socket, notify_event_fn fn)
{
	on_event = fn;
	free(dir);
	if (asprintf(&dir, "%s.n", control_socket) < 0)
		dir = NULL;
}

/* The directory of the sockets, made if missing: 0, or -1 (logged). */
static int
dir_ready(void)
{
	static bool checked;

	if (dir == NULL)
		return -1;
	if (checked)
		return 0;
	if (paths_own_dir(dir, 0755, &dir_made) < 0) {
		log_warn("guardiand: the notify directory %s", dir);
		return -1;
	}
	checked = true;
	return 0;
}

/* At exit: the sockets and their directory go. */
void
notify_cleanup(void)
{
	while (notifiers)
		notify_free(notifiers->sv);
	if (dir != NULL && dir_made)
		rmdir(dir);
	free(dir);
	dir = NULL;
}

static struct notifier *
find(const struct service *sv)
{
	for (struct notifier *n = notifiers; n; n = n->next)
		if (n->sv == sv)
			return n;
	return NULL;
}

/* Whether pid is one of the service's processes, as notify_access = all
 * counts them. */
static bool
is_member(const struct service *sv, pid_t pid)
{
	struct procstat ps;

	if (pid == sv->pid)
		return true;
	if (sv->cg != NULL)
		return track_has(sv->cg, pid) == 1;
	/* without cgroups: its process group, or below its main process */
	for (int depth = 0; depth < 64 && proc_stat(pid, &ps) == 0; depth++) {
		if (ps.pgrp == sv->pgid || ps.ppid == sv->pid)
			return true;
		if (ps.ppid <= 1)
			break;
		pid = ps.ppid;
	}
	return false;
}

static void
refuse(struct notifier *n, pid_t pid, const char *why)
{
	int64_t now = now_ms();

	n->refused++;
	if (now - n->refused_logged < REFUSED_LOG_MS && n->refused_logged > 0)
		return;
	log_warnx("%s: notify message from pid %ld refused: %s (%u refused "
	    "since the last such line)", n->sv->conf->name, (long)pid, why,
	    n->refused);
	n->refused = 0;
	n->refused_logged = now;
}

/* The value of KEY= in one line, or NULL. */
static const char *
value_of(const char *line, const char *key)
{
	size_t k = strlen(key);

	return strncmp(line, key, k) == 0 && line[k] == '=' ? line + k + 1 :
	    NULL;
}

static bool
parse_num(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* MAINPID=: a process of the service (or any, from root) that came to
 * guardiand, so that its end is seen. */
static void
main_pid(struct notifier *n, const char *v, uid_t uid)
{
	struct service *sv = n->sv;
	struct procstat ps;
	long long pid;

	if (!parse_num(v, 2, INT_MAX, &pid) || pid == sv->pid)
		return;
	if (uid != 0 && !is_member(sv, (pid_t)pid)) {
		refuse(n, (pid_t)pid, "MAINPID names a process that is not "
		    "the service's");
		return;
	}
	if (proc_stat((pid_t)pid, &ps) != 0 || ps.ppid != getpid()) {
		log_warnx("%s: MAINPID=%lld ignored: not a child of guardiand, "
		    "its end could not be seen", sv->conf->name, pid);
		return;
	}
	log_info("%s: main process now pid %lld (MAINPID)", sv->conf->name,
	    pid);
	sv->pid = (pid_t)pid;
}

/* One datagram's lines, in systemd's order of precedence. */
static void
handle(struct notifier *n, char *msg, uid_t uid)
{
	struct service *sv = n->sv;
	bool ready = false, stopping = false, reloading = false, ping = false;
	bool trigger = false;
	char *line, *save = NULL;
	const char *v;
	long long num;

	for (line = strtok_r(msg, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strcmp(line, "READY=1") == 0)
			ready = true;
		else if (strcmp(line, "STOPPING=1") == 0)
			stopping = true;
		else if (strcmp(line, "RELOADING=1") == 0)
			reloading = true;
		else if (strcmp(line, "WATCHDOG=1") == 0)
			ping = true;
		else if (strcmp(line, "WATCHDOG=trigger") == 0)
			trigger = true;
		else if ((v = value_of(line, "STATUS")) != NULL) {
			free(n->status);
			n->status = strdup(v);
		} else if ((v = value_of(line, "ERRNO")) != NULL) {
			if (parse_num(v, 0, INT_MAX, &num))
				n->errnum = (int)num;
		} else if ((v = value_of(line, "MAINPID")) != NULL)
			main_pid(n, v, uid);
		else if ((v = value_of(line, "EXTEND_TIMEOUT_USEC")) != NULL) {
			if (parse_num(v, 0, LLONG_MAX / 2, &num) &&
			    sv->state == SV_STARTING) {
				int64_t by = now_ms() + num / 1000;

				if (by > sv->start_by_ms)
					sv->start_by_ms = by;
			}
		} else if ((v = value_of(line, "WATCHDOG_USEC")) != NULL) {
			if (parse_num(v, 1, LLONG_MAX / 2, &num)) {
				n->watchdog_usec = num;
				ping = true;
			}
		}
		/* anything else: ignored, as systemd does */
	}
	if (ping && n->watchdog_usec > 0)
		n->watchdog_at = now_ms() + n->watchdog_usec / 1000;
	if (stopping) {
		n->stopping = true;
		n->reloading = false;
		log_info("%s: says it is stopping (STOPPING=1)", sv->conf->name);
	} else if (ready) {
		n->reloading = false;
		if (sv->state == SV_STARTING) {
			if (n->watchdog_usec > 0 && n->watchdog_at < 0)
				n->watchdog_at = now_ms() + n->watchdog_usec /
				    1000;
			on_event(sv, EV_READY);
		}
	} else if (reloading)
		n->reloading = true;
	if (trigger) {
		log_warnx("%s: asked for its watchdog to fire (WATCHDOG=trigger)",
		    sv->conf->name);
		on_event(sv, EV_WATCHDOG);
	}
}

/* Datagrams on a service's socket: the service's are handled, the rest
 * dropped. */
static void
readable(int fd, short revents, void *arg)
{
	struct notifier *n = arg;
	char buf[NOTIFY_MAX + 1];
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred)) +
		    CMSG_SPACE(sizeof(int) * 16)];
	} ctl;

	(void)revents;
	for (int i = 0; i < 64; i++) {
		struct iovec iov = { buf, sizeof(buf) - 1 };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
		    .msg_control = &ctl, .msg_controllen = sizeof(ctl) };
		struct ucred *cred = NULL;
		struct cmsghdr *c;
		ssize_t len;

		len = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC |
		    MSG_TRUNC);
		if (len < 0)
			return;		/* EAGAIN: all read */
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level != SOL_SOCKET)
				continue;
			if (c->cmsg_type == SCM_CREDENTIALS &&
			    c->cmsg_len == CMSG_LEN(sizeof(struct ucred)))
				cred = (struct ucred *)(void *)CMSG_DATA(c);
			else if (c->cmsg_type == SCM_RIGHTS) {
				int *fds = (int *)(void *)CMSG_DATA(c);
				size_t nfd = (c->cmsg_len - CMSG_LEN(0)) /
				    sizeof(int);

				for (size_t j = 0; j < nfd; j++)
					close(fds[j]);
			}
		}
		if (cred == NULL || cred->pid <= 0) {
			refuse(n, 0, "no credentials");
			continue;
		}
		if (len >= NOTIFY_MAX || (mh.msg_flags & (MSG_TRUNC |
		    MSG_CTRUNC))) {
			refuse(n, cred->pid, "4096 bytes or more");
			continue;
		}
		if (memchr(buf, '\0', (size_t)len) != NULL) {
			refuse(n, cred->pid, "it holds a NUL");
			continue;
		}
		buf[len] = '\0';
		if (cred->pid != n->sv->pid &&
		    (n->sv->conf->notify_access != NOTIFY_ALL ||
		    !is_member(n->sv, cred->pid))) {
			refuse(n, cred->pid, n->sv->conf->notify_access ==
			    NOTIFY_ALL ? "not a process of the service" :
			    "not its main process (notify_access = main)");
			continue;
		}
		handle(n, buf, cred->uid);
		if (find(n->sv) != n)
			return;		/* the service went meanwhile */
	}
}

/*
 * What sv's processes sent and guardiand has not read yet, read now: its
 * main process's last words (redis's STOPPING=1 at exit) come before the
 * news of its exit, while it still is the main process.
 */
void
notify_drain(struct service *sv)
{
	struct notifier *n = find(sv);

	if (n != NULL && n->fd >= 0)
		readable(n->fd, POLLIN, n);
}

/*
 * Before a start of a service with ready = notify: its socket (made the
 * first time), whose path spawn.c puts in NOTIFY_SOCKET (sv->notify_path);
 * what an earlier run said is forgotten. 0, or -1 (logged).
 */
int
notify_prepare(struct service *sv)
{
	struct notifier *n = find(sv);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct passwd *pw;
	uid_t uid = geteuid();
	int on = 1;

	sv->notify_path = NULL;
	if (sv->conf->ready.kind != PROBE_NOTIFY)
		return 0;
	if (dir_ready() < 0) {
		log_warnx("%s: no directory for its notify socket",
		    sv->conf->name);
		return -1;
	}
	if (n == NULL) {
		if (sv->conf->user != NULL) {
			if ((pw = getpwnam(sv->conf->user)) == NULL) {
				log_warnx("%s: no such user %s", sv->conf->name,
				    sv->conf->user);
				return -1;
			}
			uid = pw->pw_uid;
		}
		if ((n = calloc(1, sizeof(*n))) == NULL)
			return -1;
		n->sv = sv;
		n->fd = -1;
		n->watchdog_at = -1;
		snprintf(n->path, sizeof(n->path), "%s/%u", dir, next_id++);
		if (strlen(n->path) >= sizeof(sa.sun_path) - 1) {
			log_warnx("%s: notify socket path %s is too long",
			    sv->conf->name, n->path);
			free(n);
			return -1;
		}
		memcpy(sa.sun_path, n->path, strlen(n->path) + 1);
		unlink(n->path);
		if ((n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC |
		    SOCK_NONBLOCK, 0)) < 0 ||
		    setsockopt(n->fd, SOL_SOCKET, SO_PASSCRED, &on,
		    sizeof(on)) < 0 ||
		    bind(n->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    chmod(n->path, 0666) < 0 || lchown(n->path, uid,
		    (gid_t)-1) < 0 || loop_add(n->fd, POLLIN, readable, n) < 0) {
			log_warn("%s: notify socket %s", sv->conf->name,
			    n->path);
			if (n->fd >= 0)
				close(n->fd);
			unlink(n->path);
			free(n);
			return -1;
		}
		n->next = notifiers;
		notifiers = n;
	}
	free(n->status);
	n->status = NULL;
	n->errnum = 0;
	n->reloading = n->stopping = false;
	n->watchdog_usec = sv->conf->watchdog_ms * 1000;
	n->watchdog_at = -1;	/* armed at READY=1: the start has its own
				 * limit, ready_timeout */
	sv->notify_path = n->path;
	return 0;
}

/* The service is gone (or no longer uses notify): its socket goes. */
void
notify_free(struct service *sv)
{
	struct notifier **pp, *n;

	for (pp = &notifiers; *pp && (*pp)->sv != sv; pp = &(*pp)->next)
		;
	if ((n = *pp) == NULL)
		return;
	*pp = n->next;
	loop_del(n->fd);
	close(n->fd);
	unlink(n->path);
	free(n->status);
	free(n);
	sv->notify_path = NULL;
}

/* The run ended: no watchdog until the next start. */
void
notify_stop(struct service *sv)
{
	struct notifier *n = find(sv);

	if (n != NULL)
		n->watchdog_at = -1;
}

/* What it said for status: STATUS= text (or NULL), RELOADING, STOPPING. */
const char *
notify_status(const struct service *sv, bool *reloading, bool *stopping)
{
	struct notifier *n = find(sv);

	*reloading = n && n->reloading;
	*stopping = n && n->stopping;
	return n ? n->status : NULL;
}

/* Watchdogs past due: said, and EV_WATCHDOG (SIGABRT, then the policy). */
void
notify_timers(int64_t now)
{
	struct notifier *n = notifiers;
	char d[32];

	while (n != NULL) {
		if (n->watchdog_at < 0 || now < n->watchdog_at ||
		    (n->sv->state != SV_STARTING && n->sv->state != SV_UP)) {
			n = n->next;
			continue;
		}
		n->watchdog_at = -1;
		log_warnx("%s: watchdog: no WATCHDOG=1 within %s, sending ABRT",
		    n->sv->conf->name, fmt_duration(n->watchdog_usec / 1000, d,
		    sizeof(d)));
		on_event(n->sv, EV_WATCHDOG);
		n = notifiers;	/* the event may have changed the list */
	}
}

int64_t
notify_next_deadline(void)
{
	int64_t next = -1;

	for (struct notifier *n = notifiers; n; n = n->next)
		next = deadline_min(next, n->watchdog_at);
	return next;
}
