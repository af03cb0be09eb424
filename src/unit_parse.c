/*
 * unit_parse.c: the text of one unit file or drop-in into assignments,
 * by the rules of systemd.syntax(7) and src/shared/conf-parser.c's
 * config_parse(): sections, Key=Value trimmed, '#' and ';' comment lines,
 * a trailing backslash joining the next line with a space.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

#define WHITESPACE	" \t\n\r"

struct pstate {
	struct unit *u;
	const char *file;	/* the unit's copy */
	const char *section;	/* the unit's copy, NULL before the first */
	unit_warn_fn warn;
	void *arg;
	char *err;
	size_t errlen;
};

static void
pwarn(struct pstate *ps, unsigned line, const char *fmt, ...)
{
	char msg[512], out[1024];
	va_list ap;

	if (ps->warn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(out, sizeof(out), "%s:%u: %s", ps->file, line, msg);
	ps->warn(ps->arg, out);
}

static char *
strip(char *s)
{
	size_t n;

	s += strspn(s, WHITESPACE);
	n = strlen(s);
	while (n > 0 && strchr(WHITESPACE, s[n - 1]) != NULL)
		s[--n] = '\0';
	return s;
}

/* The unit's own copy of a string kept in a list (files, sections): a
 * value points at it, so each is stored once. */
static const char *
intern(char ***list, size_t *n, const char *s)
{
	char **nl;

	for (size_t i = 0; i < *n; i++)
		if (strcmp((*list)[i], s) == 0)
			return (*list)[i];
	if ((nl = realloc(*list, (*n + 1) * sizeof(*nl))) == NULL)
		return NULL;
	*list = nl;
	if ((nl[*n] = strdup(s)) == NULL)
		return NULL;
	return nl[(*n)++];
}

static int
add_value(struct pstate *ps, unsigned line, const char *key, const char *value)
{
	struct unit *u = ps->u;
	struct unit_value *v;

	if (u->nv >= UNIT_VALUES_MAX) {
		fmt_err(ps->err, ps->errlen, "%s:%u: more than %d assignments",
		    ps->file, line, UNIT_VALUES_MAX);
		return -1;
	}
	if (u->nv == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 32;

		if ((v = realloc(u->v, cap * sizeof(*v))) == NULL)
			goto nomem;
		u->v = v;
		u->cap = cap;
	}
	v = &u->v[u->nv];
	v->section = ps->section;
	v->file = ps->file;
	v->line = line;
	if ((v->key = strdup(key)) == NULL)
		goto nomem;
	if ((v->value = strdup(value)) == NULL) {
		free(v->key);
		goto nomem;
	}
	u->nv++;
	return 0;
nomem:
	fmt_err(ps->err, ps->errlen, "out of memory");
	return -1;
}

/* One logical line (continuations joined), as conf-parser.c's
 * parse_line(): blank, comment, [Section], or Key=Value. */
static int
parse_line(struct pstate *ps, unsigned line, char *l)
{
	char *e, *key;
	size_t n;

	l = strip(l);
	if (*l == '\0' || strchr("#;", *l) != NULL)
		return 0;
	if (strncmp(l, ".include", 8) == 0 && l[8] != '\0' &&
	    strchr(WHITESPACE, l[8]) != NULL) {
		pwarn(ps, line, ".include is not supported any more, ignored");
		return 0;
	}
	if (*l == '[') {
		n = strlen(l);
		if (l[n - 1] != ']') {
			fmt_err(ps->err, ps->errlen, "%s:%u: invalid section "
			    "header \"%.*s\"", ps->file, line, UNIT_QUOTE_MAX, l);
			return -1;
		}
		l[n - 1] = '\0';
		if ((ps->section = intern(&ps->u->sections, &ps->u->nsections,
		    l + 1)) == NULL) {
			fmt_err(ps->err, ps->errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (ps->section == NULL) {
		pwarn(ps, line, "assignment outside of any section, ignored");
		return 0;
	}
	if ((e = strchr(l, '=')) == NULL) {
		fmt_err(ps->err, ps->errlen, "%s:%u: missing '=' in \"%.*s\"",
		    ps->file, line, UNIT_QUOTE_MAX, l);
		return -1;
	}
	*e = '\0';
	key = strip(l);
	if (*key == '\0') {
		pwarn(ps, line, "assignment without a key, ignored");
		return 0;
	}
	return add_value(ps, line, key, strip(e + 1));
}

/*
 * Lines end at \n (a \r before it is dropped); a line whose first
 * non-blank is '#' or ';' is a comment even inside a continuation (as
 * config_parse() skips it there); a line ending in an odd number of
 * backslashes continues, the backslash turned into a space. A value is
 * reported at the line where its assignment starts.
 */
int
unit_parse_text(struct unit *u, const char *file, const char *text,
    size_t len, unit_warn_fn warn, void *arg, char *err, size_t errlen)
{
	struct pstate ps = { u, NULL, NULL, warn, arg, err, errlen };
	const char *p = text, *end = text + len, *q, *l;
	char *cont = NULL;
	size_t clen = 0, n;
	unsigned line = 0, start = 0;
	bool escaped;
	int r = -1;

	if (len > UNIT_FILE_MAX) {
		fmt_err(err, errlen, "%s: larger than %d bytes", file,
		    UNIT_FILE_MAX);
		return -1;
	}
	if ((ps.file = intern(&u->files, &u->nfiles, file)) == NULL) {
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		line++;
		if ((q = memchr(p, '\n', (size_t)(end - p))) == NULL)
			q = end;
		n = (size_t)(q - p);
		if (memchr(p, '\0', n) != NULL) {
			fmt_err(err, errlen, "%s:%u: a NUL byte", file, line);
			goto out;
		}
		if (n > 0 && p[n - 1] == '\r')
			n--;
		l = p;
		p = q < end ? q + 1 : end;
		if (clen + n > UNIT_LINE_MAX) {
			fmt_err(err, errlen, "%s:%u: line longer than %d bytes",
			    file, start ? start : line, UNIT_LINE_MAX);
			goto out;
		}
		for (q = l; q < l + n && (*q == ' ' || *q == '\t'); q++)
			;
		if (q < l + n && (*q == '#' || *q == ';'))
			continue;
		if (cont == NULL && (cont = malloc(UNIT_LINE_MAX + 1)) == NULL) {
			fmt_err(err, errlen, "out of memory");
			goto out;
		}
		if (start == 0)
			start = line;
		memcpy(cont + clen, l, n);
		escaped = false;
		for (size_t i = clen; i < clen + n; i++)
			escaped = escaped ? false : cont[i] == '\\';
		clen += n;
		cont[clen] = '\0';
		if (escaped) {
			cont[clen - 1] = ' ';
			continue;
		}
		if (parse_line(&ps, start, cont) < 0)
			goto out;
		clen = 0;
		start = 0;
	}
	/* A continuation at the end of the file ends there (config_parse()
	 * parses what it holds). */
	if (start != 0 && parse_line(&ps, start, cont) < 0)
		goto out;
	r = 0;
out:
	free(cont);
	return r;
}
