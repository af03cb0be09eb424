/*
 * track.h: which processes are a service's: /proc, cgroup v2, and the
 * pidfile of a forking service (guardiand.h includes it).
 */
#ifndef GUARDIAND_TRACK_H
#define GUARDIAND_TRACK_H

/* ---- proctree.c ---- */

/* The fields of /proc/PID/stat guardiand uses. */
struct procstat {
	char state;		/* R S D Z... */
	pid_t ppid, pgrp, sid;
	uint64_t start;		/* field 22: start time, in clock ticks */
};

int proc_stat(pid_t pid, struct procstat *ps);
bool proc_live(pid_t pid, struct procstat *ps);	/* ps may be NULL */
int proc_walk(bool (*fn)(void *arg, pid_t pid, const struct procstat *ps),
    void *arg);
size_t proctree_escaped(pid_t main, pid_t pgid, const char *name, pid_t *out,
    size_t max);
bool proc_has_mark(pid_t pid, const char *name);
/* One process of a proc_table: tag is the caller's, 0 to begin with. */
struct proc_entry {
	pid_t pid, ppid, pgrp;
	int tag;
};
long proc_table(struct proc_entry **out);
struct proc_entry *proc_find(struct proc_entry *v, long n, pid_t pid);
size_t proc_children(pid_t **out);	/* guardiand's own; free *out */
int proc_mark(pid_t pid, char *name, size_t len);	/* its GUARDIAND_SERVICE */

/* ---- track.c ---- */

/*
 * cgroup v2 tracking: each service in its own cgroup under guardiand's
 * subtree <cgroup2>/guardiand/<instance>/<service>.service; and the safe
 * reading of a forking service's pidfile.
 */
#define TRACK_ENV	"GUARDIAND_CGROUP"	/* =off: no cgroup tracking */
#define TRACK_DEFAULT_INSTANCE	"default"	/* the instance of DEFAULT_PIDFILE */
#define TRACK_SUFFIX	".service"	/* service cgroup: NAME.service */

/* guardiand's own subtree for one instance (one pidfile). */
struct track_root {
	int fd;			/* <cgroup2>/guardiand/<instance>, O_DIRECTORY */
	char *path;		/* its path, for messages */
	char *rel;		/* its path as /proc/PID/cgroup shows it ("0::") */
};

/* One service's cgroup, open. */
struct track_cg {
	int fd;			/* the directory (clone3's CLONE_INTO_CGROUP takes it) */
	int events_fd;		/* cgroup.events: POLLPRI when "populated" changes */
	char *rel;		/* the path as /proc/PID/cgroup shows it */
	char name[80];		/* the directory name: SERVICE.service */
};

/* What a service's processes hold now. */
struct track_usage {
	long procs;		/* processes */
	uint64_t mem_bytes;	/* memory.current, else the members' RSS */
	uint64_t cpu_usec;	/* cpu.stat usage_usec, else the members' utime+stime */
	bool mem_cgroup;	/* mem_bytes came from memory.current */
	bool cpu_cgroup;	/* cpu_usec came from cpu.stat */
};

int track_cgroup2(bool enabled, char *path, size_t len, char *rel, size_t rlen,
    char *why, size_t wlen);
int track_instance(const char *pidfile, char *buf, size_t len);
int track_root_open(struct track_root *root, const char *pidfile, bool enabled,
    char *why, size_t wlen);
void track_root_close(struct track_root *root, bool remove);
int track_cg_open(struct track_root *root, const char *service,
    struct track_cg *cg);
void track_cg_close(struct track_cg *cg);
int track_cg_remove(struct track_root *root, struct track_cg *cg);
int track_populated(const struct track_cg *cg);
long track_pids(const struct track_cg *cg, pid_t **pids);
long track_signal(const struct track_cg *cg, int sig);
long track_kill(const struct track_cg *cg);
long track_sweep(const struct track_cg *cg);
/* Reads a small file of a directory (AT_FDCWD: a path); its length or -1. */
ssize_t track_read_at(int dirfd, const char *name, char *buf, size_t len);
int track_usage(const struct track_cg *cg, struct track_usage *u);
int track_usage_as(const struct track_cg *cg, struct track_usage *u,
    bool memcg);
bool track_root_memory(const struct track_root *root);
void track_proc_usage(const pid_t *pids, long n, struct track_usage *u,
    bool mem, bool cpu);
int track_has(const struct track_cg *cg, pid_t pid);
char **track_leftovers(struct track_root *root);
void track_free_list(char **list);

/* The child's side, between fork and exec: joins the service's cgroup (its
 * directory's descriptor) with a write(2) to its cgroup.procs, opened
 * then (async-signal-safe: one descriptor less per service in guardiand);
 * 0, or -1 with errno. */
int track_join(int dirfd);

/* ---- mainpid.c ---- */

/* The main pid of a forking service, from its pidfile, read as systemd
 * does since CVE-2018-16888 (stricter); member(pid, arg) says whether a pid
 * is the service's: 1 yes, 0 no (its cgroup says so), -1 cannot tell. */
int mainpid_read(const char *path, int (*member)(pid_t pid, void *arg),
    void *arg, pid_t *pidp, char *why, size_t wlen);

#endif
