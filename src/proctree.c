/*
 * proctree.c: /proc, read in one place: a process's stat, one walk over
 * every live process (state.c finds sessions with it), and the processes
 * of a service that left its process group (setsid, setpgid), so that
 * stopping the service stops them too.
 *
 * A process belongs to a service if it descends from the service's main
 * process, or if it is an orphan that came back to guardiand (a child
 * subreaper) carrying the service's mark in its environment
 * (GUARDIAND_SERVICE=NAME, set for every service; an orphan has lost its
 * ancestry, the mark survives unless the program cleared its environment),
 * or descends from such an orphan.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* Parses /proc/PID/stat; 0, or -1 if there is no such process. */
int
proc_stat(pid_t pid, struct procstat *ps)
{
	char buf[1024], file[64], *p;
	unsigned long long st;
	ssize_t n;
	int fd, ppid, pg, se;
	char c;

	snprintf(file, sizeof(file), "/proc/%ld/stat", (long)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* The command name may hold anything: skip to its last ')'. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 2, "%c %d %d %d %*d %*d %*u %*u %*u %*u %*u %*u %*u "
	    "%*d %*d %*d %*d %*d %*d %llu", &c, &ppid, &pg, &se, &st) != 5)
		return -1;
	ps->state = c;
	ps->ppid = ppid;
	ps->pgrp = pg;
	ps->sid = se;
	ps->start = st;
	return 0;
}

/* Whether pid is there and not a zombie; its stat in ps if so. */
bool
proc_live(pid_t pid, struct procstat *ps)
{
	struct procstat tmp;

	if (ps == NULL)
		ps = &tmp;
	return pid > 0 && proc_stat(pid, ps) == 0 && ps->state != 'Z' &&
	    ps->state != 'X';
}

/*
 * The value of the GUARDIAND_SERVICE mark in the process's environment,
 * into name (cut at len - 1): 1 if it has one, 0 if its environment has
 * none, -1 if that cannot be told: unreadable, or empty, which is what a
 * process in the middle of an execve shows (its new environment is not in
 * place yet) as well as one started with an empty environment.
 */
int
proc_mark(pid_t pid, char *name, size_t len)
{
	char file[64], *buf;
	size_t mlen = strlen(SERVICE_MARK), got = 0, cap = 65536;
	ssize_t n;
	int fd, found = 0;

	snprintf(file, sizeof(file), "/proc/%ld/environ", (long)pid);
	if (len == 0 || (fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return -1;
	}
	while (got < cap - 1 && (n = read(fd, buf + got, cap - 1 - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	if (got == 0)
		found = -1;
	for (size_t i = 0; i < got; i += strlen(buf + i) + 1)
		if (strncmp(buf + i, SERVICE_MARK, mlen) == 0 &&
		    buf[i + mlen] == '=') {
			snprintf(name, len, "%s", buf + i + mlen + 1);
			found = 1;
			break;
		}
	free(buf);
	return found;
}

/* Whether the process's environment carries GUARDIAND_SERVICE=name. */
bool
proc_has_mark(pid_t pid, const char *name)
{
	char mark[128];

	return proc_mark(pid, mark, sizeof(mark)) > 0 && strcmp(mark, name) == 0;
}

/*
 * Calls fn for each live (not zombie) process but guardiand itself, with its
 * stat, until fn returns false: the one walk of /proc. 0, or -1 if /proc
 * cannot be read.
 */
int
proc_walk(bool (*fn)(void *arg, pid_t pid, const struct procstat *ps),
    void *arg)
{
	struct dirent *de;
	pid_t self = getpid();
	DIR *d;

	if ((d = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL) {
		char *end;
		pid_t pid = (pid_t)strtol(de->d_name, &end, 10);
		struct procstat ps;

		if (*end || pid <= 0 || pid == self)
			continue;
		if (!proc_live(pid, &ps))
			continue;
		if (!fn(arg, pid, &ps))
			break;
	}
	closedir(d);
	return 0;
}

/* For proc_children without CONFIG_PROC_CHILDREN: the walk's finds. */
struct kids {
	pid_t self, *v;
	size_t n, cap;
};

static bool
add_kid(struct kids *k, pid_t pid)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		pid_t *nv = reallocarray(k->v, cap, sizeof(*nv));

		if (nv == NULL)
			return false;
		k->v = nv;
		k->cap = cap;
	}
	k->v[k->n++] = pid;
	return true;
}

static bool
kid_of_self(void *arg, pid_t pid, const struct procstat *ps)
{
	struct kids *k = arg;

	return ps->ppid != k->self || add_kid(k, pid);
}

/*
 * guardiand's children, in *out (malloc'd; free it): one read of
 * /proc/self/task/PID/children (guardiand has one thread), or a walk of
 * /proc where the kernel lacks that file. How many; 0 with *out NULL if
 * none or on error.
 */
size_t
proc_children(pid_t **out)
{
	struct kids k = { getpid(), NULL, 0, 0 };
	char file[64], *buf, *p, *end;
	size_t got = 0, cap = 4096;
	ssize_t n;
	int fd;

	*out = NULL;
	snprintf(file, sizeof(file), "/proc/self/task/%ld/children",
	    (long)k.self);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0) {
		if (proc_walk(kid_of_self, &k) < 0) {
			free(k.v);
			return 0;
		}
		*out = k.v;
		return k.n;
	}
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return 0;
	}
	for (;;) {
		char *nb;

		if (got == cap - 1) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
		if ((n = read(fd, buf + got, cap - 1 - got)) <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	for (p = buf; *p != '\0'; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p) {
			end = p + 1;
			continue;
		}
		if (pid > 0 && !add_kid(&k, (pid_t)pid))
			break;
	}
	free(buf);
	*out = k.v;
	return k.n;
}

/* proc_table's growing array. */
struct ptable {
	struct proc_entry *v;
	size_t n, cap;
};

static bool
collect(void *arg, pid_t pid, const struct procstat *ps)
{
	struct ptable *t = arg;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct proc_entry *nv = reallocarray(t->v, cap, sizeof(*nv));

		if (nv == NULL)
			return false;
		t->v = nv;
		t->cap = cap;
	}
	t->v[t->n++] = (struct proc_entry){ pid, ps->ppid, ps->pgrp, 0 };
	return true;
}

static int
by_pid(const void *a, const void *b)
{
	pid_t x = ((const struct proc_entry *)a)->pid;
	pid_t y = ((const struct proc_entry *)b)->pid;

	return x < y ? -1 : x > y;
}

/*
 * Every live process but guardiand, from one walk of /proc, sorted by pid
 * (proc_find looks one up), each with tag 0 for the caller's use: their
 * number, or -1 (free *out).
 */
long
proc_table(struct proc_entry **out)
{
	struct ptable t = { NULL, 0, 0 };

	if (proc_walk(collect, &t) < 0) {
		free(t.v);
		*out = NULL;
		return -1;
	}
	qsort(t.v, t.n, sizeof(*t.v), by_pid);
	*out = t.v;
	return (long)t.n;
}

/* The entry of pid in a proc_table, or NULL. */
struct proc_entry *
proc_find(struct proc_entry *v, long n, pid_t pid)
{
	struct proc_entry key = { .pid = pid };

	return pid > 0 && n > 0 ? bsearch(&key, v, (size_t)n, sizeof(*v),
	    by_pid) : NULL;
}

/*
 * Fills out with the live processes of the service that are not in its
 * process group pgid; returns how many (at most max). main is the main
 * process, 0 once reaped.
 */
size_t
proctree_escaped(pid_t main, pid_t pgid, const char *name, pid_t *out,
    size_t max)
{
	struct proc_entry *all;
	size_t n, found = 0;
	pid_t self = getpid();
	bool changed;
	long got;

	if ((got = proc_table(&all)) < 0)
		return 0;
	n = (size_t)got;
	/* Roots: the main process, the members of its group, and marked
	 * orphans that came back to us. */
	for (size_t i = 0; i < n; i++)
		if ((main > 0 && all[i].pid == main) ||
		    (pgid > 0 && all[i].pgrp == pgid) ||
		    (all[i].ppid == self && proc_has_mark(all[i].pid, name)))
			all[i].tag = 1;		/* the service's */
	/* Then their descendants, until nothing more joins. */
	do {
		changed = false;
		for (size_t i = 0; i < n; i++) {
			if (all[i].tag)
				continue;
			for (size_t j = 0; j < n; j++) {
				if (all[j].tag && all[j].pid == all[i].ppid) {
					all[i].tag = 1;
					changed = true;
					break;
				}
			}
		}
	} while (changed);
	/* The main process itself is signalled directly, even before its
	 * setsid has made the group. */
	for (size_t i = 0; i < n && found < max; i++)
		if (all[i].tag && all[i].pgrp != pgid && all[i].pid != main)
			out[found++] = all[i].pid;
	free(all);
	return found;
}
