/*
 * spawn_id.c: who a service runs as (user=, group=, supplementary_groups,
 * resolved in the parent so that the child does no NSS lookups) and the
 * environment it gets, each layer over the one before.
 */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

void
spawn_ident_free(struct ident *id)
{
	free(id->groups);
	free(id->home);
	free(id->user);
	free(id->shell);
	memset(id, 0, sizeof(*id));
}

/* supplementary_groups: added to the user's (or group='s) groups; -2
 * with why for a group that does not exist, -1 on a passing failure. */
static int
add_groups(const struct svc_conf *sc, struct ident *id, char *why,
    size_t len)
{
	size_t n = config_nwords(sc->supp_groups);
	gid_t *g;

	if (n == 0)
		return 0;
	if ((g = reallocarray(id->groups, (size_t)id->ngroups + n,
	    sizeof(gid_t))) == NULL) {
		log_warnx("%s: out of memory", sc->name);
		spawn_ident_free(id);
		return -1;
	}
	id->groups = g;
	for (size_t i = 0; i < n; i++) {
		struct group *gr;

		errno = 0;
		if ((gr = getgrnam(sc->supp_groups[i])) == NULL) {
			if (!check_no_such_entry(errno)) {
				log_warn("%s: cannot look up group \"%s\"",
				    sc->name, sc->supp_groups[i]);
				spawn_ident_free(id);
				return -1;
			}
			snprintf(why, len, "unknown group \"%s\" in "
			    "supplementary_groups", sc->supp_groups[i]);
			spawn_ident_free(id);
			return -2;
		}
		id->groups[id->ngroups++] = gr->gr_gid;
	}
	return 0;
}

/* Looks up user= and group= now, so the child only has to call
 * setgroups/setgid/setuid. -1 on a passing failure (logged); -2 when the
 * user or group does not exist, which no retry mends (why says so). */
int
spawn_ident_resolve(const struct svc_conf *sc, struct ident *id, char *why,
    size_t len)
{
	struct passwd *pw = NULL;

	memset(id, 0, sizeof(*id));
	if (sc->user == NULL && sc->group == NULL && sc->supp_groups == NULL)
		return 0;
	id->set = true;
	id->uid = getuid();
	id->gid = getgid();
	if (sc->user) {
		errno = 0;
		pw = getpwnam(sc->user);
		if (pw == NULL) {
			if (!check_no_such_entry(errno)) {
				log_warn("%s: cannot look up user \"%s\"",
				    sc->name, sc->user);
				return -1;
			}
			snprintf(why, len, "unknown user \"%s\"", sc->user);
			return -2;
		}
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		id->home = strdup(pw->pw_dir);
		id->user = strdup(pw->pw_name);
		id->shell = strdup(pw->pw_shell);
		if (!id->home || !id->user || !id->shell)
			goto nomem;
	}
	if (sc->group) {
		struct group *gr;

		errno = 0;
		gr = getgrnam(sc->group);
		if (gr == NULL) {
			if (!check_no_such_entry(errno)) {
				log_warn("%s: cannot look up group \"%s\"",
				    sc->name, sc->group);
				goto fail;
			}
			snprintf(why, len, "unknown group \"%s\"", sc->group);
			spawn_ident_free(id);
			return -2;
		}
		id->gid = gr->gr_gid;
	}
	if (pw) {
		int n = 32;

		for (;;) {
			gid_t *g = reallocarray(id->groups, (size_t)n, sizeof(gid_t));
			int want = n;

			if (g == NULL)
				goto nomem;
			id->groups = g;
			if (getgrouplist(pw->pw_name, id->gid, g, &want) >= 0) {
				id->ngroups = want;
				break;
			}
			if (want <= n)
				want = n * 2;
			n = want;
		}
	} else {
		/* group= alone: that group, no supplementary ones. */
		id->groups = malloc(sizeof(gid_t));
		if (id->groups == NULL)
			goto nomem;
		id->groups[0] = id->gid;
		id->ngroups = 1;
	}
	return add_groups(sc, id, why, len);
nomem:
	log_warnx("%s: out of memory", sc->name);
fail:
	spawn_ident_free(id);
	return -1;
}

/* The child's environment, each layer over the one before: guardiand's own
 * (or only PATH with clear_environment), the identity of user=, the
 * environment_file, then environment=. NULL with a message logged. */
char **
spawn_env(const struct svc_conf *sc, const struct ident *id,
    const char *notify_path, pid_t mainpid)
{
	char **envp = calloc(1, sizeof(char *)), **file = NULL, err[512];
	size_t n = 0;

	if (envp == NULL)
		goto nomem;
	if (sc->clear_environment) {
		if (env_put(&envp, &n, "PATH=" DEFAULT_PATH) < 0)
			goto nomem;
	} else {
		for (char **e = environ; *e; e++)
			if (env_put(&envp, &n, *e) < 0)
				goto nomem;
	}
	if (id->user && (env_putf(&envp, &n, "HOME", id->home) < 0 ||
	    env_putf(&envp, &n, "USER", id->user) < 0 ||
	    env_putf(&envp, &n, "LOGNAME", id->user) < 0 ||
	    env_putf(&envp, &n, "SHELL", id->shell) < 0))
		goto nomem;
	for (char **f = sc->env_files; f && *f; f++) {
		const char *path = *f + (**f == '-');

		file = config_read_env_file(path, err, sizeof(err));
		if (file == NULL && !(**f == '-' && access(path, F_OK) < 0 &&
		    errno == ENOENT)) {
			log_warnx("%s: environment_file %s", sc->name, err);
			config_free_words(envp);
			return NULL;
		}
		for (char **e = file; e && *e; e++)
			if (env_put(&envp, &n, *e) < 0)
				goto nomem;
		config_free_words(file);
		file = NULL;
	}
	for (char **e = sc->env; e && *e; e++)
		if (env_put(&envp, &n, *e) < 0)
			goto nomem;
	if (sc->runtime_dirs) {
		char *v = svdirs_env(sc);

		if (v == NULL || env_putf(&envp, &n, "RUNTIME_DIRECTORY", v) < 0) {
			free(v);
			goto nomem;
		}
		free(v);
	}
	if (svdirs_put_env(sc, &envp, &n) < 0)
		goto nomem;
	if (mainpid > 0) {	/* for checks and reload_command, as systemd */
		char p[24];

		snprintf(p, sizeof(p), "%ld", (long)mainpid);
		if (env_putf(&envp, &n, "MAINPID", p) < 0)
			goto nomem;
	}
	/* The mark that finds the service's orphans when it stops. */
	if (env_putf(&envp, &n, SERVICE_MARK, sc->name) < 0)
		goto nomem;
	/* sd_notify(3): where to send, and the watchdog's period; the child
	 * writes its own pid into WATCHDOG_PID (WATCHDOG_PID_ROOM). */
	if (notify_path != NULL) {
		char usec[32];

		snprintf(usec, sizeof(usec), "%lld",
		    (long long)sc->watchdog_ms * 1000);
		if (env_putf(&envp, &n, "NOTIFY_SOCKET", notify_path) < 0 ||
		    (sc->watchdog_ms > 0 && (env_putf(&envp, &n,
		    "WATCHDOG_USEC", usec) < 0 || env_putf(&envp, &n,
		    "WATCHDOG_PID", WATCHDOG_PID_ROOM) < 0)))
			goto nomem;
	}
	return envp;
nomem:
	log_warnx("%s: out of memory", sc->name);
	config_free_words(file);
	config_free_words(envp);
	return NULL;
}
