/*
 * oneshot.c: one-command mode, `guardiand [options] -- COMMAND [ARG...]`,
 * the nohup replacement.
 *
 * The command runs as it would have from the caller's shell: in the
 * caller's working directory, with its umask (and, as everywhere, its
 * environment and limits), unless options say otherwise; paths in the
 * options mean what they meant in that directory; a command that cannot be
 * executed is an error before guardiand detaches; and once the service is
 * finished for good, guardiand exits with its status, as a shell would.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* The config key an option sets: --stop-timeout -> stop_timeout, --env ->
 * environment, -o KEY=VALUE -> KEY. */
static void
option_key(const char *longname, const char *value, char *key, size_t len)
{
	if (longname == NULL) {
		snprintf(key, len, "%.*s", (int)strcspn(value, "="), value);
		return;
	}
	snprintf(key, len, "%s", longname);
	for (char *k = key; *k; k++)
		if (*k == '-')
			*k = '_';
	if (strcmp(key, "env") == 0)
		snprintf(key, len, "environment");
}

/* "--restart" or "-o restart", for messages. */
static void
option_text(const char *longname, const char *key, char *buf, size_t len)
{
	if (longname)
		snprintf(buf, len, "--%s", longname);
	else
		snprintf(buf, len, "-o %s", key);
}

/*
 * The value to give config_svc_set: a relative path in a path-valued key
 * made absolute against the working directory; --env's one KEY=VALUE
 * quoted, so that its blanks stay in the value. NULL on error (errno).
 */
static char *
option_value(const char *longname, const char *key, const char *value)
{
	const struct config_key *k;
	const char *path = NULL, *prefix = "";
	char *abs, *r, *w;

	if (longname && strcmp(key, "environment") == 0) {
		/* 'KEY=VALUE', each ' written as '\'' */
		size_t n = 3;

		for (const char *p = value; *p; p++)
			n += *p == '\'' ? 4 : 1;
		if ((r = w = malloc(n)) == NULL)
			return NULL;
		*w++ = '\'';
		for (const char *p = value; *p; p++) {
			if (*p == '\'') {
				memcpy(w, "'\\''", 4);
				w += 4;
			} else
				*w++ = *p;
		}
		*w++ = '\'';
		*w = '\0';
		return r;
	}
	/* the key table says which keys take a path */
	k = config_key_find(key, KEY_SERVICE);
	if (k != NULL && k->kind == KK_PATH) {
		path = value;
	} else if (k != NULL && k->kind == KK_ENV_FILE) {
		prefix = value[0] == '-' ? "-" : "";	/* optional */
		path = value + strlen(prefix);
	} else if (k != NULL && k->kind == KK_OUTPUT &&
	    strncmp(value, "file:", 5) == 0) {
		prefix = "file:";
		path = value + 5;
	}
	if (path == NULL || path[0] == '/' || path[0] == '\0')
		return strdup(value);
	if ((abs = paths_absolute(path)) == NULL)
		return NULL;
	if (asprintf(&r, "%s%s", prefix, abs) < 0)
		r = NULL;
	free(abs);
	return r;
}

/* check_service's reporter for one-command mode: each problem to stderr. */
static void
say_problem(void *arg, const char *key, const char *msg)
{
	(void)arg;
	(void)key;
	fprintf(stderr, "guardiand: cannot start: %s\n", msg);
}

/* Sets the service's command from the words after --, taken as given. */
static int
set_words(struct svc_conf *sc, char **command)
{
	size_t n = 0, len = 0;

	for (n = 0; command[n]; n++)
		len += strlen(command[n]) + 1;
	free(sc->command);
	if ((sc->command = malloc(len + 1)) == NULL)
		return -1;
	sc->command[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		strcat(sc->command, command[i]);
		if (i + 1 < n)
			strcat(sc->command, " ");
	}
	config_free_words(sc->argv);
	if ((sc->argv = calloc(n + 1, sizeof(char *))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((sc->argv[i] = strdup(command[i])) == NULL)
			return -1;
	return 0;
}

/*
 * The one-command mode's config: one service named name (NULL: the
 * command's basename), set from the options keys[i] (the long option's
 * name, NULL for -o) = values[i]. Errors are printed; NULL then, with the
 * exit code in *code.
 */
struct conf *
oneshot_conf(const char *name, char **command, const char *const *keys,
    const char *const *values, int nkeys, int *code)
{
	struct conf *c = NULL;
	struct svc_conf *sc = NULL;
	char err[512], key[64], seen[64][64], what[80], *base = NULL, *v;
	bool have_dir = false, have_umask = false;
	mode_t mask;

	*code = EXIT_USAGE;
	if (name == NULL) {
		char *copy = strdup(command[0]);

		if (copy == NULL || (base = strdup(basename(copy))) == NULL) {
			free(copy);
			goto nomem;
		}
		free(copy);
		name = base;
	}
	if (!config_valid_name(name)) {
		fprintf(stderr, "guardiand: invalid service name \"%s\" (use "
		    "letters, digits and _.@-)%s\n", name, base ? "; choose one "
		    "with --name" : "");
		goto fail;
	}
	if ((c = config_new()) == NULL || (sc = config_svc_new(name)) == NULL)
		goto nomem;
	for (int i = 0; i < nkeys && i < 64; i++) {
		option_key(keys[i], values[i], key, sizeof(key));
		option_text(keys[i], key, what, sizeof(what));
		if (keys[i] == NULL && strcmp(key, "command") == 0) {
			fprintf(stderr, "guardiand: -o command: the command goes "
			    "after --\n");
			goto fail;
		}
		/* Once each, but for the list of environment entries: a
		 * second --restart is a mistake, not a change of mind. */
		for (int j = 0; j < i; j++) {
			if (strcmp(seen[j], key) == 0 &&
			    strcmp(key, "environment") != 0) {
				fprintf(stderr, "guardiand: %s: given more than "
				    "once\n", what);
				goto fail;
			}
		}
		snprintf(seen[i], sizeof(seen[i]), "%s", key);
		have_dir |= strcmp(key, "directory") == 0;
		have_umask |= strcmp(key, "umask") == 0;
		if ((v = option_value(keys[i], key, keys[i] ? values[i] :
		    values[i] + strcspn(values[i], "=") + 1)) == NULL) {
			fprintf(stderr, "guardiand: %s: %s\n", what,
			    strerror(errno));
			goto fail;
		}
		if (config_svc_set(sc, key, v, err, sizeof(err)) < 0) {
			fprintf(stderr, "guardiand: %s: %s\n", what, err);
			free(v);
			goto fail;
		}
		free(v);
	}
	/* The caller's directory and umask, unless the options set them. */
	if (!have_dir && (sc->directory = getcwd(NULL, 0)) == NULL) {
		fprintf(stderr, "guardiand: cannot find the working directory "
		    "(%s); give one with --directory\n", strerror(errno));
		goto fail;
	}
	if (!have_umask) {
		mask = umask(0);
		umask(mask);
		sc->umask = mask;
	}
	if (set_words(sc, command) < 0)
		goto nomem;
	if (config_svc_check(sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "guardiand: %s\n", err);
		goto fail;
	}
	/* What the start needs, checked as guardiand -t checks it. */
	if (check_service(sc, say_problem, NULL) > 0)
		goto fail;
	if (config_add(c, sc) < 0)
		goto nomem;
	free(base);
	return c;
nomem:
	fprintf(stderr, "guardiand: out of memory\n");
	*code = EXIT_STARTUP;
fail:
	config_svc_free(sc);
	config_free(c);
	free(base);
	return NULL;
}

/*
 * Whether the one service is finished for good: it exited and its restart
 * policy says no more (restart = never, or a success under on-failure), or
 * guardiand gave up on it. Then *status is what a shell would report: its
 * exit status, 128 + the signal that killed it, 127 (not found) or 126
 * (not executable) when it could not be executed. An operator's stop is
 * not an end: `guardianctl start` may follow.
 */
bool
oneshot_finished(int *status)
{
	const struct service *sv = service_list();
	int st;

	if (sv == NULL || sv->next || sv->pid != 0 || sv->exec_fd >= 0)
		return false;
	if (sv->state != SV_FATAL &&
	    (sv->state != SV_DOWN || sv->want != WANT_UP))
		return false;
	st = sv->last_status;
	if (sv->exec_failed)
		*status = sv->exec_errno == ENOENT ? 127 : 126;
	else if (st >= 0 && WIFEXITED(st))
		*status = WEXITSTATUS(st);
	else if (st >= 0 && WIFSIGNALED(st))
		*status = 128 + WTERMSIG(st);
	else
		*status = EXIT_USAGE;
	log_info("guardiand: %s will not be started again, exiting with "
	    "status %d", sv->conf->name, *status);
	return true;
}
