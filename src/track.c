/*
 * track.c: every process of a service, to the last one. Where a writable
 * cgroup v2 hierarchy is mounted, each service runs in its own cgroup,
 * <cgroup2>/guardiand/<instance>/<service>.service: the kernel keeps the
 * membership, signals reach every member, cgroup.events says when the last
 * one is gone. Also here: reading a forking service's pidfile safely.
 *
 * Directories are opened relative to a directory descriptor, never
 * following a symlink, and one we did not create is used only if it is
 * ours (owner) and writable by nobody else.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guardiand.h"

#define TRACK_DEPTH_MAX		16	/* nested cgroups a service may make */
#define TRACK_KILL_ROUNDS	64	/* SIGKILL sweeps without cgroup.kill */
#define TRACK_INSTANCE_MAX	64	/* longer instance names are hashed */

/* Reads a small file relative to dirfd into buf, NUL-terminated; its length or -1. */
ssize_t
track_read_at(int dirfd, const char *name, char *buf, size_t len)
{
	ssize_t n, got = 0;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	    (n = read(fd, buf + got, len - 1 - got)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		got += n;
	}
	close(fd);
	buf[got] = '\0';
	return got;
}

static int
write_at(int dirfd, const char *name, const char *s)
{
	size_t n = strlen(s);
	int fd, rc;

	if ((fd = openat(dirfd, name, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return -1;
	rc = write(fd, s, n) == (ssize_t)n ? 0 : -1;
	close(fd);
	return rc;
}

/* Undoes mountinfo's octal escapes (\040 for a space) in place. */
static void
unoctal(char *s)
{
	char *o = s;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
}

/*
 * Finds the cgroup2 mount in /proc/self/mountinfo and says whether guardiand
 * may use it: 0 with its mount point in path and its root as /proc/PID/cgroup
 * shows it in rel ("" for "/"), or -1 with the reason in why. enabled false,
 * or GUARDIAND_CGROUP=off in the environment, turns it off.
 */
int
track_cgroup2(bool enabled, char *path, size_t len, char *rel, size_t rlen,
    char *why, size_t wlen)
{
	const char *env = getenv(TRACK_ENV);
	char *line = NULL, *f[6], *sep, *save;
	size_t cap = 0;
	bool found = false;
	FILE *fp;
	int i;

	if (!enabled || (env != NULL && (strcmp(env, "off") == 0 ||
	    strcmp(env, "0") == 0 || strcmp(env, "no") == 0))) {
		fmt_err(why, wlen, "cgroup tracking is off%s",
		    enabled ? " (" TRACK_ENV "=off)" : "");
		return -1;
	}
	if ((fp = fopen("/proc/self/mountinfo", "re")) == NULL) {
		fmt_err(why, wlen, "/proc/self/mountinfo: %s", strerror(errno));
		return -1;
	}
	while (!found && getline(&line, &cap, fp) > 0) {
		line[strcspn(line, "\n")] = '\0';
		/* The fs type is the first field after " - ". */
		if ((sep = strstr(line, " - ")) == NULL ||
		    strncmp(sep + 3, "cgroup2 ", 8) != 0)
			continue;
		*sep = '\0';
		for (i = 0, save = NULL; i < 5; i++)
			if ((f[i] = strtok_r(i ? NULL : line, " ", &save)) == NULL)
				break;
		if (i < 5)
			continue;
		unoctal(f[3]);
		unoctal(f[4]);
		if (strlen(f[4]) >= len || strlen(f[3]) >= rlen)
			continue;
		strcpy(path, f[4]);
		strcpy(rel, strcmp(f[3], "/") == 0 ? "" : f[3]);
		found = true;
	}
	free(line);
	fclose(fp);
	if (!found) {
		fmt_err(why, wlen, "no cgroup2 hierarchy is mounted");
		return -1;
	}
	if (faccessat(AT_FDCWD, path, W_OK | X_OK, AT_EACCESS) != 0) {
		fmt_err(why, wlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * The instance's directory name, from guardiand's pidfile, so that two
 * guardiands never share a subtree: "default" for the default pidfile,
 * else the path escaped as systemd-escape --path does, hashed if long.
 */
int
track_instance(const char *pidfile, char *buf, size_t len)
{
	const char *p;
	uint64_t h = 14695981039346656037ULL;	/* FNV-1a */
	size_t o = 0;
	bool slash = false;

	if (pidfile == NULL || strcmp(pidfile, DEFAULT_PIDFILE) == 0) {
		if (len <= strlen(TRACK_DEFAULT_INSTANCE))
			return -1;
		strcpy(buf, TRACK_DEFAULT_INSTANCE);
		return 0;
	}
	for (p = pidfile; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	for (p = pidfile; *p == '/'; p++)
		;
	for (; *p != '\0' && o + 5 < len && o <= TRACK_INSTANCE_MAX; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/') {
			slash = true;
			continue;
		}
		if (slash && o > 0)
			buf[o++] = '-';
		slash = false;
		if ((isalnum(c) || c == '_' || c == ':' || c == '.') &&
		    !(c == '.' && o == 0))
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, len - o, "\\x%02x", c);
	}
	if (*p != '\0' || o > TRACK_INSTANCE_MAX) {
		if (len < 19)
			return -1;
		snprintf(buf, len, "h-%016llx", (unsigned long long)h);
		return 0;
	}
	if (o == 0)
		buf[o++] = '-';
	buf[o] = '\0';
	return 0;
}

/*
 * Opens (and with create, makes) directory name under dirfd without
 * following a symlink; refuses one not owned by us or writable by others.
 * *madep (may be NULL) says whether it was made here. One made here that
 * cannot be opened (out of descriptors: EMFILE) is removed again, since
 * nothing would remove it later: unlinkat needs no descriptor.
 */
static int
open_dir(int dirfd, const char *name, bool create, bool *madep, char *why,
    size_t wlen)
{
	struct stat st;
	bool made = false;
	int fd, e;

	if (madep)
		*madep = false;
	if (create) {
		if (mkdirat(dirfd, name, 0755) == 0)
			made = true;
		else if (errno != EEXIST) {
			fmt_err(why, wlen, "%s: mkdir: %s", name, strerror(errno));
			return -1;
		}
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		fmt_err(why, wlen, "%s: %s", name, strerror(e));
		if (made)
			(void)unlinkat(dirfd, name, AT_REMOVEDIR);
		errno = e;
		return -1;
	}
	if (madep)
		*madep = made;
	if (made)
		(void)fchmod(fd, 0755);	/* umask may have taken bits */
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() ||
	    (st.st_mode & 022) != 0) {
		fmt_err(why, wlen, "%s: not owned by uid %ld or writable by others: "
		    "refused", name, (long)geteuid());
		close(fd);
		errno = EPERM;
		return -1;
	}
	return fd;
}

/*
 * Opens this instance's subtree, making it if needed: 0, or -1 with the
 * reason in why (cgroup tracking off, none mounted, not ours...).
 */
int
track_root_open(struct track_root *root, const char *pidfile, bool enabled,
    char *why, size_t wlen)
{
	char mnt[PATH_MAX], rel[PATH_MAX], inst[TRACK_INSTANCE_MAX + 24];
	int mfd = -1, gfd = -1;

	root->fd = -1;
	root->path = root->rel = NULL;
	if (track_cgroup2(enabled, mnt, sizeof(mnt), rel, sizeof(rel),
	    why, wlen) != 0)
		return -1;
	if (track_instance(pidfile, inst, sizeof(inst)) != 0) {
		fmt_err(why, wlen, "%s: no instance name", pidfile);
		return -1;
	}
	if ((mfd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		fmt_err(why, wlen, "%s: %s", mnt, strerror(errno));
		return -1;
	}
	if ((gfd = open_dir(mfd, "guardiand", true, NULL, why, wlen)) < 0 ||
	    (root->fd = open_dir(gfd, inst, true, NULL, why, wlen)) < 0)
		goto fail;
	if (asprintf(&root->path, "%s/guardiand/%s", mnt, inst) < 0) {
		root->path = NULL;
		goto nomem;
	}
	if (asprintf(&root->rel, "%s/guardiand/%s", rel, inst) < 0) {
		root->rel = NULL;
		goto nomem;
	}
	close(gfd);
	close(mfd);
	return 0;
nomem:
	fmt_err(why, wlen, "out of memory");
fail:
	if (gfd >= 0)
		close(gfd);
	close(mfd);
	track_root_close(root, false);
	return -1;
}

/* Closes the subtree; with remove, removes it (and guardiand/) if empty. */
void
track_root_close(struct track_root *root, bool remove)
{
	char *slash;

	if (remove && root->path != NULL && rmdir(root->path) == 0 &&
	    (slash = strrchr(root->path, '/')) != NULL) {
		*slash = '\0';
		(void)rmdir(root->path);	/* other instances may be there */
	}
	if (root->fd >= 0)
		close(root->fd);
	free(root->path);
	free(root->rel);
	root->fd = -1;
	root->path = root->rel = NULL;
}

/* A service name as config_valid_name has it: also safe as a cgroup name. */
static bool
valid_service(const char *s)
{
	size_t n;

	if (*s == '\0' || *s == '.' || *s == '-')
		return false;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= 64 || (!isalnum((unsigned char)s[n]) &&
		    strchr("_.@-", s[n]) == NULL))
			return false;
	return true;
}

/*
 * Opens (making it if needed) a service's cgroup; 0, or -1 with errno.
 * The name needs no escaping (no '/', no newline, not "." or ".."), and
 * the suffix keeps it apart from the interface files (cgroup.procs, cpu.max).
 */
int
track_cg_open(struct track_root *root, const char *service, struct track_cg *cg)
{
	bool made;
	int e;

	cg->fd = cg->events_fd = -1;
	cg->rel = NULL;
	if (!valid_service(service)) {
		errno = EINVAL;
		return -1;
	}
	snprintf(cg->name, sizeof(cg->name), "%s%s", service, TRACK_SUFFIX);
	if ((cg->fd = open_dir(root->fd, cg->name, true, &made, NULL, 0)) < 0 ||
	    (cg->events_fd = openat(cg->fd, "cgroup.events",
	    O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		goto fail;
	if (asprintf(&cg->rel, "%s/%s", root->rel, cg->name) < 0) {
		cg->rel = NULL;
		errno = ENOMEM;
		goto fail;
	}
	return 0;
fail:
	e = errno;
	track_cg_close(cg);
	/* Made here, then out of descriptors (EMFILE) for its files: a cgroup
	 * nothing would use, nor remove later, goes now (empty: rmdir of a
	 * cgroup with processes fails with EBUSY). */
	if (made)
		(void)unlinkat(root->fd, cg->name, AT_REMOVEDIR);
	errno = e;
	return -1;
}

void
track_cg_close(struct track_cg *cg)
{
	if (cg->fd >= 0)
		close(cg->fd);
	if (cg->events_fd >= 0)
		close(cg->events_fd);
	free(cg->rel);
	cg->fd = cg->events_fd = -1;
	cg->rel = NULL;
}

int
track_join(int dirfd)
{
	int fd = openat(dirfd, "cgroup.procs", O_WRONLY | O_CLOEXEC |
	    O_NOFOLLOW), r;

	if (fd < 0)
		return -1;
	r = write(fd, "0\n", 2) == 2 ? 0 : -1;
	close(fd);
	return r;
}

/* A descriptor of the same directory to read it with: a dup would share
 * the offset, so a second listing would find it at its end. */
static int
reopen_dir(int dirfd)
{
	return openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

/* Calls fn for each child cgroup of dirfd (an open directory of it, and
 * its name), down to TRACK_DEPTH_MAX: the one walk of a cgroup's subtree. */
static void
each_child(int dirfd, int depth, void (*fn)(int dirfd, const char *name,
    int sub, int depth, void *arg), void *arg)
{
	struct dirent *de;
	DIR *d;
	int fd, sub;

	if (depth >= TRACK_DEPTH_MAX || (fd = reopen_dir(dirfd)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_type != DT_DIR || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		sub = openat(dirfd, de->d_name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0) {
			fn(dirfd, de->d_name, sub, depth + 1, arg);
			close(sub);
		}
	}
	closedir(d);
}

/* Removes a child cgroup, its own children first. */
static void
remove_child(int dirfd, const char *name, int sub, int depth, void *arg)
{
	each_child(sub, depth, remove_child, arg);
	(void)unlinkat(dirfd, name, AT_REMOVEDIR);
}

/* Removes the cgroups a service made inside dirfd, deepest first. */
static void
remove_children(int dirfd, int depth)
{
	each_child(dirfd, depth, remove_child, NULL);
}

/*
 * Removes a service's cgroup once it is empty, and closes it: 0, or -1
 * with errno (EBUSY: processes are left; its directory stays open, for
 * track_cg_close). Its interface files are closed first: out of
 * descriptors (EMFILE), the walk of the cgroups it made needs two.
 */
int
track_cg_remove(struct track_root *root, struct track_cg *cg)
{
	if (cg->events_fd >= 0)
		close(cg->events_fd);
	cg->events_fd = -1;
	remove_children(cg->fd, 0);
	if (unlinkat(root->fd, cg->name, AT_REMOVEDIR) != 0 && errno != ENOENT)
		return -1;
	track_cg_close(cg);
	return 0;
}

/* 1 if processes are in the cgroup (or below it), 0 if not, -1 on error. */
int
track_populated(const struct track_cg *cg)
{
	char buf[256], *p;
	ssize_t n;

	if ((n = pread(cg->events_fd, buf, sizeof(buf) - 1, 0)) < 0)
		return -1;
	buf[n] = '\0';
	for (p = buf; (p = strstr(p, "populated ")) != NULL; p++)
		if (p == buf || p[-1] == '\n')
			return p[10] == '1';
	errno = EINVAL;
	return -1;
}

struct pidvec {
	pid_t *v;
	long n, cap;
};

/* Adds the pids of dirfd's cgroup.procs, and those of the cgroups below it. */
static int collect(int dirfd, struct pidvec *pv, int depth);

static void
collect_child(int dirfd, const char *name, int sub, int depth, void *arg)
{
	(void)dirfd;
	(void)name;
	(void)collect(sub, arg, depth);
}

static int
collect(int dirfd, struct pidvec *pv, int depth)
{
	char buf[4096], *p, *end;
	struct stat st;
	size_t have = 0;
	ssize_t n;
	int fd;

	if ((fd = openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	/* Pids are lines; a read may end inside one, kept for the next. */
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		for (p = buf; (end = strchr(p, '\n')) != NULL; p = end + 1) {
			if (pv->n == pv->cap) {
				long nc = pv->cap ? pv->cap * 2 : 64;
				pid_t *nv = realloc(pv->v, nc * sizeof(*nv));

				if (nv == NULL) {
					close(fd);
					return -1;
				}
				pv->v = nv;
				pv->cap = nc;
			}
			pv->v[pv->n++] = (pid_t)strtol(p, NULL, 10);
		}
		have = strlen(p);
		memmove(buf, p, have);
	}
	close(fd);
	if (n < 0)
		return -1;
	/* A cgroup directory's link count is 2 plus its child cgroups
	 * (kernfs): most have none, and need no listing. */
	if (fstat(dirfd, &st) != 0 || st.st_nlink != 2)
		each_child(dirfd, depth, collect_child, pv);
	return 0;
}

/* The processes in the cgroup and below, into *pids (free it); their number or -1. */
long
track_pids(const struct track_cg *cg, pid_t **pids)
{
	struct pidvec pv = { NULL, 0, 0 };

	if (collect(cg->fd, &pv, 0) != 0) {
		free(pv.v);
		*pids = NULL;
		return -1;
	}
	*pids = pv.v;
	return pv.n;
}

/* Sends sig to every process of the cgroup; how many it reached, or -1. */
long
track_signal(const struct track_cg *cg, int sig)
{
	pid_t *pids, self = getpid();
	long n, i, sent = 0;

	if ((n = track_pids(cg, &pids)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (pids[i] > 1 && pids[i] != self && kill(pids[i], sig) == 0)
			sent++;
	free(pids);
	return sent;
}

/*
 * What track_kill does without cgroup.kill (before 5.14): the cgroup frozen
 * (5.2), so that no member forks meanwhile, then SIGKILL to each member
 * until a sweep finds none. How many sweeps found some.
 */
long
track_sweep(const struct track_cg *cg)
{
	long round;
	bool frozen;

	frozen = write_at(cg->fd, "cgroup.freeze", "1") == 0;
	for (round = 0; round < TRACK_KILL_ROUNDS; round++)
		if (track_signal(cg, SIGKILL) <= 0)
			break;
	if (frozen)
		(void)write_at(cg->fd, "cgroup.freeze", "0");
	return round;
}

/*
 * SIGKILL to every process of the cgroup: cgroup.kill where the kernel has
 * it (5.14), which no fork can outrun; else track_sweep. The number of
 * processes it held, or -1.
 */
long
track_kill(const struct track_cg *cg)
{
	pid_t *pids;
	long n;

	if ((n = track_pids(cg, &pids)) < 0)
		return -1;
	free(pids);
	if (write_at(cg->fd, "cgroup.kill", "1") != 0)
		(void)track_sweep(cg);
	return n;
}

/* 1 if pid is in the service's cgroup (or below it), 0 if not, -1 if no such process. */
int
track_has(const struct track_cg *cg, pid_t pid)
{
	char file[64], buf[4096], *p, *nl;
	size_t len = strlen(cg->rel);

	snprintf(file, sizeof(file), "/proc/%ld/cgroup", (long)pid);
	if (pid <= 0 || track_read_at(AT_FDCWD, file, buf, sizeof(buf)) < 0)
		return -1;
	for (p = buf; p != NULL && *p != '\0'; p = nl ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if (strncmp(p, "0::", 3) == 0)
			return strncmp(p + 3, cg->rel, len) == 0 &&
			    (p[3 + len] == '\0' || p[3 + len] == '/');
	}
	return 0;
}

void
track_free_list(char **list)
{
	size_t i;

	for (i = 0; list != NULL && list[i] != NULL; i++)
		free(list[i]);
	free(list);
}

/*
 * The services of this instance whose cgroups still hold processes (a
 * previous guardiand was killed): a NULL-terminated list to free with
 * track_free_list, or NULL on error. Empty cgroups found are removed.
 */
char **
track_leftovers(struct track_root *root)
{
	struct track_cg cg;
	struct dirent *de;
	char **list, **nl, *name;
	size_t n = 0, sl = strlen(TRACK_SUFFIX), len;
	DIR *d;
	int fd;

	if ((list = calloc(1, sizeof(*list))) == NULL)
		return NULL;
	if ((fd = reopen_dir(root->fd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		free(list);
		return NULL;
	}
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (de->d_type != DT_DIR || len <= sl ||
		    strcmp(de->d_name + len - sl, TRACK_SUFFIX) != 0 ||
		    (name = strndup(de->d_name, len - sl)) == NULL)
			continue;
		if (track_cg_open(root, name, &cg) != 0) {
			free(name);
			continue;
		}
		if (track_populated(&cg) == 0 && track_cg_remove(root, &cg) == 0) {
			free(name);
			continue;
		}
		track_cg_close(&cg);
		if ((nl = realloc(list, (n + 2) * sizeof(*list))) == NULL) {
			free(name);
			break;
		}
		list = nl;
		list[n++] = name;
		list[n] = NULL;
	}
	closedir(d);
	return list;
}
