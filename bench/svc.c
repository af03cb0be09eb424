/*
 * svc: the services the benchmarks supervise, one binary for all so that
 * every supervisor runs exactly the same thing.
 *
 *	svc up FIFO		write "PID\n" to FIFO (if it has a reader), then
 *				sleep in pause() until killed: the "sleep"
 *				service of the memory, start and idle scenarios
 *	svc crash COUNTFILE	append CLOCK_BOOTTIME seconds to COUNTFILE and
 *				exit 1 at once: the crash-looping service
 *	svc flood N STARTFILE	create STARTFILE.ready, wait (up to 120 s) until
 *				STARTFILE.go exists, write CLOCK_MONOTONIC ns
 *				to STARTFILE, then N lines of 100 bytes (8
 *				digits, 91 zeros, newline) to stdout through
 *				stdio, then pause()
 *
 * Run as "run" (a service directory's ./run symlinked to this binary, so
 * that runit, s6 and daemontools exec it with no shell in between) it takes
 * its arguments from the first line of ./svc.args.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void __attribute__((noreturn))
up(const char *fifo)
{
	char line[32];
	int fd, len;

	len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
	/* Nonblocking: once nobody waits for the report, open fails (ENXIO). */
	if ((fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)) != -1) {
		if (write(fd, line, (size_t)len) != len)
			perror("svc: write");
		close(fd);
	}
	for (;;)
		pause();
}

static int
crash(const char *path)
{
	struct timespec ts;
	char line[32];
	int fd, len;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	len = snprintf(line, sizeof(line), "%ld.%03ld\n", (long)ts.tv_sec,
	    ts.tv_nsec / 1000000);
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644)) != -1) {
		if (write(fd, line, (size_t)len) != len)
			perror("svc: write");
		close(fd);
	}
	return 1;
}

static void __attribute__((noreturn))
flood(long n, const char *startfile)
{
	struct timespec ts, tick = { 0, 5000000 };
	char path[4096];
	FILE *f;
	long i;

	/* Ready, then go: the bench takes the supervisor's CPU in between. */
	snprintf(path, sizeof(path), "%s.ready", startfile);
	if ((f = fopen(path, "w")) != NULL)
		fclose(f);
	snprintf(path, sizeof(path), "%s.go", startfile);
	for (i = 0; i < 24000 && access(path, F_OK) == -1; i++)
		nanosleep(&tick, NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((f = fopen(startfile, "w")) != NULL) {
		fprintf(f, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
		fclose(f);
	}
	for (i = 0; i < n; i++)
		printf("%08ld%091d\n", i, 0);
	fflush(stdout);
	for (;;)
		pause();
}

int
main(int argc, char **argv)
{
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	static char buf[4096];
	static char *av[16];

	if (strcmp(base, "run") == 0) {
		FILE *f = fopen("svc.args", "r");
		char *p;

		if (f == NULL || fgets(buf, sizeof(buf), f) == NULL) {
			fprintf(stderr, "svc: ./svc.args: %s\n", strerror(errno));
			return 111;
		}
		fclose(f);
		av[0] = argv[0];
		argc = 1;
		for (p = strtok(buf, " \n"); p != NULL && argc < 15; p = strtok(NULL, " \n"))
			av[argc++] = p;
		av[argc] = NULL;
		argv = av;
	}
	if (argc == 3 && strcmp(argv[1], "up") == 0)
		up(argv[2]);
	if (argc == 3 && strcmp(argv[1], "crash") == 0)
		return crash(argv[2]);
	if (argc == 4 && strcmp(argv[1], "flood") == 0)
		flood(atol(argv[2]), argv[3]);
	fprintf(stderr, "usage: svc up FIFO | crash COUNTFILE | flood N STARTFILE\n");
	return 111;
}
