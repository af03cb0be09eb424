/*
 * stamp: the service under test for the restart-latency benchmark.
 *
 * At start it writes one line "PID MONOTONIC_NS\n" to a FIFO and then
 * pause()s until it is killed.  The FIFO is argv[1].  Run as "run" (a
 * service directory's ./run symlinked to this binary, so that runit, s6 and
 * daemontools exec it directly, without a shell in between) it is "fifo" in
 * the working directory whatever the arguments: s6-supervise passes one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct timespec ts;
	const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	const char *path = strcmp(base, "run") == 0 || argc < 2 ? "fifo" : argv[1];
	char line[64];
	int fd, len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	len = snprintf(line, sizeof(line), "%ld %lld\n", (long)getpid(),
	    (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC)) == -1) {
		fprintf(stderr, "stamp: %s: %s\n", path, strerror(errno));
		return 111;
	}
	if (write(fd, line, (size_t)len) != len) {
		fprintf(stderr, "stamp: write: %s\n", strerror(errno));
		return 111;
	}
	close(fd);
	for (;;)
		pause();
}
