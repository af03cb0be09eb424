/*
 * check.c: what a start of a service will need from the host, looked at
 * before the start: its user and group exist, its directory exists, its
 * command names an executable regular file (found the way the start finds
 * it), and the directories of its output files exist. config.c reports
 * these as file:line: errors (so guardiand -t and a reload refuse a service
 * that can never start); service.c finds a PATH command with the same
 * function it checks with, so the check and the start cannot disagree.
 */
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define CHECK_MSG_MAX	(PATH_MAX + 256)

/* Whether st is a file exec(2) can run: regular, with an execute bit
 * (root needs one; another user also the permission, which access says). */
static int
runnable(const char *path, const struct stat *st)
{
	if (!S_ISREG(st->st_mode))
		return EACCES;
	if ((st->st_mode & 0111) == 0)
		return EACCES;
	if (geteuid() != 0 && access(path, X_OK) < 0)
		return errno;
	return 0;
}

/* path, or dir/path for a relative one (NULL dir: "/"). */
static int
join(char *out, size_t len, const char *dir, const char *path, size_t plen)
{
	int n;

	if (path[0] == '/')
		n = snprintf(out, len, "%.*s", (int)plen, path);
	else
		n = snprintf(out, len, "%s/%.*s", dir ? dir : "",
		    (int)plen, path);
	return n < 0 || (size_t)n >= len ? ENAMETOOLONG : 0;
}

/*
 * Finds the program a start runs, as execvp(3) would from the service's
 * directory dir (NULL: "/"): a name with a slash is taken as it is
 * (relative to dir), any other is looked up in the colon-separated search
 * path (an empty entry is dir itself). On success 0 and the program's path
 * in out (relative entries joined to dir); else the errno a start would
 * meet: ENOENT (nowhere), EACCES (found, not executable), ENAMETOOLONG.
 */
int
check_program(const char *prog, const char *dir, const char *search,
    char *out, size_t outlen)
{
	char path[PATH_MAX], name[PATH_MAX];
	struct stat st;
	const char *p, *end;
	int err = ENOENT, e;

	if (prog == NULL || prog[0] == '\0')
		return ENOENT;
	if (strchr(prog, '/') != NULL) {
		if ((e = join(path, sizeof(path), dir, prog, strlen(prog))) != 0)
			return e;
		if (stat(path, &st) < 0)
			return errno;
		if ((e = runnable(path, &st)) != 0)
			return e;
		if (snprintf(out, outlen, "%s", prog) >= (int)outlen)
			return ENAMETOOLONG;
		return 0;
	}
	for (p = search;; p = end + 1) {
		end = strchrnul(p, ':');
		/* an empty entry is the directory itself */
		e = snprintf(name, sizeof(name), "%.*s/%s", end == p ? 1 :
		    (int)(end - p), end == p ? "." : p, prog);
		e = e < 0 || (size_t)e >= sizeof(name) ? ENAMETOOLONG :
		    join(path, sizeof(path), dir, name, strlen(name));
		if (e == 0 && stat(path, &st) == 0) {
			if ((e = runnable(path, &st)) == 0) {
				if (snprintf(out, outlen, "%s", path) >=
				    (int)outlen)
					return ENAMETOOLONG;
				return 0;
			}
			err = EACCES;	/* as execvp: remember, go on */
		}
		if (*end == '\0')
			return err;
	}
}

/* The last "PATH=..." of a NULL-terminated environment, or NULL. */
static const char *
env_path(char *const *env)
{
	const char *v = NULL;

	for (; env != NULL && *env != NULL; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			v = *env + 5;
	return v;
}

/*
 * The search path a start of sc uses, as service.c builds the environment:
 * environment= over environment_file over guardiand's own (or the default
 * PATH with clear_environment); DEFAULT_PATH when none sets one. envp, when
 * given, is the very environment of the start.
 */
const char *
check_search_path(const struct svc_conf *sc, char *const *envp,
    char **to_free)
{
	const char *v;
	char **file, err[256];

	*to_free = NULL;
	if (envp != NULL)
		return (v = env_path(envp)) ? v : DEFAULT_PATH;
	if ((v = env_path(sc->env)) != NULL)
		return v;
	for (size_t i = config_nwords(sc->env_files); i-- > 0;) {
		const char *f = sc->env_files[i];	/* the last one wins */

		if ((file = config_read_env_file(f + (*f == '-'), err,
		    sizeof(err))) == NULL)
			continue;
		if ((v = env_path(file)) != NULL)
			*to_free = strdup(v);
		config_free_words(file);
		if (*to_free != NULL)
			return *to_free;
	}
	if (!sc->clear_environment && (v = getenv("PATH")) != NULL)
		return v;
	return DEFAULT_PATH;
}

static void
report(check_fn fn, void *arg, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
report(check_fn fn, void *arg, const char *key, const char *fmt, ...)
{
	char msg[CHECK_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(arg, key, msg);
}

/* An output file's directory must exist, and the file not be a directory. */
static int
check_output(const struct out_conf *oc, const char *key, check_fn fn,
    void *arg)
{
	char dir[PATH_MAX], *slash;
	struct stat st;
	int e;

	if (oc->dest != OUT_FILE || oc->file == NULL)
		return 0;
	if (snprintf(dir, sizeof(dir), "%s", oc->file) >= (int)sizeof(dir)) {
		report(fn, arg, key, "%s \"file:%s\": %s", key, oc->file,
		    strerror(ENAMETOOLONG));
		return 1;
	}
	slash = strrchr(dir, '/');
	slash[slash == dir ? 1 : 0] = '\0';
	if ((e = stat(dir, &st) < 0 ? errno : S_ISDIR(st.st_mode) ? 0 :
	    ENOTDIR) != 0) {
		report(fn, arg, key, "%s \"file:%s\": directory %s: %s", key,
		    oc->file, dir, strerror(e));
		return 1;
	}
	if (stat(oc->file, &st) == 0 && S_ISDIR(st.st_mode)) {
		report(fn, arg, key, "%s \"file:%s\": %s", key, oc->file,
		    strerror(EISDIR));
		return 1;
	}
	return 0;
}

/* Whether a failed getpwnam/getgrnam, with this errno, means the name is
 * not there (as opposed to a lookup that could not be made). */
bool
check_no_such_entry(int err)
{
	return err == 0 || err == ENOENT || err == ESRCH;
}

/* A user= or group= name that a lookup (errno set by it) did not find. */
static int
check_entry(const char *key, const char *name, bool missing, check_fn fn,
    void *arg)
{
	if (!missing)
		return 0;
	if (check_no_such_entry(errno))
		report(fn, arg, key, "unknown %s \"%s\" for %s", key, name, key);
	else
		report(fn, arg, key, "cannot look up %s \"%s\": %s", key, name,
		    strerror(errno));
	return 1;
}

/*
 * Looks at what a start of sc will need from the host and reports each
 * problem to fn with the key it is about; returns how many there were.
 */
int
check_service(const struct svc_conf *sc, check_fn fn, void *arg)
{
	char found[PATH_MAX], *to_free;
	const char *search;
	struct stat st;
	bool dir_ok = true;
	int n = 0, e;

	errno = 0;
	n += check_entry("user", sc->user, sc->user && !getpwnam(sc->user),
	    fn, arg);
	errno = 0;
	n += check_entry("group", sc->group, sc->group &&
	    !getgrnam(sc->group), fn, arg);
	if (sc->directory != NULL && (e = stat(sc->directory, &st) < 0 ?
	    errno : S_ISDIR(st.st_mode) ? 0 : ENOTDIR) != 0) {
		report(fn, arg, "directory", "directory \"%s\": %s",
		    sc->directory, strerror(e));
		dir_ok = false;	/* a relative command would be misjudged */
		n++;
	}
	if (sc->argv != NULL && dir_ok) {
		search = check_search_path(sc, NULL, &to_free);
		e = check_program(sc->argv[0], sc->directory, search, found,
		    sizeof(found));
		if (sc->argv[0] == NULL || sc->argv[0][0] == '\0')
			report(fn, arg, "command", "command \"\": the program "
			    "name is empty");
		else if (e == ENOENT && strchr(sc->argv[0], '/') == NULL)
			report(fn, arg, "command", "command \"%s\": not found "
			    "in PATH (%s)", sc->argv[0], search);
		else if (e == EACCES)
			report(fn, arg, "command", "command \"%s\": not an "
			    "executable file", sc->argv[0]);
		else if (e != 0)
			report(fn, arg, "command", "command \"%s\": %s%s%s",
			    sc->argv[0], strerror(e), sc->argv[0][0] != '/' ?
			    " in directory " : "", sc->argv[0][0] != '/' ?
			    (sc->directory ? sc->directory : "/") : "");
		n += e != 0;
		free(to_free);
	}
	n += check_output(&sc->out[0], "stdout", fn, arg);
	n += check_output(&sc->out[1], "stderr", fn, arg);
	return n;
}
