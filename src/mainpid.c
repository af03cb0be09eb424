/*
 * mainpid.c: the main process of a service that daemonizes itself (type =
 * forking), read from the pidfile it writes, without letting that file
 * point guardiand at a process it must not watch or kill.
 *
 * The rule (systemd's since CVE-2018-16888, made stricter): the path is
 * walked one component at a time, never following a symlink blindly. The
 * file is trusted if it, every symlink on the way and every directory it is
 * reached through are owned by root (or by guardiand's own user), and no
 * directory is writable by group or others unless it is sticky (/tmp:
 * entries there belong to whoever made them, so the owner test catches
 * them). The content's first line is one decimal pid (what follows it is
 * ignored, as systemd does), greater than 1, not guardiand itself, of a live
 * process that is not a zombie. A pid of the service (member() says 1: its
 * cgroup, or its process tree in the fallback) is accepted from any file. A
 * pid member() knows to be outside the service (0: not in its cgroup) is
 * refused from any file: stricter than systemd, which accepts it from a file
 * of root's, as a stale pidfile (nginx's, after kill -9 of its master) may
 * name a pid reused by an unrelated process. When member() cannot tell (-1,
 * or no member: the fallback), the pid is accepted only from a trusted file.
 * Anything else is refused with the reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardiand.h"

#define MAINPID_SYMLINKS_MAX	16	/* symlinks followed on the way */
#define MAINPID_FILE_MAX	32	/* bytes read: the first line is in them */

/* Whether an owner is trusted: root, or guardiand's own user (a guardiand
 * that is not root can signal only its user's processes anyway). */
static bool
owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* Whether a directory leaves its entries to a trusted owner alone. */
static bool
dir_trusted(const struct stat *st)
{
	return owner_ok(st->st_uid) &&
	    ((st->st_mode & 022) == 0 || (st->st_mode & S_ISVTX) != 0);
}

/*
 * Walks path down to its file without following a symlink unawares: an
 * O_PATH descriptor of the regular file, or -1 with why and errno. *trusted
 * turns false at the first thing a user other than root (or guardiand's
 * own) controls, and note
 * says which.
 */
static int
walk(const char *path, bool *trusted, char *note, size_t nlen, char *why,
    size_t wlen)
{
	char rest[PATH_MAX], target[PATH_MAX], comp[NAME_MAX + 1], *p;
	struct stat st;
	size_t len;
	int dfd, fd, links = 0;
	ssize_t n;

	if (path[0] != '/' || strlen(path) >= sizeof(rest)) {
		fmt_err(why, wlen, "%s: not an absolute path", path);
		errno = EINVAL;
		return -1;
	}
	strcpy(rest, path);
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(dfd, &st) != 0)
		goto sys;
	*trusted = dir_trusted(&st);
	if (!*trusted)
		fmt_err(note, nlen, "/ is writable by a user other than root");
	for (;;) {
		for (p = rest; *p == '/'; p++)
			;
		len = strcspn(p, "/");
		if (len == 0) {
			fmt_err(why, wlen, "%s: names a directory", path);
			errno = EISDIR;
			goto fail;
		}
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			goto sys;
		}
		memcpy(comp, p, len);
		comp[len] = '\0';
		memmove(rest, p + len, strlen(p + len) + 1);
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			fmt_err(why, wlen, "%s: \"..\" in a pidfile's path: refused", path);
			errno = EINVAL;
			goto fail;
		}
		if ((fd = openat(dfd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
			goto sys;
		if (fstat(fd, &st) != 0) {
			close(fd);
			goto sys;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++links > MAINPID_SYMLINKS_MAX) {
				close(fd);
				errno = ELOOP;
				goto sys;
			}
			if (!owner_ok(st.st_uid) && *trusted) {
				*trusted = false;
				fmt_err(note, nlen, "symlink %s is owned by uid %ld",
				    comp, (long)st.st_uid);
			}
			n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (n < 0)
				goto sys;
			target[n] = '\0';
			if ((size_t)n + 1 + strlen(rest) >= sizeof(rest)) {
				errno = ENAMETOOLONG;
				goto sys;
			}
			/* The link's target, then what was left after it. */
			memmove(rest + n + 1, rest, strlen(rest) + 1);
			memcpy(rest, target, (size_t)n);
			rest[n] = '/';
			if (rest[n + 1] == '\0')
				rest[n] = '\0';
			if (target[0] == '/') {
				close(dfd);
				if ((dfd = open("/", O_PATH | O_DIRECTORY |
				    O_CLOEXEC)) < 0)
					goto sys;
			}
			continue;
		}
		if (rest[strspn(rest, "/")] != '\0') {
			if (!S_ISDIR(st.st_mode)) {
				close(fd);
				errno = ENOTDIR;
				goto sys;
			}
			if (!dir_trusted(&st) && *trusted) {
				*trusted = false;
				fmt_err(note, nlen, "directory %s is writable by "
				    "uid %ld or others", comp, (long)st.st_uid);
			}
			close(dfd);
			dfd = fd;
			continue;
		}
		close(dfd);
		if (!S_ISREG(st.st_mode)) {
			close(fd);
			fmt_err(why, wlen, "%s: not a regular file", path);
			errno = EINVAL;
			return -1;
		}
		if (!owner_ok(st.st_uid) && *trusted) {
			*trusted = false;
			fmt_err(note, nlen, "it is owned by uid %ld", (long)st.st_uid);
		}
		return fd;
	}
sys:
	fmt_err(why, wlen, "%s: %s", path, strerror(errno));
fail:
	if (dfd >= 0) {
		int e = errno;

		close(dfd);
		errno = e;
	}
	return -1;
}

/* Reads the file behind an O_PATH descriptor; its length, or -1. */
static ssize_t
read_opath(int fd, char *buf, size_t len)
{
	char proc[64];
	ssize_t n, got = 0;
	int rfd;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if ((rfd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return -1;
	while ((size_t)got < len &&
	    (n = read(rfd, buf + got, len - (size_t)got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(rfd);
			return -1;
		}
		got += n;
	}
	close(rfd);
	return got;
}

/* 'R', 'S', 'Z'... of a process, or 0 if there is none. */
static char
proc_state(pid_t pid)
{
	char file[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(file, sizeof(file), "/proc/%ld/stat", (long)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL || p[1] != ' ')
		return 0;
	return p[2];
}

/*
 * Reads a forking service's main pid from its pidfile: 0 with *pidp, or -1
 * with the reason in why and errno (ENOENT: not written yet; EINVAL: not
 * one pid; ESRCH: no such live process; EPERM: refused by the rule above).
 * member(pid, arg) says 1 (the service's), 0 (not), -1 (cannot tell); it
 * may be NULL. On success why is empty, or says why a pid the service may
 * not own was accepted.
 */
int
mainpid_read(const char *path, int (*member)(pid_t pid, void *arg), void *arg,
    pid_t *pidp, char *why, size_t wlen)
{
	char buf[MAINPID_FILE_MAX + 1], note[PATH_MAX + 64] = "";
	bool trusted = false;
	ssize_t n;
	long pid = 0;
	size_t i;
	int fd, in;
	char st;

	fmt_err(why, wlen, "%s", "");
	if ((fd = walk(path, &trusted, note, sizeof(note), why, wlen)) < 0)
		return -1;
	n = read_opath(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0) {
		fmt_err(why, wlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	buf[n] = '\0';
	/* The first line alone, as systemd reads it: postgres' postmaster.pid
	 * has the pid on its first line and seven more after it. */
	for (i = 0; i < (size_t)n && buf[i] >= '0' && buf[i] <= '9' && i < 10; i++)
		pid = pid * 10 + (buf[i] - '0');
	if (i == 0 || (buf[i] != '\0' && buf[i] != '\n')) {
		fmt_err(why, wlen, "%s: its first line is not one decimal pid", path);
		errno = EINVAL;
		return -1;
	}
	if (pid <= 1 || pid > INT_MAX || pid == getpid()) {
		fmt_err(why, wlen, "%s: pid %ld cannot be a service's main process",
		    path, pid);
		errno = EINVAL;
		return -1;
	}
	if ((st = proc_state((pid_t)pid)) == 0 || st == 'Z' || st == 'X') {
		fmt_err(why, wlen, "%s: pid %ld: %s", path, pid,
		    st == 0 ? "no such process" : "exited (a zombie)");
		errno = ESRCH;
		return -1;
	}
	if ((in = member != NULL ? member((pid_t)pid, arg) : -1) == 1) {
		*pidp = (pid_t)pid;
		return 0;
	}
	if (in == 0) {
		fmt_err(why, wlen, "%s: pid %ld is not a process of the service: "
		    "refused", path, pid);
		errno = EPERM;
		return -1;
	}
	if (!trusted) {
		fmt_err(why, wlen, "%s: pid %ld is not known to be the service's, "
		    "and the file is not root's alone (%s): refused", path, pid,
		    note);
		errno = EPERM;
		return -1;
	}
	fmt_err(why, wlen, "%s: pid %ld is not known to be the service's; accepted "
	    "as the file is root's", path, pid);
	*pidp = (pid_t)pid;
	return 0;
}
