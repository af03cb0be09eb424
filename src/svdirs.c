/*
 * svdirs.c: runtime_directory, systemd's RuntimeDirectory=: directories
 * under /run (a tmpfs, empty after a reboot) that a service needs before it
 * starts, made at each start, owned by the service's user, and removed when
 * it stops (runtime_directory_preserve says when). guardiand runs as root
 * and /run is shared: every step is relative to a directory descriptor,
 * never follows a symbolic link, and a file or link in the way fails the
 * start, as systemd does.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define RM_DEPTH_MAX	64	/* how deep a tree svdirs_remove removes */

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

/*
 * Makes the service's runtime directories, the innermost owned by uid:gid
 * with runtime_directory_mode (set after the owner, which clears setgid).
 * 0, or -2 with why: the start cannot work until someone looks (no /run,
 * a file or link in the way).
 */
int
svdirs_make(const struct svc_conf *sc, uid_t uid, gid_t gid, char *why,
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
