/*
 * latency: restart latency of supervised services killed with SIGKILL.
 *
 *	latency [-b STAMP] [-n SAMPLES] [-w WAIT_MS] [-t TIMEOUT_MS] [-o DIR]
 *	    LABEL=FIFO...
 *
 * Each service is bench/stamp, which writes "PID MONOTONIC_NS" to its FIFO
 * when it starts.  One sample: wait until the current instance has been up
 * WAIT_MS (so that every supervisor counts the run as healthy), take t_kill
 * from CLOCK_MONOTONIC, SIGKILL it, read the next line; the sample is
 * t_new - t_kill.  A target labelled "baseline" has no supervisor: this
 * program forks and execs STAMP (-b) itself and the sample is
 * t_report - t_before_fork, the floor any supervisor can reach.
 *
 * The targets are measured round-robin, one sample each per round, so that
 * whatever else loads the machine spreads over all of them alike.
 *
 * Prints one line per target: RESULT LABEL N MEDIAN P90 MIN MAX (ms), and
 * " incomplete" when it failed after N samples (a restart slower than the
 * timeout): the figures are then of those N; RESULT LABEL 0 - - - - when
 * it failed before any.  With -o, the
 * samples of each target go to DIR/latency-LABEL.txt.  Exits 1 if any
 * target failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "now.h"

struct target {
	const char	*label;
	const char	*fifo;
	int		 fd;
	int		 baseline;
	int		 failed;
	long		 pid;		/* the instance up now */
	int64_t		 t_up;		/* when it reported, ns */
	long		 n;		/* samples taken */
	double		*ms;
	char		 buf[4096];
	size_t		 buflen;
};

static void
sleep_until(int64_t t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(t / 1000000000LL);
	ts.tv_nsec = (long)(t % 1000000000LL);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Read one "PID NS" line of t within timeout_ms; 0 on success. */
static int
read_line(struct target *t, long timeout_ms, long *pid, int64_t *ns)
{
	int64_t deadline = now_ns() + (int64_t)timeout_ms * 1000000LL;

	for (;;) {
		char *nl = memchr(t->buf, '\n', t->buflen);
		struct pollfd pfd = { t->fd, POLLIN, 0 };
		int64_t left;
		ssize_t r;

		if (nl != NULL) {
			long long v;
			size_t used = (size_t)(nl - t->buf) + 1;
			int ok;

			*nl = '\0';
			ok = sscanf(t->buf, "%ld %lld", pid, &v) == 2;
			memmove(t->buf, t->buf + used, t->buflen - used);
			t->buflen -= used;
			if (!ok)
				continue;
			*ns = v;
			return 0;
		}
		left = (deadline - now_ns()) / 1000000LL;
		if (left <= 0)
			return -1;
		if (poll(&pfd, 1, (int)left) <= 0)
			continue;
		r = read(t->fd, t->buf + t->buflen, sizeof(t->buf) - 1 - t->buflen);
		if (r > 0)
			t->buflen += (size_t)r;
		else if (r == -1 && errno != EINTR && errno != EAGAIN)
			return -1;
	}
}

/* One sample of a supervised target: kill the instance, time the next. */
static int
sample_supervised(struct target *t, long wait_ms, long timeout_ms)
{
	int64_t t0, t1;
	long newpid;

	sleep_until(t->t_up + (int64_t)wait_ms * 1000000LL);
	t0 = now_ns();
	if (kill((pid_t)t->pid, SIGKILL) == -1) {
		fprintf(stderr, "%s: kill %ld: %s\n", t->label, t->pid,
		    strerror(errno));
		return -1;
	}
	if (read_line(t, timeout_ms, &newpid, &t1) != 0) {
		fprintf(stderr, "%s: sample %ld: no restart within %ld ms\n",
		    t->label, t->n, timeout_ms);
		return -1;
	}
	if (newpid == t->pid) {
		fprintf(stderr, "%s: pid %ld reported twice\n", t->label, newpid);
		return -1;
	}
	t->ms[t->n++] = (double)(t1 - t0) / 1e6;
	t->pid = newpid;
	t->t_up = t1;
	return 0;
}

/* One sample of the baseline: fork and exec stamp ourselves. */
static int
sample_baseline(struct target *t, const char *stamp, long timeout_ms)
{
	int64_t t0, t1;
	long newpid;
	pid_t child;
	int rc = 0;

	t0 = now_ns();
	if ((child = fork()) == -1) {
		perror("latency: fork");
		return -1;
	}
	if (child == 0) {
		execl(stamp, stamp, t->fifo, (char *)NULL);
		_exit(127);
	}
	if (read_line(t, timeout_ms, &newpid, &t1) != 0) {
		fprintf(stderr, "%s: sample %ld: no report\n", t->label, t->n);
		rc = -1;
	} else
		t->ms[t->n++] = (double)(t1 - t0) / 1e6;
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
usage(void)
{
	fprintf(stderr, "usage: latency [-b STAMP] [-n SAMPLES] [-w WAIT_MS] "
	    "[-t TIMEOUT_MS] [-o DIR] LABEL=FIFO...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char *stamp = NULL, *outdir = NULL;
	long n = 30, wait_ms = 1200, timeout_ms = 10000, r;
	struct target *tg;
	int c, i, nt, rc = 0;

	while ((c = getopt(argc, argv, "b:n:w:t:o:")) != -1) {
		switch (c) {
		case 'b': stamp = optarg; break;
		case 'n': n = atol(optarg); break;
		case 'w': wait_ms = atol(optarg); break;
		case 't': timeout_ms = atol(optarg); break;
		case 'o': outdir = optarg; break;
		default: usage();
		}
	}
	nt = argc - optind;
	if (nt < 1 || n < 1 || wait_ms < 0 || timeout_ms < 1)
		usage();
	if ((tg = calloc((size_t)nt, sizeof(*tg))) == NULL)
		return 1;
	for (i = 0; i < nt; i++) {
		struct target *t = &tg[i];
		char *eq = strchr(argv[optind + i], '=');

		if (eq == NULL)
			usage();
		*eq = '\0';
		t->label = argv[optind + i];
		t->fifo = eq + 1;
		t->baseline = strcmp(t->label, "baseline") == 0;
		if (t->baseline && stamp == NULL)
			usage();
		if ((t->ms = calloc((size_t)n, sizeof(*t->ms))) == NULL)
			return 1;
		if (mkfifo(t->fifo, 0600) == -1 && errno != EEXIST) {
			fprintf(stderr, "latency: mkfifo %s: %s\n", t->fifo,
			    strerror(errno));
			return 1;
		}
		/* O_RDWR: never blocks on open, never sees EOF between writers. */
		if ((t->fd = open(t->fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC)) == -1) {
			fprintf(stderr, "latency: %s: %s\n", t->fifo, strerror(errno));
			return 1;
		}
	}
	for (i = 0; i < nt; i++) {
		struct target *t = &tg[i];

		if (!t->baseline && read_line(t, timeout_ms, &t->pid, &t->t_up) != 0) {
			fprintf(stderr, "%s: the service never reported\n", t->label);
			t->failed = 1;
		}
	}
	for (r = 0; r < n; r++) {
		for (i = 0; i < nt; i++) {
			struct target *t = &tg[i];

			if (t->failed)
				continue;
			if (t->baseline ? sample_baseline(t, stamp, timeout_ms) :
			    sample_supervised(t, wait_ms, timeout_ms))
				t->failed = 1;
		}
	}
	for (i = 0; i < nt; i++) {
		struct target *t = &tg[i];
		double median, p90;
		long j, m;

		if (outdir != NULL) {
			char path[4096];
			FILE *f;

			snprintf(path, sizeof(path), "%s/latency-%s.txt", outdir,
			    t->label);
			if ((f = fopen(path, "w")) != NULL) {
				for (j = 0; j < t->n; j++)
					fprintf(f, "%.3f\n", t->ms[j]);
				fclose(f);
			}
		}
		if (t->n < n)
			rc = 1;
		if (t->n == 0) {
			printf("RESULT %s 0 - - - -\n", t->label);
			continue;
		}
		/* Of the samples taken, also when the target failed before n. */
		m = t->n;
		qsort(t->ms, (size_t)m, sizeof(*t->ms), cmp);
		median = m % 2 ? t->ms[m / 2] : (t->ms[m / 2 - 1] + t->ms[m / 2]) / 2;
		p90 = t->ms[(m * 9 + 9) / 10 - 1];	/* nearest rank: ceil(0.9 m) */
		printf("RESULT %s %ld %.3f %.3f %.3f %.3f%s\n", t->label, m, median,
		    p90, t->ms[0], t->ms[m - 1], m < n ? " incomplete" : "");
	}
	return rc;
}
