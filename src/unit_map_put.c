/*
 * unit_map_put.c: what every file of the mapping of a unit onto a service
 * uses: a key set as if written in the section, the unit's error, a word
 * quoted for guardiand's splitter and for sh, the unit directories. The
 * bottom of the mapping's files: it uses none of them.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "unit_map.h"

/* The unit's error, "file:line: Key=value: why"; the first one is kept. */
void
umap_fail(struct map *m, const struct unit_value *v, const char *fmt, ...)
{
	char why[MAP_MSG_MAX];
	va_list ap;

	if (m->failed)
		return;
	m->failed = true;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (v != NULL)
		snprintf(m->err, m->errlen, "%s:%u: %s=%.*s: %s", v->file,
		    v->line, v->key, UNIT_QUOTE_MAX, v->value, why);
	else
		snprintf(m->err, m->errlen, "%s: %s", m->u->path, why);
}

/*
 * Sets key to value as if the section said so, unless the section did; a
 * key this build does not have leaves the directive not honoured.
 */
int
umap_put(struct map *m, const struct unit_value *v, const char *key,
    const char *value)
{
	const struct config_key *k = config_key_find(key, KEY_SERVICE);
	char err[MAP_MSG_MAX];

	if (k == NULL) {
		if (buf_printf(&m->unknown, "%s%s", m->unknown.len ? ", " : "",
		    v->key) == -1)
			umap_fail(m, v, "out of memory");
		return 0;
	}
	if (m->given != NULL && m->given[k - config_keys] != 0) {
		log_debug("%s: %s=%s: not applied, the section sets %s",
		    m->sc->name, v->key, v->value, key);
		return 0;
	}
	if (config_key_set(k, m->sc, value, err, sizeof(err)) == -1) {
		umap_fail(m, v, "%s = %s: %s", key, value, err);
		return -1;
	}
	log_debug("%s: %s=%s -> %s = %s", m->sc->name, v->key, v->value, key,
	    value);
	return 0;
}

/* One word for sh and for guardiand's splitter alike (values.c): single
 * quotes where needed; the $MAINPID marker as "$MAINPID", for sh. */
int
umap_sh_word(struct buf *b, const char *w)
{
	if (*w != '\0' && strpbrk(w, " \t'\"\\$`;&|<>()*?[]{}~#\x01") == NULL)
		return buf_add(b, w, strlen(w));
	if (strcmp(w, "\x01") == 0)
		return buf_add(b, "\"$MAINPID\"", 10);
	if (buf_addc(b, '\'') == -1)
		return -1;
	for (; *w; w++) {
		int r = *w == '\x01' ? buf_add(b, "'\"$MAINPID\"'", 12) :
		    *w == '\'' ? buf_add(b, "'\\''", 4) : buf_addc(b, *w);

		if (r == -1)
			return -1;
	}
	return buf_addc(b, '\'');
}

/* Where units are looked for: $SYSTEMD_UNIT_PATH (colon-separated, as
 * systemd reads it) or systemd's own list. */
char **
umap_dirs(void)
{
	const char *env = getenv("SYSTEMD_UNIT_PATH");
	char **v = NULL, *copy, *save = NULL;
	size_t n = 0;

	if (env == NULL || *env == '\0')
		return NULL;
	if ((copy = strdup(env)) == NULL)
		return NULL;
	for (char *d = strtok_r(copy, ":", &save); d != NULL;
	    d = strtok_r(NULL, ":", &save))
		if (env_put(&v, &n, d) == -1)
			break;
	free(copy);
	return v;
}

bool
umap_suffix(const char *s, const char *suffix)
{
	size_t l = strlen(s), ls = strlen(suffix);

	return l > ls && strcmp(s + l - ls, suffix) == 0;
}
