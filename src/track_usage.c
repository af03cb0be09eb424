/*
 * track_usage.c: what a service holds now, for guardianctl status: its
 * processes, memory and CPU time, from its cgroup (memory.current,
 * cpu.stat) or summed from /proc.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

#include "guardiand.h"

/*
 * Adds the processes' RSS (with mem) and CPU time (with cpu) from /proc to
 * u: what a cgroup lacks, and all there is without one. One read of
 * /proc/PID/stat each (its rss is statm's); a process gone meanwhile adds
 * nothing.
 */
void
track_proc_usage(const pid_t *pids, long n, struct track_usage *u, bool mem,
    bool cpu)
{
	long page = sysconf(_SC_PAGESIZE), tick = sysconf(_SC_CLK_TCK);
	unsigned long long rss, ut, st;
	char file[64], buf[1024], *p;
	long i;

	if (!mem && !cpu)
		return;
	for (i = 0; i < n; i++) {
		snprintf(file, sizeof(file), "/proc/%ld/stat", (long)pids[i]);
		/* After the command, from the state (3rd field): utime is
		 * the 14th, stime the 15th, rss (pages) the 24th. */
		if (track_read_at(AT_FDCWD, file, buf, sizeof(buf)) <= 0 ||
		    (p = strrchr(buf, ')')) == NULL ||
		    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u "
		    "%llu %llu %*d %*d %*d %*d %*d %*d %*u %*u %llu", &ut, &st,
		    &rss) != 3)
			continue;
		if (mem && page > 0)
			u->mem_bytes += rss * (unsigned long long)page;
		if (cpu && tick > 0)
			u->cpu_usec += (ut + st) * 1000000ULL /
			    (unsigned long long)tick;
	}
}

/* Whether the memory controller is on for the services' cgroups (in the
 * instance's cgroup.subtree_control): then they have memory.current. */
bool
track_root_memory(const struct track_root *root)
{
	char buf[512];
	const char *p;

	if (root->fd < 0 ||
	    track_read_at(root->fd, "cgroup.subtree_control", buf, sizeof(buf)) <= 0)
		return false;
	for (p = buf; (p = strstr(p, "memory")) != NULL; p += 6)
		if ((p == buf || p[-1] == ' ') &&
		    (p[6] == ' ' || p[6] == '\n' || p[6] == '\0'))
			return true;
	return false;
}

/*
 * What the service holds now: its processes, memory (memory.current when
 * the memory controller is on, else RSS summed) and CPU time (cpu.stat's
 * usage_usec, there even without the cpu controller). 0, or -1.
 */
int
track_usage(const struct track_cg *cg, struct track_usage *u)
{
	return track_usage_as(cg, u, true);
}

/* track_usage; memcg false: the memory controller is known to be off
 * (track_root_memory), so memory.current is not even tried. */
int
track_usage_as(const struct track_cg *cg, struct track_usage *u, bool memcg)
{
	char buf[1024], *p = NULL;
	pid_t *pids;
	long n;

	memset(u, 0, sizeof(*u));
	if ((n = track_pids(cg, &pids)) < 0)
		return -1;
	u->procs = n;
	if (memcg && track_read_at(cg->fd, "memory.current", buf, sizeof(buf)) > 0) {
		u->mem_bytes = strtoull(buf, NULL, 10);
		u->mem_cgroup = true;
	}
	if (track_read_at(cg->fd, "cpu.stat", buf, sizeof(buf)) > 0) {
		if (strncmp(buf, "usage_usec ", 11) == 0)
			p = buf + 11;
		else if ((p = strstr(buf, "\nusage_usec ")) != NULL)
			p += 12;
		if (p != NULL) {
			u->cpu_usec = strtoull(p, NULL, 10);
			u->cpu_cgroup = true;
		}
	}
	track_proc_usage(pids, n, u, !u->mem_cgroup, !u->cpu_cgroup);
	free(pids);
	return 0;
}
