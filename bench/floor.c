/*
 * floor: the least a supervisor can do, to measure the others against.  A
 * fork+exec / waitpid loop: it starts every service, and restarts one that
 * exited after DELAY_MS (0: at once), nothing else (no pipes, no logging,
 * no state but a pid per service).
 *
 *	floor [-m MAX] GROUP...
 *
 * A GROUP is one argument "N:DELAY_MS:OUT:COMMAND ARG...": N services of
 * that command (split on spaces, exec'd directly), restarted DELAY_MS after
 * they exit, their stdout appended to the file OUT ("-": /dev/null, as
 * stdin and stderr).  With -m, it stops restarting after MAX restarts in
 * all (so that it does the same number of starts as a supervisor it is
 * compared with).  On SIGTERM or SIGINT it kills its services (SIGKILL),
 * reaps them and exits.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

struct svc {
	pid_t		 pid;		/* 0: not running */
	int64_t		 due;		/* when to restart, ns; 0: none */
	int		 group;
};

struct group {
	char		**argv;
	long		 delay_ms;
	const char	*out;
};

static struct svc *svcs;
static struct group *groups;
static long nsvc;
static volatile sig_atomic_t stop;

static void
on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static void
on_chld(int sig)
{
	(void)sig;
}

/* Fork and exec one service; the child undoes only what it must. */
static void
start(struct svc *s, const sigset_t *orig)
{
	struct group *g = &groups[s->group];
	pid_t pid;

	if ((pid = fork()) == -1) {
		perror("floor: fork");
		s->due = now_ns() + 100000000LL;
		return;
	}
	if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		int out = strcmp(g->out, "-") == 0 ? fd :
		    open(g->out, O_WRONLY | O_APPEND | O_CREAT, 0644);

		dup2(fd, 0);
		dup2(out, 1);
		dup2(fd, 2);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		sigprocmask(SIG_SETMASK, orig, NULL);
		execv(g->argv[0], g->argv);
		_exit(127);
	}
	s->pid = pid;
	s->due = 0;
}

static void
parse_group(struct group *g, char *spec, long *n)
{
	char *p, *q, *r, *tok;
	int argc = 0;

	if ((p = strchr(spec, ':')) == NULL || (q = strchr(p + 1, ':')) == NULL ||
	    (r = strchr(q + 1, ':')) == NULL) {
		fprintf(stderr, "floor: bad group %s\n", spec);
		exit(2);
	}
	*p = *q = *r = '\0';
	*n = atol(spec);
	g->delay_ms = atol(p + 1);
	g->out = q + 1;
	g->argv = calloc(strlen(r + 1) / 2 + 2, sizeof(char *));
	for (tok = strtok(r + 1, " "); tok != NULL; tok = strtok(NULL, " "))
		g->argv[argc++] = tok;
	if (argc == 0 || *n < 1) {
		fprintf(stderr, "floor: bad group\n");
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	long max = -1, restarts = 0, i, n;
	int c, ng, k;
	sigset_t set, orig;
	struct sigaction sa;

	while ((c = getopt(argc, argv, "m:")) != -1) {
		if (c == 'm')
			max = atol(optarg);
		else {
			fprintf(stderr, "usage: floor [-m MAX] N:DELAY_MS:OUT:CMD...\n");
			return 2;
		}
	}
	ng = argc - optind;
	if (ng < 1)
		return 2;
	groups = calloc((size_t)ng, sizeof(*groups));
	for (k = 0; k < ng; k++) {
		parse_group(&groups[k], argv[optind + k], &n);
		svcs = realloc(svcs, (size_t)(nsvc + n) * sizeof(*svcs));
		for (i = 0; i < n; i++)
			svcs[nsvc++] = (struct svc){ 0, 0, k };
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_chld;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, &orig);

	for (i = 0; i < nsvc; i++)
		start(&svcs[i], &orig);
	while (!stop) {
		int64_t now = now_ns(), next = 0;
		struct timespec ts, *tp = NULL;
		pid_t pid;
		int st;

		while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
			for (i = 0; i < nsvc; i++) {
				if (svcs[i].pid != pid)
					continue;
				svcs[i].pid = 0;
				if (max >= 0 && restarts >= max)
					break;
				restarts++;
				svcs[i].due = now + groups[svcs[i].group].delay_ms * 1000000LL;
				break;
			}
		}
		for (i = 0; i < nsvc; i++) {
			if (svcs[i].pid != 0 || svcs[i].due == 0)
				continue;
			if (svcs[i].due <= now)
				start(&svcs[i], &orig);
			else if (next == 0 || svcs[i].due < next)
				next = svcs[i].due;
		}
		if (next != 0) {
			int64_t d = next - now_ns();

			if (d < 0)
				d = 0;
			ts.tv_sec = (time_t)(d / 1000000000LL);
			ts.tv_nsec = (long)(d % 1000000000LL);
			tp = &ts;
		}
		/* Sleep until a signal or the next restart is due. */
		k = sigtimedwait(&set, NULL, tp);
		if (k == SIGTERM || k == SIGINT)
			stop = 1;
	}
	for (i = 0; i < nsvc; i++)
		if (svcs[i].pid > 0)
			kill(svcs[i].pid, SIGKILL);
	for (i = 0; i < nsvc; i++)
		if (svcs[i].pid > 0)
			waitpid(svcs[i].pid, NULL, 0);
	return 0;
}
