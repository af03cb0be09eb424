/*
 * reaper: run a command as a child subreaper, so that every process the
 * benchmarks start and then orphan (a supervisor killed before its service,
 * a service whose supervisor exited) comes back here and is reaped.  The pid
 * 1 of some containers does not reap.  When the command exits, the
 * descendants still alive are sent SIGKILL and reaped, with a deadline.
 *
 *	reaper COMMAND [ARG...]
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child;

static void
forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Send SIGKILL to every process whose parent is us; return how many. */
static int
kill_children(void)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	pid_t me = getpid();

	if (d == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		char path[64], buf[512], *p;
		FILE *f;
		long ppid;
		pid_t pid = (pid_t)atol(de->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(buf, sizeof(buf), f) != NULL &&
		    (p = strrchr(buf, ')')) != NULL &&
		    sscanf(p + 2, "%*c %ld", &ppid) == 1 && ppid == me) {
			kill(pid, SIGKILL);
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

int
main(int argc, char **argv)
{
	int st, rc = 1, i;
	pid_t pid;

	if (argc < 2) {
		fprintf(stderr, "usage: reaper COMMAND [ARG...]\n");
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1) {
		perror("reaper: prctl");
		return 1;
	}
	signal(SIGINT, forward);
	signal(SIGTERM, forward);
	signal(SIGHUP, forward);
	if ((child = fork()) == -1) {
		perror("reaper: fork");
		return 1;
	}
	if (child == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "reaper: %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	for (;;) {
		pid = waitpid(-1, &st, 0);
		if (pid == -1 && errno == EINTR)
			continue;
		if (pid == -1)
			break;
		if (pid == child) {
			rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			break;
		}
	}
	/* Whatever is left was started by the command: end it, bounded. */
	for (i = 0; i < 50; i++) {
		struct timespec ts = { 0, 100 * 1000000L };

		while (waitpid(-1, &st, WNOHANG) > 0)
			;
		if (kill_children() == 0)
			break;
		if (i == 0)
			fprintf(stderr, "reaper: killing leftover processes\n");
		nanosleep(&ts, NULL);
	}
	return rc;
}
