/*
 * pidfile.c: guardiand's pidfile, locked with flock(2) while it runs.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/*
 * Opens and locks the pidfile. The lock, not the pid in it, says whether a
 * guardiand runs: a stale file (dead pid, or a pid reused by another
 * program) is simply taken over, which libdaemon's kill(pid, 0) test gets
 * wrong (notes/libdaemon.md, traps 7-9).
 */
int
pidfile_lock(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0) {
		if (errno == ELOOP)
			fprintf(stderr, "guardiand: pidfile %s is a symbolic link, "
			    "refusing it\n", path);
		else
			fprintf(stderr, "guardiand: pidfile %s: %s\n", path,
			    strerror(errno));
		exit(EXIT_PIDFILE);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		fprintf(stderr, "guardiand: pidfile %s is not a regular file\n", path);
		exit(EXIT_PIDFILE);
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		char buf[32] = "";
		ssize_t n;

		if (errno != EWOULDBLOCK) {
			fprintf(stderr, "guardiand: pidfile %s: lock: %s\n", path,
			    strerror(errno));
			exit(EXIT_PIDFILE);
		}
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		fprintf(stderr, "guardiand: already running, pid %s (pidfile %s)\n",
		    buf[0] ? buf : "unknown", path);
		exit(EXIT_RUNNING);
	}
	return fd;
}

int
pidfile_write(int fd, pid_t pid)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)pid);

	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		return -1;
	return 0;
}
