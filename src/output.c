/*
 * output.c: split what a service prints into lines. Pure: no I/O here, so
 * the splitter is unit-tested on its own.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "guardiand.h"

static void
emit(struct linebuf *lb, line_fn fn, void *arg)
{
	size_t n = lb->len;

	/* CR LF ends a line like LF does. */
	if (n > 0 && lb->buf[n - 1] == '\r')
		n--;
	fn(arg, lb->buf, n);
	lb->len = 0;
}

/* Feeds n bytes; calls fn once per complete line, without its newline.
 * A line longer than the buffer is passed on in buffer-sized pieces, never
 * dropped. */
void
output_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		size_t room = lb->cap - lb->len;

		if (take > room) {
			/* Fill the buffer and pass it on as one piece. A CR kept at
			 * the cut belongs to the text, so it is not stripped. */
			memcpy(lb->buf + lb->len, data, room);
			lb->len += room;
			fn(arg, lb->buf, lb->len);
			lb->len = 0;
			data += room;
			n -= room;
			continue;
		}
		memcpy(lb->buf + lb->len, data, take);
		lb->len += take;
		data += take;
		n -= take;
		if (nl) {
			emit(lb, fn, arg);
			data++;
			n--;
		}
	}
}

/* A splitter whose lines are at most cap bytes; 0 or -1 (no memory). */
int
linebuf_init(struct linebuf *lb, size_t cap)
{
	lb->len = 0;
	lb->cap = cap;
	lb->buf = malloc(cap);
	return lb->buf ? 0 : -1;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

/* At EOF: passes on a last line that had no newline. */
void
output_flush(struct linebuf *lb, line_fn fn, void *arg)
{
	if (lb->len > 0)
		emit(lb, fn, arg);
}

/* One remembered line. */
struct logline {
	int64_t when_ms;	/* wall clock, ms since the epoch */
	pid_t pid;
	int stream;
	size_t len;
	char text[];
};

/* The last lines a service printed, shared by its output pipes, which may
 * outlive the service (a grandchild holds them): hence the reference count. */
struct outlog {
	unsigned refs;
	size_t max_lines, max_bytes;
	struct logline **ring;
	size_t head, count, bytes;
};

struct outlog *
outlog_new(size_t max_lines, size_t max_bytes)
{
	struct outlog *ol = calloc(1, sizeof(*ol));

	if (ol == NULL)
		return NULL;
	ol->refs = 1;
	ol->max_lines = max_lines;
	ol->max_bytes = max_bytes;
	ol->ring = calloc(max_lines ? max_lines : 1, sizeof(*ol->ring));
	if (ol->ring == NULL) {
		free(ol);
		return NULL;
	}
	return ol;
}

struct outlog *
outlog_ref(struct outlog *ol)
{
	if (ol)
		ol->refs++;
	return ol;
}

static void
outlog_drop_oldest(struct outlog *ol)
{
	struct logline *l = ol->ring[ol->head];

	ol->bytes -= l->len;
	free(l);
	ol->ring[ol->head] = NULL;
	ol->head = (ol->head + 1) % ol->max_lines;
	ol->count--;
}

void
outlog_unref(struct outlog *ol)
{
	if (ol == NULL || --ol->refs > 0)
		return;
	while (ol->count > 0)
		outlog_drop_oldest(ol);
	free(ol->ring);
	free(ol);
}

/* Remembers a line, forgetting the oldest beyond the line and byte caps. */
void
outlog_add(struct outlog *ol, pid_t pid, int stream, const char *line, size_t len)
{
	struct logline *l;
	struct timespec ts;

	if (ol == NULL || ol->max_lines == 0)
		return;
	if ((l = malloc(sizeof(*l) + len)) == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	l->when_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	l->pid = pid;
	l->stream = stream;
	l->len = len;
	memcpy(l->text, line, len);
	if (ol->count == ol->max_lines)
		outlog_drop_oldest(ol);
	while (ol->count > 0 && ol->max_bytes && ol->bytes + len > ol->max_bytes)
		outlog_drop_oldest(ol);
	ol->ring[(ol->head + ol->count) % ol->max_lines] = l;
	ol->count++;
	ol->bytes += len;
}

size_t
outlog_count(const struct outlog *ol)
{
	return ol ? ol->count : 0;
}

/* The i-th remembered line, oldest first. */
const char *
outlog_get(const struct outlog *ol, size_t i, size_t *len, int64_t *when_ms,
    pid_t *pid, int *stream)
{
	const struct logline *l;

	if (ol == NULL || i >= ol->count)
		return NULL;
	l = ol->ring[(ol->head + i) % ol->max_lines];
	*len = l->len;
	*when_ms = l->when_ms;
	*pid = l->pid;
	*stream = l->stream;
	return l->text;
}
