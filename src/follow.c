/*
 * follow.c: what `logs` and `logs --follow` send (commands.c's cmd_logs
 * asks): the remembered lines of each named service, merged by time when
 * there are several, then, for a follower, each new line as forward.c
 * passes it on, until the client leaves. Below the services and the
 * commands: it knows services by name only (service.c says when one is
 * removed), so that the output path can call it.
 *
 * A follower never slows a service and never grows guardiand without
 * bound: once FOLLOW_MAX_UNSENT bytes wait for it, it misses lines,
 * counted per service, until it has read all that waited; then it is told
 * how many it missed ("missed NAME N"), and gets new lines again. Nobody
 * following costs forward.c one check of follow_active per line; a
 * service nobody follows, one comparison of a generation number per line.
 *
 * Body lines: "WHEN PID STREAM TEXT" for one service without --follow, as
 * before; otherwise "line NAME WHEN PID STREAM TEXT", "missed NAME N",
 * "gone NAME" (removed by a reload; no longer followed) and, once none of
 * the names is left, "end" and the reply ends.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardiand.h"
#include "proto.h"
#include "control.h"

#define FOLLOW_MAX_UNSENT	(1024 * 1024)	/* bytes, per follower */
#define FOLLOW_SEND_EVERY	(64 * 1024)	/* unsent bytes more: try the socket */
#define FOLLOW_COMPACT_AT	(64 * 1024)	/* sent bytes moved out of the buffer */
#define MAX_FOLLOWERS		16	/* beyond, "busy" */

struct follower {
	struct follower *next;
	struct client *cl;
	int n;				/* services still followed */
	char *names[PROTO_MAX_NAMES];
	unsigned long missed[PROTO_MAX_NAMES];
	bool missing;			/* dropping lines until drained */
	size_t send_at;			/* unsent bytes: try the socket now */
};

int follow_active;
static unsigned follow_gen = 1;	/* changes whenever who follows what does */
static struct follower *followers;

/* One line of output; with a name, in the tagged form. */
static void
put_line(struct buf *b, const char *name, int64_t when, pid_t pid,
    int stream, const char *text, size_t len)
{
	if (name)
		buf_printf(b, "line %s %lld %ld %d ", name, (long long)when,
		    (long)pid, stream);
	else
		buf_printf(b, "%lld %ld %d ", (long long)when, (long)pid, stream);
	buf_escaped(b, text, len);
	buf_addc(b, '\n');
}

/* The remembered lines of the services (logs[i] is names[i]'s), the last
 * lines of each, merged oldest first (a stable merge: equal times keep the
 * order of the names); tagged with the names, or in the one-service form. */
void
follow_put_stored(struct buf *b, struct outlog **logs, const char **names,
    int n, long lines, bool tagged)
{
	size_t next[PROTO_MAX_NAMES], count[PROTO_MAX_NAMES], len;
	int64_t when;
	pid_t pid;
	int stream;

	for (int i = 0; i < n; i++) {
		count[i] = outlog_count(logs[i]);
		next[i] = lines >= 0 && (size_t)lines < count[i] ?
		    count[i] - (size_t)lines : 0;
	}
	for (;;) {
		int best = -1;
		int64_t best_when = 0;

		for (int i = 0; i < n; i++) {
			if (next[i] >= count[i])
				continue;
			outlog_get(logs[i], next[i], &len, &when, &pid, &stream);
			if (best < 0 || when < best_when) {
				best = i;
				best_when = when;
			}
		}
		if (best < 0)
			break;
		const char *t = outlog_get(logs[best], next[best]++, &len,
		    &when, &pid, &stream);
		put_line(b, tagged ? names[best] : NULL, when, pid, stream, t,
		    len);
	}
}

static void
follower_free(struct follower *f)
{
	for (int i = 0; i < f->n; i++)
		free(f->names[i]);
	free(f);
}

/*
 * Makes the client a follower of the n services named, from now on (the
 * caller then sends the remembered lines: no line can come in between).
 * Returns NULL, or why not: too many followers, or no memory.
 */
const char *
follow_add(struct client *cl, const char **names, int n)
{
	struct follower *f;
	int nfollowers = 0;

	for (struct follower *o = followers; o; o = o->next)
		nfollowers++;
	if (nfollowers >= MAX_FOLLOWERS)
		return "busy: too many clients follow already, try again later";
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return "out of memory";
	for (; f->n < n && f->n < PROTO_MAX_NAMES; f->n++) {
		if ((f->names[f->n] = strdup(names[f->n])) == NULL) {
			follower_free(f);
			return "out of memory";
		}
	}
	f->cl = cl;
	f->next = followers;
	followers = f;
	cl->follow = f;
	follow_active++;
	follow_gen++;
	return NULL;
}

/* The client leaves (or is dropped): it follows nothing more. */
void
follow_end(struct client *cl)
{
	struct follower **pp, *f = cl->follow;

	if (f == NULL)
		return;
	for (pp = &followers; *pp && *pp != f; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = f->next;
	follower_free(f);
	cl->follow = NULL;
	follow_active--;
	follow_gen++;
}

static int
name_index(const struct follower *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->names[i], name) == 0)
			return i;
	return -1;
}

/* Sends what the socket takes now; -1 if the client is gone. Sent bytes
 * are moved out of the buffer now and then, so that a reader that keeps
 * up but never quite catches up does not grow it. */
static int
send_some(struct client *cl)
{
	ssize_t n;

	if (cl->fd < 0 || cl->outoff == cl->out.len)
		return 0;
	n = send(cl->fd, cl->out.s + cl->outoff, cl->out.len - cl->outoff,
	    MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	cl->outoff += (size_t)n;
	if (cl->outoff == cl->out.len) {
		buf_clear(&cl->out);
		cl->outoff = 0;
	} else if (cl->outoff >= FOLLOW_COMPACT_AT &&
	    cl->outoff >= cl->out.len / 2) {
		cl->out.len -= cl->outoff;
		memmove(cl->out.s, cl->out.s + cl->outoff, cl->out.len);
		cl->out.s[cl->out.len] = '\0';
		cl->outoff = 0;
	}
	return 0;
}

/*
 * A line of service name: to each client following it, or counted as
 * missed for those too far behind. *gen and *wanted are the caller's
 * cache of whether anyone follows name, redone when followers change.
 */
void
follow_line(const char *name, unsigned *gen, bool *wanted, pid_t pid,
    int stream, const char *text, size_t len)
{
	struct timespec ts;
	int64_t when;

	if (*gen != follow_gen) {
		*gen = follow_gen;
		*wanted = false;
		for (struct follower *f = followers; f && !*wanted; f = f->next)
			*wanted = name_index(f, name) >= 0;
	}
	if (!*wanted)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	when = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (struct follower *f = followers; f; f = f->next) {
		struct client *cl = f->cl;
		int i = name_index(f, name);

		if (i < 0)
			continue;
		/* A burst of lines need not wait for the next turn of the
		 * loop to reach the socket. */
		if (!f->missing && cl->out.len - cl->outoff >= f->send_at) {
			if (send_some(cl) < 0)
				f->missing = true;	/* gone: client_io closes it */
			f->send_at = cl->out.len - cl->outoff + FOLLOW_SEND_EVERY;
		}
		if (f->missing || cl->out.len - cl->outoff >= FOLLOW_MAX_UNSENT) {
			f->missing = true;
			f->missed[i]++;
			continue;
		}
		if (cl->out.len == 0)
			loop_events(cl->fd, POLLOUT);
		put_line(&cl->out, name, when, pid, stream, text, len);
	}
}

/* After the follower read all that waited: what it missed, if anything. */
static void
drained(struct follower *f)
{
	struct client *cl = f->cl;

	if (!f->missing)
		return;
	for (int i = 0; i < f->n; i++) {
		if (f->missed[i] > 0)
			buf_printf(&cl->out, "missed %s %lu\n", f->names[i],
			    f->missed[i]);
		f->missed[i] = 0;
	}
	f->missing = false;
}

/*
 * A follower's socket is writable or hung up (control.c's client_io hands
 * it over): sends what waits, then tells what was missed. Returns -1 when
 * the client is to be closed.
 */
int
follow_io(struct client *cl, short revents)
{
	if (cl->out.failed || (cl->out.len > 0 && send_some(cl) < 0))
		return -1;
	if (cl->out.len == 0) {
		if (revents & (POLLHUP | POLLERR))
			return -1;
		drained(cl->follow);
		/* Nothing to send: watch for a hang-up only. */
		loop_events(cl->fd, cl->out.len > 0 ? POLLOUT : 0);
	}
	return 0;
}

/*
 * A reload removed the service name: no longer followed, and its
 * followers are told so; one left with nothing to follow gets "end", and
 * its answer is over.
 */
void
follow_gone(const char *name)
{
	for (struct follower *f = followers, *next; f; f = next) {
		struct client *cl = f->cl;
		int i = name_index(f, name);

		next = f->next;
		if (i < 0)
			continue;
		if (cl->out.len == 0)
			loop_events(cl->fd, POLLOUT);
		if (f->missed[i] > 0)
			buf_printf(&cl->out, "missed %s %lu\n", name, f->missed[i]);
		buf_printf(&cl->out, "gone %s\n", name);
		free(f->names[i]);
		f->n--;
		memmove(f->names + i, f->names + i + 1,
		    (size_t)(f->n - i) * sizeof(f->names[0]));
		memmove(f->missed + i, f->missed + i + 1,
		    (size_t)(f->n - i) * sizeof(f->missed[0]));
		follow_gen++;
		if (f->n == 0) {
			drained(f);
			buf_printf(&cl->out, "end\n");
			follow_end(cl);
			/* Now an answer like any other: sent, then closed. */
			cl->deadline = now_ms() + REPLY_TIMEOUT_MS;
		}
	}
}
