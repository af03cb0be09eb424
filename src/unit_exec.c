/*
 * unit_exec.c: one Exec line of a unit into commands, as systemd 252
 * does it: systemd.service(5) "COMMAND LINES", config_parse_exec() in
 * src/core/load-fragment.c, extract_first_word() in
 * src/basic/extract-word.c, cunescape_one() in src/basic/escape.c and
 * replace_env_argv() in src/basic/env-util.c.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define WHITESPACE	" \t\n\r"

/* extract_first_word()'s flags, the ones units use. */
#define X_UNQUOTE	0x01
#define X_CUNESCAPE	0x02
#define X_RELAX		0x04	/* unbalanced quotes, trailing \ end the word */
#define X_CUNESCAPE_RELAX 0x08	/* unknown escapes kept as written */

static int
unhex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
put_utf8(struct buf *b, unsigned long c)
{
	char s[4];
	size_t n;

	if (c < 0x80) {
		s[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | (c >> 6));
		s[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | (c >> 12));
		s[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | (c >> 18));
		s[1] = (char)(0x80 | ((c >> 12) & 0x3f));
		s[2] = (char)(0x80 | ((c >> 6) & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf_add(b, s, n);
}

/*
 * cunescape_one(): the escape after a backslash at p into b; how many
 * bytes it took, or -1 if it is not one systemd knows. \xNN and \NNN are
 * bytes, \uNNNN and \UNNNNNNNN code points; none may be NUL.
 */
static int
cunescape_one(const char *p, struct buf *b)
{
	static const char simple[] = "a\ab\bf\fn\nr\rt\tv\v\\\\\"\"''s ";
	unsigned long v = 0;
	int n, d;

	for (size_t i = 0; simple[i] != '\0'; i += 2)
		if (*p == simple[i]) {
			buf_addc(b, simple[i + 1]);
			return 1;
		}
	if (*p == 'x' || *p == 'u' || *p == 'U') {
		n = *p == 'x' ? 2 : *p == 'u' ? 4 : 8;
		for (int i = 1; i <= n; i++) {
			if ((d = unhex(p[i])) < 0)
				return -1;
			v = v * 16 + (unsigned long)d;
		}
		if (v == 0 || (*p != 'x' && (v > 0x10ffff ||
		    (v >= 0xd800 && v <= 0xdfff))))
			return -1;
		if (*p == 'x')
			buf_addc(b, (char)v);
		else
			put_utf8(b, v);
		return n + 1;
	}
	if (*p >= '0' && *p <= '7') {
		for (int i = 0; i < 3; i++) {
			if (p[i] < '0' || p[i] > '7')
				return -1;
			v = v * 8 + (unsigned long)(p[i] - '0');
		}
		if (v == 0 || v > 255)
			return -1;
		buf_addc(b, (char)v);
		return 3;
	}
	return -1;
}

/*
 * extract_first_word() with WHITESPACE as separators: the next word of
 * *p into b (unquoted, unescaped by flags); 1, 0 at the end, -1 for bad
 * quoting or escapes. Quotes may open anywhere in a word, as in a shell.
 */
static int
extract(const char **p, struct buf *b, int flags)
{
	const char *s = *p;
	char quote = 0;
	int r;

	buf_clear(b);
	s += strspn(s, WHITESPACE);
	if (*s == '\0') {
		*p = s;
		return 0;
	}
	for (;;) {
		if (*s == '\\') {
			s++;
			if (*s == '\0') {
				if ((flags & X_CUNESCAPE_RELAX) &&
				    (!quote || (flags & X_RELAX))) {
					buf_addc(b, '\\');
					break;
				}
				if (flags & X_RELAX)
					break;
				return -1;
			}
			if (flags & X_CUNESCAPE) {
				if ((r = cunescape_one(s, b)) < 0) {
					if (!(flags & X_CUNESCAPE_RELAX))
						return -1;
					buf_addc(b, '\\');
					buf_addc(b, *s);
					r = 1;
				}
				s += r;
			} else
				buf_addc(b, *s++);
		} else if (quote) {
			if (*s == '\0') {
				if (flags & X_RELAX)
					break;
				return -1;
			}
			if (*s == quote)
				quote = 0;
			else
				buf_addc(b, *s);
			s++;
		} else {
			if (*s == '\0')
				break;
			if ((*s == '\'' || *s == '"') && (flags & X_UNQUOTE))
				quote = *s;
			else if (strchr(WHITESPACE, *s) != NULL) {
				s += strspn(s, WHITESPACE);
				break;
			} else
				buf_addc(b, *s);
			s++;
		}
	}
	*p = s;
	buf_addc(b, '\0');
	return b->failed ? -2 : 1;
}

/*
 * extract_first_word_and_warn(): on a bad escape, again keeping unknown
 * escapes as written, with a warning; still failing means unbalanced
 * quotes. 1, 0, or -1 with why.
 */
static int
extract_warn(const char **p, struct buf *b, int flags, bool *warned,
    const char **why)
{
	const char *save = *p;
	int r;

	if ((r = extract(p, b, flags)) >= 0)
		return r;
	if (r == -1 && !(flags & X_CUNESCAPE_RELAX)) {
		*p = save;
		if ((r = extract(p, b, flags | X_CUNESCAPE_RELAX)) >= 0) {
			*warned = true;
			return r;
		}
	}
	*why = r == -1 ? "unbalanced quoting" : "out of memory";
	return -1;
}

void
unit_strv_free(char **v)
{
	for (char **p = v; p != NULL && *p != NULL; p++)
		free(*p);
	free(v);
}

/* Appends a copy of s to the NULL-terminated *v of *n words. */
static int
strv_push(char ***v, size_t *n, const char *s)
{
	char **nv;

	if (*n >= UNIT_EXEC_ARGS_MAX ||
	    (nv = realloc(*v, (*n + 2) * sizeof(*nv))) == NULL)
		return -1;
	*v = nv;
	if ((nv[*n] = strdup(s)) == NULL)
		return -1;
	nv[++*n] = NULL;
	return 0;
}

int
unit_split_words(const char *s, bool relax, char ***words, char *err,
    size_t errlen)
{
	struct buf b = { 0 };
	char **v = NULL;
	size_t n = 0;
	int r;

	while ((r = extract(&s, &b, X_UNQUOTE | X_CUNESCAPE |
	    (relax ? X_RELAX : 0))) > 0)
		if (strv_push(&v, &n, b.s) < 0) {
			r = -2;
			break;
		}
	buf_free(&b);
	if (r < 0) {
		fmt_err(err, errlen, "%s", r == -1 ? "unbalanced quoting or "
		    "a bad escape" : "out of memory or too many words");
		unit_strv_free(v);
		return -1;
	}
	if (v == NULL && (v = calloc(1, sizeof(*v))) == NULL) {
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	*words = v;
	return (int)n;
}

void
unit_exec_free(struct unit_exec *ex)
{
	struct unit_exec *next;

	for (; ex != NULL; ex = next) {
		next = ex->next;
		free(ex->path);
		unit_strv_free(ex->argv);
		free(ex);
	}
}

/* systemd's string_is_safe(): no control characters, quotes or
 * backslashes in a program path. */
static bool
safe(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < ' ' || *s == 127 || *s == '"' ||
		    *s == '\'' || *s == '\\')
			return false;
	return true;
}

/* path_is_valid() for an absolute path, filename_is_valid() for a name. */
static bool
path_ok(const char *p)
{
	size_t n = 0;

	if (strlen(p) >= PATH_MAX)
		return false;
	if (p[0] != '/')
		return strcmp(p, ".") != 0 && strcmp(p, "..") != 0 &&
		    strchr(p, '/') == NULL && strlen(p) <= NAME_MAX;
	for (; *p != '\0'; p++) {
		n = *p == '/' ? 0 : n + 1;
		if (n > NAME_MAX)
			return false;
	}
	return true;
}

/* path_simplify(): "//" as "/", no "." components, no trailing "/". */
static void
simplify(char *p)
{
	char *r = p, *w = p;

	while (*r != '\0') {
		if (*r == '/' && w > p && w[-1] == '/') {
			r++;
		} else if (*r == '.' && (w == p || w[-1] == '/') &&
		    (r[1] == '/' || r[1] == '\0') && w > p) {
			r += r[1] ? 2 : 1;
		} else
			*w++ = *r++;
	}
	if (w > p + 1 && w[-1] == '/')
		w--;
	*w = '\0';
}

struct eparse {
	const struct unit *u;
	const struct unit_value *v;
	char *err;
	size_t errlen;
	bool ignore;		/* the line had "-": errors are warnings */
	unit_warn_fn warn;
	void *arg;
};

static void
efail(struct eparse *e, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fmt_err(e->err, e->errlen, "%s:%u: %s=%.*s%s: %s", e->v->file,
	    e->v->line, e->v->key, UNIT_QUOTE_MAX, e->v->value,
	    strlen(e->v->value) > UNIT_QUOTE_MAX ? "..." : "", why);
}

/* The prefixes of the first word (config_parse_exec()'s loop): each at
 * most once, "!!" only where neither "+" nor "!" was. */
static const char *
prefixes(const char *f, struct unit_exec_flags *fl)
{
	for (;; f++) {
		if (*f == '-' && !fl->ignore_failure)
			fl->ignore_failure = true;
		else if (*f == '@' && !fl->argv0)
			fl->argv0 = true;
		else if (*f == ':' && !fl->no_env)
			fl->no_env = true;
		else if (*f == '+' && !fl->privileged && !fl->no_setuid &&
		    !fl->ambient)
			fl->privileged = true;
		else if (*f == '!' && !fl->privileged && !fl->no_setuid &&
		    !fl->ambient)
			fl->no_setuid = true;
		else if (*f == '!' && !fl->privileged && !fl->ambient) {
			fl->no_setuid = false;
			fl->ambient = true;
		} else
			return f;
	}
}

/* One command of the line, from *p up to a lone ";" (which *semi says) or
 * the end; NULL with e->err, or with e->err empty for nothing. */
static struct unit_exec *
one_command(struct eparse *e, const char **p, bool *semi)
{
	struct unit_exec *ex;
	struct buf b = { 0 };
	const char *why = NULL, *f;
	char spec_err[256], *word;
	bool warned = false;
	int r;

	*semi = false;
	if ((ex = calloc(1, sizeof(*ex))) == NULL) {
		efail(e, "out of memory");
		return NULL;
	}
	if ((r = extract_warn(p, &b, X_UNQUOTE | X_CUNESCAPE, &warned,
	    &why)) <= 0) {
		if (r < 0)
			efail(e, "%s", why);
		goto fail;
	}
	f = prefixes(b.s, &ex->flags);
	e->ignore = e->ignore || ex->flags.ignore_failure;
	if ((ex->path = unit_specifiers(e->u, f, spec_err,
	    sizeof(spec_err))) == NULL) {
		efail(e, "%s", spec_err);
		goto fail;
	}
	if (ex->path[0] == '\0') {
		efail(e, "empty program path");
		goto fail;
	}
	if (!safe(ex->path) || !path_ok(ex->path) ||
	    ex->path[strlen(ex->path) - 1] == '/') {
		efail(e, "\"%s\" is neither an absolute program path nor a "
		    "program name", ex->path);
		goto fail;
	}
	if (!ex->flags.argv0 && strv_push(&ex->argv, &ex->argc, ex->path) < 0)
		goto nomem;
	simplify(ex->path);
	while (**p != '\0') {
		/* A lone ";" ends the command; "\;" is a literal ";". */
		if ((*p)[0] == ';' && ((*p)[1] == '\0' ||
		    strchr(WHITESPACE, (*p)[1]) != NULL)) {
			*p += 1 + strspn(*p + 1, WHITESPACE);
			*semi = true;
			break;
		}
		if ((*p)[0] == '\\' && (*p)[1] == ';' && ((*p)[2] == '\0' ||
		    strchr(WHITESPACE, (*p)[2]) != NULL)) {
			*p += 2 + strspn(*p + 2, WHITESPACE);
			if (strv_push(&ex->argv, &ex->argc, ";") < 0)
				goto nomem;
			continue;
		}
		if ((r = extract_warn(p, &b, X_UNQUOTE | X_CUNESCAPE, &warned,
		    &why)) == 0)
			break;
		if (r < 0) {
			efail(e, "%s", why);
			goto fail;
		}
		if ((word = unit_specifiers(e->u, b.s, spec_err,
		    sizeof(spec_err))) == NULL) {
			efail(e, "%s", spec_err);
			goto fail;
		}
		r = strv_push(&ex->argv, &ex->argc, word);
		free(word);
		if (r < 0)
			goto nomem;
	}
	if (ex->argc == 0) {
		efail(e, "empty program name or zeroth argument");
		goto fail;
	}
	if (warned && e->warn != NULL) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s:%u: %s=: unknown escape "
		    "sequences kept as written", e->v->file, e->v->line,
		    e->v->key);
		e->warn(e->arg, msg);
	}
	buf_free(&b);
	return ex;
nomem:
	efail(e, ex->argc >= UNIT_EXEC_ARGS_MAX ? "more than %d words" :
	    "out of memory", UNIT_EXEC_ARGS_MAX);
fail:
	buf_free(&b);
	unit_exec_free(ex);
	return NULL;
}

struct unit_exec *
unit_exec_parse(const struct unit *u, const struct unit_value *v,
    unit_warn_fn warn, void *arg, char *err, size_t errlen)
{
	struct eparse e = { u, v, err, errlen, false, warn, arg };
	struct unit_exec *head = NULL, **tail = &head, *ex;
	const char *p = v->value;
	bool semi = true;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	while (semi) {
		if ((ex = one_command(&e, &p, &semi)) == NULL) {
			if (err == NULL || errlen == 0 || err[0] == '\0')
				break;	/* nothing more on the line */
			unit_exec_free(head);
			/* with "-", a line systemd cannot use is ignored */
			if (e.ignore && warn != NULL) {
				char msg[1024];

				snprintf(msg, sizeof(msg), "%s, ignored", err);
				warn(arg, msg);
				err[0] = '\0';
			}
			return NULL;
		}
		*tail = ex;
		tail = &ex->next;
	}
	return head;
}

/*
 * replace_env(): "${NAME}" is NAME's value ("" when unset), "$$" is "$",
 * anything else (a bare $NAME inside a word, ${NAME:-x}) stays as it is.
 */
static char *
replace_env(const char *w, const char *const *env)
{
	struct buf b = { 0 };
	const char *end, *val;
	size_t n;

	for (; *w != '\0'; w++) {
		if (w[0] == '$' && w[1] == '$') {
			buf_addc(&b, '$');
			w++;
		} else if (w[0] == '$' && w[1] == '{' &&
		    (end = strpbrk(w + 2, "}:")) != NULL && *end == '}') {
			n = (size_t)(end - w - 2);
			val = "";
			for (const char *const *e = env; e && *e; e++)
				if (strncmp(*e, w + 2, n) == 0 && (*e)[n] == '=')
					val = *e + n + 1;
			buf_add(&b, val, strlen(val));
			w = end;
		} else
			buf_addc(&b, *w);
	}
	if (buf_addc(&b, '\0') < 0 || b.failed) {
		buf_free(&b);
		return NULL;
	}
	return b.s;
}

char **
unit_exec_expand(const struct unit_exec *ex, const char *const *env,
    char *err, size_t errlen)
{
	struct buf b = { 0 };
	char **out = NULL, *w;
	const char *val, *s;
	size_t n = 0, kl;
	int r = 0;

	if ((out = calloc(1, sizeof(*out))) == NULL)
		goto nomem;
	for (size_t i = 0; i < ex->argc && r == 0; i++) {
		const char *a = ex->argv[i];

		if (ex->flags.no_env) {
			r = strv_push(&out, &n, a);
		} else if (a[0] == '$' && a[1] != '{' && a[1] != '$') {
			/* "$NAME" as a whole word: its value split into
			 * words, quotes removed; unset: no word at all */
			val = NULL;
			kl = strlen(a + 1);
			for (const char *const *e = env; e && *e; e++)
				if (strncmp(*e, a + 1, kl) == 0 && (*e)[kl] == '=')
					val = *e + kl + 1;
			for (s = val; s != NULL && r == 0 &&
			    (r = extract(&s, &b, X_UNQUOTE | X_RELAX)) > 0; )
				r = strv_push(&out, &n, b.s);
			r = r > 0 ? 0 : r;
		} else if ((w = replace_env(a, env)) == NULL) {
			r = -1;
		} else {
			r = strv_push(&out, &n, w);
			free(w);
		}
	}
	buf_free(&b);
	if (r == 0)
		return out;
nomem:
	fmt_err(err, errlen, n >= UNIT_EXEC_ARGS_MAX ? "more than %d words "
	    "once $VAR are expanded" : "out of memory", UNIT_EXEC_ARGS_MAX);
	unit_strv_free(out);
	return NULL;
}

char *
unit_exec_find(const char *name, char *err, size_t errlen)
{
	char p[PATH_MAX];
	const char *d = UNIT_EXEC_PATH, *colon;
	struct stat st;

	if (name[0] == '/')
		return strdup(name);
	for (; *d != '\0'; d = *colon ? colon + 1 : colon) {
		colon = strchrnul(d, ':');
		if ((size_t)snprintf(p, sizeof(p), "%.*s/%s", (int)(colon - d),
		    d, name) >= sizeof(p))
			continue;
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(p, X_OK) == 0)
			return strdup(p);
	}
	fmt_err(err, errlen, "%s: not found in %s", name, UNIT_EXEC_PATH);
	return NULL;
}
