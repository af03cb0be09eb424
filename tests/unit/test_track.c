/*
 * track.c and mainpid.c against the real kernel: a cgroup subtree of this
 * test's own (its instance derived from a temporary pidfile path), processes
 * that escape in every way a process group allows, and pidfiles that try to
 * point elsewhere. Without root or a writable cgroup2 (or with
 * GUARDIAND_CGROUP=off) the cgroup tests are skipped, never passed.
 *
 * Only processes this test forked, or found in its own cgroups, are ever
 * signalled; every cgroup made is removed, on failure too (atexit).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

#define DEADLINE_MS	30000	/* for any state this test waits for: a bound, not a pause */
#define MAX_CGS		8

static struct track_root root = { -1, NULL, NULL };
static bool have_root, have_tmpdir;
static char root_why[320];
static char tmpdir[] = "/tmp/test_track.XXXXXX";
static char pidfile[64];
static struct track_cg *open_cgs[MAX_CGS];

/* Reaps whatever came back to us (we are a subreaper, as guardiand is). */
static void
reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* Waits, by poll(POLLPRI) on cgroup.events, for "populated 0"; true if seen. */
static bool
wait_empty(struct track_cg *cg, int ms)
{
	int64_t end = now_ms() + ms;
	struct pollfd pfd = { cg->events_fd, POLLPRI, 0 };

	for (;;) {
		reap();
		if (track_populated(cg) == 0)
			return true;
		if (now_ms() >= end)
			return false;
		(void)poll(&pfd, 1, (int)(end - now_ms()));
	}
}

static int
cg_open(const char *name, struct track_cg *cg)
{
	int i;

	if (track_cg_open(&root, name, cg) != 0)
		return -1;
	for (i = 0; i < MAX_CGS; i++)
		if (open_cgs[i] == NULL) {
			open_cgs[i] = cg;
			break;
		}
	return 0;
}

/* Closes a test cgroup that is gone already. */
static void
forget(struct track_cg *cg)
{
	int i;

	for (i = 0; i < MAX_CGS; i++)
		if (open_cgs[i] == cg)
			open_cgs[i] = NULL;
	track_cg_close(cg);
}

/* Kills what is left in a test cgroup and removes it: true if all went. */
static bool
cg_finish(struct track_cg *cg)
{
	bool ok = true;
	int i;

	if (cg->fd < 0)
		return true;
	if (track_populated(cg) != 0) {
		(void)track_kill(cg);
		ok = wait_empty(cg, DEADLINE_MS);
	}
	reap();
	for (i = 0; i < MAX_CGS; i++)
		if (open_cgs[i] == cg)
			open_cgs[i] = NULL;
	if (track_cg_remove(&root, cg) != 0) {
		track_cg_close(cg);
		return false;
	}
	return ok;
}

static void
cleanup(void)
{
	char cmd[128];
	int i;

	for (i = 0; i < MAX_CGS; i++)
		if (open_cgs[i] != NULL)
			(void)cg_finish(open_cgs[i]);
	if (root.path != NULL) {
		char *path = strdup(root.path);

		track_root_close(&root, true);
		if (path != NULL && access(path, F_OK) == 0)
			printf("  cleanup: %s is left behind\n", path);
		free(path);
	}
	if (have_tmpdir) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("  cleanup: %s is left behind\n", tmpdir);
	}
}

/* The life of every process spawn() makes: says it runs, then waits for a signal. */
static void
idle(int ready)
{
	if (write(ready, "x", 1) != 1)
		_exit(98);
	for (;;)
		pause();
}

/*
 * Forks a main process that joins cg, then starts extra processes escaping
 * its process group every way (plain child; double fork + setsid; double
 * fork + setpgid); returns its pid once all of them run, or -1.
 */
static pid_t
spawn(struct track_cg *cg, int extra, bool ignore_term)
{
	int p[2], i, got = 0;
	int64_t end;
	pid_t pid, c;
	char buf[64];

	if (pipe2(p, O_CLOEXEC) != 0)
		return -1;
	fflush(stdout);
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		if (track_join(cg->fd) != 0)
			_exit(99);
		if (ignore_term)
			signal(SIGTERM, SIG_IGN);
		for (i = 0; i < extra; i++) {
			if ((c = fork()) < 0)
				_exit(97);
			if (c > 0) {
				if (i % 3 != 0)	/* the middle of a double fork */
					waitpid(c, NULL, 0);
				continue;
			}
			if (i % 3 == 0)
				idle(p[1]);
			if (fork() != 0)
				_exit(0);
			if (i % 3 == 1)
				setsid();
			else
				setpgid(0, 0);
			idle(p[1]);
		}
		idle(p[1]);
	}
	close(p[1]);
	end = now_ms() + DEADLINE_MS;
	while (got < extra + 1 && now_ms() < end) {
		struct pollfd pfd = { p[0], POLLIN, 0 };
		ssize_t n;

		if (poll(&pfd, 1, (int)(end - now_ms())) <= 0)
			continue;
		if ((n = read(p[0], buf, sizeof(buf))) <= 0)
			break;
		got += (int)n;
	}
	close(p[0]);
	return got == extra + 1 ? pid : -1;
}

static void
test_instance(void)
{
	char a[128], b[128];

	CHECK_INT(track_instance(NULL, a, sizeof(a)), 0);
	CHECK_STR(a, "default");
	CHECK_INT(track_instance(DEFAULT_PIDFILE, a, sizeof(a)), 0);
	CHECK_STR(a, "default");
	CHECK_INT(track_instance("/tmp/x//g.pid", a, sizeof(a)), 0);
	CHECK_STR(a, "tmp-x-g.pid");
	CHECK_INT(track_instance("/tmp/a b/.x", a, sizeof(a)), 0);
	CHECK_STR(a, "tmp-a\\x20b-.x");
	CHECK_INT(track_instance("/.hidden/run/-p", a, sizeof(a)), 0);
	CHECK_STR(a, "\\x2ehidden-run-\\x2dp");
	CHECK_INT(track_instance("/", a, sizeof(a)), 0);
	CHECK_STR(a, "-");
	/* Long paths are hashed: short, and still apart. */
	CHECK_INT(track_instance("/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa/1.pid", a, sizeof(a)), 0);
	CHECK_INT(track_instance("/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaa/2.pid", b, sizeof(b)), 0);
	CHECK_INT(strlen(a), 18);
	CHECK(strncmp(a, "h-", 2) == 0);
	CHECK(strcmp(a, b) != 0);
	CHECK(strchr(a, '/') == NULL);
}

/* GUARDIAND_CGROUP=off, or enabled false: "not usable", and why. */
static void
test_off(void)
{
	char path[4096], rel[4096], why[256] = "";
	struct track_root r;
	const char *old = getenv(TRACK_ENV);
	char *saved = old ? strdup(old) : NULL;

	setenv(TRACK_ENV, "off", 1);
	CHECK_INT(track_cgroup2(true, path, sizeof(path), rel, sizeof(rel),
	    why, sizeof(why)), -1);
	CHECK(strstr(why, "off") != NULL);
	CHECK_INT(track_root_open(&r, pidfile, true, why, sizeof(why)), -1);
	CHECK_INT(r.fd, -1);
	unsetenv(TRACK_ENV);
	why[0] = '\0';
	CHECK_INT(track_cgroup2(false, path, sizeof(path), rel, sizeof(rel),
	    why, sizeof(why)), -1);
	CHECK(strstr(why, "off") != NULL);
	if (saved != NULL)
		setenv(TRACK_ENV, saved, 1);
	free(saved);
}

static void
test_find(void)
{
	char path[4096], rel[4096], why[256] = "", file[4200];

	CHECK_INT(track_cgroup2(true, path, sizeof(path), rel, sizeof(rel),
	    why, sizeof(why)), 0);
	snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	CHECK(access(file, F_OK) == 0);
	CHECK(root.fd >= 0);
	CHECK(strstr(root.path, "/guardiand/") != NULL);
	CHECK(track_populated(&(struct track_cg){ .events_fd = -1 }) == -1);
}

/* A directory not ours, or writable by others, or a bad name: refused. */
static void
test_refuse(void)
{
	struct track_cg cg;

	CHECK_INT(track_cg_open(&root, "../x", &cg), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(track_cg_open(&root, "", &cg), -1);
	CHECK_INT(track_cg_open(&root, ".x", &cg), -1);
	CHECK_INT(track_cg_open(&root, "a\nb", &cg), -1);
	CHECK_INT(mkdirat(root.fd, "foreign.service", 0755), 0);
	CHECK_INT(fchownat(root.fd, "foreign.service", 65534, 65534, 0), 0);
	CHECK_INT(track_cg_open(&root, "foreign", &cg), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(fchownat(root.fd, "foreign.service", 0, 0, 0), 0);
	CHECK_INT(fchmodat(root.fd, "foreign.service", 0777, 0), 0);
	CHECK_INT(track_cg_open(&root, "foreign", &cg), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(unlinkat(root.fd, "foreign.service", AT_REMOVEDIR), 0);
	CHECK_INT(cg.fd, -1);
}

/* A tree escaping its process group every way: counted, found, stopped. */
static void
test_tree(void)
{
	struct track_cg cg;
	struct track_usage u;
	pid_t main_pid, *pids;
	long n;

	if (cg_open("tree@1", &cg) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	CHECK(strstr(cg.rel, "/guardiand/") != NULL);
	CHECK_INT(track_populated(&cg), 0);
	main_pid = spawn(&cg, 6, false);
	CHECK(main_pid > 0);
	CHECK_INT(track_populated(&cg), 1);
	n = track_pids(&cg, &pids);
	CHECK_INT(n, 7);
	free(pids);
	CHECK_INT(track_has(&cg, main_pid), 1);
	CHECK_INT(track_has(&cg, getpid()), 0);
	CHECK_INT(track_has(&cg, 1), 0);
	CHECK_INT(track_usage(&cg, &u), 0);
	CHECK_INT(u.procs, 7);
	CHECK(u.mem_bytes > 0);
	CHECK(u.cpu_cgroup);	/* cpu.stat is there without the controller */
	CHECK_INT(track_signal(&cg, SIGTERM), 7);
	CHECK(wait_empty(&cg, DEADLINE_MS));
	CHECK_INT(track_has(&cg, main_pid), -1);	/* reaped */
	CHECK_INT(track_signal(&cg, SIGTERM), 0);
	CHECK(cg_finish(&cg));
	CHECK(faccessat(root.fd, "tree@1.service", F_OK, 0) != 0 && errno == ENOENT);
}

/* Processes that ignore SIGTERM: still there, then cgroup.kill ends them all. */
static void
test_kill(void)
{
	struct track_cg cg;
	struct pollfd pfd;
	pid_t main_pid;
	int st = 0;

	if (cg_open("stubborn", &cg) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	main_pid = spawn(&cg, 4, true);
	CHECK(main_pid > 0);
	CHECK_INT(track_signal(&cg, SIGTERM), 5);
	/* No event within a while (bounded, not a state wait). A change is
	 * pending from spawning until cgroup.events is read again. */
	CHECK_INT(track_populated(&cg), 1);
	pfd = (struct pollfd){ cg.events_fd, POLLPRI, 0 };
	CHECK_INT(poll(&pfd, 1, 200), 0);
	CHECK_INT(track_populated(&cg), 1);
	CHECK_INT(track_kill(&cg), 5);
	CHECK(wait_empty(&cg, DEADLINE_MS));
	CHECK_INT(waitpid(main_pid, &st, 0) == main_pid || errno == ECHILD, 1);
	CHECK(cg_finish(&cg));
}

/*
 * Without cgroup.kill (before 5.14): frozen, SIGKILL sweeps. And cgroups the
 * service made itself below its own: counted, signalled, member, removed.
 */
static void
test_sweep_nested(void)
{
	struct track_cg cg;
	pid_t main_pid, *pids;
	int sub;
	long n;

	if (cg_open("nested", &cg) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	main_pid = spawn(&cg, 5, true);
	CHECK(main_pid > 0);
	CHECK_INT(mkdirat(cg.fd, "inner", 0755), 0);
	if ((sub = openat(cg.fd, "inner", O_RDONLY | O_DIRECTORY)) >= 0) {
		char buf[32];
		int fd = openat(sub, "cgroup.procs", O_WRONLY);

		snprintf(buf, sizeof(buf), "%ld\n", (long)main_pid);
		CHECK(fd >= 0 && write(fd, buf, strlen(buf)) > 0);
		if (fd >= 0)
			close(fd);
		close(sub);
	} else
		CHECK(!"open inner");
	n = track_pids(&cg, &pids);
	CHECK_INT(n, 6);
	free(pids);
	CHECK_INT(track_has(&cg, main_pid), 1);	/* in .../nested.service/inner */
	CHECK(track_sweep(&cg) >= 1);
	CHECK(wait_empty(&cg, DEADLINE_MS));
	CHECK(cg_finish(&cg));	/* inner removed first */
	CHECK(faccessat(root.fd, "nested.service", F_OK, 0) != 0);
}

/*
 * A member that exited but is not reaped yet (a zombie) no longer counts:
 * populated 0 can come before guardiand reaps the main process.
 */
static void
test_zombie(void)
{
	struct track_cg cg;
	siginfo_t si;
	pid_t pid;

	if (cg_open("zombie", &cg) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	fflush(stdout);
	if ((pid = fork()) == 0)
		_exit(track_join(cg.fd) == 0 ? 0 : 99);
	CHECK_INT(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_INT(si.si_status, 0);
	CHECK_INT(track_populated(&cg), 0);
	CHECK_INT(track_signal(&cg, SIGTERM), 0);
	CHECK_INT(track_cg_remove(&root, &cg), 0);
	forget(&cg);
	CHECK_INT(waitpid(pid, NULL, 0), pid);
}

/* 200 processes in one service: stopped, and how long it takes. */
static void
test_many(void)
{
	struct track_cg cg;
	struct track_usage u;
	int64_t t0;

	if (cg_open("many", &cg) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	CHECK(spawn(&cg, 199, true) > 0);
	CHECK_INT(track_usage(&cg, &u), 0);
	CHECK_INT(u.procs, 200);
	t0 = now_ms();
	CHECK_INT(track_kill(&cg), 200);
	CHECK(wait_empty(&cg, DEADLINE_MS));
	printf("  200 processes: cgroup.kill to populated 0 in %lld ms\n",
	    (long long)(now_ms() - t0));
	CHECK(cg_finish(&cg));
}

/* Writes s to tmpdir/name (mode 0644, root's); its path. */
static const char *
put(const char *name, const char *s)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	unlink(path);
	if ((f = fopen(path, "w")) != NULL) {
		fputs(s, f);
		fclose(f);
	}
	return path;
}

/* The cgroup knows: 1 or 0 (a process gone is not the service's). */
static int
member_cg(pid_t pid, void *arg)
{
	return track_has(arg, pid) == 1;
}

/*
 * type = forking: the starter exits 0 after writing its daemon's pid; the
 * daemon, reparented to us (a subreaper), is read from the pidfile as a
 * member of the cgroup, and its death is seen by waitpid.
 */
static void
test_forking(void)
{
	char file[128], why[512], other[32];
	struct track_cg cg;
	pid_t starter, daemon_pid = 0, got = 0;
	int st = -1, p[2];
	FILE *f;

	snprintf(file, sizeof(file), "%s/forking.pid", tmpdir);
	if (cg_open("forking", &cg) != 0 || pipe(p) != 0) {
		CHECK(!"setup");
		return;
	}
	fflush(stdout);
	if ((starter = fork()) == 0) {
		pid_t d;

		close(p[0]);
		if (track_join(cg.fd) != 0)
			_exit(99);
		if ((d = fork()) == 0) {
			setsid();
			for (;;)
				pause();
		}
		if ((f = fopen(file, "w")) == NULL)
			_exit(98);
		fprintf(f, "%ld\n", (long)d);
		fclose(f);
		_exit(0);
	}
	close(p[0]);
	close(p[1]);
	CHECK_INT(waitpid(starter, &st, 0), starter);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_INT(mainpid_read(file, member_cg, &cg, &daemon_pid, why,
	    sizeof(why)), 0);
	CHECK_STR(why, "");
	CHECK(daemon_pid > 1 && daemon_pid != starter);
	/* No membership known, from root's own file: accepted, and said so. */
	CHECK_INT(mainpid_read(file, NULL, NULL, &got, why, sizeof(why)), 0);
	CHECK(strstr(why, "accepted") != NULL);
	CHECK_INT(got, daemon_pid);
	/* A pid outside the cgroup, even from root's file: refused. */
	snprintf(other, sizeof(other), "%ld\n", (long)getppid());
	got = 0;
	CHECK_INT(mainpid_read(put("outside", other), member_cg, &cg, &got,
	    why, sizeof(why)), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(got, 0);
	CHECK(strstr(why, "not a process of the service") != NULL);
	/* Reparented to us: waitpid sees it run, then sees it die. */
	CHECK_INT(waitpid(daemon_pid, &st, WNOHANG), 0);
	CHECK_INT(track_kill(&cg), 1);
	CHECK_INT(waitpid(daemon_pid, &st, 0), daemon_pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	CHECK(wait_empty(&cg, DEADLINE_MS));
	CHECK(cg_finish(&cg));
	unlink(file);
}

/* After a SIGKILLed guardiand: the next one finds the cgroups still holding processes. */
static void
test_leftovers(void)
{
	struct track_cg a, b, c;
	struct track_root r2;
	char why[256], **list;

	if (cg_open("left", &a) != 0 || cg_open("empty", &b) != 0) {
		CHECK(!"track_cg_open");
		return;
	}
	CHECK(spawn(&a, 2, false) > 0);
	/* The "old" guardiand's handles vanish; a new one opens the same subtree. */
	CHECK_INT(track_root_open(&r2, pidfile, true, why, sizeof(why)), 0);
	CHECK_STR(r2.path, root.path);
	list = track_leftovers(&r2);
	CHECK(list != NULL);
	if (list != NULL) {
		CHECK_STR(list[0], "left");
		CHECK(list[0] != NULL && list[1] == NULL);
	}
	track_free_list(list);
	CHECK(faccessat(root.fd, "empty.service", F_OK, 0) != 0);
	/* The new one stops exactly those processes. */
	if (track_cg_open(&r2, "left", &c) == 0) {
		CHECK_INT(track_signal(&c, SIGTERM), 3);
		CHECK(wait_empty(&c, DEADLINE_MS));
		track_cg_close(&c);
	} else
		CHECK(!"track_cg_open left");
	track_root_close(&r2, false);
	forget(&b);
	CHECK(cg_finish(&a));
}

/* As the fallback's test: 1 if it knows, else -1 (cannot tell). */
static int
member_is(pid_t pid, void *arg)
{
	return pid == *(pid_t *)arg ? 1 : -1;
}

static int
member_no(pid_t pid, void *arg)
{
	(void)pid;
	(void)arg;
	return 0;
}

/* mainpid_read's errno, or 0 when it accepted (then *pid is set). */
static int
readpid(const char *path, pid_t inside, pid_t *pid)
{
	char why[512];

	*pid = 0;
	if (mainpid_read(path, member_is, &inside, pid, why, sizeof(why)) == 0)
		return 0;
	CHECK(why[0] != '\0');
	return errno;
}

static void
test_pidfile(void)
{
	char buf[64], path[256], dir[256];
	pid_t other, pid, zombie;
	siginfo_t si;

	fflush(stdout);
	if ((other = fork()) == 0) {
		/* Gone with us, should we die before killing it (a crash). */
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if ((zombie = fork()) == 0)
		_exit(0);
	CHECK_INT(waitid(P_PID, zombie, &si, WEXITED | WNOWAIT), 0);

	snprintf(buf, sizeof(buf), "%ld\n", (long)other);
	CHECK_INT(readpid(put("good", buf), 0, &pid), 0);
	CHECK_INT(pid, other);
	snprintf(buf, sizeof(buf), "%ld", (long)other);
	CHECK_INT(readpid(put("good", buf), other, &pid), 0);
	CHECK_INT(pid, other);
	/* The first line alone counts (postgres' postmaster.pid has eight). */
	snprintf(buf, sizeof(buf), "%ld\n/var/lib/postgresql/15/main\n"
	    "1796123065\n5432\n", (long)other);
	CHECK_INT(readpid(put("good", buf), 0, &pid), 0);
	CHECK_INT(pid, other);
	snprintf(buf, sizeof(buf), "%ld", (long)other);
	/* Known not to be the service's: refused even from root's file. */
	CHECK_INT(mainpid_read(put("good", buf), member_no, NULL, &pid, path,
	    sizeof(path)), -1);
	CHECK_INT(errno, EPERM);

	CHECK_INT(readpid(put("bad", "abc\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", ""), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", " 12\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "12 34\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "\n12\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "12\r\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "-5\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "99999999999\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "4294967297\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "0\n"), 0, &pid), EINVAL);
	CHECK_INT(readpid(put("bad", "1\n"), 1, &pid), EINVAL);
	snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	CHECK_INT(readpid(put("bad", buf), 0, &pid), EINVAL);
	snprintf(buf, sizeof(buf), "%ld\n", (long)zombie);
	CHECK_INT(readpid(put("bad", buf), zombie, &pid), ESRCH);
	CHECK_INT(pid, 0);

	snprintf(path, sizeof(path), "%s/missing", tmpdir);
	CHECK_INT(readpid(path, 0, &pid), ENOENT);
	CHECK_INT(readpid("relative.pid", 0, &pid), EINVAL);
	CHECK_INT(readpid(tmpdir, 0, &pid), EINVAL);
	snprintf(path, sizeof(path), "%s/../%s/good", tmpdir, tmpdir + 5);
	CHECK_INT(readpid(path, 0, &pid), EINVAL);
	snprintf(path, sizeof(path), "%s/fifo", tmpdir);
	CHECK_INT(mkfifo(path, 0600), 0);
	CHECK_INT(readpid(path, 0, &pid), EINVAL);	/* and does not block */

	/* Symlinks: root's is followed; a user's only to a pid of the service. */
	snprintf(buf, sizeof(buf), "%ld\n", (long)other);
	put("good", buf);
	snprintf(path, sizeof(path), "%s/link", tmpdir);
	CHECK_INT(symlink("good", path), 0);
	CHECK_INT(readpid(path, 0, &pid), 0);
	CHECK_INT(pid, other);
	CHECK_INT(lchown(path, 65534, 65534), 0);
	CHECK_INT(readpid(path, 0, &pid), EPERM);
	CHECK_INT(readpid(path, other, &pid), 0);
	CHECK_INT(pid, other);

	/* A file another user owns: the same. */
	snprintf(path, sizeof(path), "%s/good", tmpdir);
	CHECK_INT(chown(path, 65534, 65534), 0);
	CHECK_INT(readpid(path, 0, &pid), EPERM);
	CHECK_INT(readpid(path, other, &pid), 0);
	CHECK_INT(pid, other);

	/* Root's file in a directory a user owns, or one writable by a group. */
	snprintf(dir, sizeof(dir), "%s/userdir", tmpdir);
	CHECK_INT(mkdir(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/userdir/p", tmpdir);
	put("userdir/p", buf);
	CHECK_INT(readpid(path, 0, &pid), 0);
	CHECK_INT(chown(dir, 65534, 65534), 0);
	CHECK_INT(readpid(path, 0, &pid), EPERM);
	CHECK_INT(readpid(path, other, &pid), 0);
	CHECK_INT(chown(dir, 0, 0), 0);
	CHECK_INT(chmod(dir, 0775), 0);
	CHECK_INT(readpid(path, 0, &pid), EPERM);
	CHECK_INT(chmod(dir, 01777), 0);	/* sticky, as /tmp */
	CHECK_INT(readpid(path, 0, &pid), 0);

	kill(other, SIGKILL);
	waitpid(other, NULL, 0);
	waitpid(zombie, NULL, 0);
}

int
main(void)
{
	char why[256];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (mkdtemp(tmpdir) == NULL) {
		printf("FAIL mkdtemp\n");
		return 1;
	}
	have_tmpdir = true;
	snprintf(pidfile, sizeof(pidfile), "%s/guardiand.pid", tmpdir);
	atexit(cleanup);
	/* As guardiand: orphans of the services come back to us. */
	(void)prctl(PR_SET_CHILD_SUBREAPER, 1);

	RUN(test_instance);
	RUN(test_off);
	if (geteuid() != 0)
		snprintf(root_why, sizeof(root_why), "not root");
	else if (track_root_open(&root, pidfile, true, why, sizeof(why)) == 0)
		have_root = true;
	else
		snprintf(root_why, sizeof(root_why), "no usable cgroup2: %s", why);
	if (have_root) {
		RUN(test_find);
		RUN(test_refuse);
		RUN(test_tree);
		RUN(test_kill);
		RUN(test_sweep_nested);
		RUN(test_zombie);
		RUN(test_many);
		RUN(test_forking);
		RUN(test_leftovers);
	} else {
		SKIP(test_find, root_why);
		SKIP(test_refuse, root_why);
		SKIP(test_tree, root_why);
		SKIP(test_kill, root_why);
		SKIP(test_sweep_nested, root_why);
		SKIP(test_zombie, root_why);
		SKIP(test_many, root_why);
		SKIP(test_forking, root_why);
		SKIP(test_leftovers, root_why);
	}
	if (geteuid() == 0)
		RUN(test_pidfile);
	else
		SKIP(test_pidfile, "not root (chown)");
	T_END();
}
