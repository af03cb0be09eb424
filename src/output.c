/*
 * output.c: split what a service prints into lines. Pure: no I/O here, so
 * the splitter is unit-tested on its own.
 */
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* Passes on one line, CR LF ending it like LF. */
static void
emit(const char *text, size_t n, line_fn fn, void *arg)
{
	if (n > 0 && text[n - 1] == '\r')
		n--;
	fn(arg, text, n);
}

/* Makes room for want bytes (at most lb->cap) in the buffer, which grows
 * with what it holds: a stream that ends its writes with a newline never
 * needs one. -1 if out of memory. */
static int
reserve(struct linebuf *lb, size_t want)
{
	size_t size = lb->size ? lb->size : 128;
	char *nb;

	if (want <= lb->size)
		return 0;
	while (size < want)
		size *= 2;
	if (size > lb->cap)
		size = lb->cap;
	if ((nb = realloc(lb->buf, size)) == NULL)
		return -1;
	lb->buf = nb;
	lb->size = size;
	return 0;
}

/* Keeps take bytes of data after what the buffer holds; without the
 * memory to, passes on what it holds and them, as pieces. */
static void
keep(struct linebuf *lb, const char *data, size_t take, line_fn fn,
    void *arg)
{
	if (reserve(lb, lb->len + take) == 0) {
		memcpy(lb->buf + lb->len, data, take);
		lb->len += take;
		return;
	}
	if (lb->len > 0)
		fn(arg, lb->buf, lb->len);
	lb->len = 0;
	if (take > 0)
		fn(arg, data, take);
}

/* Feeds n bytes; calls fn once per complete line, without its newline.
 * Whole lines are passed on from data itself; only a line's start that
 * waits for its end is copied. A line longer than cap is passed on in
 * cap-sized pieces, never dropped. */
void
output_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg)
{
	while (n > 0) {
		const char *nl = memchr(data, '\n', n);
		size_t take = nl ? (size_t)(nl - data) : n;
		size_t room = lb->cap - lb->len;

		if (lb->len == 0 && nl && take <= lb->cap) {
			emit(data, take, fn, arg);	/* the common case */
			data += take + 1;
			n -= take + 1;
			continue;
		}
		if (take > room) {
			/* A full buffer's worth is passed on as one piece. A CR
			 * kept at the cut belongs to the text: not stripped. */
			if (lb->len == 0)
				fn(arg, data, room);
			else {
				keep(lb, data, room, fn, arg);
				if (lb->len > 0)
					fn(arg, lb->buf, lb->len);
				lb->len = 0;
			}
			data += room;
			n -= room;
			continue;
		}
		/* The rest of a line, or a start that waits for its end (a
		 * full buffer waits for the next byte: a newline makes it
		 * one line). */
		keep(lb, data, take, fn, arg);
		data += take;
		n -= take;
		if (nl) {
			if (lb->len > 0)	/* 0: no memory, passed on */
				emit(lb->buf, lb->len, fn, arg);
			lb->len = 0;
			data++;
			n--;
		}
	}
}

/* A splitter whose lines are at most cap bytes; its buffer comes when
 * first needed. */
void
linebuf_init(struct linebuf *lb, size_t cap)
{
	lb->buf = NULL;
	lb->len = lb->size = 0;
	lb->cap = cap;
}

void
linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
	lb->len = lb->size = 0;
}

/* At EOF: passes on a last line that had no newline. */
void
output_flush(struct linebuf *lb, line_fn fn, void *arg)
{
	if (lb->len > 0)
		emit(lb->buf, lb->len, fn, arg);
	lb->len = 0;
}

/* One remembered line. */
struct logline {
	int64_t when_ms;	/* wall clock, ms since the epoch */
	pid_t pid;
	int stream;
	size_t len, cap;	/* cap: text's room */
	char text[];
};

/* The last lines a service printed, shared by its output pipes, which may
 * outlive the service (a grandchild holds them): hence the reference count.
 * The ring of pointers grows with the lines it holds, up to max_lines: a
 * service that prints nothing costs nothing here. */
struct outlog {
	unsigned refs;
	size_t max_lines, max_bytes;
	struct logline **ring;
	size_t size;		/* slots of ring */
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
	return ol;
}

struct outlog *
outlog_ref(struct outlog *ol)
{
	if (ol)
		ol->refs++;
	return ol;
}

/* Takes the oldest line out of the ring. */
static struct logline *
outlog_pop(struct outlog *ol)
{
	struct logline *l = ol->ring[ol->head];

	ol->bytes -= l->len;
	ol->ring[ol->head] = NULL;
	ol->head = (ol->head + 1) % ol->size;
	ol->count--;
	return l;
}

static void
outlog_drop_oldest(struct outlog *ol)
{
	free(outlog_pop(ol));
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

/* One more slot, while the ring is below max_lines: it doubles, the lines
 * in order from slot 0. false if it cannot grow. */
static bool
outlog_grow(struct outlog *ol)
{
	size_t size = ol->size ? ol->size * 2 : 8;
	struct logline **ring;

	if (ol->size >= ol->max_lines)
		return false;
	if (size > ol->max_lines)
		size = ol->max_lines;
	if ((ring = malloc(size * sizeof(*ring))) == NULL)
		return false;
	for (size_t i = 0; i < ol->count; i++)
		ring[i] = ol->ring[(ol->head + i) % ol->size];
	free(ol->ring);
	ol->ring = ring;
	ol->size = size;
	ol->head = 0;
	return true;
}

/* Remembers a line printed at when_ms (wall clock), forgetting the oldest
 * beyond the line and byte caps. */
void
outlog_add(struct outlog *ol, int64_t when_ms, pid_t pid, int stream,
    const char *line, size_t len)
{
	struct logline *l;

	if (ol == NULL || ol->max_lines == 0)
		return;
	if (ol->count == ol->size && !outlog_grow(ol)) {
		if (ol->count == 0)
			return;
		/* Full: the oldest line goes, and its memory is used again
		 * when the new line fits it well (a busy service's lines are
		 * much alike: no malloc and free per line). */
		l = outlog_pop(ol);
		if (l->cap < len || l->cap / 2 > len + 64) {
			free(l);
			l = NULL;
		}
	} else
		l = NULL;
	if (l == NULL) {
		if ((l = malloc(sizeof(*l) + len)) == NULL)
			return;
		l->cap = len;
	}
	l->when_ms = when_ms;
	l->pid = pid;
	l->stream = stream;
	l->len = len;
	memcpy(l->text, line, len);
	while (ol->count > 0 && ol->max_bytes && ol->bytes + len > ol->max_bytes)
		outlog_drop_oldest(ol);
	ol->ring[(ol->head + ol->count) % ol->size] = l;
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
	l = ol->ring[(ol->head + i) % ol->size];
	*len = l->len;
	*when_ms = l->when_ms;
	*pid = l->pid;
	*stream = l->stream;
	return l->text;
}
