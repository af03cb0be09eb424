/*
 * tmpfiles.c: the lines of tmpfiles.d(5) files a service relies on
 * (tmpfiles =): read and specifiers expanded here; tmpfiles_run.c finds
 * the files and applies them, with Debian's systemd-tmpfiles where it is
 * installed, else with the d, D, f, L and z lines made here.
 */
#include <sys/stat.h>
#include <sys/utsname.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define TMPFILES_FIELDS	6	/* type path mode user group age; then arg */
#define TMPFILES_DIRS	"/etc/tmpfiles.d:/run/tmpfiles.d:" \
			"/usr/local/lib/tmpfiles.d:/usr/lib/tmpfiles.d"

/* Where tmpfiles.d files are, in precedence order: overridable for the
 * tests, which may not write in /etc or /usr. */
const char *
tmpfiles_dirs(void)
{
	const char *d = getenv("GUARDIAND_TMPFILES_DIRS");

	return d && d[0] ? d : TMPFILES_DIRS;
}

void
tmpfiles_line_free(struct tmpfiles_line *tl)
{
	free(tl->path);
	free(tl->mode);
	free(tl->user);
	free(tl->group);
	free(tl->age);
	free(tl->arg);
	memset(tl, 0, sizeof(*tl));
}

/* The next word of *p (double or single quotes group, a backslash takes
 * the next character), into a new string; NULL at the end or out of
 * memory (*oom set). */
static char *
next_word(const char **p, bool *oom)
{
	const char *s = *p + strspn(*p, " \t");
	char *w, *o, q = 0;

	*oom = false;
	if (*s == '\0' || *s == '\n')
		return NULL;
	if ((w = o = malloc(strlen(s) + 1)) == NULL) {
		*oom = true;
		return NULL;
	}
	for (; *s && *s != '\n' && (q || (*s != ' ' && *s != '\t')); s++) {
		if (q && *s == q)
			q = 0;
		else if (!q && (*s == '"' || *s == '\''))
			q = *s;
		else if (*s == '\\' && s[1] && s[1] != '\n')
			*o++ = *++s;
		else
			*o++ = *s;
	}
	*o = '\0';
	*p = s;
	return w;
}

/* The first line of a file, trimmed, into buf ("" if none). */
static void
first_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

/*
 * The specifiers of tmpfiles.d(5) in s, for the system's instance: %% %t
 * (/run) %S (/var/lib) %C (/var/cache) %L (/var/log) %T (/tmp) %V
 * (/var/tmp) %E (/etc) %h (root's home) %H %l (the host name) %m
 * (machine-id) %b (boot id) %v (kernel release). A new string; NULL with
 * err set for an unknown one, or out of memory.
 */
static char *
expand(const char *s, char *err, size_t errlen)
{
	char *out = NULL, v[256];
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct utsname u;

	if (f == NULL) {
		fmt_err(err, errlen, "out of memory");
		return NULL;
	}
	for (; *s; s++) {
		if (*s != '%') {
			fputc(*s, f);
			continue;
		}
		switch (*++s) {
		case '%': snprintf(v, sizeof(v), "%%"); break;
		case 't': snprintf(v, sizeof(v), "/run"); break;
		case 'S': snprintf(v, sizeof(v), "/var/lib"); break;
		case 'C': snprintf(v, sizeof(v), "/var/cache"); break;
		case 'L': snprintf(v, sizeof(v), "/var/log"); break;
		case 'T': snprintf(v, sizeof(v), "/tmp"); break;
		case 'V': snprintf(v, sizeof(v), "/var/tmp"); break;
		case 'E': snprintf(v, sizeof(v), "/etc"); break;
		case 'h': snprintf(v, sizeof(v), "/root"); break;
		case 'H':
		case 'l':
			if (gethostname(v, sizeof(v)) < 0)
				v[0] = '\0';
			v[sizeof(v) - 1] = '\0';
			if (*s == 'l')
				v[strcspn(v, ".")] = '\0';
			break;
		case 'm':
			first_line("/etc/machine-id", v, sizeof(v));
			break;
		case 'b':
			first_line("/proc/sys/kernel/random/boot_id", v,
			    sizeof(v));
			for (char *r = v, *w = v;; r++)	/* without dashes */
				if (*r != '-' && (*w++ = *r) == '\0')
					break;
			break;
		case 'v':
			snprintf(v, sizeof(v), "%s", uname(&u) == 0 ?
			    u.release : "");
			break;
		default:
			fclose(f);
			free(out);
			fmt_err(err, errlen, "unknown specifier %%%c", *s ? *s :
			    ' ');
			return NULL;
		}
		fputs(v, f);
	}
	if (fclose(f) != 0) {
		free(out);
		fmt_err(err, errlen, "out of memory");
		return NULL;
	}
	return out;
}

/*
 * Reads one line of a tmpfiles.d file into tl: 1 an entry, 0 nothing (a
 * comment, an empty line), -1 with err (a line tmpfiles would refuse too).
 * Fields past the path may be left out or "-"; the argument is the rest
 * of the line.
 */
int
tmpfiles_parse_line(const char *line, struct tmpfiles_line *tl, char *err,
    size_t errlen)
{
	char *w[TMPFILES_FIELDS] = { NULL }, *path;
	const char *p = line;
	bool oom = false;
	int n;

	memset(tl, 0, sizeof(*tl));
	p += strspn(p, " \t");
	if (*p == '\0' || *p == '\n' || *p == '#')
		return 0;
	for (n = 0; n < TMPFILES_FIELDS; n++)
		if ((w[n] = next_word(&p, &oom)) == NULL)
			break;
	if (oom) {
		fmt_err(err, errlen, "out of memory");
		goto fail;
	}
	if (n < 2) {
		fmt_err(err, errlen, "no path");
		goto fail;
	}
	tl->type = w[0][0];
	for (const char *m = w[0] + 1; *m; m++)
		switch (*m) {
		case '-': tl->minus = true; break;
		case '!': tl->bang = true; break;
		case '=': tl->equals = true; break;
		case '+': tl->plus = true; break;
		case '~':
		case '^':
		case '$':
		case '?':
			break;	/* meant for types not made here */
		default:
			fmt_err(err, errlen, "unknown modifier '%c' in \"%s\"",
			    *m, w[0]);
			goto fail;
		}
	if (!isalpha((unsigned char)tl->type)) {
		fmt_err(err, errlen, "unknown type \"%s\"", w[0]);
		goto fail;
	}
	if ((path = expand(w[1], err, errlen)) == NULL)
		goto fail;
	if (path[0] != '/') {
		fmt_err(err, errlen, "\"%s\" is not an absolute path", path);
		free(path);
		goto fail;
	}
	tl->path = path;
	for (int i = 2; i < n; i++)
		if (strcmp(w[i], "-") == 0) {
			free(w[i]);
			w[i] = NULL;
		}
	tl->mode = w[2];
	tl->user = w[3];
	tl->group = w[4];
	tl->age = w[5];
	w[2] = w[3] = w[4] = w[5] = NULL;
	p += strspn(p, " \t");
	if (n == TMPFILES_FIELDS && *p && *p != '\n') {
		char a[PATH_MAX * 2];

		snprintf(a, sizeof(a), "%.*s", (int)strcspn(p, "\n"), p);
		if ((tl->arg = expand(a, err, errlen)) == NULL)
			goto fail;
	}
	free(w[0]);
	free(w[1]);
	return 1;
fail:
	for (int i = 0; i < TMPFILES_FIELDS; i++)
		free(w[i]);
	tmpfiles_line_free(tl);
	return -1;
}

/* Whether entry (a tmpfiles.d path) is path or one of its parents; /var/run
 * counts as /run, its link. */
static bool
covers(const char *entry, const char *path)
{
	size_t n;

	if (strncmp(entry, "/var/run/", 9) == 0)
		entry += 4;
	if (strncmp(path, "/var/run/", 9) == 0)
		path += 4;
	n = strlen(entry);
	while (n > 1 && entry[n - 1] == '/')
		n--;
	return strncmp(entry, path, n) == 0 && (path[n] == '\0' ||
	    path[n] == '/' || n == 1);
}

/* Whether a d, D, f or L line of the file covers one of paths. */
static bool
file_covers(const char *file, const char *const *paths)
{
	struct tmpfiles_line tl;
	char *line = NULL, err[256];
	size_t n = 0;
	bool found = false;
	FILE *f = fopen(file, "re");

	if (f == NULL)
		return false;
	while (!found && getline(&line, &n, f) > 0) {
		if (tmpfiles_parse_line(line, &tl, err, sizeof(err)) <= 0)
			continue;
		if (strchr("dDfL", tl.type) != NULL)
			for (const char *const *p = paths; *p && !found; p++)
				found = (*p)[0] == '/' && covers(tl.path, *p);
		tmpfiles_line_free(&tl);
	}
	free(line);
	fclose(f);
	return found;
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * For the unit mapping: the names of the tmpfiles.d files (those that
 * count, as tmpfiles.d(5) picks them by name) with a d, D, f or L entry
 * equal to or a parent of one of paths (a unit's PIDFile, its
 * RuntimeDirectory under /run, the absolute words of its Exec lines): so
 * memcached.conf for /run/memcached/memcached.pid. Into *names, sorted and
 * NULL-terminated (empty if none); 0, or -1 out of memory.
 */
int
tmpfiles_for_paths(const char *const *paths, char ***names)
{
	const char *d = tmpfiles_dirs();
	char **seen = NULL, **out = NULL, *file;
	size_t nseen = 0, nout = 0;
	int r = -1;

	*names = NULL;
	if ((out = calloc(1, sizeof(*out))) == NULL)
		return -1;
	for (; *d; d += strcspn(d, ":") + (d[strcspn(d, ":")] == ':')) {
		char dir[PATH_MAX];
		struct dirent *de;
		DIR *dp;

		snprintf(dir, sizeof(dir), "%.*s", (int)strcspn(d, ":"), d);
		if (dir[0] == '\0' || (dp = opendir(dir)) == NULL)
			continue;
		while ((de = readdir(dp)) != NULL) {
			size_t l = strlen(de->d_name);
			bool dup = false;
			char **v;

			if (l <= 5 || strcmp(de->d_name + l - 5, ".conf") != 0 ||
			    de->d_name[0] == '.')
				continue;
			for (size_t i = 0; i < nseen && !dup; i++)
				dup = strcmp(seen[i], de->d_name) == 0;
			if (dup)	/* an earlier directory's file wins */
				continue;
			if ((v = realloc(seen, (nseen + 1) * sizeof(*v))) == NULL ||
			    (v[nseen] = strdup(de->d_name)) == NULL) {
				seen = v ? v : seen;
				closedir(dp);
				goto out;
			}
			seen = v;
			nseen++;
			if (asprintf(&file, "%s/%s", dir, de->d_name) < 0) {
				closedir(dp);
				goto out;
			}
			if (file_covers(file, paths)) {
				if ((v = realloc(out, (nout + 2) *
				    sizeof(*v))) == NULL ||
				    (v[nout] = strdup(de->d_name)) == NULL) {
					out = v ? v : out;
					free(file);
					closedir(dp);
					goto out;
				}
				out = v;
				out[++nout] = NULL;
			}
			free(file);
		}
		closedir(dp);
	}
	qsort(out, nout, sizeof(*out), name_cmp);
	*names = out;
	out = NULL;
	r = 0;
out:
	config_free_words(out);
	for (size_t i = 0; i < nseen; i++)
		free(seen[i]);
	free(seen);
	return r;
}
