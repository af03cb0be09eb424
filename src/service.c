/*
 * service.c: the process table. It forks (the only module that does),
 * reaps, signals process groups, and carries out what service_step decides.
 */
#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

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

#include <libdaemon/dfork.h>

#include "guardiand.h"

/* Lines of stderr logged with an abnormal exit. */
#define CRASH_LINES	3

/* Which step of the child's recipe failed; sent back on the exec pipe. */
enum child_step { STEP_DIRECTORY = 1, STEP_GROUPS, STEP_GID, STEP_UID, STEP_EXEC,
	STEP_NICE, STEP_NNP, STEP_LIMIT_FIRST };

struct child_err {
	int step;
	int err;
};

/* Who a service runs as, resolved in the parent so the child does no NSS. */
struct ident {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *home, *user, *shell;
};

static struct service *services;

/*
 * Process groups of earlier runs that outlived their main process (a
 * grandchild still working, or a daemon the service left behind). Not
 * killed when the main process exits, since they may be finishing work and
 * their output is still forwarded; but a stop of the service, and guardiand's
 * own shutdown, stop them too and wait for them.
 */
struct leftover {
	struct leftover *next;
	char *name;
	pid_t pgid;
	uint64_t start;		/* the leader's start time, for the state file */
	int sig;		/* the service's stop_signal */
	struct lo_timing t;	/* when to announce, stop, kill: the policy's */
};
static struct leftover *leftovers;
static struct rlimit child_nofile;	/* the limit guardiand was started with */
static bool have_child_nofile;

/* Remembers the descriptor limit to give services, before guardiand raises
 * its own: a program that uses select(2) must not see more than 1024. */
void
service_set_nofile(const struct rlimit *rl)
{
	child_nofile = *rl;
	have_child_nofile = true;
}

static void act(struct service *sv, enum sv_action a);

/* Hands the state file every process group guardiand answers for: each
 * service's current one, then the leftovers; called at each change. */
static void
record_groups(void)
{
	struct state_group *g;
	size_t n = 0, max = 0;

	for (struct service *sv = services; sv; sv = sv->next)
		max++;
	for (struct leftover *l = leftovers; l; l = l->next)
		max++;
	if ((g = calloc(max ? max : 1, sizeof(*g))) == NULL) {
		log_warnx("guardiand: out of memory, state file not updated");
		return;
	}
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pgid > 0)
			g[n++] = (struct state_group){ sv->conf->name, sv->pgid,
			    sv->pg_start };
	for (struct leftover *l = leftovers; l; l = l->next)
		g[n++] = (struct state_group){ l->name, l->pgid, l->start };
	state_record(g, n);
	free(g);
}

struct service *
service_list(void)
{
	return services;
}

static struct service *
find_pid(pid_t pid)
{
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pid == pid)
			return sv;
	return NULL;
}

struct service *
service_find(const char *name)
{
	for (struct service *sv = services; sv; sv = sv->next)
		if (!sv->removed && strcmp(sv->conf->name, name) == 0)
			return sv;
	return NULL;
}

/* "exited with status 1" or "killed by signal 9 (KILL)". */
static const char *
fmt_status(int st, char *buf, size_t len)
{
	if (WIFEXITED(st))
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
	else if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by signal %d (%s)%s", WTERMSIG(st),
		    config_signal_name(WTERMSIG(st)),
		    WCOREDUMP(st) ? ", core dumped" : "");
	else
		snprintf(buf, len, "ended with wait status 0x%x", st);
	return buf;
}

static void
ident_free(struct ident *id)
{
	free(id->groups);
	free(id->home);
	free(id->user);
	free(id->shell);
	memset(id, 0, sizeof(*id));
}

/* Looks up user= and group= now, so the child only has to call
 * setgroups/setgid/setuid. -1 on a passing failure (logged); -2 when the
 * user or group does not exist, which no retry mends (why says so). */
static int
ident_resolve(const struct svc_conf *sc, struct ident *id, char *why,
    size_t len)
{
	struct passwd *pw = NULL;

	memset(id, 0, sizeof(*id));
	if (sc->user == NULL && sc->group == NULL)
		return 0;
	id->set = true;
	id->uid = getuid();
	id->gid = getgid();
	if (sc->user) {
		errno = 0;
		pw = getpwnam(sc->user);
		if (pw == NULL) {
			if (!check_no_such_entry(errno)) {
				log_warn("%s: cannot look up user \"%s\"",
				    sc->name, sc->user);
				return -1;
			}
			snprintf(why, len, "unknown user \"%s\"", sc->user);
			return -2;
		}
		id->uid = pw->pw_uid;
		id->gid = pw->pw_gid;
		id->home = strdup(pw->pw_dir);
		id->user = strdup(pw->pw_name);
		id->shell = strdup(pw->pw_shell);
		if (!id->home || !id->user || !id->shell)
			goto nomem;
	}
	if (sc->group) {
		struct group *gr;

		errno = 0;
		gr = getgrnam(sc->group);
		if (gr == NULL) {
			if (!check_no_such_entry(errno)) {
				log_warn("%s: cannot look up group \"%s\"",
				    sc->name, sc->group);
				goto fail;
			}
			snprintf(why, len, "unknown group \"%s\"", sc->group);
			ident_free(id);
			return -2;
		}
		id->gid = gr->gr_gid;
	}
	if (pw) {
		int n = 32;

		for (;;) {
			gid_t *g = reallocarray(id->groups, (size_t)n, sizeof(gid_t));
			int want = n;

			if (g == NULL)
				goto nomem;
			id->groups = g;
			if (getgrouplist(pw->pw_name, id->gid, g, &want) >= 0) {
				id->ngroups = want;
				break;
			}
			if (want <= n)
				want = n * 2;
			n = want;
		}
	} else {
		/* group= alone: that group, no supplementary ones. */
		id->groups = malloc(sizeof(gid_t));
		if (id->groups == NULL)
			goto nomem;
		id->groups[0] = id->gid;
		id->ngroups = 1;
	}
	return 0;
nomem:
	log_warnx("%s: out of memory", sc->name);
fail:
	ident_free(id);
	return -1;
}

/* Sets KEY=VALUE in a NULL-terminated list, replacing the same KEY; the
 * string is copied. 0, or -1 out of memory. */
static int
env_put(char ***envp, size_t *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy = strdup(kv), **ne;

	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = copy;
			return 0;
		}
	}
	if ((ne = reallocarray(*envp, *n + 2, sizeof(char *))) == NULL) {
		free(copy);
		return -1;
	}
	*envp = ne;
	ne[(*n)++] = copy;
	ne[*n] = NULL;
	return 0;
}

static int
env_putf(char ***envp, size_t *n, const char *key, const char *value)
{
	char *kv;
	int r;

	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -1;
	r = env_put(envp, n, kv);
	free(kv);
	return r;
}

/* The child's environment, each layer over the one before: guardiand's own
 * (or only PATH with clear_environment), the identity of user=, the
 * environment_file, then environment=. NULL with a message logged. */
static char **
build_env(const struct svc_conf *sc, const struct ident *id)
{
	char **envp = calloc(1, sizeof(char *)), **file = NULL, err[512];
	size_t n = 0;

	if (envp == NULL)
		goto nomem;
	if (sc->clear_environment) {
		if (env_put(&envp, &n, "PATH=" DEFAULT_PATH) < 0)
			goto nomem;
	} else {
		for (char **e = environ; *e; e++)
			if (env_put(&envp, &n, *e) < 0)
				goto nomem;
	}
	if (id->user && (env_putf(&envp, &n, "HOME", id->home) < 0 ||
	    env_putf(&envp, &n, "USER", id->user) < 0 ||
	    env_putf(&envp, &n, "LOGNAME", id->user) < 0 ||
	    env_putf(&envp, &n, "SHELL", id->shell) < 0))
		goto nomem;
	if (sc->environment_file) {
		file = config_read_env_file(sc->environment_file, err, sizeof(err));
		if (file == NULL && !(sc->environment_file_optional &&
		    access(sc->environment_file, F_OK) < 0 && errno == ENOENT)) {
			log_warnx("%s: environment_file %s", sc->name, err);
			config_free_words(envp);
			return NULL;
		}
		for (char **e = file; e && *e; e++)
			if (env_put(&envp, &n, *e) < 0)
				goto nomem;
		config_free_words(file);
		file = NULL;
	}
	for (char **e = sc->env; e && *e; e++)
		if (env_put(&envp, &n, *e) < 0)
			goto nomem;
	/* The mark that finds the service's orphans when it stops. */
	if (env_putf(&envp, &n, SERVICE_MARK, sc->name) < 0)
		goto nomem;
	return envp;
nomem:
	log_warnx("%s: out of memory", sc->name);
	config_free_words(file);
	config_free_words(envp);
	return NULL;
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
		if (setrlimit(config_limit_resource(i), &rl) < 0) {
			*step = STEP_LIMIT_FIRST + i;
			return -1;
		}
	}
	if (sc->nice_set && setpriority(PRIO_PROCESS, 0, sc->nice) < 0) {
		*step = STEP_NICE;
		return -1;
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

/* The one recipe every child follows between fork and exec (DESIGN.md 7). */
static void __attribute__((noreturn))
child(const struct svc_conf *sc, const char *prog, const struct ident *id,
    char **envp, int errfd, int outfd, int errout)
{
	int null, step;

	setsid();
	daemon_reset_sigs(-1);
	daemon_unblock_sigs(-1);
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(outfd, 1) < 0 ||
	    dup2(errout, 2) < 0)
		child_fail(errfd, STEP_EXEC);
	/* Whatever else is open (inherited by a foreground guardiand) must
	 * not reach the service; errfd closes itself at exec. */
	if (errfd > 3)
		close_range(3, (unsigned)errfd - 1, 0);
	close_range((unsigned)errfd + 1, ~0U, 0);
	umask(sc->umask);
	if (have_child_nofile)
		setrlimit(RLIMIT_NOFILE, &child_nofile);
	if (set_limits(sc, &step) < 0)
		child_fail(errfd, step);
	if (chdir(sc->directory ? sc->directory : "/") < 0)
		child_fail(errfd, STEP_DIRECTORY);
	if (id->set) {
		if (setgroups((size_t)id->ngroups, id->groups) < 0)
			child_fail(errfd, STEP_GROUPS);
		if (setgid(id->gid) < 0)
			child_fail(errfd, STEP_GID);
		if (setuid(id->uid) < 0)
			child_fail(errfd, STEP_UID);
		/* Never run as root by accident: check the switch took. */
		if (id->uid != 0 && (setuid(0) == 0 || geteuid() != id->uid)) {
			errno = EPERM;
			child_fail(errfd, STEP_UID);
		}
	}
	if (sc->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		child_fail(errfd, STEP_NNP);
	/* prog has a slash: no second search, but a script without #!
	 * still runs with /bin/sh, as from a shell. */
	execvpe(prog, sc->argv, envp);
	child_fail(errfd, STEP_EXEC);
}

static const char *const limit_names[NLIMITS] = {
	"limit_nofile", "limit_nproc", "limit_core", "limit_as", "limit_cpu",
	"limit_fsize", "limit_memlock", "limit_stack", "limit_data",
};

/* What failed in the child, as "cannot ... WHAT". */
static void
step_message(const struct svc_conf *sc, int step, char *buf, size_t len)
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
	case STEP_EXEC:
		snprintf(buf, len, "cannot execute %s", sc->argv[0]);
		break;
	default:
		if (step >= STEP_LIMIT_FIRST && step < STEP_LIMIT_FIRST + NLIMITS)
			snprintf(buf, len, "cannot set %s",
			    limit_names[step - STEP_LIMIT_FIRST]);
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

#define NOT_RETRYING	"not retrying until a reload or guardianctl start"

/* Reads what the child said on its exec pipe: EOF means exec succeeded. */
static void
exec_result(struct service *sv)
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

		step_message(sc, ce.step, what, sizeof(what));
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
exec_ready(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	exec_result(arg);
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
static int
spawn(struct service *sv, char *why, size_t len)
{
	const struct svc_conf *sc = sv->conf;
	int ep[2] = { -1, -1 }, op[2] = { -1, -1 }, eo[2] = { -1, -1 };
	char prog[PATH_MAX], *unused;
	const char *search;
	struct ident id;
	char **envp = NULL;
	sigset_t all, old;
	pid_t pid;
	int r;

	sv->exec_errno = 0;
	if ((r = ident_resolve(sc, &id, why, len)) < 0)
		return r;
	if ((envp = build_env(sc, &id)) == NULL)
		goto fail;
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
			ident_free(&id);
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
	pid = fork();
	if (pid == 0)
		child(sc, prog, &id, envp, ep[1], op[1], eo[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		log_warn("%s: fork", sc->name);
		goto fail;
	}

	close(ep[1]);
	close(op[1]);
	close(eo[1]);
	config_free_words(envp);
	ident_free(&id);
	fcntl(ep[0], F_SETFL, O_NONBLOCK);
	fcntl(op[0], F_SETFL, O_NONBLOCK);
	fcntl(eo[0], F_SETFL, O_NONBLOCK);
	sv->pid = pid;
	sv->pgid = pid;
	{
		struct procstat ps;

		sv->pg_start = proc_stat(pid, &ps) == 0 ? ps.start : 0;
	}
	record_groups();
	sv->exec_fd = ep[0];
	sv->exec_errno = 0;
	if (loop_add(ep[0], POLLIN, exec_ready, sv) < 0)
		log_warn("%s: watching exec pipe", sc->name);
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
	ident_free(&id);
	return -1;
}

/*
 * Sends a stop signal to a process group (before the child's setsid ran the
 * group does not exist yet: then to main itself) and to the extra processes
 * outside it; a stopped process cannot act on it until continued, so
 * SIGCONT follows.
 */
static void
send_stop(pid_t pgid, pid_t main, const pid_t *extra, size_t n, int sig)
{
	int sigs[2] = { sig, SIGCONT };

	if (pgid <= 0)
		return;		/* never kill(0) or kill(-1) */
	for (int i = 0; i < (sig == SIGKILL || sig == SIGCONT ? 1 : 2); i++) {
		if (kill(-pgid, sigs[i]) < 0 && errno == ESRCH && main > 0)
			kill(main, sigs[i]);
		for (size_t j = 0; j < n; j++)
			kill(extra[j], sigs[i]);
	}
}

/* Adds the service's processes outside its group (setsid, setpgid) to
 * what a stop signals and waits for. */
static void
find_escaped(struct service *sv)
{
	pid_t found[MAX_ESCAPED];
	size_t n = proctree_escaped(sv->pid, sv->pgid, sv->conf->name, found,
	    MAX_ESCAPED);

	if (sv->escaped == NULL &&
	    (sv->escaped = calloc(MAX_ESCAPED, sizeof(pid_t))) == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		bool known = false;

		for (size_t j = 0; j < sv->nescaped && !known; j++)
			known = sv->escaped[j] == found[i];
		if (!known && sv->nescaped < MAX_ESCAPED) {
			sv->escaped[sv->nescaped++] = found[i];
			log_info("%s: pid %ld left the process group; stopping it "
			    "too", sv->conf->name, (long)found[i]);
		}
	}
}

/* Whether every process outside the group that a stop waits for is gone. */
static bool
escaped_gone(struct service *sv)
{
	for (size_t i = 0; i < sv->nescaped; i++)
		if (proc_live(sv->escaped[i], NULL))
			return false;
	free(sv->escaped);
	sv->escaped = NULL;
	sv->nescaped = 0;
	return true;
}

static void
act(struct service *sv, enum sv_action a)
{
	char b1[32], why[PATH_MAX + 256];
	const struct svc_conf *sc = sv->conf;
	int r;

	switch (a) {
	case ACT_NONE:
		return;
	case ACT_SPAWN:
		if ((r = spawn(sv, why, sizeof(why))) == -2) {
			service_step(sv, EV_CANNOT_START, now_ms());
			log_warnx("%s: %s; " NOT_RETRYING, sc->name, why);
			record_groups();
			return;
		}
		if (r < 0) {
			service_step(sv, EV_SPAWN_FAILED, now_ms());
			log_warnx("%s: start failed, retrying in %s", sc->name,
			    fmt_duration(sv->delay_ms, b1, sizeof(b1)));
			return;
		}
		service_step(sv, EV_SPAWNED, now_ms());
		log_info("%s: started, pid %ld", sc->name, (long)sv->pid);
		return;
	case ACT_TERM:
		log_info("%s: stopping, pid %ld, sending %s", sc->name,
		    (long)sv->pid, config_signal_name(sc->stop_signal));
		find_escaped(sv);
		send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped,
		    sc->stop_signal);
		return;
	case ACT_KILL:
		log_warnx("%s: stop timeout after %s, sending KILL to process "
		    "group %ld", sc->name, fmt_duration(sc->stop_timeout_ms, b1,
		    sizeof(b1)), (long)sv->pgid);
		find_escaped(sv);
		send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped, SIGKILL);
		return;
	}
}

static void
service_free(struct service *sv)
{
	fwd_forget(sv->fwd[0]);
	fwd_forget(sv->fwd[1]);
	free(sv->escaped);
	config_svc_free(sv->conf);
	outlog_unref(sv->log);
	free(sv);
}

/* Drops services that left the config once nothing of them runs. */
static void
settle(void)
{
	struct service **pp = &services;

	while (*pp) {
		struct service *sv = *pp;

		if (sv->removed && sv->state == SV_DOWN && sv->pid == 0 &&
		    sv->exec_fd < 0) {
			*pp = sv->next;
			service_free(sv);
			continue;
		}
		pp = &sv->next;
	}
}

static bool
group_alive(pid_t pgid)
{
	return pgid > 0 && (kill(-pgid, 0) == 0 || errno != ESRCH);
}

/* The main process is gone but its group lives on: remember the group. */
static void
leftover_add(const struct service *sv)
{
	struct leftover *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->name = strdup(sv->conf->name)) == NULL) {
		free(l);
		log_warnx("%s: out of memory, process group %ld forgotten",
		    sv->conf->name, (long)sv->pgid);
		return;
	}
	l->pgid = sv->pgid;
	l->start = sv->pg_start;
	l->sig = sv->conf->stop_signal;
	service_leftover_init(&l->t, sv->conf->stop_timeout_ms);
	l->next = leftovers;
	leftovers = l;
	record_groups();
}

/* Asks the leftover groups of a service (NULL: of all) to stop: the stop
 * signal now, SIGKILL after the service's stop_timeout. */
static void
leftover_stop(const char *name)
{
	int64_t now = now_ms();

	for (struct leftover *l = leftovers; l; l = l->next) {
		pid_t found[MAX_ESCAPED];
		size_t n;

		if (name && strcmp(name, l->name) != 0)
			continue;
		if (!(service_leftover_step(&l->t, LO_EV_STOP, true, now) &
		    LO_TERM))
			continue;
		log_info("%s: stopping leftover process group %ld, sending %s",
		    l->name, (long)l->pgid, config_signal_name(l->sig));
		/* Its members' descendants in other sessions, and marked
		 * orphans, go too. */
		n = proctree_escaped(0, l->pgid, l->name, found, MAX_ESCAPED);
		send_stop(l->pgid, 0, found, n, l->sig);
	}
}

/* Does what the policy says for each leftover group: forget the ones that
 * are gone, announce new ones, SIGKILL the ones past their time. */
static void
leftover_check(int64_t now)
{
	struct leftover **pp = &leftovers;

	while (*pp) {
		struct leftover *l = *pp;
		unsigned what = service_leftover_step(&l->t, LO_EV_CHECK,
		    group_alive(l->pgid), now);

		if (what & LO_FORGET) {
			if (what & LO_WAS_STOPPING)
				log_info("%s: leftover process group %ld stopped",
				    l->name, (long)l->pgid);
			*pp = l->next;
			free(l->name);
			free(l);
			record_groups();
			continue;
		}
		if (what & LO_ANNOUNCE)
			log_info("%s: process group %ld lives on after its main "
			    "process; it will be stopped with the service",
			    l->name, (long)l->pgid);
		if (what & LO_KILL) {
			log_warnx("%s: leftover process group %ld: stop timeout, "
			    "sending KILL", l->name, (long)l->pgid);
			send_stop(l->pgid, 0, NULL, 0, SIGKILL);
		}
		pp = &l->next;
	}
}

bool
service_has_leftovers(const char *name)
{
	for (struct leftover *l = leftovers; l; l = l->next)
		if (name == NULL || strcmp(name, l->name) == 0)
			return true;
	return false;
}

/* A stopping service whose main process is gone is down once its process
 * group is empty. */
static void
check_group(struct service *sv)
{
	if (sv->state != SV_STOPPING || !sv->exited)
		return;
	if (group_alive(sv->pgid) || !escaped_gone(sv))
		return;
	log_info("%s: stopped", sv->conf->name);
	sv->pgid = 0;
	record_groups();
	act(sv, service_step(sv, EV_GROUP_GONE, now_ms()));
}

/* Logs one exit of a main process, with what service_step made of it. */
static void
log_exit(const struct service *sv)
{
	const struct svc_conf *sc = sv->conf;
	char st[64], rt[32], d[32];

	fmt_status(sv->last_status, st, sizeof(st));
	fmt_duration(sv->last_runtime_ms, rt, sizeof(rt));
	switch (sv->outcome) {
	case SVO_HOPELESS:
		log_debug("%s: %s after %s", sc->name, st, rt);	/* said */
		break;
	case SVO_NONE:
	case SVO_STOPPED:
		log_info("%s: %s after %s", sc->name, st, rt);
		break;
	case SVO_RESTART_NOW:
		log_warnx("%s: %s after %s, restarting now", sc->name, st, rt);
		break;
	case SVO_RESTART_LATER:
		log_warnx("%s: %s after %s, restarting in %s", sc->name, st, rt,
		    fmt_duration(sv->delay_ms, d, sizeof(d)));
		break;
	case SVO_GAVE_UP:
		log_warnx("%s: %s after %s, giving up after %u quick failures "
		    "in a row", sc->name, st, rt, sv->fails);
		break;
	case SVO_DONE_OK:
		log_info("%s: %s after %s, not restarting (restart = %s)",
		    sc->name, st, rt, sc->restart == RESTART_NEVER ? "never" :
		    "on-failure");
		break;
	case SVO_DONE_FAIL:
		log_warnx("%s: %s after %s, not restarting (restart = never)",
		    sc->name, st, rt);
		break;
	}
}

/* After an abnormal exit: the process's last stderr lines, for context. */
static void
log_last_stderr(const struct service *sv, pid_t pid)
{
	size_t n = outlog_count(sv->log), len, idx[CRASH_LINES];
	int found = 0, stream;
	int64_t when;
	pid_t p;

	for (size_t i = n; i-- > 0 && found < CRASH_LINES;) {
		outlog_get(sv->log, i, &len, &when, &p, &stream);
		if (p == pid && stream == 2)
			idx[found++] = i;
	}
	while (found-- > 0) {
		const char *t = outlog_get(sv->log, idx[found], &len, &when, &p,
		    &stream);
		log_warnx("%s: last stderr: %.*s", sv->conf->name,
		    len > 1024 ? 1024 : (int)len, t);
	}
}

static void
exited(struct service *sv, int status)
{
	enum sv_action a;
	pid_t pid = sv->pid;

	/* The exec pipe holds the reason if exec failed: read it first. */
	if (sv->exec_fd >= 0)
		exec_result(sv);
	/* Its last words come before the news of its exit. */
	fwd_drain(sv->fwd[0]);
	fwd_drain(sv->fwd[1]);
	sv->pid = 0;
	sv->last_status = status;
	a = service_step(sv, EV_EXITED, now_ms());
	log_exit(sv);
	if (sv->state != SV_STOPPING && !sv->exec_failed &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		log_last_stderr(sv, pid);
	if (sv->state != SV_STOPPING) {
		if (group_alive(sv->pgid))
			leftover_add(sv);
		sv->pgid = 0;
		record_groups();
	}
	act(sv, a);
	check_group(sv);
}

/* Reaps every child that has ended: services, and strangers (orphans that
 * came to us as a subreaper). */
void
service_reap(void)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct service *sv = find_pid(pid);

		if (sv)
			exited(sv, st);
		else
			log_debug("reaped pid %ld", (long)pid);
	}
	for (struct service *sv = services; sv; sv = sv->next)
		check_group(sv);
	leftover_check(now_ms());
	settle();
}

void
service_timers(int64_t now)
{
	for (struct service *sv = services; sv; sv = sv->next) {
		check_group(sv);
		if (sv->deadline_ms >= 0 && now >= sv->deadline_ms)
			act(sv, service_step(sv, EV_TIMER, now));
	}
	leftover_check(now);
	settle();
}

int64_t
service_next_deadline(void)
{
	int64_t next = -1;

	for (struct service *sv = services; sv; sv = sv->next) {
		int64_t d = sv->deadline_ms;

		if (sv->state == SV_STOPPING && sv->exited) {
			int64_t poll_at = now_ms() + GROUP_POLL_MS;
			if (d < 0 || poll_at < d)
				d = poll_at;
		}
		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	/* Stopping leftovers: their deadline, and a look now and then in case
	 * no SIGCHLD tells that they are gone. */
	for (struct leftover *l = leftovers; l; l = l->next) {
		int64_t d = service_leftover_deadline(&l->t, now_ms());

		if (d >= 0 && (next < 0 || d < next))
			next = d;
	}
	return next;
}

static struct service *
service_new(struct svc_conf *sc)
{
	struct service *sv = calloc(1, sizeof(*sv));

	if (sv == NULL)
		return NULL;
	sv->conf = sc;
	sv->state = SV_DOWN;
	sv->want = WANT_DOWN;
	sv->deadline_ms = -1;
	sv->last_status = -1;
	sv->exec_fd = -1;
	if ((sv->log = outlog_new(sc->log_lines,
		    (size_t)sc->log_lines * sc->line_max)) == NULL) {
		free(sv);
		return NULL;
	}
	return sv;
}

void
service_do(struct service *sv, enum sv_event ev)
{
	act(sv, service_step(sv, ev, now_ms()));
	if (ev == EV_STOP)
		leftover_stop(sv->conf->name);
	settle();
}

void
service_apply(struct conf *c, char *summary, size_t len)
{
	struct svc_conf *sc, *next;
	unsigned added = 0, removed = 0, changed = 0, same = 0;
	int64_t now = now_ms();

	/* Services that left the config stop, and go once down. */
	for (struct service *sv = services; sv; sv = sv->next) {
		if (sv->removed || config_find(c, sv->conf->name))
			continue;
		sv->removed = true;
		removed++;
		act(sv, service_step(sv, EV_STOP, now));
		leftover_stop(sv->conf->name);
	}
	for (sc = c->services; sc; sc = next) {
		struct service *sv = service_find(sc->name);

		next = sc->next;
		sc->next = NULL;
		if (sv == NULL) {
			struct service **pp = &services;

			if ((sv = service_new(sc)) == NULL) {
				log_warnx("%s: out of memory", sc->name);
				config_svc_free(sc);
				continue;
			}
			while (*pp)
				pp = &(*pp)->next;
			*pp = sv;
			added++;
			act(sv, service_step(sv, EV_START, now));
			continue;
		}
		if (config_svc_equal(sv->conf, sc)) {
			same++;
			config_svc_free(sv->conf);
			sv->conf = sc;
			/* What was missing may be there now: one more try. */
			if (sv->state == SV_FATAL && sv->want == WANT_UP)
				act(sv, service_step(sv, EV_START, now));
			continue;
		}
		changed++;
		if (sv->conf->log_lines != sc->log_lines ||
		    sv->conf->line_max != sc->line_max) {
			struct outlog *ol = outlog_new(sc->log_lines,
			    (size_t)sc->log_lines * sc->line_max);

			if (ol) {
				outlog_unref(sv->log);
				sv->log = ol;
			}
		}
		if (sv->want == WANT_UP) {
			/* Stop with the old settings, start with the new. */
			act(sv, service_step(sv, EV_STOP, now));
			config_svc_free(sv->conf);
			sv->conf = sc;
			act(sv, service_step(sv, EV_START, now));
		} else {
			config_svc_free(sv->conf);
			sv->conf = sc;
		}
	}
	c->services = NULL;
	config_free(c);
	snprintf(summary, len, "%u added, %u removed, %u changed, %u unchanged",
	    added, removed, changed, same);
	settle();
}

/* At exit: nothing is running any more; give the memory back. */
void
service_free_all(void)
{
	while (leftovers) {
		struct leftover *l = leftovers;

		leftovers = l->next;
		free(l->name);
		free(l);
	}
	while (services) {
		struct service *sv = services;

		services = sv->next;
		if (sv->exec_fd >= 0) {
			loop_del(sv->exec_fd);
			close(sv->exec_fd);
		}
		service_free(sv);
	}
}

void
service_stop_all(void)
{
	int64_t now = now_ms();

	for (struct service *sv = services; sv; sv = sv->next)
		act(sv, service_step(sv, EV_STOP, now));
	leftover_stop(NULL);
	settle();
}

/* A second stop signal: SIGKILL to every service's process group and the
 * processes that left it, and to every leftover group, at once. */
void
service_kill_all(void)
{
	for (struct service *sv = services; sv; sv = sv->next) {
		if (sv->pgid <= 0)
			continue;
		find_escaped(sv);
		send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped, SIGKILL);
	}
	for (struct leftover *l = leftovers; l; l = l->next) {
		pid_t found[MAX_ESCAPED];
		size_t n = proctree_escaped(0, l->pgid, l->name, found,
		    MAX_ESCAPED);

		send_stop(l->pgid, 0, found, n, SIGKILL);
	}
}

bool
service_all_down(void)
{
	if (leftovers)
		return false;
	for (struct service *sv = services; sv; sv = sv->next)
		if (sv->pid != 0 || sv->state == SV_STOPPING ||
		    sv->state == SV_STARTING || sv->state == SV_UP)
			return false;
	return true;
}
