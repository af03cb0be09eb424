/*
 * spawn.c: the one recipe that starts a service's process (DESIGN.md 7):
 * with who it runs as and its environment resolved in the parent
 * (spawn_id.c), limits, directory, identity and exec in the child; and
 * what the child reports back on its close-on-exec pipe when a step fails.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

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
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <libdaemon/dfork.h>

#include "guardiand.h"

/* Which step of the child's recipe failed; sent back on the exec pipe. */
enum child_step { STEP_DIRECTORY = 1, STEP_GROUPS, STEP_GID, STEP_UID, STEP_EXEC,
	STEP_NICE, STEP_NNP, STEP_CGROUP, STEP_READY_FD, STEP_CAPS, STEP_OOM,
	STEP_SOCKETS, STEP_LIMIT_FIRST };

struct child_err {
	int step;
	int err;
};


static struct rlimit child_nofile;	/* the limit guardiand was started with */
static bool have_child_nofile;

/* Remembers the descriptor limit to give services, before guardiand raises
 * its own: a program that uses select(2) must not see more than 1024. */
void
spawn_set_nofile(const struct rlimit *rl)
{
	child_nofile = *rl;
	have_child_nofile = true;
}

/* In the child: a note about the start on the service's stderr, which
 * its log shows with its name. */
static void
child_note(const char *key, const char *what)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg), "guardiand: %s: %s\n", key, what);

	if (n > 0)
		(void)!write(STDERR_FILENO, msg, (size_t)n < sizeof(msg) ?
		    (size_t)n : sizeof(msg) - 1);
}

/*
 * setrlimit(), or, where raising the hard limit is not permitted (no
 * CAP_SYS_RESOURCE, as in containers), the closest limits that are, as
 * systemd's setrlimit_closest() does, and a note saying so.
 */
static int
set_limit_closest(int res, const struct rlimit *rl, const char *key)
{
	struct rlimit cur, fixed;

	if (setrlimit(res, rl) == 0)
		return 0;
	if (errno != EPERM || getrlimit(res, &cur) < 0 ||
	    cur.rlim_max == RLIM_INFINITY) {
		errno = EPERM;
		return -1;
	}
	fixed.rlim_cur = rl->rlim_cur < cur.rlim_max ? rl->rlim_cur :
	    cur.rlim_max;
	fixed.rlim_max = rl->rlim_max < cur.rlim_max ? rl->rlim_max :
	    cur.rlim_max;
	if (setrlimit(res, &fixed) < 0)
		return -1;
	child_note(key, "the hard limit cannot be raised here: lowered to "
	    "what it is");
	return 0;
}

/* In the child: resource limits and priority, while still root. */
static int
set_limits(const struct svc_conf *sc, int *step)
{
	for (int i = 0; i < NLIMITS; i++) {
		struct rlimit rl;

		if (!sc->limits[i].set)
			continue;
		rl.rlim_cur = sc->limits[i].soft == UINT64_MAX ? RLIM_INFINITY :
		    (rlim_t)sc->limits[i].soft;
		rl.rlim_max = sc->limits[i].hard == UINT64_MAX ? RLIM_INFINITY :
		    (rlim_t)sc->limits[i].hard;
		if (set_limit_closest(config_limit_resource(i), &rl,
		    config_limit_name(i)) < 0) {
			*step = STEP_LIMIT_FIRST + i;
			return -1;
		}
	}
	if (sc->nice_set && setpriority(PRIO_PROCESS, 0, sc->nice) < 0) {
		*step = STEP_NICE;
		return -1;
	}
	if (sc->oom_adj_set) {
		char v[16];
		int fd, n = snprintf(v, sizeof(v), "%d\n", sc->oom_adj);

		if ((fd = open("/proc/self/oom_score_adj", O_WRONLY |
		    O_CLOEXEC)) < 0 || write(fd, v, (size_t)n) != n) {
			/* systemd's rule: without the privilege (a container),
			 * said and ignored */
			if (errno != EACCES && errno != EPERM) {
				*step = STEP_OOM;
				return -1;
			}
			child_note("oom_score_adjust", "not permitted here, "
			    "ignored");
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

/* In the child: report which step failed and why, then leave. */
static void __attribute__((noreturn))
child_fail(int fd, int step)
{
	struct child_err ce = { step, errno };

	(void)!write(fd, &ce, sizeof(ce));
	_exit(127);
}

/* In the child: the environment it execs with, held where a leak checker
 * following guardiand's forks sees it, when a step fails before exec. */
static char **volatile child_envp;

/* What the child needs: everything resolved before the fork. */
struct child_args {
	const struct svc_conf *sc;
	const char *prog;	/* argv[0], found in PATH */
	char *const *argv;
	const struct ident *id;
	char **envp;
	int errfd;		/* its close-on-exec report pipe */
	int outfd, errout;	/* become 1 and 2 */
	int procs_fd;		/* its cgroup's cgroup.procs, or -1 */
	int keep_fd, keep_as;	/* ready = fd:N: keep_fd becomes N; -1 none */
	const int *sockfds;	/* listen_*: they become 3, 4... */
	int nsock;
};

/* In the child: WATCHDOG_PID= or LISTEN_PID= (key) gets its own pid
 * (async-signal-safe). */
static void
set_env_pid(char **envp, const char *key)
{
	size_t klen = strlen(key);
	char digits[16];
	long pid = (long)getpid();
	int n = 0;

	for (; envp && *envp; envp++) {
		if (strncmp(*envp, key, klen) != 0)
			continue;
		do
			digits[n++] = (char)('0' + pid % 10);
		while ((pid /= 10) > 0 && n < 10);
		for (int i = 0; i < n; i++)
			(*envp)[klen + i] = digits[n - 1 - i];
		(*envp)[klen + n] = '\0';
		return;
	}
}

/* In the child: the sockets become 3, 4...; the report pipe and the
 * readiness pipe move above them first, so that no dup2 lands on a
 * descriptor still needed. -1 with errno. */
static int
place_sockets(const struct child_args *a, int *errfd, int *keep_fd)
{
	int base = 3 + a->nsock, tmp[SOCKETS_MAX], fd;

	if (a->keep_fd >= 0 && a->keep_as >= base)
		base = a->keep_as + 1;
	if (*errfd < base) {
		if ((fd = fcntl(*errfd, F_DUPFD_CLOEXEC, base)) < 0)
			return -1;
		*errfd = fd;
	}
	if (*keep_fd >= 0 && *keep_fd < base) {
		if ((fd = fcntl(*keep_fd, F_DUPFD_CLOEXEC, base)) < 0)
			return -1;
		*keep_fd = fd;
	}
	for (int i = 0; i < a->nsock; i++)
		if ((tmp[i] = fcntl(a->sockfds[i], F_DUPFD_CLOEXEC, base)) < 0)
			return -1;
	for (int i = 0; i < a->nsock; i++)	/* dup2: open across exec */
		if (dup2(tmp[i], 3 + i) < 0)
			return -1;
	return 0;
}

/* In the child: closes every descriptor from first up but a and b (-1:
 * none). */
static void
close_others(int first, int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;

	if (lo < first)
		lo = hi;
	if (lo > first)
		close_range((unsigned)first, (unsigned)lo - 1, 0);
	if (hi > lo + 1)
		close_range((unsigned)lo + 1, (unsigned)hi - 1, 0);
	close_range((unsigned)hi + 1, ~0U, 0);
}

/* The one recipe every child follows between fork and exec (DESIGN.md 7). */
static void __attribute__((noreturn))
child(const struct child_args *a)
{
	const struct svc_conf *sc = a->sc;
	const struct ident *id = a->id;
	int null, step, errfd = a->errfd, keep_fd = a->keep_fd;

	child_envp = a->envp;
	if (sc->watchdog_ms > 0)
		set_env_pid(a->envp, "WATCHDOG_PID=");
	if (a->nsock > 0)
		set_env_pid(a->envp, "LISTEN_PID=");
	/* Into the service's cgroup first, so that nothing it starts escapes,
	 * and while the credentials still allow the write. */
	if (a->procs_fd >= 0 && track_join(a->procs_fd) < 0)
		child_fail(errfd, STEP_CGROUP);
	setsid();
	daemon_reset_sigs(-1);
	daemon_unblock_sigs(-1);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(a->outfd, 1) < 0 ||
	    dup2(a->errout, 2) < 0)
		child_fail(errfd, STEP_EXEC);
	/* listen_*: the sockets become 3, 4... (open across exec). */
	if (a->nsock > 0 && place_sockets(a, &errfd, &keep_fd) < 0)
		child_fail(errfd, STEP_SOCKETS);
	/* ready = fd:N: the readiness pipe becomes N (open across exec). */
	if (keep_fd >= 0) {
		if (errfd == a->keep_as &&
		    (errfd = fcntl(errfd, F_DUPFD_CLOEXEC, a->keep_as + 1)) < 0)
			child_fail(a->errfd, STEP_EXEC);
		if (dup2(keep_fd, a->keep_as) < 0)
			child_fail(errfd, STEP_READY_FD);
	}
	/* Whatever else is open (inherited by a foreground guardiand) must
	 * not reach the service; errfd closes itself at exec. */
	close_others(3 + a->nsock, errfd, keep_fd >= 0 ? a->keep_as : -1);
	umask(sc->umask);
	if (have_child_nofile)
		setrlimit(RLIMIT_NOFILE, &child_nofile);
	if (set_limits(sc, &step) < 0)
		child_fail(errfd, step);
	if (chdir(sc->directory ? sc->directory : "/") < 0)
		child_fail(errfd, STEP_DIRECTORY);
	if (caps_child_before(sc) < 0)
		child_fail(errfd, STEP_CAPS);
	if (id->set) {
		/* The system calls themselves: glibc's wrappers may signal
		 * the process's other threads, and this child shares its
		 * memory with guardiand's until exec. */
		if (syscall(SYS_setgroups, (size_t)id->ngroups, id->groups) < 0)
			child_fail(errfd, STEP_GROUPS);
		if (syscall(SYS_setgid, id->gid) < 0)
			child_fail(errfd, STEP_GID);
		if (syscall(SYS_setuid, id->uid) < 0)
			child_fail(errfd, STEP_UID);
		/* Never run as root by accident: check the switch took. */
		if (id->uid != 0 && (syscall(SYS_setuid, 0) == 0 ||
		    geteuid() != id->uid)) {
			errno = EPERM;
			child_fail(errfd, STEP_UID);
		}
		if (id->uid != 0 && caps_child_after(sc) < 0)
			child_fail(errfd, STEP_CAPS);
	}
	if (sc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, STEP_NNP);
	/* prog has a slash: no second search, but a script without #!
	 * still runs with /bin/sh, as from a shell. */
	execvpe(a->prog, a->argv, a->envp);
	child_fail(errfd, STEP_EXEC);
}

/*
 * The child's start: clone(CLONE_VM | CLONE_VFORK), as glibc's posix_spawn
 * does, so that its cost does not grow with guardiand's memory or its
 * descriptor table's size (fork copies the page tables). The child runs on
 * a stack of its own in guardiand's memory while guardiand waits until it
 * has exec'd or left; its recipe (child()) therefore writes nothing
 * guardiand reads, allocates nothing, runs with every signal blocked until
 * the handlers are reset, and changes credentials with the system calls
 * themselves. ASan builds fork: their instrumented child would run on a
 * stack ASan does not know.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SPAWN_FORK	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SPAWN_FORK	1
#endif
#endif

#define CHILD_STACK	(256 * 1024)	/* reserved; a few pages are used */

#ifndef SPAWN_FORK
static int
child_entry(void *arg)
{
	child(arg);
}
#endif

/* Starts the child (every signal blocked by the caller); its pid, or -1. */
static pid_t
spawn_child(struct child_args *ca)
{
#ifdef SPAWN_FORK
	pid_t pid = fork();

	if (pid == 0)
		child(ca);
	return pid;
#else
	/* One stack, made at the first start and kept: guardiand waits for
	 * each child to leave it before it starts the next. */
	static char *stack;
	pid_t pid;

	if (stack == NULL) {
		void *p = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1,
		    0);

		if (p == MAP_FAILED)
			return -1;
		/* a guard page below it */
		if (mprotect(p, (size_t)sysconf(_SC_PAGESIZE), PROT_NONE) < 0) {
			munmap(p, CHILD_STACK);
			return -1;
		}
		stack = p;
	}
	pid = clone(child_entry, stack + CHILD_STACK, CLONE_VM | CLONE_VFORK |
	    SIGCHLD, ca);
	return pid;
#endif
}

/* What failed in the child, as "cannot ... WHAT". */
static void
step_message(const struct svc_conf *sc, const char *cg_rel, int step,
    char *buf, size_t len)
{
	switch (step) {
	case STEP_DIRECTORY:
		snprintf(buf, len, "cannot change directory to %s",
		    sc->directory ? sc->directory : "/");
		break;
	case STEP_GROUPS:
		snprintf(buf, len, "cannot set supplementary groups for %s",
		    sc->user ? sc->user : sc->group);
		break;
	case STEP_GID:
		snprintf(buf, len, "cannot set group for %s",
		    sc->group ? sc->group : sc->user);
		break;
	case STEP_UID:
		snprintf(buf, len, "cannot set user %s", sc->user);
		break;
	case STEP_NICE:
		snprintf(buf, len, "cannot set nice %d", sc->nice);
		break;
	case STEP_NNP:
		snprintf(buf, len, "cannot set no_new_privileges");
		break;
	case STEP_CAPS:
		snprintf(buf, len, "cannot set its capabilities");
		break;
	case STEP_OOM:
		snprintf(buf, len, "cannot set oom_score_adjust %d", sc->oom_adj);
		break;
	case STEP_CGROUP:
		snprintf(buf, len, "cannot join cgroup %s",
		    cg_rel ? cg_rel : "?");
		break;
	case STEP_EXEC:
		snprintf(buf, len, "cannot execute %s", sc->argv[0]);
		break;
	case STEP_SOCKETS:
		snprintf(buf, len, "cannot pass its sockets");
		break;
	case STEP_READY_FD:
		snprintf(buf, len, "cannot open its readiness descriptor %d",
		    sc->ready.fd);
		break;
	default:
		if (step >= STEP_LIMIT_FIRST && step < STEP_LIMIT_FIRST + NLIMITS)
			snprintf(buf, len, "cannot set %s",
			    config_limit_name(step - STEP_LIMIT_FIRST));
		else
			snprintf(buf, len, "cannot start");
	}
}

/* The failures of a start that no retry can mend: the program or the
 * directory is not there, or not for this user. */
static bool
cannot_work(int step, int err)
{
	return (step == STEP_EXEC || step == STEP_DIRECTORY) &&
	    (err == ENOENT || err == EACCES || err == ENOTDIR);
}

/* Reads what the child said on its exec pipe: EOF means exec succeeded.
 * Tells service_step which, and logs a failure. */
void
spawn_exec_result(struct service *sv)
{
	struct child_err ce;
	ssize_t n;
	const struct svc_conf *sc = sv->conf;

	do
		n = read(sv->exec_fd, &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	loop_del(sv->exec_fd);
	close(sv->exec_fd);
	sv->exec_fd = -1;
	if (n == (ssize_t)sizeof(ce)) {
		char what[256];

		step_message(sc, sv->cg ? sv->cg->rel : NULL, ce.step, what,
		    sizeof(what));
		sv->exec_errno = ce.err;
		if (cannot_work(ce.step, ce.err)) {
			log_warnx("%s: %s: %s; " NOT_RETRYING, sc->name, what,
			    strerror(ce.err));
			service_step(sv, EV_CANNOT_EXEC, now_ms());
		} else {
			log_warnx("%s: %s: %s", sc->name, what,
			    strerror(ce.err));
			service_step(sv, EV_EXEC_FAILED, now_ms());
		}
	} else {
		service_step(sv, EV_EXEC_OK, now_ms());
	}
}

static void
close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
}

/*
 * Forks and execs the service; 0, or -1 when nothing was started, -2 when
 * nothing can be until something changes (why says what). A command
 * without a slash is looked up here, in the PATH of the service's own
 * environment, by the function guardiand -t checks it with.
 */
int
spawn_start(struct service *sv, char *why, size_t len)
{
	const struct svc_conf *sc = sv->conf;
	int ep[2] = { -1, -1 }, op[2] = { -1, -1 }, eo[2] = { -1, -1 };
	char prog[PATH_MAX], *unused;
	const char *search;
	struct ident id;
	char **envp = NULL;
	const int *sockfds;
	size_t nsock;
	sigset_t all, old;
	pid_t pid;
	int r;

	sv->exec_errno = 0;
	if ((r = sockets_get(sc, &sockfds, &nsock, why, len)) < 0)
		return r;
	if ((r = spawn_ident_resolve(sc, &id, why, len)) < 0)
		return r;
	if ((r = svdirs_make(sc, id.set ? id.uid : geteuid(), id.set ? id.gid :
	    getegid(), why, len)) < 0) {
		spawn_ident_free(&id);
		return r;
	}
	if ((envp = spawn_env(sc, &id, sv->notify_path, 0)) == NULL)
		goto fail;
	if (sockets_env(sc, nsock, &envp) < 0) {
		log_warnx("%s: out of memory", sc->name);
		goto fail;
	}
	snprintf(prog, sizeof(prog), "%s", sc->argv[0]);
	if (strchr(sc->argv[0], '/') == NULL) {
		search = check_search_path(sc, envp, &unused);
		r = check_program(sc->argv[0], sc->directory, search, prog,
		    sizeof(prog));
		if (r == ENOENT || r == EACCES) {
			snprintf(why, len, "cannot execute %s: %s (PATH %s)",
			    sc->argv[0], r == ENOENT ? "not found" :
			    strerror(r), search);
			sv->exec_errno = r;	/* for status: exec-failed */
			config_free_words(envp);
			spawn_ident_free(&id);
			return -2;
		}
		if (r != 0)	/* let exec say it */
			snprintf(prog, sizeof(prog), "%s", sc->argv[0]);
	}
	if (pipe2(ep, O_CLOEXEC) < 0 || pipe2(op, O_CLOEXEC) < 0 ||
	    pipe2(eo, O_CLOEXEC) < 0) {
		log_warn("%s: pipe", sc->name);
		goto fail;
	}
	/* Signals wait until the child has reset its handlers: one that came
	 * before would run guardiand's inherited handler, which writes into
	 * guardiand's own signal pipe (a stop right after a start would read
	 * as a SIGTERM to guardiand) and is otherwise lost to the child. */
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	{
		struct child_args ca = { sc, prog, sc->argv, &id, envp, ep[1],
		    op[1], eo[1], sv->cg ? sv->cg->procs_fd : -1,
		    sv->ready_wfd, sc->ready.fd, sockfds, (int)nsock };

		pid = spawn_child(&ca);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warn("%s: fork", sc->name);
		goto fail;
	}

	close(ep[1]);
	close(op[1]);
	close(eo[1]);
	config_free_words(envp);
	spawn_ident_free(&id);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	fcntl(eo[0], F_SETFL, O_NONBLOCK);
	sv->pid = pid;
	sv->pgid = pid;
	{
		struct procstat ps;

		sv->pg_start = proc_stat(pid, &ps) == 0 ? ps.start : 0;
	}
	sv->exec_fd = ep[0];	/* service.c watches it: spawn_exec_result */
	sv->exec_errno = 0;
	/* The previous process's pipes may still be open: they go on alone. */
	fwd_forget(sv->fwd[0]);
	fwd_forget(sv->fwd[1]);
	fwd_start(sv, pid, 1, op[0]);
	fwd_start(sv, pid, 2, eo[0]);
	return 0;
fail:
	close_pair(ep);
	close_pair(op);
	close_pair(eo);
	config_free_words(envp);
	spawn_ident_free(&id);
	return -1;
}

/*
 * Starts a check (ready = exec:, health = exec:) as the service's own
 * process starts: its user, environment, directory and cgroup; both output
 * streams on outfd. 0 with *pidp and, in *repfd, the read end of its
 * report pipe (spawn_check_result reads it once it has ended); -1 with why.
 */
int
spawn_check(const struct service *sv, char *const *argv, int outfd,
    pid_t *pidp, int *repfd, char *why, size_t len)
{
	const struct svc_conf *sc = sv->conf;
	int ep[2] = { -1, -1 };
	struct ident id;
	char **envp;
	sigset_t all, old;
	pid_t pid;

	if (spawn_ident_resolve(sc, &id, why, len) < 0)
		return -1;
	if ((envp = spawn_env(sc, &id, NULL, sv->pid)) == NULL) {
		snprintf(why, len, "cannot make its environment");
		spawn_ident_free(&id);
		return -1;
	}
	if (pipe2(ep, O_CLOEXEC | O_NONBLOCK) < 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		goto fail;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	{
		struct child_args ca = { sc, argv[0], argv, &id, envp, ep[1],
		    outfd, outfd, sv->cg ? sv->cg->procs_fd : -1, -1, -1, NULL,
		    0 };

		pid = spawn_child(&ca);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		goto fail;
	}
	close(ep[1]);
	config_free_words(envp);
	spawn_ident_free(&id);
	*pidp = pid;
	*repfd = ep[0];
	return 0;
fail:
	close_pair(ep);
	config_free_words(envp);
	spawn_ident_free(&id);
	return -1;
}

/* After a check ended: true with why if it could not be started (the step
 * of the recipe that failed); closes repfd. */
bool
spawn_check_result(const struct service *sv, int repfd, const char *prog,
    char *why, size_t len)
{
	struct child_err ce;
	ssize_t n = read(repfd, &ce, sizeof(ce));

	close(repfd);
	if (n != (ssize_t)sizeof(ce))
		return false;
	if (ce.step == STEP_EXEC)
		snprintf(why, len, "cannot execute %s: %s", prog,
		    strerror(ce.err));
	else {
		char what[256];

		step_message(sv->conf, sv->cg ? sv->cg->rel : NULL, ce.step,
		    what, sizeof(what));
		snprintf(why, len, "%s: %s", what, strerror(ce.err));
	}
	return true;
}

/*
 * Starts a control process of sv (start_pre, stop_command...) as
 * spawn_check starts a check, both output streams on out; full ("+"): as
 * guardiand's own user, without the service's user, groups, capabilities
 * or no_new_privileges.
 */
int
spawn_control(const struct service *sv, char *const *argv, bool full,
    int out, pid_t *pidp, int *repfd, char *why, size_t len)
{
	struct svc_conf plain = *sv->conf;
	struct service tmp = *sv;

	if (full) {
		plain.user = plain.group = NULL;
		plain.supp_groups = NULL;
		plain.no_new_privileges = false;
		plain.ambient.set = plain.bounding.set = false;
		tmp.conf = &plain;
	}
	return spawn_check(&tmp, argv, out, pidp, repfd, why, len);
}
