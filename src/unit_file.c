/*
 * unit_file.c: finding a systemd unit file and its drop-ins, and reading
 * them into a struct unit, as systemd does it (doc/units.md):
 * systemd.unit(5) "UNIT FILE LOAD PATH" and "Drop-in", src/shared/
 * conf-parser.c (lines, comments, continuations), src/core/load-dropin.c
 * and src/shared/dropin.c (which .d directories, which file wins).
 *
 * Nothing here interprets a value: every assignment is kept with its file
 * and line, and the mapping step decides what each key means.
 */
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

const char *const unit_default_dirs[] = {
	"/etc/systemd/system",
	"/run/systemd/system",
	"/lib/systemd/system",
	"/usr/lib/systemd/system",
	NULL
};

/* The unit types systemd knows; a name must end in one. */
static const char *const unit_types[] = {
	"service", "socket", "target", "device", "mount", "automount", "swap",
	"timer", "path", "slice", "scope", NULL
};

static const char UNIT_NAME_CHARS[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:-_.\\";

static const char *
type_of(const char *name)
{
	const char *dot = strrchr(name, '.');

	if (dot == NULL)
		return NULL;
	for (size_t i = 0; unit_types[i] != NULL; i++)
		if (strcmp(dot + 1, unit_types[i]) == 0)
			return dot;
	return NULL;
}

/*
 * systemd's unit_name_is_valid(): prefix[@instance].type, the prefix not
 * empty, only UNIT_NAME_CHARS (and one '@'), shorter than UNIT_NAME_MAX;
 * so a name never holds a '/' and cannot leave the unit directories.
 */
bool
unit_name_valid(const char *name)
{
	const char *dot, *at;
	size_t n = strlen(name);

	if (n == 0 || n >= UNIT_NAME_MAX || (dot = type_of(name)) == NULL)
		return false;
	at = strchr(name, '@');
	if (at != NULL && (at > dot || strchr(at + 1, '@') != NULL))
		return false;
	if ((at != NULL ? at : dot) == name)
		return false;
	for (const char *p = name; p < dot; p++)
		if (*p != '@' && strchr(UNIT_NAME_CHARS, *p) == NULL)
			return false;
	return true;
}

/* "foo@bar.service": its template "foo@.service" and instance "bar". */
static int
split_instance(const char *name, char *tmpl, size_t len, char **instance)
{
	const char *at = strchr(name, '@'), *dot = type_of(name);

	*instance = NULL;
	if (at == NULL || dot == NULL || at + 1 == dot)
		return 0;
	if ((size_t)snprintf(tmpl, len, "%.*s@%s", (int)(at - name), name,
	    dot) >= len)
		return -1;
	if ((*instance = strndup(at + 1, (size_t)(dot - at - 1))) == NULL)
		return -1;
	return 1;
}

static bool
is_template(const char *name)
{
	const char *at = strchr(name, '@');

	return at != NULL && at[1] == '.';
}

/* Whether p is masked: a symlink to /dev/null, /dev/null itself, or an
 * empty regular file (systemd's null_or_empty_path()). */
static bool
masked(const char *p)
{
	struct stat st;

	if (stat(p, &st) != 0)
		return false;
	if (S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
	    minor(st.st_rdev) == 3)
		return true;
	return S_ISREG(st.st_mode) && st.st_size == 0;
}

static void
dirs_text(const char *const *dirs, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; dirs[i] != NULL && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "",
		    dirs[i]);
}

/*
 * One step of the search: cur in the first dir that has it. A regular
 * file is the fragment; a symlink to /dev/null masks; a symlink to another
 * name is an alias (systemd resolves its target by name, through the whole
 * search path again); a symlink to the same name elsewhere is a linked
 * unit file (systemctl link). 1 found (*path or *alias set), 0 none, -1.
 */
static int
find_step(const char *cur, const char *const *dirs, char **path,
    char **alias, char *err, size_t errlen)
{
	char p[PATH_MAX], target[PATH_MAX];
	struct stat st;
	mode_t lst_mode;
	ssize_t n;
	const char *base;

	*path = *alias = NULL;
	for (size_t i = 0; dirs[i] != NULL; i++) {
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dirs[i], cur) >=
		    sizeof(p))
			continue;
		if (lstat(p, &st) != 0)
			continue;
		lst_mode = st.st_mode;
		if (S_ISLNK(st.st_mode)) {
			if ((n = readlink(p, target, sizeof(target) - 1)) < 0)
				continue;
			target[n] = '\0';
			if (strcmp(target, "/dev/null") == 0 ||
			    (stat(p, &st) == 0 && S_ISCHR(st.st_mode))) {
				fmt_err(err, errlen, "unit %s is masked (%s -> %s)",
				    cur, p, target);
				return -1;
			}
			base = strrchr(target, '/');
			base = base ? base + 1 : target;
			if (strcmp(base, cur) != 0) {
				if (!unit_name_valid(base) ||
				    strcmp(type_of(base), type_of(cur)) != 0) {
					fmt_err(err, errlen, "%s: alias of %s to "
					    "\"%s\", not a unit of its type", p,
					    cur, base);
					return -1;
				}
				if ((*alias = strdup(base)) == NULL)
					goto nomem;
				return 1;
			}
		}
		if (stat(p, &st) != 0) {
			fmt_err(err, errlen, "%s: %s", p, strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			fmt_err(err, errlen, "%s: not a regular file", p);
			return -1;
		}
		if (st.st_size == 0) {
			fmt_err(err, errlen, "unit %s is masked (%s is empty)",
			    cur, p);
			return -1;
		}
		/* a linked unit file is read, and known (%y), where it is */
		if (S_ISLNK(lst_mode) ? (*path = realpath(p, NULL)) == NULL :
		    (*path = strdup(p)) == NULL)
			goto nomem;
		return 1;
	}
	return 0;
nomem:
	fmt_err(err, errlen, "out of memory");
	return -1;
}

/*
 * The fragment for name: its own file, through aliases, else for an
 * instance its template's (systemd.unit(5): "foo@bar.service" without a
 * file of its own is "foo@.service" with instance "bar"). names, if not
 * NULL, receives every name passed through (for their drop-ins).
 */
static int
find(const char *name, const char *const *dirs, char **path, char **id,
    char **instance, char **names, size_t *nnames, char *err, size_t errlen)
{
	char cur[UNIT_NAME_MAX], tmpl[UNIT_NAME_MAX], where[1024];
	char *alias, *inst = NULL, *inst2;
	int r, hops = 0;

	*path = *id = *instance = NULL;
	if (!unit_name_valid(name)) {
		fmt_err(err, errlen, "\"%s\" is not a valid unit name", name);
		return -1;
	}
	if (dirs == NULL)
		dirs = unit_default_dirs;
	snprintf(cur, sizeof(cur), "%s", name);
	for (;;) {
		if (names != NULL && *nnames < UNIT_ALIAS_MAX + 2 &&
		    (names[*nnames] = strdup(cur)) != NULL)
			(*nnames)++;
		if ((r = find_step(cur, dirs, path, &alias, err, errlen)) < 0)
			goto fail;
		if (r > 0 && alias == NULL)
			break;
		if (r > 0) {
			/* An instance linked to its template keeps its
			 * instance: foo@bar.service -> foo@.service. */
			if (is_template(alias) && inst == NULL &&
			    split_instance(cur, tmpl, sizeof(tmpl), &inst) < 0) {
				free(alias);
				goto nomem;
			}
			snprintf(cur, sizeof(cur), "%s", alias);
			free(alias);
		} else if (inst == NULL && (r = split_instance(cur, tmpl,
		    sizeof(tmpl), &inst)) != 0) {
			if (r < 0)
				goto nomem;
			snprintf(cur, sizeof(cur), "%s", tmpl);
		} else {
			dirs_text(dirs, where, sizeof(where));
			fmt_err(err, errlen, "unit %s not found in %s", cur,
			    where);
			goto fail;
		}
		if (++hops > UNIT_ALIAS_MAX) {
			fmt_err(err, errlen, "unit %s: more than %d aliases in "
			    "a row", name, UNIT_ALIAS_MAX);
			goto fail;
		}
	}
	if (inst == NULL && split_instance(cur, tmpl, sizeof(tmpl), &inst) < 0)
		goto nomem;
	if (inst != NULL && is_template(cur)) {
		/* the id of an instance: the template's prefix, our instance */
		const char *at = strchr(cur, '@');

		if (snprintf(tmpl, sizeof(tmpl), "%.*s@%s%s", (int)(at - cur),
		    cur, inst, at + 1) >= (int)sizeof(tmpl))
			goto nomem;
		*id = strdup(tmpl);
	} else {
		if (is_template(cur)) {
			fmt_err(err, errlen, "%s is a template: name an "
			    "instance, %.*s@NAME%s", cur,
			    (int)(strchr(cur, '@') - cur), cur, type_of(cur));
			goto fail;
		}
		inst2 = inst;
		inst = NULL;
		free(inst2);
		if (split_instance(cur, tmpl, sizeof(tmpl), &inst) < 0)
			goto nomem;
		*id = strdup(cur);
	}
	if (*id == NULL)
		goto nomem;
	*instance = inst;
	return 0;
nomem:
	fmt_err(err, errlen, "out of memory");
fail:
	free(inst);
	free(*path);
	free(*id);
	*path = *id = NULL;
	return -1;
}

int
unit_find(const char *name, const char *const *dirs, char **path, char **id,
    char **instance, char *err, size_t errlen)
{
	return find(name, dirs, path, id, instance, NULL, NULL, err, errlen);
}

/* Reads a whole file, refusing what is not a regular file or is larger
 * than UNIT_FILE_MAX; O_NONBLOCK so that a FIFO cannot hang us. */
static char *
read_all(const char *path, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	char *buf = NULL;
	size_t n = 0, cap;
	ssize_t r;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0) {
		fmt_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		fmt_err(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	if (st.st_size > UNIT_FILE_MAX) {
		fmt_err(err, errlen, "%s: larger than %d bytes", path,
		    UNIT_FILE_MAX);
		goto fail;
	}
	/* one byte more than its size: a file that grew since fstat() is
	 * noticed, and never read past the limit */
	cap = (size_t)st.st_size + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		fmt_err(err, errlen, "out of memory");
		goto fail;
	}
	while (n < cap && (r = read(fd, buf + n, cap - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fmt_err(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		n += (size_t)r;
	}
	if (n > (size_t)st.st_size) {
		fmt_err(err, errlen, "%s: changed while read", path);
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	free(buf);
	close(fd);
	return NULL;
}

static int
cmp_base(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;

	return strcmp(strrchr(x, '/') + 1, strrchr(y, '/') + 1);
}

/*
 * Adds the *.conf files of dir to list, a name already there (from a
 * directory earlier in precedence) masking this one; a masked drop-in
 * (symlink to /dev/null, empty) stays in the list as a mask, marked by a
 * leading '!', and is not read. systemd's conf_files_list_strv() does the same.
 */
static int
add_dropins(const char *dir, char **list, size_t *n, char *err, size_t errlen)
{
	char p[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t len, i;

	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".conf") != 0)
			continue;
		for (i = 0; i < *n; i++)
			if (strcmp(strrchr(list[i], '/') + 1, de->d_name) == 0)
				break;
		if (i < *n)
			continue;
		if (*n >= UNIT_DROPINS_MAX) {
			fmt_err(err, errlen, "%s: more than %d drop-ins", dir,
			    UNIT_DROPINS_MAX);
			closedir(d);
			return -1;
		}
		if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir,
		    de->d_name) >= sizeof(p))
			continue;
		if (masked(p) && (list[*n] = malloc(strlen(p) + 2)) != NULL)
			sprintf(list[*n], "!%s", p);
		else
			list[*n] = strdup(p);
		if (list[*n] == NULL) {
			fmt_err(err, errlen, "out of memory");
			closedir(d);
			return -1;
		}
		(*n)++;
	}
	closedir(d);
	return 0;
}

/*
 * The drop-in directories of one name in one unit directory, in the order
 * systemd's unit_file_find_dirs() adds them: NAME.d, the template's
 * TEMPLATE.d for an instance, the dash-truncated prefixes "a-b-.service.d"
 * and "a-.service.d" for "a-b-c.service", and the type's "service.d".
 */
static int
dropin_dirs(const char *dir, const char *name, char **list, size_t *n,
    char *err, size_t errlen)
{
	char p[PATH_MAX], tmpl[UNIT_NAME_MAX], prefix[UNIT_NAME_MAX];
	char *inst = NULL, *dash;
	const char *type = type_of(name);

	if (snprintf(p, sizeof(p), "%s/%s.d", dir, name) < (int)sizeof(p) &&
	    add_dropins(p, list, n, err, errlen) < 0)
		return -1;
	if (split_instance(name, tmpl, sizeof(tmpl), &inst) > 0) {
		free(inst);
		if (snprintf(p, sizeof(p), "%s/%s.d", dir, tmpl) <
		    (int)sizeof(p) && add_dropins(p, list, n, err, errlen) < 0)
			return -1;
	} else if (strchr(name, '@') == NULL) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(type - name),
		    name);
		while ((dash = strrchr(prefix, '-')) != NULL) {
			dash[1] = '\0';
			if (dash != prefix && snprintf(p, sizeof(p), "%s/%s%s.d",
			    dir, prefix, type) < (int)sizeof(p) &&
			    add_dropins(p, list, n, err, errlen) < 0)
				return -1;
			dash[0] = '\0';
		}
	}
	if (snprintf(p, sizeof(p), "%s/%s.d", dir, type + 1) < (int)sizeof(p) &&
	    add_dropins(p, list, n, err, errlen) < 0)
		return -1;
	return 0;
}

static int
read_into(struct unit *u, const char *path, unit_warn_fn warn, void *arg,
    char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r;

	if ((text = read_all(path, &len, err, errlen)) == NULL)
		return -1;
	r = unit_parse_text(u, path, text, len, warn, arg, err, errlen);
	free(text);
	return r;
}

struct unit *
unit_load(const char *name, const char *const *dirs, unit_warn_fn warn,
    void *arg, char *err, size_t errlen)
{
	char *names[UNIT_ALIAS_MAX + 3], *list[UNIT_DROPINS_MAX];
	size_t nnames = 0, n = 0, i, j;
	struct unit *u;
	char *path, *id, *inst;

	if (dirs == NULL)
		dirs = unit_default_dirs;
	if (find(name, dirs, &path, &id, &inst, names, &nnames, err,
	    errlen) < 0) {
		u = NULL;
		goto out;
	}
	if (nnames < UNIT_ALIAS_MAX + 3 && (names[nnames] = strdup(id)) != NULL)
		nnames++;
	if ((u = unit_new(name)) == NULL) {
		free(path);
		free(id);
		free(inst);
		fmt_err(err, errlen, "out of memory");
		goto out;
	}
	u->path = path;
	free(u->id);
	u->id = id;
	u->instance = inst;
	if (read_into(u, path, warn, arg, err, errlen) < 0)
		goto fail;
	/* Every name's drop-ins, by directory precedence first (systemd's
	 * unit_file_find_dropin_paths()); a name met twice counts once. */
	for (i = 0; dirs[i] != NULL; i++)
		for (j = 0; j < nnames; j++) {
			size_t k;

			for (k = 0; k < j; k++)
				if (strcmp(names[k], names[j]) == 0)
					break;
			if (k == j && dropin_dirs(dirs[i], names[j], list, &n,
			    err, errlen) < 0)
				goto fail;
		}
	qsort(list, n, sizeof(*list), cmp_base);
	for (i = 0; i < n; i++)
		if (list[i][0] != '!' && read_into(u, list[i], warn, arg, err,
		    errlen) < 0)
			goto fail;
	goto out;
fail:
	unit_free(u);
	u = NULL;
out:
	for (i = 0; i < n; i++)
		free(list[i]);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	return u;
}

struct unit *
unit_new(const char *name)
{
	struct unit *u = calloc(1, sizeof(*u));

	if (u == NULL || (u->name = strdup(name)) == NULL ||
	    (u->id = strdup(name)) == NULL) {
		unit_free(u);
		return NULL;
	}
	return u;
}

void
unit_free(struct unit *u)
{
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < u->nv; i++) {
		free(u->v[i].key);
		free(u->v[i].value);
	}
	free(u->v);
	for (i = 0; i < u->nfiles; i++)
		free(u->files[i]);
	free(u->files);
	for (i = 0; i < u->nsections; i++)
		free(u->sections[i]);
	free(u->sections);
	free(u->name);
	free(u->id);
	free(u->instance);
	free(u->path);
	free(u);
}

const struct unit_value *
unit_get(const struct unit *u, const char *section, const char *key)
{
	for (size_t i = u->nv; i-- > 0; )
		if (strcmp(u->v[i].key, key) == 0 &&
		    strcmp(u->v[i].section, section) == 0)
			return &u->v[i];
	return NULL;
}

const struct unit_value *
unit_next(const struct unit *u, const char *section, const char *key,
    const struct unit_value *prev)
{
	size_t i = 0;

	if (prev == NULL) {
		/* start after the last reset */
		for (size_t k = u->nv; k-- > 0; )
			if (u->v[k].value[0] == '\0' &&
			    strcmp(u->v[k].key, key) == 0 &&
			    strcmp(u->v[k].section, section) == 0) {
				i = k + 1;
				break;
			}
	} else
		i = (size_t)(prev - u->v) + 1;
	for (; i < u->nv; i++)
		if (strcmp(u->v[i].key, key) == 0 &&
		    strcmp(u->v[i].section, section) == 0)
			return &u->v[i];
	return NULL;
}
