/*
 * paths.c: where the pidfile and the control socket go by default, shared
 * by guardiand and guardianctl so that both agree.
 *
 *                    pidfile                       control socket
 *   root, config     /run/guardiand.pid            /run/guardiand/control.sock
 *   root, -- CMD     /run/guardiand-NAME.pid       /run/guardiand/NAME.sock
 *   user, XDG        $XDG_RUNTIME_DIR/guardiand[-NAME].pid
 *                                                  $XDG_RUNTIME_DIR/guardiand/{control,NAME}.sock
 *   user, no XDG     /tmp/guardiand-UID/{guardiand,NAME}.pid
 *                                                  /tmp/guardiand-UID/{control,NAME}.sock
 *
 * XDG_RUNTIME_DIR counts only when it is the user's own directory and
 * writable by nobody else (not /tmp, say); otherwise as if it were unset.
 */
#include <sys/stat.h>

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* A directory of ours: created with mode if missing (then *made is set, so
 * that guardiand removes it again at exit); it must then be a real
 * directory (not a link), owned by us, writable by nobody else. */
int
paths_own_dir(const char *dir, mode_t mode, bool *made)
{
	struct stat st;

	*made = false;
	if (mkdir(dir, mode) == 0)
		*made = true;
	else if (errno != EEXIST)
		return -1;
	if (lstat(dir, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0 || (mode == 0700 && (st.st_mode & 077))) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

/* Whether $XDG_RUNTIME_DIR is set and fit to hold our pidfile and socket:
 * an absolute path to a real directory (not a link), ours, and writable by
 * nobody else. */
bool
paths_xdg_ok(void)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	return xdg && xdg[0] == '/' && lstat(xdg, &st) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == geteuid() &&
	    (st.st_mode & 022) == 0;
}

static const char *
user_dir(char *buf, size_t len)
{
	if (paths_xdg_ok())
		return getenv("XDG_RUNTIME_DIR");
	snprintf(buf, len, "/tmp/guardiand-%ld", (long)geteuid());
	return buf;
}

/* Where runtime_directory names are: /run for root, as systemd's
 * RuntimeDirectory=; else, as systemd's user manager, XDG_RUNTIME_DIR
 * (or the private /tmp/guardiand-UID without it). A copy, NULL if out of
 * memory. */
char *
paths_runtime_base(void)
{
	char buf[64];

	return strdup(geteuid() == 0 ? "/run" : user_dir(buf, sizeof(buf)));
}

/* An absolute $name, or NULL. */
static const char *
abs_env(const char *name)
{
	const char *v = getenv(name);

	return v && v[0] == '/' ? v : NULL;
}

/*
 * Where state_directory, cache_directory, logs_directory and
 * configuration_directory names are (kind: SVDIR_...): for root /var/lib,
 * /var/cache, /var/log and /etc, as systemd's StateDirectory= and friends,
 * under $GUARDIAND_DIRS_ROOT if set (the tests: they may not write in
 * /var); else, as systemd's user manager, $XDG_STATE_HOME,
 * $XDG_CACHE_HOME, $XDG_STATE_HOME/log and $XDG_CONFIG_HOME (~/.local/state,
 * ~/.cache, ~/.local/state/log, ~/.config without them). A copy, NULL if
 * out of memory or without a home.
 */
char *
paths_dir_base(int kind)
{
	static const char *const sys[SVDIR_NKINDS] = { "/var/lib",
		"/var/cache", "/var/log", "/etc" };
	static const char *const xdg[SVDIR_NKINDS] = { "XDG_STATE_HOME",
		"XDG_CACHE_HOME", "XDG_STATE_HOME", "XDG_CONFIG_HOME" };
	static const char *const home_rel[SVDIR_NKINDS] = { ".local/state",
		".cache", ".local/state", ".config" };
	const char *root, *x, *home;
	struct passwd *pw;
	char *p;
	int r;

	if (kind < 0 || kind >= SVDIR_NKINDS)
		return NULL;
	if (geteuid() == 0) {
		root = abs_env("GUARDIAND_DIRS_ROOT");
		r = asprintf(&p, "%s%s", root ? root : "", sys[kind]);
	} else if ((x = abs_env(xdg[kind])) != NULL)
		r = asprintf(&p, "%s%s", x, kind == SVDIR_LOGS ? "/log" : "");
	else {
		if ((home = abs_env("HOME")) == NULL &&
		    ((pw = getpwuid(geteuid())) == NULL ||
		    (home = pw->pw_dir) == NULL || home[0] != '/'))
			return NULL;
		r = asprintf(&p, "%s/%s%s", home, home_rel[kind],
		    kind == SVDIR_LOGS ? "/log" : "");
	}
	return r < 0 ? NULL : p;
}

/* Whether the defaults are in a private /tmp/guardiand-UID (no root, no
 * XDG_RUNTIME_DIR), which guardiand must make before using. */
bool
paths_tmp_fallback(void)
{
	return geteuid() != 0 && !paths_xdg_ok();
}

char *
paths_pidfile(const char *name)
{
	char buf[64], *p;
	const char *d;
	int r;

	if (geteuid() == 0)
		r = name ? asprintf(&p, "/run/guardiand-%s.pid", name) :
		    asprintf(&p, "%s", DEFAULT_PIDFILE);
	else if (paths_xdg_ok())
		r = asprintf(&p, "%s/guardiand%s%s.pid", user_dir(buf,
		    sizeof(buf)), name ? "-" : "", name ? name : "");
	else {
		d = user_dir(buf, sizeof(buf));
		r = asprintf(&p, "%s/%s.pid", d, name ? name : "guardiand");
	}
	return r < 0 ? NULL : p;
}

/* The socket's directory, for the daemon to create (paths_own_dir). */
char *
paths_socket_dir(void)
{
	char buf[64], *p;

	if (geteuid() == 0)
		return strdup("/run/guardiand");
	if (paths_xdg_ok())
		return asprintf(&p, "%s/guardiand", user_dir(buf, sizeof(buf))) < 0 ?
		    NULL : p;
	return strdup(user_dir(buf, sizeof(buf)));
}

char *
paths_socket(const char *name)
{
	char *dir = paths_socket_dir(), *p;
	int r;

	if (dir == NULL)
		return NULL;
	r = asprintf(&p, "%s/%s.sock", dir, name ? name : "control");
	free(dir);
	return r < 0 ? NULL : p;
}

/* path made absolute against the working directory, so that it means the
 * same once the daemon has changed to "/"; a copy, NULL on error (errno). */
char *
paths_absolute(const char *path)
{
	char *cwd, *p;
	int r;

	if (path[0] == '/')
		return strdup(path);
	if ((cwd = getcwd(NULL, 0)) == NULL)
		return NULL;
	r = asprintf(&p, "%s%s%s", cwd, strcmp(cwd, "/") == 0 ? "" : "/", path);
	free(cwd);
	return r < 0 ? NULL : p;
}
