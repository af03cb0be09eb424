/*
 * tmpfiles_run.c: the tmpfiles.d(5) files a service names (tmpfiles =),
 * applied before each of its starts, as systemd-tmpfiles --create would
 * at boot: by Debian's systemd-tmpfiles where it is installed, else by the
 * d, D, f, L and z lines made here (the others are said once, not made).
 * guardiand runs as root and these paths are shared: the last component
 * is never followed, and a link on the way only where systemd's
 * CHASE_SAFE would follow it (no step from a directory of one user to one
 * of another, unless from root's).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define SYSTEMD_TMPFILES	"/usr/bin/systemd-tmpfiles"
#define TMPFILES_RUN_MS	10000	/* how long systemd-tmpfiles may take */
#define TMPFILES_SAID_MAX	64	/* files whose skipped lines were said */

/* systemd-tmpfiles, if installed ($GUARDIAND_SYSTEMD_TMPFILES for the
 * tests; empty: never); NULL if not. */
static const char *
systemd_tmpfiles(void)
{
	const char *p = getenv("GUARDIAND_SYSTEMD_TMPFILES");

	if (p == NULL)
		p = SYSTEMD_TMPFILES;
	return p[0] == '/' && access(p, X_OK) == 0 ? p : NULL;
}

/* The file that counts for name: the first directory that has it, as
 * tmpfiles.d(5) says. A new string, or NULL if none has it. */
char *
tmpfiles_find(const char *name)
{
	const char *d = tmpfiles_dirs();
	char *p;

	while (*d) {
		size_t n = strcspn(d, ":");

		if (n > 0 && asprintf(&p, "%.*s/%s", (int)n, d, name) >= 0) {
			if (access(p, F_OK) == 0)
				return p;
			free(p);
		}
		d += n + (d[n] == ':');
	}
	return NULL;
}

/* A user or group of a line, by name or number; -1 for "-" (or unknown:
 * *bad set). */
static long
id_of(const char *s, bool group, bool *bad)
{
	char *end;
	long v;

	if (s == NULL)
		return -1;
	s += *s == ':';
	v = strtol(s, &end, 10);
	if (*s && *end == '\0' && v >= 0)
		return v;
	if (group) {
		struct group *gr = getgrnam(s);

		if (gr)
			return gr->gr_gid;
	} else {
		struct passwd *pw = getpwnam(s);

		if (pw)
			return pw->pw_uid;
	}
	*bad = true;
	return -1;
}

/* Opens the directory that holds path's last component (in *last),
 * making the missing ones 0755 as tmpfiles does; a link on the way is
 * followed only where CHASE_SAFE would. -1 with errno. */
static int
open_parent(const char *path, char *last, size_t len)
{
	char comp[NAME_MAX + 1];
	const char *p = path + strspn(path, "/");
	struct stat prev, next;
	int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &prev) < 0)
		goto fail;
	for (;;) {
		size_t n = strcspn(p, "/");
		int sub;

		if (n == 0 || n > NAME_MAX) {
			errno = EINVAL;
			goto fail;
		}
		snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
		if (p[n + strspn(p + n, "/")] == '\0') {
			snprintf(last, len, "%s", comp);
			return fd;
		}
		p += n + strspn(p + n, "/");
		if (mkdirat(fd, comp, 0755) < 0 && errno != EEXIST)
			goto fail;
		sub = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = sub;
		if (fd < 0 || fstat(fd, &next) < 0)
			goto fail;
		if (prev.st_uid != 0 && prev.st_uid != next.st_uid) {
			errno = ENOLINK;	/* an unsafe step */
			goto fail;
		}
		prev = next;
	}
fail:
	if (fd >= 0) {
		int e = errno;

		close(fd);
		errno = e;
	}
	return -1;
}

/* The mode, owner and group of an open entry, as the line says; a new
 * one gets the defaults for what the line left out. */
static int
set_perms(int fd, const struct tmpfiles_line *tl, bool created, mode_t def,
    char *why, size_t len)
{
	const char *m = tl->mode;
	bool bad = false, mask = false;
	long uid = id_of(tl->user, false, &bad), gid = id_of(tl->group, true,
	    &bad);
	mode_t mode = def;
	struct stat st;

	if (bad) {
		snprintf(why, len, "unknown user or group");
		return -1;
	}
	if ((tl->user && tl->user[0] == ':' && !created) || (uid < 0 && !created))
		uid = -1;
	else if (uid < 0)
		uid = (long)geteuid();
	if ((tl->group && tl->group[0] == ':' && !created) || (gid < 0 && !created))
		gid = -1;
	else if (gid < 0)
		gid = (long)getegid();
	if (m && *m == ':') {
		if (!created)
			m = NULL;
		else
			m++;
	}
	if (m && *m == '~') {
		mask = true;
		m++;
	}
	if (m && config_parse_mode(m, 07777, &mode) < 0) {
		snprintf(why, len, "invalid mode \"%s\"", tl->mode);
		return -1;
	}
	if (fstat(fd, &st) < 0 || ((uid >= 0 || gid >= 0) &&
	    fchown(fd, (uid_t)uid, (gid_t)gid) < 0))
		goto fail;
	if (mask)	/* keep only what the file has, directories searchable */
		mode = (mode & st.st_mode) | (S_ISDIR(st.st_mode) ?
		    (st.st_mode & 0444) >> 2 & mode : 0);
	if ((m || created || uid >= 0 || gid >= 0) && fchmod(fd, mode) < 0)
		goto fail;
	return 0;
fail:
	snprintf(why, len, "%s", strerror(errno));
	return -1;
}

/* The C escapes of an f line's argument: \n \t \\ \xHH. */
static void
unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		switch (*++s) {
		case 'n': *o++ = '\n'; break;
		case 't': *o++ = '\t'; break;
		case 'x':
			if (s[1] && s[2]) {
				char h[3] = { s[1], s[2], 0 };

				*o++ = (char)strtol(h, NULL, 16);
				s += 2;
			}
			break;
		default: *o++ = *s; break;
		}
	}
	*o = '\0';
}

/*
 * Makes one d, D, f, L or z line (tmpfiles_line) as systemd-tmpfiles
 * --create would: 0 done (or nothing to do), 1 a type not made here, -1
 * with why.
 */
int
tmpfiles_apply_line(const struct tmpfiles_line *tl, char *why, size_t len)
{
	char last[NAME_MAX + 1], *arg = NULL, *target;
	bool created = false;
	struct stat st;
	int pfd, fd = -1, r = -1;

	why[0] = '\0';
	if (strchr("dDfLz", tl->type) == NULL)
		return 1;
	if ((pfd = open_parent(tl->path, last, sizeof(last))) < 0) {
		snprintf(why, len, "%s", errno == ENOLINK ? "a symbolic link "
		    "on the way crosses to another user's directory" :
		    strerror(errno));
		return -1;
	}
	if (tl->equals && tl->type != 'z' && fstatat(pfd, last, &st,
	    AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    (tl->type == 'L' ? !S_ISLNK(st.st_mode) : tl->type == 'f' ?
	    !S_ISREG(st.st_mode) : true))
		(void)unlinkat(pfd, last, 0);	/* =: not the type wanted */
	switch (tl->type) {
	case 'd':
	case 'D':
		created = mkdirat(pfd, last, 0700) == 0;
		if (!created && errno != EEXIST)
			break;
		if ((fd = openat(pfd, last, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) >= 0)
			r = set_perms(fd, tl, created, 0755, why, len);
		break;
	case 'f':
		fd = openat(pfd, last, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, 0600);
		created = fd >= 0;
		if (fd < 0 && errno == EEXIST)
			fd = openat(pfd, last, (tl->plus ? O_WRONLY | O_TRUNC :
			    O_RDONLY) | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			break;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
			snprintf(why, len, "not a regular file");
			close(fd);
			close(pfd);
			return -1;
		}
		if ((created || tl->plus) && tl->arg && (arg = strdup(tl->arg))) {
			unescape(arg);
			if (write(fd, arg, strlen(arg)) != (ssize_t)strlen(arg))
				break;
		}
		r = set_perms(fd, tl, created, 0644, why, len);
		break;
	case 'L':
		if (asprintf(&target, "%s%s", tl->arg ? "" :
		    "/usr/share/factory", tl->arg ? tl->arg : tl->path) < 0)
			break;
		if (symlinkat(target, pfd, last) == 0 || (errno == EEXIST &&
		    !tl->plus))
			r = 0;
		else if (errno == EEXIST && fstatat(pfd, last, &st,
		    AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
		    unlinkat(pfd, last, 0) == 0 && symlinkat(target, pfd,
		    last) == 0)
			r = 0;	/* L+: replaced */
		free(target);
		break;
	case 'z':
		fd = openat(pfd, last, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_NOCTTY | O_CLOEXEC);
		if (fd < 0 && (errno == ENOENT || errno == ELOOP))
			r = 0;	/* nothing to adjust; a link's mode is none */
		else if (fd >= 0)
			r = set_perms(fd, tl, false, 0, why, len);
		break;
	}
	if (r < 0 && why[0] == '\0')
		snprintf(why, len, "%s", errno == ELOOP || errno == ENOTDIR ?
		    "something else is in the way (a symbolic link is not "
		    "followed)" : strerror(errno));
	free(arg);
	if (fd >= 0)
		close(fd);
	close(pfd);
	return r;
}

/* Whether the lines of path that are not made here were said already
 * (once per guardiand run); notes it. */
static bool
said_before(const char *path)
{
	static char *said[TMPFILES_SAID_MAX];
	int i;

	for (i = 0; i < TMPFILES_SAID_MAX && said[i]; i++)
		if (strcmp(said[i], path) == 0)
			return true;
	if (i < TMPFILES_SAID_MAX)
		said[i] = strdup(path);
	return false;
}

/* Applies one file with the lines made here. */
static void
apply_file(const char *svc, const char *path)
{
	char *line = NULL, err[PATH_MAX + 128], skipped[512] = "";
	size_t n = 0, sk = 0;
	struct tmpfiles_line tl;
	int lineno = 0, r;
	FILE *f = fopen(path, "re");

	if (f == NULL) {
		log_warn("%s: tmpfiles %s", svc, path);
		return;
	}
	while (getline(&line, &n, f) > 0) {
		lineno++;
		err[0] = '\0';
		if ((r = tmpfiles_parse_line(line, &tl, err, sizeof(err))) < 0)
			log_warnx("%s: tmpfiles %s:%d: %s", svc, path, lineno,
			    err);
		if (r <= 0)
			continue;
		if (tl.bang)	/* boot only: --create without --boot skips it */
			r = 0;
		else if ((r = tmpfiles_apply_line(&tl, err, sizeof(err))) < 0 &&
		    !tl.minus)
			log_warnx("%s: tmpfiles %s:%d: %c %s: %s", svc, path,
			    lineno, tl.type, tl.path, err);
		else if (r == 1 && sk < sizeof(skipped))
			sk += (size_t)snprintf(skipped + sk, sizeof(skipped) - sk,
			    "%s%d (%c)", sk ? ", " : "", lineno, tl.type);
		tmpfiles_line_free(&tl);
	}
	free(line);
	fclose(f);
	if (sk > 0 && !said_before(path))
		log_warnx("%s: tmpfiles %s: lines not applied (only d, D, f, "
		    "L and z are, without systemd-tmpfiles): %s", svc, path,
		    skipped);
}

/* Runs systemd-tmpfiles --create path, its output to the log, for at
 * most TMPFILES_RUN_MS. */
static void
run_systemd_tmpfiles(const char *svc, const char *prog, const char *path)
{
	int p[2], st, nul;
	int64_t until = now_ms() + TMPFILES_RUN_MS;
	char buf[1024];
	size_t have = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_warn("%s: tmpfiles: pipe", svc);
		return;
	}
	if ((pid = fork()) < 0) {
		log_warn("%s: tmpfiles: fork", svc);
		close(p[0]);
		close(p[1]);
		return;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		for (int s = 1; s < NSIG; s++)
			signal(s, SIG_DFL);
		if ((nul = open("/dev/null", O_RDONLY)) >= 0)
			dup2(nul, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		execl(prog, prog, "--create", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		int64_t left = until - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
			log_warnx("%s: tmpfiles: %s --create %s takes too long, "
			    "killed", svc, prog, path);
			kill(pid, SIGKILL);
			break;
		}
		if ((n = read(p[0], buf + have, sizeof(buf) - 1 - have)) <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		for (char *nl; (nl = strchr(buf, '\n')) != NULL ||
		    have == sizeof(buf) - 1;) {
			size_t l = nl ? (size_t)(nl - buf) : have;

			log_warnx("%s: tmpfiles: %.*s", svc, (int)l, buf);
			l += nl != NULL;
			memmove(buf, buf + l, have - l + 1);
			have -= l;
		}
	}
	if (have > 0)
		log_warnx("%s: tmpfiles: %.*s", svc, (int)have, buf);
	close(p[0]);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		log_warnx("%s: tmpfiles: %s --create %s failed (%s)", svc, prog,
		    path, WIFEXITED(st) ? "exit status not 0" : "killed");
}

/* Before a start: each tmpfiles.d file the service names, found as
 * tmpfiles.d(5) says and applied; what fails is logged, and the start
 * goes on, as after a boot whose tmpfiles failed. */
void
tmpfiles_apply(const char *svc, char *const *names)
{
	const char *prog = systemd_tmpfiles();

	for (; names && *names; names++) {
		char *path = tmpfiles_find(*names);

		if (path == NULL)
			log_warnx("%s: tmpfiles %s: in none of %s", svc, *names,
			    tmpfiles_dirs());
		else if (prog)
			run_systemd_tmpfiles(svc, prog, path);
		else
			apply_file(svc, path);
		free(path);
	}
}
