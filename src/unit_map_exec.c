/*
 * unit_map_exec.c: Exec lines of a unit as guardiand commands: the
 * program found, $VAR expanded from the unit's environment, words quoted
 * for guardiand's splitter; a command that needs $MAINPID runs under sh,
 * which expands it when it runs; ExecReload's `kill -HUP $MAINPID` is
 * reload_signal.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "unit_map.h"

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

/*
 * One command of an Exec line, its words as sh reads them (sh_word), into
 * b; *runtime: it needs $MAINPID, known only when it runs. $VAR and ${VAR}
 * are expanded now, from the unit's environment (doc/units.md says why).
 */
static int
exec_words(struct map *m, const struct unit_value *v,
    const struct unit_exec *ex, struct buf *b, bool *runtime)
{
	static char env_mainpid[] = "MAINPID=\x01";	/* no unit holds \x01 */
	char err[MAP_MSG_MAX], **argv, *path = NULL, **env;
	size_t n = config_nwords(m->env);
	int r = 0;

	if ((env = calloc(n + 2, sizeof(*env))) == NULL) {
		umap_fail(m, v, "out of memory");
		return -1;
	}
	if (n > 0)
		memcpy(env, m->env, n * sizeof(*env));
	env[n] = env_mainpid;
	argv = unit_exec_expand(ex, (const char *const *)env, err, sizeof(err));
	free(env);
	if (argv == NULL) {
		umap_fail(m, v, "%s", err);
		return -1;
	}
	if (ex->path[0] != '/' &&
	    (path = unit_exec_find(ex->path, err, sizeof(err))) == NULL) {
		umap_fail(m, v, "%s", err);
		unit_strv_free(argv);
		return -1;
	}
	if (ex->flags.argv0 && strcmp(argv[0], path ? path : ex->path) != 0)
		log_debug("%s: %s=%s: argv[0] \"%s\" not honoured: it is the "
		    "program's path", m->sc->name, v->key, v->value, argv[0]);
	*runtime = false;
	for (size_t i = 0; argv[i] && r == 0; i++) {
		const char *w = i == 0 ? (path ? path : ex->path) : argv[i];

		if (strchr(w, '\x01') != NULL)
			*runtime = true;
		r = (i > 0 && buf_addc(b, ' ') == -1) || umap_sh_word(b, w) ? -1 : 0;
	}
	if (r == -1)
		umap_fail(m, v, "out of memory");
	free(path);
	unit_strv_free(argv);
	return r;
}

/* sh text as a guardiand command: /bin/sh -c 'TEXT'. */
static char *
sh_command(const char *text)
{
	struct buf b = { 0 };

	if (buf_add(&b, "/bin/sh -c ", 11) == -1 ||
	    umap_sh_word(&b, text) == -1 || buf_addc(&b, '\0') == -1) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* One command of an Exec line as guardiand's command text; one that
 * needs $MAINPID is `sh -c 'exec ...'`, which expands it when it runs. */
static char *
exec_text(struct map *m, const struct unit_value *v,
    const struct unit_exec *ex)
{
	struct buf b = { 0 };
	bool runtime;
	char *text;

	if (buf_add(&b, "exec ", 5) == -1) {
		umap_fail(m, v, "out of memory");
		return NULL;
	}
	if (exec_words(m, v, ex, &b, &runtime) == -1 ||
	    buf_addc(&b, '\0') == -1) {
		free(b.s);
		return NULL;
	}
	if (!runtime) {
		memmove(b.s, b.s + 5, strlen(b.s + 5) + 1);
		return b.s;
	}
	if ((text = sh_command(b.s)) == NULL)
		umap_fail(m, v, "out of memory");
	free(b.s);
	return text;
}

/* Exec lines into a list key (start_pre...): "-" and "+" kept as prefixes
 * ("!" and "!!" run it as root too: guardiand has no sandbox to keep). */
static int
put_exec(struct map *m, const struct unit_value *v, const char *key,
    const struct unit_exec *ex)
{
	for (; ex != NULL; ex = ex->next) {
		char *text, *val;
		int r;

		if ((text = exec_text(m, v, ex)) == NULL)
			return -1;
		if (asprintf(&val, "%s%s%s", ex->flags.ignore_failure ? "-" : "",
		    ex->flags.privileged || ex->flags.no_setuid ? "+" : "",
		    text) == -1) {
			free(text);
			umap_fail(m, v, "out of memory");
			return -1;
		}
		r = umap_put(m, v, key, val);
		free(val);
		free(text);
		if (r == -1)
			return -1;
	}
	return 0;
}

static struct unit_exec *
parse_exec(struct map *m, const struct unit_value *v)
{
	char err[MAP_MSG_MAX];
	struct unit_exec *ex;

	err[0] = '\0';
	ex = unit_exec_parse(m->u, v, NULL, NULL, err, sizeof(err));
	if (ex == NULL && err[0] != '\0') {
		if (!m->failed)
			snprintf(m->err, m->errlen, "%s", err);
		m->failed = true;
	}
	return ex;
}

/* ExecStart=: the first command is the service's; a oneshot's others run
 * after it, as start_post. */
int
umap_exec_start(struct map *m, const struct unit_value *v, const char *value)
{
	struct unit_exec *ex;
	char *text;
	int r;

	(void)value;
	if ((ex = parse_exec(m, v)) == NULL)
		return m->failed ? -1 : 0;
	if (m->sc->argv != NULL && (m->given == NULL ||
	    m->given[config_key_find("command", KEY_SERVICE) - config_keys] == 0)) {
		r = put_exec(m, v, "start_post", ex);	/* a oneshot's next */
		unit_exec_free(ex);
		return r;
	}
	if (ex->flags.privileged || ex->flags.no_setuid)
		log_warnx("%s: %s:%u: %s: the prefix \"+\"/\"!\" is not honoured "
		    "for the main command: it runs as User=", m->sc->name, v->file,
		    v->line, v->key);
	if ((text = exec_text(m, v, ex)) == NULL) {
		unit_exec_free(ex);
		return -1;
	}
	r = umap_put(m, v, "command", text);
	if (r == 0 && ex->flags.ignore_failure)
		r = umap_put(m, v, "success_exit_status",
		    "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 "
		    "21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 "
		    "40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 "
		    "60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 "
		    "80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 "
		    "100 101 102 103 104 105 106 107 108 109 110 111 112 113 114 "
		    "115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 "
		    "130 131 132 133 134 135 136 137 138 139 140 141 142 143 144 "
		    "145 146 147 148 149 150 151 152 153 154 155 156 157 158 159 "
		    "160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 "
		    "175 176 177 178 179 180 181 182 183 184 185 186 187 188 189 "
		    "190 191 192 193 194 195 196 197 198 199 200 201 202 203 204 "
		    "205 206 207 208 209 210 211 212 213 214 215 216 217 218 219 "
		    "220 221 222 223 224 225 226 227 228 229 230 231 232 233 234 "
		    "235 236 237 238 239 240 241 242 243 244 245 246 247 248 249 "
		    "250 251 252 253 254 255");
	free(text);
	if (r == 0 && ex->next != NULL)
		r = put_exec(m, v, "start_post", ex->next);
	unit_exec_free(ex);
	return r;
}

/* ExecReload=: `kill -HUP $MAINPID` (most units) is reload_signal; one
 * other command is reload_command; several run in order under sh. */
int
umap_reload(struct map *m, const struct unit_value *v, const char *value)
{
	struct unit_exec *ex;
	struct buf b = { 0 };
	const char *base;
	char *text;
	int r = 0, sig = 0;

	(void)value;
	if ((ex = parse_exec(m, v)) == NULL)
		return m->failed ? -1 : 0;
	base = strrchr(ex->path, '/') ? strrchr(ex->path, '/') + 1 : ex->path;
	if (ex->next == NULL && strcmp(base, "kill") == 0 &&
	    unit_next(m->u, "Service", "ExecReload", v) == NULL &&
	    unit_next(m->u, "Service", "ExecReload", NULL) == v) {
		char **a = ex->argv;
		size_t n = ex->argc;

		if (n == 3 && a[1][0] == '-' &&
		    (strcmp(a[2], "$MAINPID") == 0 ||
		    strcmp(a[2], "${MAINPID}") == 0))
			sig = config_parse_signal(a[1] + 1);
		else if (n == 4 && (strcmp(a[1], "-s") == 0 ||
		    strcmp(a[1], "--signal") == 0) &&
		    (strcmp(a[3], "$MAINPID") == 0 ||
		    strcmp(a[3], "${MAINPID}") == 0))
			sig = config_parse_signal(a[2]);
	}
	if (sig > 0) {
		unit_exec_free(ex);
		return umap_put(m, v, "reload_signal", config_signal_name(sig));
	}
	/* every ExecReload line: one command, or sh running each in turn */
	int ncmd = 0;
	bool runtime = false;
	for (const struct unit_value *rv = unit_next(m->u, "Service",
	    "ExecReload", NULL); rv != NULL && r == 0;
	    rv = unit_next(m->u, "Service", "ExecReload", rv)) {
		struct unit_exec *e = rv == v ? ex : parse_exec(m, rv);

		if (e == NULL && m->failed)
			r = -1;
		for (struct unit_exec *c = e; c && r == 0; c = c->next) {
			bool rt = false;

			if ((ncmd > 0 && buf_add(&b, " && ", 4) == -1) ||
			    (c->flags.ignore_failure && buf_addc(&b, '(')) ||
			    exec_words(m, rv, c, &b, &rt) == -1 ||
			    (c->flags.ignore_failure &&
			    buf_add(&b, " || true)", 9) == -1))
				r = -1;
			runtime |= rt;
			ncmd++;
		}
		if (e != ex)
			unit_exec_free(e);
	}
	unit_exec_free(ex);
	if (r == 0 && ncmd > 0 && buf_addc(&b, '\0') == 0) {
		if (ncmd == 1 && !runtime && b.s[0] != '(')
			r = umap_put(m, v, "reload_command", b.s);
		else if ((text = sh_command(b.s)) != NULL) {
			r = umap_put(m, v, "reload_command", text);
			free(text);
		} else
			r = -1;
	}
	free(b.s);
	return r;
}

/* One Exec line into a list key (start_pre...). */
int
umap_exec(struct map *m, const struct unit_value *v, const char *key)
{
	struct unit_exec *ex = parse_exec(m, v);
	int r = 0;

	if (ex != NULL)
		r = put_exec(m, v, key, ex);
	unit_exec_free(ex);
	return m->failed ? -1 : r;
}
