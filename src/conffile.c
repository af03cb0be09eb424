/*
 * conffile.c: a config file is read only if it is safe to: a regular file
 * (a FIFO or a device would block guardiand, or act on being opened), not
 * of /proc or /sys, of bounded size, and, when guardiand runs as root,
 * writable by root alone, in a directory only root can write (sshd's
 * StrictModes): a root guardiand runs what its files say. config.c reads
 * the lines; this file decides whether there are lines to read.
 */
#include <sys/stat.h>
#include <sys/vfs.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define CONF_FILE_MAX	(1024 * 1024)	/* a config file larger is refused */

/* True if this file was read already, so a pattern matching it twice (or
 * the main file) is harmless. */
bool
conffile_seen_before(struct conffile_ids *files, const struct stat *st)
{
	struct conffile_id *nf;
	size_t i;

	for (i = 0; i < files->n; i++)
		if (files->v[i].dev == st->st_dev &&
		    files->v[i].ino == st->st_ino)
			return true;
	if ((nf = reallocarray(files->v, files->n + 1, sizeof(*nf))) != NULL) {
		files->v = nf;
		files->v[files->n].dev = st->st_dev;
		files->v[files->n++].ino = st->st_ino;
	}
	return false;
}

/* What kind of file a mode is, for "not a regular file (a FIFO)". */
static const char *
file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	    S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	    S_ISDIR(m) ? "a directory" : "not a regular file";
}

/*
 * Reads a config file whole, and only a regular one: a FIFO or a device
 * would block guardiand (or act on being opened), and a file of /proc or
 * /sys is no config and may never end. Opened without blocking, read up to
 * CONF_FILE_MAX. 0 with the data, or -1 with why.
 */
int
conffile_read(const char *path, struct stat *st, char **data, size_t *len,
    char *why, size_t whylen)
{
	struct statfs sfs;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd = -1;

	if (stat(path, st) < 0)
		goto sys;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto sys;
	}
	if (!S_ISREG(st->st_mode))
		goto notreg;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		goto sys;
	if (fstat(fd, st) < 0)
		goto sys;
	if (!S_ISREG(st->st_mode))
		goto notreg;	/* replaced since the stat */
	if (fstatfs(fd, &sfs) == 0 && (sfs.f_type == PROC_SUPER_MAGIC ||
	    sfs.f_type == SYSFS_MAGIC)) {
		fmt_err(why, whylen, "a file of /proc or /sys, not a "
		    "configuration file; refusing it");
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > CONF_FILE_MAX + 1)
				cap = CONF_FILE_MAX + 1;
			if ((nb = realloc(buf, cap)) == NULL)
				goto sys;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			goto sys;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CONF_FILE_MAX) {
			fmt_err(why, whylen, "larger than %d KiB; refusing it",
			    CONF_FILE_MAX / 1024);
			goto fail;
		}
	}
	close(fd);
	*data = buf;
	*len = n;
	return 0;
notreg:
	fmt_err(why, whylen, "not a regular file (%s); refusing it",
	    file_kind(st->st_mode));
	goto fail;
sys:
	fmt_err(why, whylen, "%s", strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/*
 * Like sshd's StrictModes for the directory a config file is in (where it
 * really is, past symbolic links): whoever may write there may replace the
 * file. 0 if it is safe (or guardiand is not root), else -1 with why; a
 * directory found unsafe is reported once, then its files are just skipped.
 */
int
conffile_check_dir(struct conffile_ids *dirs, const char *path, char *why,
    size_t whylen)
{
	struct conffile_id *nd;
	struct stat st;
	char *real, *dir;
	size_t i;
	bool ok;

	why[0] = '\0';
	if (geteuid() != 0)
		return 0;
	if ((real = realpath(path, NULL)) == NULL) {
		fmt_err(why, whylen, "%s", strerror(errno));
		return -1;
	}
	dir = dirname(real);
	if (stat(dir, &st) < 0) {
		fmt_err(why, whylen, "directory %s: %s", dir, strerror(errno));
		free(real);
		return -1;
	}
	for (i = 0; i < dirs->n; i++)
		if (dirs->v[i].dev == st.st_dev && dirs->v[i].ino == st.st_ino) {
			free(real);
			return dirs->v[i].ok ? 0 : -1;
		}
	ok = st.st_uid == 0 && (st.st_mode & 022) == 0;
	if (!ok)
		fmt_err(why, whylen, "directory %s is writable by others than "
		    "root (owner uid %ld, mode %04o); refusing it", dir,
		    (long)st.st_uid, (unsigned)(st.st_mode & 07777));
	free(real);
	if ((nd = reallocarray(dirs->v, dirs->n + 1, sizeof(*nd))) != NULL) {
		dirs->v = nd;
		dirs->v[dirs->n].dev = st.st_dev;
		dirs->v[dirs->n].ino = st.st_ino;
		dirs->v[dirs->n++].ok = ok;
	}
	return ok ? 0 : -1;
}

/* Like sshd's StrictModes for the file itself: 0, or -1 with why. */
int
conffile_check_owner(const struct stat *st, char *why, size_t whylen)
{
	if (geteuid() == 0 && (st->st_uid != 0 || (st->st_mode & 022) != 0)) {
		fmt_err(why, whylen, "writable by others than root (owner uid "
		    "%ld, mode %04o); refusing it", (long)st->st_uid,
		    (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}
