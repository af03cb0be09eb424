/*
 * unit_map_values.c: the directives of a unit whose values need more than
 * the key table's reading: time spans, Type=, the environment, the
 * working directory, PIDFile=, standard output, and the ones refused or
 * only noted.
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

/* systemd's time span (parse_sec): "90", "5s", "1min 30s", "infinity". */
int
umap_timespan_ms(const char *s, int64_t *ms)
{
	static const struct { const char *u; int64_t us; } units[] = {
		{ "usec", 1 }, { "us", 1 }, { "µs", 1 }, { "msec", 1000 },
		{ "ms", 1000 }, { "seconds", 1000000 }, { "second", 1000000 },
		{ "sec", 1000000 }, { "s", 1000000 }, { "minutes", 60000000 },
		{ "minute", 60000000 }, { "min", 60000000 }, { "m", 60000000 },
		{ "hours", 3600000000LL }, { "hour", 3600000000LL },
		{ "hr", 3600000000LL }, { "h", 3600000000LL },
		{ "days", 86400000000LL }, { "day", 86400000000LL },
		{ "d", 86400000000LL }, { "weeks", 604800000000LL },
		{ "week", 604800000000LL }, { "w", 604800000000LL },
	};
	double total = 0;
	bool any = false;

	while (isspace((unsigned char)*s))
		s++;
	if (strcmp(s, "infinity") == 0) {
		*ms = INT64_MAX;
		return 0;
	}
	while (*s != '\0') {
		char *end;
		double n;
		size_t i, ul;

		errno = 0;
		n = strtod(s, &end);
		if (end == s || errno != 0 || n < 0)
			return -1;
		s = end;
		while (isspace((unsigned char)*s))
			s++;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
			ul = strlen(units[i].u);
			if (strncmp(s, units[i].u, ul) == 0 &&
			    !isalpha((unsigned char)s[ul]))
				break;
		}
		if (i < sizeof(units) / sizeof(units[0])) {
			total += n * (double)units[i].us;
			s += ul;
		} else if (*s == '\0' || isdigit((unsigned char)*s) ||
		    isspace((unsigned char)*s))
			total += n * 1e6;	/* no unit: seconds */
		else
			return -1;
		while (isspace((unsigned char)*s))
			s++;
		any = true;
	}
	if (!any)
		return -1;
	*ms = total / 1000 > 9e15 ? INT64_MAX : (int64_t)(total / 1000);
	return 0;
}

/* A duration key from a time span: 0 and infinity mean "no limit" (24h). */
int
umap_put_duration(struct map *m, const struct unit_value *v, const char *key,
    const char *value)
{
	char buf[32];
	int64_t ms;

	if (umap_timespan_ms(value, &ms) == -1) {
		umap_fail(m, v, "not a time span");
		return -1;
	}
	if (ms == 0 && strcmp(key, "backoff_initial") == 0)
		ms = 1;
	else if (ms == 0 || ms > 24LL * 3600 * 1000) {
		if (strcmp(key, "watchdog") == 0)
			ms = 0;
		else
			ms = 24LL * 3600 * 1000;
	}
	snprintf(buf, sizeof(buf), "%lldms", (long long)ms);
	return umap_put(m, v, key, buf);
}

int
umap_timeout(struct map *m, const struct unit_value *v, const char *value)
{
	/* TimeoutSec= sets both, unless the unit also says which it means */
	if (unit_get(m->u, "Service", "TimeoutStartSec") == NULL &&
	    umap_put_duration(m, v, "ready_timeout", value) == -1)
		return -1;
	if (unit_get(m->u, "Service", "TimeoutStopSec") == NULL)
		return umap_put_duration(m, v, "stop_timeout", value);
	return 0;
}

int
umap_refuse_yes(struct map *m, const struct unit_value *v, const char *value)
{
	if (config_parse_bool(value) == 1) {
		umap_fail(m, v, "%s", strcmp(v->key, "DynamicUser") == 0 ?
		    "a user made up at each start is systemd's alone; give the "
		    "service a User=" : "a network namespace of its own is not "
		    "supported: the service would share the host's network");
		return -1;
	}
	return 0;
}

/* Said once with -v: what systemd does with it that guardiand does not. */
int
umap_note(struct map *m, const struct unit_value *v, const char *value)
{
	(void)value;
	log_debug("%s: %s=%s: not honoured (the start of one service "
	    "never stops another)", m->sc->name, v->key, v->value);
	return 0;
}

/* Restart= values that restart after some ways to end only. */
static bool
restart_abnormal(const struct unit *u)
{
	const struct unit_value *r = unit_get(u, "Service", "Restart");

	return r != NULL && (strcmp(r->value, "on-abnormal") == 0 ||
	    strcmp(r->value, "on-abort") == 0 ||
	    strcmp(r->value, "on-watchdog") == 0 ||
	    strcmp(r->value, "on-success") == 0);
}

/*
 * Restart=: no, always, on-failure as they are; on-abnormal, on-abort and
 * on-watchdog (a death by signal, a timeout, the watchdog: never an exit
 * code) as on-failure with every exit code but 0 preventing it; on-success
 * as always with the same codes and the unclean signals preventing it.
 * The unit's own RestartPreventExitStatus= is added to those.
 */
int
umap_restart(struct map *m, const struct unit_value *v, const char *value)
{
	struct buf b = { 0 };
	int r;

	if (strcmp(value, "no") == 0)
		return umap_put(m, v, "restart", "never");
	if (strcmp(value, "always") == 0 || strcmp(value, "on-failure") == 0)
		return umap_put(m, v, "restart", value);
	if (!restart_abnormal(m->u)) {
		umap_fail(m, v, "unknown value");
		return -1;
	}
	r = umap_put(m, v, "restart", strcmp(value, "on-success") == 0 ?
	    "always" : "on-failure");
	for (int c = 1; c < 256 && r == 0; c++)
		r = buf_printf(&b, "%s%d", c > 1 ? " " : "", c);
	if (r == 0 && strcmp(value, "on-success") == 0)
		r = buf_printf(&b, " QUIT ILL TRAP ABRT BUS FPE KILL USR1 SEGV "
		    "USR2 ALRM STKFLT CHLD CONT STOP TSTP TTIN TTOU URG XCPU "
		    "XFSZ VTALRM PROF WINCH IO PWR SYS");
	for (const struct unit_value *p = unit_next(m->u, "Service",
	    "RestartPreventExitStatus", NULL); p && r == 0;
	    p = unit_next(m->u, "Service", "RestartPreventExitStatus", p))
		r = buf_printf(&b, " %s", p->value);
	if (r == 0)
		r = umap_put(m, v, "restart_prevent_exit_status", b.s);
	else
		umap_fail(m, v, "out of memory");
	free(b.s);
	return r;
}

/* RestartPreventExitStatus=, unless Restart= took it in already. */
int
umap_restart_prevent(struct map *m, const struct unit_value *v,
    const char *value)
{
	if (restart_abnormal(m->u))
		return 0;
	return umap_put(m, v, "restart_prevent_exit_status", value);
}

/*
 * StartLimitBurst=: systemd stops restarting after that many starts within
 * StartLimitIntervalSec=; guardiand's nearest is give_up_after (that many
 * quick failures in a row, a quick one being shorter than healthy_after).
 * An interval of 0 turns the limit off: never give up.
 */
int
umap_start_limit(struct map *m, const struct unit_value *v,
    const char *value)
{
	const struct unit_value *iv = unit_get(m->u, "Unit",
	    "StartLimitIntervalSec");
	int64_t ms;

	if (iv == NULL)
		iv = unit_get(m->u, "Service", "StartLimitInterval");
	if (iv != NULL && umap_timespan_ms(iv->value, &ms) == 0 && ms == 0) {
		if (v == iv)
			return umap_put(m, v, "give_up_after", "0");
		return 0;
	}
	if (strncmp(v->key, "StartLimitBurst", 15) != 0)
		return 0;	/* the interval alone: guardiand's backoff */
	return umap_put(m, v, "give_up_after", value);
}

int
umap_type(struct map *m, const struct unit_value *v, const char *value)
{
	if (strcmp(value, "simple") == 0 || strcmp(value, "exec") == 0 ||
	    strcmp(value, "idle") == 0 || value[0] == '\0')
		return umap_put(m, v, "type", "simple");
	if (strcmp(value, "forking") == 0)
		return umap_put(m, v, "type", "forking");
	if (strcmp(value, "oneshot") == 0)
		return umap_put(m, v, "type", "oneshot");
	if (strcmp(value, "notify") == 0) {
		if (umap_put(m, v, "type", "simple") == -1)
			return -1;
		return umap_put(m, v, "ready", "notify");
	}
	if (strcmp(value, "dbus") == 0) {
		log_warnx("%s: %s:%u: Type=dbus is run as Type=simple (no bus "
		    "name is watched: the service counts as ready once started)",
		    m->sc->name, v->file, v->line);
		return umap_put(m, v, "type", "simple");
	}
	umap_fail(m, v, "%s", strcmp(value, "notify-reload") == 0 ?
	    "Type=notify-reload is systemd 253's; not supported" :
	    "unknown Type=");
	return -1;
}

/* Environment=: systemd's quoting, each word one KEY=VALUE. */
int
umap_env(struct map *m, const struct unit_value *v, const char *value)
{
	char **w = NULL, err[MAP_MSG_MAX];
	struct buf b = { 0 };
	int n, r = 0;

	if ((n = unit_split_words(value, true, &w, err, sizeof(err))) < 0) {
		umap_fail(m, v, "%s", err);
		return -1;
	}
	for (int i = 0; i < n && r == 0; i++) {
		size_t nenv = config_nwords(m->env);

		b.len = 0;
		if (umap_sh_word(&b, w[i]) == -1 || buf_addc(&b, '\0') == -1 ||
		    env_put(&m->env, &nenv, w[i]) == -1) {
			umap_fail(m, v, "out of memory");
			r = -1;
		} else
			r = umap_put(m, v, "environment", b.s);
	}
	free(b.s);
	unit_strv_free(w);
	return r;
}

/* EnvironmentFile=, every line of the unit as one value; the files are
 * read now too, for $VAR in Exec lines (a file's values win over
 * Environment='s, as in systemd). */
int
umap_envfile(struct map *m, const struct unit_value *v, const char *value)
{
	char err[MAP_MSG_MAX], **fe, **w = NULL;
	int nw;

	if (config_split_words(value, &w, err, sizeof(err)) < 0) {
		umap_fail(m, v, "%s", err);
		return -1;
	}
	nw = (int)config_nwords(w);
	for (int i = 0; i < nw; i++) {
		const char *path = w[i] + (w[i][0] == '-');
		size_t n;

		if ((fe = config_read_env_file(path, err, sizeof(err))) == NULL) {
			if (w[i][0] != '-' || errno != ENOENT)
				log_debug("%s: %s", m->sc->name, err);
			continue;
		}
		n = config_nwords(m->env);
		for (char **e = fe; *e; e++)
			if (env_put(&m->env, &n, *e) == -1) {
				config_free_words(fe);
				config_free_words(w);
				umap_fail(m, v, "out of memory");
				return -1;
			}
		config_free_words(fe);
	}
	config_free_words(w);
	return umap_put(m, v, "environment_file", value);
}

int
umap_workdir(struct map *m, const struct unit_value *v, const char *value)
{
	const char *dir = value + (value[0] == '-');
	struct passwd *pw;
	struct stat st;

	if (strcmp(dir, "~") == 0) {
		const char *user = m->sc->user ? m->sc->user : "root";

		if ((pw = getpwnam(user)) == NULL) {
			umap_fail(m, v, "~: no user %s", user);
			return -1;
		}
		dir = pw->pw_dir;
	}
	if (value[0] == '-' && stat(dir, &st) == -1) {
		log_debug("%s: %s=%s: missing, \"/\" used", m->sc->name, v->key,
		    v->value);
		return 0;
	}
	return umap_put(m, v, "directory", dir);
}

/* PIDFile=: relative to /run; /var/run/ is /run/ (as systemd rewrites it).
 * Read only for Type=forking, as guardiand needs it. */
int
umap_pidfile(struct map *m, const struct unit_value *v, const char *value)
{
	char path[PATH_MAX];
	const struct unit_value *t = unit_get(m->u, "Service", "Type");

	if (t == NULL || strcmp(t->value, "forking") != 0) {
		log_debug("%s: %s=%s: not needed (not Type=forking)",
		    m->sc->name, v->key, v->value);
		return 0;
	}
	if (strncmp(value, "/var/run/", 9) == 0)
		snprintf(path, sizeof(path), "/run/%s", value + 9);
	else if (value[0] != '/')
		snprintf(path, sizeof(path), "/run/%s", value);
	else
		snprintf(path, sizeof(path), "%s", value);
	return umap_put(m, v, "pidfile", path);
}

int
umap_output(struct map *m, const struct unit_value *v, const char *value)
{
	const char *key = strcmp(v->key, "StandardOutput") == 0 ? "stdout" :
	    "stderr";
	char buf[PATH_MAX + 8];

	if (value[0] == '\0' || strcmp(value, "inherit") == 0 ||
	    strncmp(value, "journal", 7) == 0 ||
	    strncmp(value, "syslog", 6) == 0 || strncmp(value, "kmsg", 4) == 0)
		return umap_put(m, v, key, "syslog");
	if (strcmp(value, "null") == 0)
		return umap_put(m, v, key, "null");
	if (strncmp(value, "file:", 5) == 0 || strncmp(value, "append:", 7) == 0) {
		snprintf(buf, sizeof(buf), "file:%s", strchr(value, ':') + 1);
		return umap_put(m, v, key, buf);
	}
	log_warnx("%s: %s:%u: %s=%s not honoured: output goes to syslog",
	    m->sc->name, v->file, v->line, v->key, v->value);
	return 0;
}

