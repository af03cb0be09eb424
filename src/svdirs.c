/*
 * svdirs.c: runtime_directory, systemd's RuntimeDirectory=: directories
 * under /run (a tmpfs, empty after a reboot) that a service needs before it
 * starts, made at each start, owned by the service's user, and removed when
 * it stops (runtime_directory_preserve says when). guardiand runs as root
 * and /run is shared: every step is relative to a directory descriptor,
 * never follows a symbolic link, and a file or link in the way fails the
 * start, as systemd does. state_directory, cache_directory, logs_directory
 * and configuration_directory (StateDirectory= and friends) are made the
 * same way under /var/lib, /var/cache, /var/log and /etc, and never
 * removed.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define RM_DEPTH_MAX	64	/* how deep a tree svdirs_remove removes or
				 * chown_tree gives away */

static int make_runtime(const struct svc_conf *sc, uid_t uid, gid_t gid,
    char *why, size_t len);

/* Opens (making it if missing) each component of rel under base, the last
 * with mode, the others 0755 as systemd makes them; returns the last's fd,
 * or -1 with errno (ENOTDIR or ELOOP: something not a directory in the
 * way). */
static int
open_made(int base, const char *rel, mode_t mode)
{
	char comp[256];
	int fd = dup(base);

	while (fd >= 0 && *rel) {
		size_t n = strcspn(rel, "/");
		bool last = rel[n] == '\0';
		int next;

		snprintf(comp, sizeof(comp), "%.*s", (int)n, rel);
		rel += n + !last;
		if (mkdirat(fd, comp, last ? mode & 0777 : 0755) < 0 &&
		    errno != EEXIST)
			next = -1;
		else
			next = openat(fd, comp, O_RDONLY | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	return fd;
}

static const char *const kind_keys[SVDIR_NKINDS] = { "state_directory",
	"cache_directory", "logs_directory", "configuration_directory" };
static const char *const kind_envs[SVDIR_NKINDS] = { "STATE_DIRECTORY",
	"CACHE_DIRECTORY", "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY" };

/* Makes path and its parents with mode 0755, as mkdir -p: a base of
 * ours (/var/lib...), whose links are followed. */
static int
mkdir_parents(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = p + 1; ; s++)
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return -1;
			if ((*s = c) == '\0')
				return 0;
		}
}

/* Gives what dir holds, and dir, to uid:gid, as systemd's
 * path_chown_recursive: links are not followed (their own owner changes),
 * and the modes are kept. */
static void
chown_tree(int dir, uid_t uid, gid_t gid, int depth)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int fd;

	if (fstat(dir, &st) == 0 && fchown(dir, uid, gid) == 0)
		(void)fchmod(dir, st.st_mode & 07777);	/* chown clears setgid */
	if (depth >= RM_DEPTH_MAX || (fd = dup(dir)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			chown_tree(sub, uid, gid, depth + 1);
			close(sub);
		} else if (fstatat(dirfd(d), de->d_name, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && fchownat(dirfd(d), de->d_name,
		    uid, gid, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISLNK(st.st_mode))
			(void)fchmodat(dirfd(d), de->d_name, st.st_mode & 07777, 0);
	}
	closedir(d);
}

/*
 * The directories of one kind (SVDIR_...): the innermost of each made with
 * the kind's mode, owned by uid:gid (a configuration directory stays
 * root's, as in systemd); one that exists keeps its mode, and is given
 * to uid:gid with what it holds if someone else owns it. 0, or -2 with why.
 */
static int
make_kind(const struct svc_conf *sc, int kind, uid_t uid, gid_t gid,
    char *why, size_t len)
{
	const char *key = kind_keys[kind];
	mode_t mode = sc->dir_modes[kind];
	struct stat st;
	char *base;
	int bfd, fd, r = 0;

	if ((base = paths_dir_base(kind)) == NULL) {
		snprintf(why, len, "%s: out of memory, or no home", key);
		return -2;
	}
	if (mkdir_parents(base) < 0 ||
	    (bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "%s: %s: %s", key, base, strerror(errno));
		free(base);
		return -2;
	}
	for (char **d = sc->dirs[kind]; *d && r == 0; d++) {
		bool existed = fstatat(bfd, *d, &st, AT_SYMLINK_NOFOLLOW) == 0;

		if ((fd = open_made(bfd, *d, mode)) < 0 || (!existed &&
		    kind != SVDIR_CONFIGURATION && fchown(fd, uid, gid) < 0) ||
		    (!existed && fchmod(fd, mode) < 0) || fstat(fd, &st) < 0) {
			snprintf(why, len, "%s %s/%s: %s", key, base, *d,
			    errno == ELOOP || errno == ENOTDIR ?
			    "something that is not a directory is in the way "
			    "(a symbolic link is not followed)" :
			    strerror(errno));
			r = -2;
		} else if (kind != SVDIR_CONFIGURATION &&
		    (st.st_uid != uid || st.st_gid != gid)) {
			log_info("%s: %s %s/%s: owned by %ld:%ld, given to "
			    "%ld:%ld with what it holds", sc->name, key, base,
			    *d, (long)st.st_uid, (long)st.st_gid, (long)uid,
			    (long)gid);
			chown_tree(fd, uid, gid, 0);
		}
		if (fd >= 0)
			close(fd);
	}
	close(bfd);
	free(base);
	return r;
}

/*
 * Makes the service's directories: first what its tmpfiles say, then the
 * runtime directories, the innermost owned by uid:gid with
 * runtime_directory_mode (set after the owner, which clears setgid), then
 * the state, cache, logs and configuration ones. 0, or -2 with why: the
 * start cannot work until someone looks (no /run, a file or link in the
 * way).
 */
int
svdirs_make(const struct svc_conf *sc, uid_t uid, gid_t gid, char *why,
    size_t len)
{
	if (sc->tmpfiles)
		tmpfiles_apply(sc->name, sc->tmpfiles);
	for (int k = 0; k < SVDIR_NKINDS; k++)
		if (sc->dirs[k] && make_kind(sc, k, uid, gid, why, len) < 0)
			return -2;
	return make_runtime(sc, uid, gid, why, len);
}

/* The runtime directories (svdirs_make). */
static int
make_runtime(const struct svc_conf *sc, uid_t uid, gid_t gid, char *why,
    size_t len)
{
	char *base;
	int bfd, fd;
	bool made;

	if (sc->runtime_dirs == NULL)
		return 0;
	if ((base = paths_runtime_base()) == NULL) {
		snprintf(why, len, "runtime_directory: out of memory");
		return -2;
	}
	if (paths_tmp_fallback() && paths_own_dir(base, 0700, &made) < 0) {
		snprintf(why, len, "runtime_directory: %s: not a private "
		    "directory of ours: %s", base, strerror(errno));
		free(base);
		return -2;
	}
	if ((bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		snprintf(why, len, "runtime_directory: %s: %s", base,
		    strerror(errno));
		free(base);
		return -2;
	}
	for (char **d = sc->runtime_dirs; *d; d++) {
		if ((fd = open_made(bfd, *d, sc->runtime_dir_mode)) < 0 ||
		    fchown(fd, uid, gid) < 0 ||
		    fchmod(fd, sc->runtime_dir_mode) < 0) {
			snprintf(why, len, "runtime_directory %s/%s: %s", base,
			    *d, errno == ELOOP || errno == ENOTDIR ?
			    "something that is not a directory is in the way "
			    "(a symbolic link is not followed)" :
			    strerror(errno));
			if (fd >= 0)
				close(fd);
			close(bfd);
			free(base);
			return -2;
		}
		close(fd);
	}
	close(bfd);
	free(base);
	return 0;
}

/* Removes name in at, and all it holds if it is a directory, without
 * following links. */
static void
rm_tree(int at, const char *name, int depth)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (unlinkat(at, name, 0) == 0 || (errno != EISDIR &&
	    errno != EPERM) || depth >= RM_DEPTH_MAX)
		return;
	fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			rm_tree(dirfd(d), de->d_name, depth + 1);
	closedir(d);
	(void)unlinkat(at, name, AT_REMOVEDIR);
}

/* Opens the directory that holds rel's last component under base, not
 * following links; its name is left in *last. -1 if there is none. */
static int
open_parent(int base, const char *rel, const char **last)
{
	char comp[256];
	int fd = dup(base);

	for (;;) {
		size_t n = strcspn(rel, "/");
		int next;

		if (rel[n] == '\0' || fd < 0) {
			*last = rel;
			return fd;
		}
		snprintf(comp, sizeof(comp), "%.*s", (int)n, rel);
		rel += n + 1;
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		fd = next;
	}
}

/*
 * The service stopped (for good: not to be restarted): its runtime
 * directories go as runtime_directory_preserve says, with what they hold.
 * Only the innermost directory: the ones made on the way may be shared.
 */
void
svdirs_stopped(const struct svc_conf *sc, bool for_good)
{
	const char *last;
	char *base;
	int bfd, fd;

	if (sc->runtime_dirs == NULL || sc->runtime_preserve == PRESERVE_YES ||
	    (sc->runtime_preserve == PRESERVE_RESTART && !for_good))
		return;
	if ((base = paths_runtime_base()) == NULL)
		return;
	bfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(base);
	if (bfd < 0)
		return;
	for (char **d = sc->runtime_dirs; *d; d++)
		if ((fd = open_parent(bfd, *d, &last)) >= 0) {
			rm_tree(fd, last, 0);
			close(fd);
		}
	close(bfd);
}

/* RUNTIME_DIRECTORY for the service's environment: the absolute paths,
 * colon-separated as systemd sets it; NULL without any (or out of
 * memory). */
char *
svdirs_env(const struct svc_conf *sc)
{
	char *base, *v = NULL;
	size_t len = 0;
	FILE *f;

	if (sc->runtime_dirs == NULL || (base = paths_runtime_base()) == NULL)
		return NULL;
	if ((f = open_memstream(&v, &len)) != NULL) {
		for (char **d = sc->runtime_dirs; *d; d++)
			fprintf(f, "%s%s/%s", d == sc->runtime_dirs ? "" : ":",
			    base, *d);
		if (fclose(f) != 0) {
			free(v);
			v = NULL;
		}
	}
	free(base);
	return v;
}

/* STATE_DIRECTORY, CACHE_DIRECTORY, LOGS_DIRECTORY and
 * CONFIGURATION_DIRECTORY for the service's environment, as systemd sets
 * them: the absolute paths, colon-separated. 0, or -1 out of memory. */
int
svdirs_put_env(const struct svc_conf *sc, char ***envp, size_t *n)
{
	for (int k = 0; k < SVDIR_NKINDS; k++) {
		char *base, *v = NULL;
		size_t len = 0;
		FILE *f;
		int r = -1;

		if (sc->dirs[k] == NULL)
			continue;
		if ((base = paths_dir_base(k)) == NULL)
			return -1;
		if ((f = open_memstream(&v, &len)) != NULL) {
			for (char **d = sc->dirs[k]; *d; d++)
				fprintf(f, "%s%s/%s", d == sc->dirs[k] ? "" : ":",
				    base, *d);
			if (fclose(f) == 0)
				r = env_putf(envp, n, kind_envs[k], v);
		}
		free(v);
		free(base);
		if (r < 0)
			return -1;
	}
	return 0;
}
