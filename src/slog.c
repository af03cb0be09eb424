/*
 * slog.c: guardiand's own syslog writer, for its events and every line its
 * services print.
 *
 * Not syslog(3) and not libdaemon's daemon_log: those open one process-wide
 * ident with facility daemon (notes/libdaemon.md, trap 3), block when the
 * log daemon is slow, and cannot be pointed at another socket. Here each
 * message carries its own tag, pid, facility and priority, the socket is
 * non-blocking, and order is kept by one queue:
 *
 * - syslog slow (the socket's queue is full): messages wait in the queue and
 *   slog_blocked() says so, so that output is not read from the services'
 *   pipes until it drains: they block, nothing is lost.
 * - syslog absent or restarting: messages wait in the queue, up to
 *   QUEUE_MAX_BYTES; beyond, they are dropped and counted, and the count is
 *   reported once the socket is back. Reconnection is tried every
 *   RETRY_MS while messages wait, never when idle.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "guardiand.h"

#define QUEUE_MAX_BYTES	(1024 * 1024)
#define RETRY_MS	1000
#define BATCH		64		/* datagrams per sendmmsg */
#define FLUSH_BYTES	(64 * 1024)	/* flush before the loop turn if this much waits */

struct msg {
	struct msg *next;
	size_t len;
	char data[];
};

static char *path;
static int fd = -1;
static struct msg *head, **tail = &head;
static size_t queued_bytes;
static unsigned long dropped;
static int64_t retry_at = -1;
static bool full;		/* the socket pushed back: wait for POLLOUT */

static void flush(void);
static void writable(int sfd, short revents, void *arg);

/* guardiand's own messages (log.c), in order with the services' lines. */
static void
own_message(int priority, const char *msg, size_t len)
{
	slog_send(LOG_DAEMON, priority, "guardiand", getpid(), msg, len);
}

bool
slog_active(void)
{
	return path != NULL;
}

/* The socket is writable again: send what waits. */
static void
writable(int sfd, short revents, void *arg)
{
	(void)sfd;
	(void)revents;
	(void)arg;
	full = false;
	loop_del(fd);
	flush();
}

static void
disconnect(void)
{
	full = false;
	if (fd >= 0) {
		loop_del(fd);
		close(fd);
		fd = -1;
	}
}

static int
connect_socket(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s;

	if (fd >= 0)
		return 0;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(s);
		return -1;
	}
	fd = s;
	return 0;
}

/* Sets (or moves) the socket; NULL turns syslog output off. */
void
slog_open(const char *socket_path)
{
	if (path && socket_path && strcmp(path, socket_path) == 0)
		return;
	disconnect();
	free(path);
	path = socket_path ? strdup(socket_path) : NULL;
	log_set_sink(path ? own_message : NULL);
	if (path)
		connect_socket();
}

static void
enqueue(const char *data, size_t len, bool force)
{
	struct msg *m;

	if (!force && queued_bytes + len > QUEUE_MAX_BYTES) {
		dropped++;
		return;
	}
	if ((m = malloc(sizeof(*m) + len)) == NULL) {
		dropped++;
		return;
	}
	m->next = NULL;
	m->len = len;
	memcpy(m->data, data, len);
	*tail = m;
	tail = &m->next;
	queued_bytes += len;
}

/* Connection lost (the log daemon restarted): its new socket may be there
 * already, so reconnect at once, else retry later. */
static bool
reconnect(void)
{
	disconnect();
	if (connect_socket() == 0)
		return true;
	retry_at = now_ms() + RETRY_MS;
	return false;
}

static void
report_drops(void)
{
	char buf[512];
	int n;

	if (dropped == 0 || fd < 0)
		return;
	n = snprintf(buf, sizeof(buf), "syslog: %lu lines dropped while %s was "
	    "unavailable", dropped, path);
	dropped = 0;
	slog_send(LOG_DAEMON, LOG_WARNING, "guardiand", getpid(), buf, (size_t)n);
}

/*
 * Sends what waits, in order, BATCH datagrams a system call, until done or
 * the socket pushes back (then POLLOUT says when to go on).
 */
static void
flush(void)
{
	struct mmsghdr mv[BATCH];
	struct iovec iov[BATCH];
	struct msg *m;
	int n, sent;

	if (fd < 0 && connect_socket() < 0) {
		retry_at = now_ms() + RETRY_MS;
		return;
	}
	retry_at = -1;
	while (head) {
		memset(mv, 0, sizeof(mv));
		for (n = 0, m = head; m && n < BATCH; m = m->next, n++) {
			iov[n].iov_base = m->data;
			iov[n].iov_len = m->len;
			mv[n].msg_hdr.msg_iov = &iov[n];
			mv[n].msg_hdr.msg_iovlen = 1;
		}
		sent = sendmmsg(fd, mv, (unsigned)n, MSG_NOSIGNAL);
		if (sent < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == ENOBUFS) {
				full = true;
				loop_add(fd, POLLOUT, writable, NULL);
				return;
			}
			if (errno == EMSGSIZE)
				sent = 1;	/* can never go: pass over it */
			else if (reconnect())
				continue;
			else
				return;
		}
		for (int i = 0; i < sent; i++) {
			m = head;
			head = m->next;
			queued_bytes -= m->len;
			free(m);
		}
		if (head == NULL)
			tail = &head;
		if (sent < n && head) {
			/* Partly sent: the socket is full; the next call would
			 * only fail, so wait for it to drain instead. */
			full = true;
			loop_add(fd, POLLOUT, writable, NULL);
			return;
		}
	}
	if (full) {
		full = false;
		loop_del(fd);
	}
	report_drops();
}

/* Formats one message as the local syslog socket expects it:
 * "<PRI>Mmm dd hh:mm:ss TAG[PID]: text". NUL bytes become "#000", as
 * rsyslog writes other control characters. */
void
slog_send(int facility, int priority, const char *tag, pid_t pid,
    const char *text, size_t len)
{
	char buf[LINE_MAX_MAX * 4 + 128], stamp[32];
	struct tm tm;
	time_t t;
	size_t n;

	if (path == NULL)
		return;
	t = time(NULL);
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", &tm);
	n = (size_t)snprintf(buf, sizeof(buf), "<%d>%s %s[%ld]: ",
	    LOG_MAKEPRI(facility, priority), stamp, tag, (long)pid);
	for (size_t i = 0; i < len && n + 4 < sizeof(buf); i++) {
		if (text[i] == '\0') {
			memcpy(buf + n, "#000", 4);
			n += 4;
		} else
			buf[n++] = text[i];
	}
	/* While the socket is there, nothing is dropped: when it is full
	 * the pipes stop being read instead (slog_blocked). */
	enqueue(buf, n, fd >= 0);
	if (fd < 0 && retry_at < 0)
		retry_at = now_ms();	/* try to connect at the loop's next turn */
	if (fd >= 0 && !full && queued_bytes >= FLUSH_BYTES)
		flush();
}

/* Whether service output should wait: messages queue for a slow socket. */
bool
slog_blocked(void)
{
	return full;
}

int64_t
slog_next_deadline(void)
{
	return head && fd < 0 ? retry_at : -1;
}

/* After each turn of the loop, before sleeping: send what was queued. */
void
slog_tick(int64_t now)
{
	if (head == NULL || full)
		return;
	if (fd >= 0 || (retry_at >= 0 && now >= retry_at))
		flush();
}

/* At exit: what waits gets a last, bounded chance to go out. */
void
slog_close(void)
{
	if (head && fd >= 0) {
		struct timeval tv = { .tv_sec = 2 };
		int64_t deadline = now_ms() + 2000;

		fcntl(fd, F_SETFL, 0);
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		while (head && fd >= 0 && now_ms() < deadline)
			flush();
	}
	while (head) {
		struct msg *m = head;

		head = m->next;
		free(m);
	}
	tail = &head;
	queued_bytes = 0;
	disconnect();
	free(path);
	path = NULL;
	log_set_sink(NULL);
}
