/*
 * upwait: launch a supervisor and time how long until N services report.
 *
 *	upwait -n N [-t TIMEOUT_MS] FIFO COMMAND [ARG...]
 *
 * Holds FIFO open (O_RDWR, so it never sees EOF), takes t0 from
 * CLOCK_MONOTONIC, forks and execs COMMAND (the supervisor, or a script
 * launching one supervisor per service), and counts the "PID\n" lines the
 * services (svc up FIFO) write once they run.  Prints "PID MS COUNT": the
 * command's pid, the time from t0 to the N-th report (or to the timeout),
 * the reports seen.  Exits 0 when N came, 1 otherwise.  COMMAND is left
 * running (it is reparented when we exit).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char **argv)
{
	long n = 1, timeout_ms = 60000, got = 0;
	int64_t t0, t1, deadline;
	char buf[65536];
	pid_t pid;
	int c, fd;

	while ((c = getopt(argc, argv, "+n:t:")) != -1) {
		switch (c) {
		case 'n': n = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		default: goto usage;
		}
	}
	if (argc - optind < 2) {
usage:
		fprintf(stderr, "usage: upwait -n N [-t TIMEOUT_MS] FIFO COMMAND...\n");
		return 2;
	}
	if (mkfifo(argv[optind], 0666) == -1 && errno != EEXIST) {
		perror("upwait: mkfifo");
		return 2;
	}
	if ((fd = open(argv[optind], O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
		perror("upwait: open");
		return 2;
	}
	t0 = now_ns();
	deadline = t0 + (int64_t)timeout_ms * 1000000LL;
	if ((pid = fork()) == -1) {
		perror("upwait: fork");
		return 2;
	}
	if (pid == 0) {
		/* Not our stdout: whoever reads it waits for its end. */
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(null, 1);
		execvp(argv[optind + 1], argv + optind + 1);
		perror("upwait: exec");
		_exit(127);
	}
	t1 = now_ns();
	while (got < n) {
		struct pollfd pfd = { fd, POLLIN, 0 };
		int64_t left = (deadline - now_ns()) / 1000000LL;
		ssize_t r, i;

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left > 100 ? 100 : left)) <= 0) {
			waitpid(-1, NULL, WNOHANG);	/* a launcher script that exited */
			continue;
		}
		if ((r = read(fd, buf, sizeof(buf))) <= 0)
			continue;
		for (i = 0; i < r; i++)
			if (buf[i] == '\n')
				got++;
		t1 = now_ns();
	}
	if (got < n)
		t1 = now_ns();
	printf("%ld %.1f %ld\n", (long)pid, (double)(t1 - t0) / 1e6, got);
	return got >= n ? 0 : 1;
}
