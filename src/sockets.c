/*
 * sockets.c: socket activation (sd_listen_fds(3), systemd.socket(5) with
 * Accept=no): the sockets of listen_stream = and listen_datagram =, made by
 * guardiand when the service is configured and held while it stays so, so
 * that a connection that comes while it is down, restarting or reloaded
 * waits in the backlog. spawn.c passes them to each start as descriptors 3,
 * 4... with LISTEN_FDS, LISTEN_FDNAMES and LISTEN_PID.
 *
 * A reload keeps every socket whose address the service still lists (same
 * descriptor, same file); the others are closed, and the socket files
 * guardiand made are removed. A path socket is made only in a directory
 * owned by root (or guardiand's user) and writable by nobody else, never
 * through a link at its last component; missing directories are made
 * 0755, as runtime_directory's are. A socket file found there (a stale one)
 * is replaced; any other file in the way refuses the start.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/* One socket of a service. */
struct lsock {
	int type;		/* SOCK_STREAM, SOCK_DGRAM */
	char *addr;		/* as written: what a reload compares */
	int fd;			/* -1: not made (yet) */
	bool file;		/* a socket file guardiand made: removed with it */
	dev_t dev;		/* ...and which one, so that only it is */
	ino_t ino;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* The sockets of one service, in the order of its descriptors. */
struct sockset {
	struct sockset *next;
	char *name;
	struct lsock *s;
	int *fds;		/* what sockets_get hands out */
	size_t n;
};

static struct sockset *sets;

static struct sockset *
find(const char *name)
{
	for (struct sockset *set = sets; set; set = set->next)
		if (strcmp(set->name, name) == 0)
			return set;
	return NULL;
}

/* The socket's file goes if it is still the one made. */
static void
drop(struct lsock *ls)
{
	struct stat st;

	if (ls->fd >= 0)
		close(ls->fd);
	ls->fd = -1;
	if (ls->file && lstat(ls->path, &st) == 0 && S_ISSOCK(st.st_mode) &&
	    st.st_dev == ls->dev && st.st_ino == ls->ino)
		unlink(ls->path);
	ls->file = false;
}

static void
set_free(struct sockset *set)
{
	for (size_t i = 0; i < set->n; i++) {
		drop(&set->s[i]);
		free(set->s[i].addr);
	}
	free(set->s);
	free(set->fds);
	free(set->name);
	free(set);
}

/* The owner path sockets get: socket_user (and its group), socket_group;
 * -1 for what stays guardiand's. -2 with why if one does not exist. */
static int
owner(const struct svc_conf *sc, uid_t *uid, gid_t *gid, char *why,
    size_t len)
{
	*uid = (uid_t)-1;
	*gid = (gid_t)-1;
	if (sc->socket_user != NULL) {
		struct passwd *pw = getpwnam(sc->socket_user);

		if (pw == NULL) {
			snprintf(why, len, "unknown user \"%s\" for socket_user",
			    sc->socket_user);
			return -2;
		}
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
	if (sc->socket_group != NULL) {
		struct group *gr = getgrnam(sc->socket_group);

		if (gr == NULL) {
			snprintf(why, len, "unknown group \"%s\" for "
			    "socket_group", sc->socket_group);
			return -2;
		}
		*gid = gr->gr_gid;
	}
	return 0;
}

/* Opens dir, making what is missing of it (0755, as runtime_directory's);
 * it must be a directory, not a link, owned by root or guardiand's user
 * and writable by nobody else. The descriptor, or -1 (-2 in *r: refused)
 * with why. */
static int
open_dir(const char *dir, int *r, char *why, size_t len)
{
	struct stat st;
	char part[PATH_MAX];
	int fd;

	*r = -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		for (size_t i = 1; dir[i - 1] != '\0'; i++) {
			if (dir[i] != '/' && dir[i] != '\0')
				continue;
			snprintf(part, sizeof(part), "%.*s", (int)i, dir);
			if (mkdir(part, 0755) < 0 && errno != EEXIST)
				break;
		}
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	if (fd < 0) {
		int e = errno;

		if (e == ELOOP || e == ENOTDIR) {
			*r = -2;
			if (lstat(dir, &st) == 0 && S_ISLNK(st.st_mode))
				e = ELOOP;
		}
		snprintf(why, len, "its directory %s: %s", dir,
		    e == ELOOP ? "a symbolic link" : strerror(e));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, len, "its directory %s: %s", dir, strerror(errno));
		close(fd);
		return -1;
	}
	if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022) != 0) {
		snprintf(why, len, "its directory %s is not safe (owned by uid "
		    "%ld, mode %04o: it must be %s and writable by nobody "
		    "else)", dir, (long)st.st_uid, (unsigned)st.st_mode & 07777,
		    geteuid() == 0 ? "root's" : "root's or guardiand's user's");
		close(fd);
		*r = -2;
		return -1;
	}
	return fd;
}

/* Binds a path socket in its safe directory, replacing a stale socket
 * file; 0, or -1/-2 with why. */
static int
bind_path(const struct svc_conf *sc, struct lsock *ls,
    const struct listen_addr *la, int fd, char *why, size_t len)
{
	const struct sockaddr_un *want = (const struct sockaddr_un *)&la->sa;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)];
	const char *name;
	struct stat st, at;
	uid_t uid;
	gid_t gid;
	mode_t old;
	int dfd, r;

	snprintf(ls->path, sizeof(ls->path), "%s", want->sun_path);
	name = strrchr(ls->path, '/') + 1;
	snprintf(dir, sizeof(dir), "%.*s", (int)(name - ls->path > 1 ?
	    name - ls->path - 1 : 1), ls->path);
	for (struct sockset *set = sets; set; set = set->next)
		for (size_t i = 0; i < set->n; i++)
			if (set->s[i].file && strcmp(set->s[i].path,
			    ls->path) == 0) {
				snprintf(why, len, "%s is a socket of service "
				    "%s", ls->path, set->name);
				return -2;
			}
	if ((r = owner(sc, &uid, &gid, why, len)) < 0)
		return r;
	if ((dfd = open_dir(dir, &r, why, len)) < 0)
		return r;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(why, len, "%s is in the way and is not a "
			    "socket", ls->path);
			close(dfd);
			return -2;
		}
		unlinkat(dfd, name, 0);		/* a stale socket */
	}
	/* Bound by its path, which the service may compare (sd_is_socket_unix);
	 * then it must be the file in the directory checked, not one that
	 * a swapped link led to. */
	memcpy(sa.sun_path, want->sun_path, sizeof(sa.sun_path));
	old = umask(~sc->socket_mode & 0777);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(why, len, "bind %s: %s", ls->path, strerror(errno));
		close(dfd);
		return -1;
	}
	if (lstat(ls->path, &at) < 0 || at.st_dev != st.st_dev ||
	    at.st_ino != st.st_ino || !S_ISSOCK(st.st_mode)) {
		snprintf(why, len, "%s changed while it was made", ls->path);
		close(dfd);
		return -2;
	}
	ls->file = true;
	ls->dev = st.st_dev;
	ls->ino = st.st_ino;
	if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    fchownat(dfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		snprintf(why, len, "chown %s: %s", ls->path, strerror(errno));
		close(dfd);
		return -1;
	}
	close(dfd);
	return 0;
}

/* Makes one socket: bound, listening (a stream), close-on-exec and
 * non-blocking as systemd passes them. 0, or -1 (may work later) or -2
 * (cannot until the config or the host changes) with why. */
static int
make(const struct svc_conf *sc, struct lsock *ls, char *why, size_t len)
{
	struct listen_addr la;
	struct sockaddr_in in4 = { .sin_family = AF_INET };
	const struct sockaddr *sa;
	socklen_t salen;
	int fd, on = 1, off = 0, r = -1;

	if (listen_parse(ls->addr, &la, why, len) < 0)
		return -2;
	sa = (const struct sockaddr *)&la.sa;
	salen = la.len;
	fd = socket(la.family, ls->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 && la.any && errno == EAFNOSUPPORT) {
		/* PORT without IPv6: 0.0.0.0:PORT, as systemd */
		in4.sin_port = ((const struct sockaddr_in6 *)sa)->sin6_port;
		in4.sin_addr.s_addr = htonl(INADDR_ANY);
		sa = (const struct sockaddr *)&in4;
		salen = sizeof(in4);
		fd = socket(AF_INET, ls->type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	}
	if (fd < 0) {
		snprintf(why, len, "socket: %s", strerror(errno));
		return -1;
	}
	if (la.family == AF_UNIX) {
		if (la.file)
			r = bind_path(sc, ls, &la, fd, why, len);
		else if ((r = bind(fd, sa, salen)) < 0)
			snprintf(why, len, "bind: %s", strerror(errno));
	} else {
		if (sa->sa_family == AF_INET6 && la.any)
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off,
			    sizeof(off));
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
		if ((r = bind(fd, sa, salen)) < 0)
			snprintf(why, len, "bind: %s", strerror(errno));
	}
	if (r == 0 && ls->type == SOCK_STREAM &&
	    (r = listen(fd, (int)sc->socket_backlog)) < 0)
		snprintf(why, len, "listen: %s", strerror(errno));
	if (r < 0) {
		close(fd);
		drop(ls);
		return r;
	}
	ls->fd = fd;
	return 0;
}

/* A socket kept at a reload: the owner, mode and backlog of now. */
static void
refresh(const struct svc_conf *sc, struct lsock *ls)
{
	struct stat st;
	uid_t uid;
	gid_t gid;
	char why[256];

	if (ls->type == SOCK_STREAM)
		(void)listen(ls->fd, (int)sc->socket_backlog);
	if (!ls->file || lstat(ls->path, &st) < 0 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != ls->dev || st.st_ino != ls->ino)
		return;
	if (owner(sc, &uid, &gid, why, sizeof(why)) == 0 && (chmod(ls->path,
	    sc->socket_mode) < 0 || ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
	    lchown(ls->path, uid, gid) < 0)))
		log_warn("%s: socket %s", sc->name, ls->path);
}

/* A service's set of sockets, in descriptor order, taking over from old
 * (its set before a reload, or NULL) each socket still listed. */
static struct sockset *
set_new(const struct svc_conf *sc, struct sockset *old)
{
	size_t ns = config_nwords(sc->listen_stream), i;
	struct sockset *set = calloc(1, sizeof(*set));

	if (set == NULL || (set->name = strdup(sc->name)) == NULL)
		goto nomem;
	set->n = ns + config_nwords(sc->listen_datagram);
	if ((set->s = calloc(set->n, sizeof(*set->s))) == NULL)
		goto nomem;
	for (i = 0; i < set->n; i++)
		set->s[i].fd = -1;
	if ((set->fds = calloc(set->n, sizeof(int))) == NULL)
		goto nomem;
	for (i = 0; i < set->n; i++) {
		struct lsock *ls = &set->s[i];

		ls->type = i < ns ? SOCK_STREAM : SOCK_DGRAM;
		if ((ls->addr = strdup(i < ns ? sc->listen_stream[i] :
		    sc->listen_datagram[i - ns])) == NULL)
			goto nomem;
		for (size_t j = 0; old && j < old->n; j++) {
			struct lsock *o = &old->s[j];

			if (o->fd < 0 || o->type != ls->type ||
			    strcmp(o->addr, ls->addr) != 0)
				continue;
			free(ls->addr);
			*ls = *o;	/* its descriptor and file go along */
			o->addr = NULL;
			o->fd = -1;
			o->file = false;
			break;
		}
	}
	return set;
nomem:
	log_warnx("%s: out of memory for its sockets", sc->name);
	if (set != NULL) {
		if (set->s == NULL)
			set->n = 0;
		set_free(set);
	}
	return NULL;
}

/*
 * A new config is in force: each service's sockets as it lists them now.
 * Those it still lists are kept (a waiting connection stays waiting), the
 * rest closed, their files removed; new ones are made, and one that cannot
 * be is said now and again when the service starts (its start fails).
 */
void
sockets_apply(const struct conf *c)
{
	struct sockset *old = sets, *o, **tail = &sets;
	const struct svc_conf *sc;
	char why[PATH_MAX + 128];

	sets = NULL;
	for (sc = c->services; sc; sc = sc->next) {
		struct sockset *set;

		if (sc->listen_stream == NULL && sc->listen_datagram == NULL)
			continue;
		for (o = old; o && strcmp(o->name, sc->name) != 0; o = o->next)
			;
		if ((set = set_new(sc, o)) == NULL)
			continue;
		*tail = set;
		tail = &set->next;
	}
	while ((o = old) != NULL) {	/* what no service lists any more */
		old = o->next;
		set_free(o);
	}
	for (struct sockset *set = sets; set; set = set->next) {
		sc = config_find(c, set->name);
		for (size_t i = 0; i < set->n; i++) {
			struct lsock *ls = &set->s[i];

			if (ls->fd >= 0)
				refresh(sc, ls);
			else if (make(sc, ls, why, sizeof(why)) < 0)
				log_warnx("%s: cannot make its socket %s: %s",
				    sc->name, ls->addr, why);
		}
	}
}

/*
 * Before a start: the service's sockets, made now if they could not be
 * before. 0 with *n descriptors in *fds (sockets.c's, valid until the next
 * sockets_apply; none for a service without sockets), -1 (a retry may
 * work) or -2 (not until a change) with why.
 */
int
sockets_get(const struct svc_conf *sc, const int **fds, size_t *n,
    char *why, size_t len)
{
	struct sockset *set = find(sc->name);
	char e[PATH_MAX + 128];
	int r;

	*fds = NULL;
	*n = 0;
	if (sc->listen_stream == NULL && sc->listen_datagram == NULL)
		return 0;
	if (config_nwords(sc->listen_stream) + config_nwords(
	    sc->listen_datagram) > SOCKETS_MAX) {	/* config_svc_check's */
		snprintf(why, len, "more than %d sockets", SOCKETS_MAX);
		return -2;
	}
	if (set == NULL) {
		if ((set = set_new(sc, NULL)) == NULL) {
			snprintf(why, len, "out of memory for its sockets");
			return -1;
		}
		set->next = sets;
		sets = set;
	}
	for (size_t i = 0; i < set->n; i++) {
		struct lsock *ls = &set->s[i];

		if (ls->fd < 0 && (r = make(sc, ls, e, sizeof(e))) < 0) {
			snprintf(why, len, "cannot make its socket %s: %s",
			    ls->addr, e);
			return r;
		}
		set->fds[i] = ls->fd;
	}
	*fds = set->fds;
	*n = set->n;
	return 0;
}

/* What sd_listen_fds(3) reads: LISTEN_FDS=n, LISTEN_FDNAMES (socket_fdname
 * or the service's name, once per socket) and LISTEN_PID, with room for
 * the pid that the child writes in (SOCKETS_PID_ROOM). 0, or -1 out of
 * memory. */
int
sockets_env(const struct svc_conf *sc, size_t n, char ***envp)
{
	const char *name = sc->socket_fdname ? sc->socket_fdname : sc->name;
	size_t count = config_nwords(*envp), nlen = strlen(name);
	char num[24], *names;
	int r;

	if (n == 0)
		return 0;
	if ((names = malloc(n * (nlen + 1))) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++) {
		memcpy(names + i * (nlen + 1), name, nlen);
		names[i * (nlen + 1) + nlen] = i + 1 < n ? ':' : '\0';
	}
	snprintf(num, sizeof(num), "%zu", n);
	r = env_putf(envp, &count, "LISTEN_FDS", num) < 0 ||
	    env_putf(envp, &count, "LISTEN_FDNAMES", names) < 0 ||
	    env_putf(envp, &count, "LISTEN_PID", SOCKETS_PID_ROOM) < 0 ? -1 : 0;
	free(names);
	return r;
}

/* How many sockets the service holds open now (status). */
size_t
sockets_count(const char *name)
{
	struct sockset *set = find(name);
	size_t n = 0;

	for (size_t i = 0; set && i < set->n; i++)
		n += set->s[i].fd >= 0;
	return n;
}

/* At exit: every socket closed, the files made removed. */
void
sockets_cleanup(void)
{
	struct sockset *set;

	while ((set = sets) != NULL) {
		sets = set->next;
		set_free(set);
	}
}
