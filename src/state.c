/*
 * state.c: which process groups guardiand's services run in, kept in a file
 * beside the pidfile, so that a guardiand killed with SIGKILL and started
 * again terminates the survivors of the old one instead of running a
 * second copy of every service beside them.
 *
 * One line per process group: "NAME PGID STARTTIME", STARTTIME being the
 * group leader's start (field 22 of /proc/PID/stat), which tells a
 * survivor from an unrelated process that got the same pid later. The
 * groups are each service's and those that outlived their main process;
 * an orphan guardiand adopted has a line of its own with its pid, and is
 * stopped with the session or group it leads, if it leads one.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardiand.h"

/* How long survivors get after SIGTERM, then after SIGKILL. */
#define SURVIVOR_TERM_MS	5000
#define SURVIVOR_KILL_MS	2000

static char *path;
static bool dirty;
static struct buf text;		/* the lines to write */

/* The state file for a pidfile: guardiand.pid -> guardiand.state. */
void
state_init(const char *pidfile)
{
	size_t n = strlen(pidfile);

	free(path);
	if (n > 4 && strcmp(pidfile + n - 4, ".pid") == 0) {
		if (asprintf(&path, "%.*s.state", (int)(n - 4), pidfile) < 0)
			path = NULL;
	} else if (asprintf(&path, "%s.state", pidfile) < 0)
		path = NULL;
}

/* Keeps the lines of the groups, so that the file follows the services
 * without state.c asking service.c for them. */
void
state_record(const struct state_group *g, size_t n)
{
	if (text.failed)
		buf_free(&text);	/* start afresh */
	else
		buf_clear(&text);
	for (size_t i = 0; i < n; i++)
		buf_printf(&text, "%s %ld %llu\n", g[i].name, (long)g[i].pgid,
		    (unsigned long long)g[i].start);
	dirty = true;
}

/* Rewrites the file when something changed: a new file renamed over the
 * old one, created without following links. */
void
state_flush(void)
{
	char *tmp;
	FILE *f;
	int fd;

	if (!dirty || path == NULL)
		return;
	dirty = false;
	if (asprintf(&tmp, "%s.new", path) < 0)
		return;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0 || (f = fdopen(fd, "w")) == NULL) {
		log_warn("guardiand: %s", tmp);
		if (fd >= 0)
			close(fd);
		free(tmp);
		return;
	}
	if (text.len > 0)
		fwrite(text.s, 1, text.len, f);
	if (text.failed) {
		/* Out of memory: the groups are not all known. Keep the file
		 * that was, and try again at the next change. */
		fclose(f);
		unlink(tmp);
		free(tmp);
		log_warnx("guardiand: %s: out of memory", path);
		return;
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		log_warn("guardiand: %s", path);
		unlink(tmp);
	}
	free(tmp);
}

void
state_remove(void)
{
	if (path)
		unlink(path);
	free(path);
	path = NULL;
	buf_free(&text);
}

/* What session_members looks for (a session, or a process group with that
 * id, or the process itself: an adopted orphan need lead neither), and
 * where it puts what it finds. */
struct members {
	pid_t sid;
	pid_t *pids;
	size_t n, max;
};

static bool
member(void *arg, pid_t pid, const struct procstat *ps)
{
	struct members *m = arg;

	if (pid == m->sid || ps->sid == m->sid || ps->pgrp == m->sid)
		m->pids[m->n++] = pid;
	return m->n < m->max;
}

/* Live (not zombie) processes of session (or group) sid, into pids;
 * returns how many. */
static size_t
session_members(pid_t sid, pid_t *pids, size_t max)
{
	struct members m = { sid, pids, 0, max };

	if (max == 0)
		return 0;
	proc_walk(member, &m);
	return m.n;
}

static void
signal_members(pid_t sid, int sig)
{
	pid_t pids[4096];
	size_t n = session_members(sid, pids, sizeof(pids) / sizeof(pids[0]));

	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
}

/* Whether any of the sessions still has a live member. */
static bool
any_alive(const pid_t *sids, size_t n)
{
	pid_t one;

	for (size_t i = 0; i < n; i++)
		if (session_members(sids[i], &one, 1) > 0)
			return true;
	return false;
}

/* Waits until the sessions are empty or the time is up. This runs at
 * start-up, before the loop: there is nothing else to do yet, and the
 * services must not start beside their old copies. */
static bool
wait_empty(const pid_t *sids, size_t n, int64_t ms)
{
	int64_t deadline = now_ms() + ms;

	while (any_alive(sids, n)) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (now_ms() >= deadline)
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

/*
 * At start-up: terminates what a previous guardiand's services left
 * running, all at once: SIGTERM (and SIGCONT), then SIGKILL for what is
 * still there after SURVIVOR_TERM_MS. A group whose leader lives with
 * another start time belongs to an unrelated process that reused the pid,
 * and is left alone (while a session has members its id cannot be reused,
 * so a dead leader is safe).
 */
void
state_reap_survivors(void)
{
	char line[512], name[256], dur[32];
	pid_t sids[1024];
	size_t n = 0;
	FILE *f;

	if (path == NULL || (f = fopen(path, "re")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) && n < sizeof(sids) / sizeof(sids[0])) {
		long pgid;
		unsigned long long start;
		struct procstat ps;
		pid_t one;

		if (sscanf(line, "%255s %ld %llu", name, &pgid, &start) != 3 ||
		    pgid <= 1)
			continue;
		if (proc_stat((pid_t)pgid, &ps) == 0 && ps.start != start)
			continue;
		if (session_members((pid_t)pgid, &one, 1) == 0)
			continue;
		log_warnx("%s: processes of session %ld survive from a previous "
		    "guardiand: terminating them", name, pgid);
		signal_members((pid_t)pgid, SIGTERM);
		signal_members((pid_t)pgid, SIGCONT);
		sids[n++] = (pid_t)pgid;
	}
	fclose(f);
	unlink(path);
	if (n == 0 || wait_empty(sids, n, SURVIVOR_TERM_MS))
		return;
	for (size_t i = 0; i < n; i++)
		signal_members(sids[i], SIGKILL);
	log_warnx("guardiand: survivors still there after %s: sent KILL",
	    fmt_duration(SURVIVOR_TERM_MS, dur, sizeof(dur)));
	if (!wait_empty(sids, n, SURVIVOR_KILL_MS))
		log_warnx("guardiand: survivors of a previous guardiand do not go away");
}
