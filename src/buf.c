/*
 * buf.c: a growing byte string, kept NUL-terminated, for the config reader's
 * words and continuation lines and the control socket's replies.
 *
 * Out of memory is sticky: the first failure sets failed, later appends do
 * nothing, and the owner checks once (a reply is then answered with an
 * error; a config word is refused).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* Makes room for n more bytes and the NUL; -1 (and failed) if it cannot. */
static int
buf_room(struct buf *b, size_t n)
{
	char *ns;
	size_t ncap;

	if (b->failed)
		return -1;
	if (b->len + n + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < b->len + n + 1)
		ncap *= 2;
	if ((ns = realloc(b->s, ncap)) == NULL) {
		b->failed = true;
		return -1;
	}
	b->s = ns;
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const char *s, size_t n)
{
	if (buf_room(b, n) == -1)
		return -1;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
	return 0;
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Formats into the room there is, and again only when it did not fit. */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room = b->cap - b->len;
	int n;

	if (b->failed)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return -1;
	}
	if ((size_t)n >= room) {
		if (buf_room(b, (size_t)n) == -1)
			return -1;
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
	return 0;
}

void
buf_clear(struct buf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

void
buf_free(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

/* A byte the control protocol writes as %XX: one that would end or split
 * a line, or the escape itself. */
static bool
special(unsigned char c)
{
	return c == '%' || c == '\n' || c == '\0' || c == ' ';
}

/* Appends bytes %-escaped, so that any text fits on one protocol line;
 * runs of plain bytes are copied at once (the per-line path of logs -f). */
void
buf_escaped(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0;

		while (i + run < n && !special((unsigned char)s[i + run]))
			run++;
		if (run > 0)
			(void)buf_add(b, s + i, run);
		i += run;
		if (i < n) {
			buf_printf(b, "%%%02X", (unsigned char)s[i]);
			i++;
		}
	}
}
