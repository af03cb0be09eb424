/*
 * linewait: wait until N lines are in a service's log, and say when.
 *
 *	linewait -n N [-t TIMEOUT_MS] [-s STARTFILE] PATH...
 *
 * PATH is a file, or a log directory (s6-log, svlogd, multilog), of which
 * the files "current" and "@*" (rotated) count.  Every 2 ms it reads what
 * was appended to each file since (files are followed by inode, so a
 * rotation renaming "current" counts nothing twice) and counts newlines.
 * Prints "MS COUNT": the time the N-th line was seen, in ms after the
 * CLOCK_MONOTONIC ns in STARTFILE (written by svc flood when it started;
 * else after linewait started), and the lines counted.  Exits 0 when N
 * lines came within the timeout, 1 otherwise.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

struct seen {
	ino_t	 ino;
	off_t	 off;
};

static struct seen seen[4096];
static int nseen;
static long lines;

/* Count the newlines appended to one file since we last looked. */
static void
follow(const char *path)
{
	static char buf[1 << 16];
	struct stat st;
	struct seen *s = NULL;
	int fd, i;
	ssize_t r, j;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return;
	}
	for (i = 0; i < nseen; i++)
		if (seen[i].ino == st.st_ino)
			s = &seen[i];
	if (s == NULL && nseen < (int)(sizeof(seen) / sizeof(seen[0]))) {
		s = &seen[nseen++];
		*s = (struct seen){ st.st_ino, 0 };
	}
	if (s == NULL || st.st_size <= s->off) {
		close(fd);
		return;
	}
	while ((r = pread(fd, buf, sizeof(buf), s->off)) > 0) {
		for (j = 0; j < r; j++)
			if (buf[j] == '\n')
				lines++;
		s->off += r;
	}
	close(fd);
}

static void
scan(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char p[4096];

	if (stat(path, &st) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		follow(path);
		return;
	}
	if ((d = opendir(path)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, "current") != 0 && de->d_name[0] != '@')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		follow(p);
	}
	closedir(d);
}

int
main(int argc, char **argv)
{
	long n = 1, timeout_ms = 120000;
	const char *startfile = NULL;
	int64_t t0 = now_ns(), t1, deadline;
	struct timespec tick = { 0, 2000000 };
	FILE *f;
	int c, i;

	while ((c = getopt(argc, argv, "n:t:s:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 's': startfile = optarg; break;
		default:
			fprintf(stderr, "usage: linewait -n N [-t MS] [-s STARTFILE] PATH...\n");
			return 2;
		}
	}
	deadline = t0 + (int64_t)timeout_ms * 1000000LL;
	for (;;) {
		for (i = optind; i < argc; i++)
			scan(argv[i]);
		t1 = now_ns();
		if (lines >= n || t1 >= deadline)
			break;
		nanosleep(&tick, NULL);
	}
	if (startfile != NULL && (f = fopen(startfile, "r")) != NULL) {
		long long v;

		if (fscanf(f, "%lld", &v) == 1)
			t0 = v;
		fclose(f);
	}
	printf("%.1f %ld\n", (double)(t1 - t0) / 1e6, lines);
	return lines >= n ? 0 : 1;
}
