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

/* Where execvpe(3) searches when PATH is unset (glibc's confstr default). */
#define EXEC_DEFAULT_PATH	"/bin:/usr/bin"

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
	if (strcmp(key, "directory") == 0) {
		path = value;
	} else if (strcmp(key, "environment_file") == 0) {
		prefix = value[0] == '-' ? "-" : "";	/* optional */
		path = value + strlen(prefix);
	} else if ((strcmp(key, "stdout") == 0 || strcmp(key, "stderr") == 0) &&
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

/* Whether path names a file that exec could run; errno says why not. */
static bool
executable(const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return false;
	if (S_ISDIR(st.st_mode)) {
		errno = EISDIR;
		return false;
	}
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return false;
	}
	return access(path, X_OK) == 0;
}

/*
 * Finds the command as the service's start will: after changing to its
 * directory, a name with a slash as it is, any other along guardiand's PATH
 * (execvpe's search). 0, or -1 with the reason in err.
 */
static int
command_check(const struct svc_conf *sc, char *err, size_t len)
{
	const char *cmd = sc->argv[0], *dir = sc->directory ? sc->directory : "/";
	const char *path = getenv("PATH"), *p, *end;
	char buf[4096];
	struct stat st;
	int why = ENOENT;

	errno = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, len, "directory %s: %s", dir,
		    strerror(errno ? errno : ENOTDIR));
		return -1;
	}
	if (cmd[0] == '\0') {
		snprintf(err, len, "empty command");
		return -1;
	}
	if (strchr(cmd, '/')) {
		snprintf(buf, sizeof(buf), "%s%s%s", cmd[0] == '/' ? "" : dir,
		    cmd[0] == '/' ? "" : "/", cmd);
		if (executable(buf))
			return 0;
		snprintf(err, len, "cannot execute %s: %s", cmd, strerror(errno));
		if (cmd[0] != '/')
			snprintf(err + strlen(err), len - strlen(err),
			    " (in %s)", dir);
		return -1;
	}
	if (path == NULL)
		path = EXEC_DEFAULT_PATH;
	for (p = path;; p = end + 1) {
		end = strchrnul(p, ':');
		/* An empty element, as a relative one, is the directory. */
		if (end == p)
			snprintf(buf, sizeof(buf), "%s/%s", dir, cmd);
		else
			snprintf(buf, sizeof(buf), "%s%s%.*s/%s", *p == '/' ? "" :
			    dir, *p == '/' ? "" : "/", (int)(end - p), p, cmd);
		if (executable(buf))
			return 0;
		if (errno != ENOENT && errno != ENOTDIR)
			why = errno;
		if (*end == '\0')
			break;
	}
	if (why == ENOENT)
		snprintf(err, len, "cannot execute %s: not found in PATH (%s)",
		    cmd, path);
	else
		snprintf(err, len, "cannot execute %s: %s", cmd, strerror(why));
	return -1;
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
	if (config_svc_check(sc, err, sizeof(err)) < 0 ||
	    command_check(sc, err, sizeof(err)) < 0) {
		fprintf(stderr, "guardiand: %s\n", err);
		goto fail;
	}
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
