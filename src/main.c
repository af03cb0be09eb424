/*
 * main.c: options, the libdaemon start-up ladder, the main loop, shutdown.
 *
 * Before the daemon detaches, errors are printed and guardiand exits; after,
 * they are logged and it carries on. The launching process exits only when
 * the daemon has reported, through libdaemon's return-value pipe, that its
 * pidfile is written and its services are started.
 */
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libdaemon/dfork.h>
#include <libdaemon/dlog.h>
#include <libdaemon/dsignal.h>

#include "guardiand.h"

/* After a second stop signal has SIGKILLed everything: how long guardiand
 * waits for the processes to be gone (and so their cgroups removable)
 * before it exits anyway. */
#define FORCED_WAIT_MS	2000

/* How long the launcher waits for the daemon's start-up report. */
#define STARTUP_WAIT_S	30

struct opts {
	bool foreground, verbose, test, syslog;
	const char *config;
	const char *pidfile;
	const char *socket;
	const char *name;
	char **command;		/* one-command mode: argv after -- */
	/* service options for one-command mode, as key/value pairs */
	const char *keys[64];
	const char *values[64];
	int nkeys;
};

static struct opts o;
static bool stopping;
static int forced;		/* a second stop signal: exit now */
static int64_t forced_by;	/* ...once what was killed is gone, or then */
static int exit_status = EXIT_OK;
static int pidfd = -1;
static char *pidpath;
static char *sockpath;
static char *confpath;
static int report_fd = -1;	/* start-up error text back to the launcher */
/* Detached: the launcher hears "started" once the services being started
 * are ready (or failed), so that `service guardiand start && curl ...`
 * works; at most until startup_by. */
static bool startup_pending;
static int64_t startup_by;
/* Held blocked from the pidfile's creation until their handlers are in
 * place, so that a stop signal in between is handled, not fatal. */
static sigset_t stop_sigs;
static struct conf *owned_conf;	/* parsed, not yet handed to service.c */
static char *made_dirs[2];	/* directories this instance created */

/* At exit, on every path: give back what is still held, so that leak
 * checkers (make check-asan, valgrind) see a clean exit. */
static void
cleanup(void)
{
	config_free(owned_conf);
	owned_conf = NULL;
	for (size_t i = 0; i < sizeof(made_dirs) / sizeof(made_dirs[0]); i++) {
		free(made_dirs[i]);
		made_dirs[i] = NULL;
	}
	service_free_all();
	svcg_close();
	fwd_close_all();
	control_close();
	slog_close();
	loop_free();
	free(pidpath);
	free(sockpath);
	free(confpath);
	pidpath = sockpath = confpath = NULL;
}

static void __attribute__((noreturn))
usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f,
"usage: guardiand [-FSv] [-f config] [-p pidfile] [-s socket]\n"
"       guardiand -t [-f config]\n"
"       guardiand [-FSv] [-p pidfile] [-s socket] [-n name] [service options] -- command [arg...]\n"
"\n"
"  -F, --foreground      stay in the foreground, log to stderr\n"
"  -S, --syslog          log to syslog even in the foreground (as detached)\n"
"  -v, --verbose         log debug messages too\n"
"  -f, --config FILE     configuration file (default " DEFAULT_CONF ")\n"
"  -p, --pidfile FILE    pidfile (default " DEFAULT_PIDFILE ")\n"
"  -s, --socket PATH     control socket (default /run/guardiand/control.sock)\n"
"  -t, --test            check the configuration and exit\n"
"  -n, --name NAME       service name in one-command mode (default: command's basename)\n"
"  -V, --version         print the version\n"
"  -h, --help            this help\n"
"\n"
"service options (one-command mode; the config keys of guardiand.conf(5));\n"
"the command runs in the current directory, with the current umask,\n"
"environment and limits, unless these options say otherwise:\n"
"  --restart always|on-failure|never   --stop-signal SIG   --stop-timeout DUR\n"
"  --directory DIR   --user USER   --group GROUP   --env KEY=VALUE   --umask 022\n"
"  --backoff-initial DUR   --backoff-max DUR   --healthy-after DUR   --give-up-after N\n"
"  -o, --option KEY=VALUE  any other key: -o stdout=file:/var/log/api.log -o nice=5\n"
"once the command is not to be restarted, guardiand exits with its status\n");
	exit(code);
}

/* Before detaching: print; after: log and tell the launcher the reason. */
static void
startup_error(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_warnx("%s", buf);
	if (o.foreground && slog_active())
		log_print(stderr, buf);
	if (report_fd >= 0) {
		size_t n = strlen(buf);
		(void)!write(report_fd, buf, n);
	}
}

static void
print_config_error(void *arg, const char *msg)
{
	(void)arg;
	log_print(stderr, msg);
}

static void
log_config_error(void *arg, const char *msg)
{
	(void)arg;
	log_warnx("%s", msg);
}

static const struct option longopts[] = {
	{ "foreground",		no_argument,		NULL, 'F' },
	{ "syslog",		no_argument,		NULL, 'S' },
	{ "verbose",		no_argument,		NULL, 'v' },
	{ "config",		required_argument,	NULL, 'f' },
	{ "pidfile",		required_argument,	NULL, 'p' },
	{ "socket",		required_argument,	NULL, 's' },
	{ "test",		no_argument,		NULL, 't' },
	{ "name",		required_argument,	NULL, 'n' },
	{ "version",		no_argument,		NULL, 'V' },
	{ "help",		no_argument,		NULL, 'h' },
	/* service keys: long name with '-' for '_' */
	{ "restart",		required_argument,	NULL, 1000 },
	{ "stop-signal",	required_argument,	NULL, 1000 },
	{ "stop-timeout",	required_argument,	NULL, 1000 },
	{ "directory",		required_argument,	NULL, 1000 },
	{ "user",		required_argument,	NULL, 1000 },
	{ "group",		required_argument,	NULL, 1000 },
	{ "env",		required_argument,	NULL, 1000 },
	{ "umask",		required_argument,	NULL, 1000 },
	{ "backoff-initial",	required_argument,	NULL, 1000 },
	{ "backoff-max",	required_argument,	NULL, 1000 },
	{ "healthy-after",	required_argument,	NULL, 1000 },
	{ "give-up-after",	required_argument,	NULL, 1000 },
	{ "option",		required_argument,	NULL, 'o' },
	{ NULL, 0, NULL, 0 }
};

/* A single-valued option given twice is a mistake, not a change of mind. */
static void
set_once(const char **slot, int c, const char *value)
{
	if (*slot) {
		fprintf(stderr, "guardiand: -%c: given more than once\n", c);
		exit(EXIT_USAGE);
	}
	*slot = value;
}

static void
parse_args(int argc, char **argv)
{
	int c, li;

	while ((c = getopt_long(argc, argv, "+FSvf:p:s:tn:o:Vh", longopts, &li)) != -1) {
		switch (c) {
		case 'F': o.foreground = true; break;
		case 'S': o.syslog = true; break;
		case 'v': o.verbose = true; break;
		case 'f': set_once(&o.config, c, optarg); break;
		case 'p': set_once(&o.pidfile, c, optarg); break;
		case 's': set_once(&o.socket, c, optarg); break;
		case 't': o.test = true; break;
		case 'n': set_once(&o.name, c, optarg); break;
		case 'V':
			printf("guardiand %s\n", GUARDIAND_VERSION);
			exit(0);
		case 'h':
			usage(0);
		case 1000:
		case 'o':
			if (o.nkeys == (int)(sizeof(o.keys) / sizeof(o.keys[0]))) {
				fprintf(stderr, "guardiand: too many service options\n");
				exit(EXIT_USAGE);
			}
			if (c == 'o' && strchr(optarg, '=') == NULL) {
				fprintf(stderr, "guardiand: -o %s: expected KEY=VALUE\n",
				    optarg);
				exit(EXIT_USAGE);
			}
			o.keys[o.nkeys] = c == 'o' ? NULL : longopts[li].name;
			o.values[o.nkeys++] = optarg;
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0) {
			fprintf(stderr, "guardiand: unexpected argument \"%s\" "
			    "(a command to guard goes after --)\n", argv[optind]);
			exit(EXIT_USAGE);
		}
		o.command = argv + optind;
	} else if (optind > 0 && strcmp(argv[optind - 1], "--") == 0) {
		fprintf(stderr, "guardiand: no command after --\n");
		exit(EXIT_USAGE);
	}
	if (o.command && o.config) {
		fprintf(stderr, "guardiand: -f and a command after -- exclude "
		    "each other\n");
		exit(EXIT_USAGE);
	}
	if (!o.command && (o.nkeys > 0 || o.name)) {
		fprintf(stderr, "guardiand: --name and service options need a "
		    "command after --\n");
		exit(EXIT_USAGE);
	}
}

/* Detached (or with --syslog), everything goes to syslog through slog.c
 * (README: why not daemon_log); in the foreground, to stderr. */
static void
open_syslog(const struct conf *c)
{
	if (!o.foreground || o.syslog)
		slog_open(c->syslog_socket ? c->syslog_socket : DEF_SYSLOG_SOCKET);
}

/* Before detaching, while someone reads stderr: if nothing listens on the
 * syslog socket (no /dev/log, common in containers), say that the log and
 * the services' output will be lost. */
static void
check_syslog(const struct conf *c)
{
	const char *path = c->syslog_socket ? c->syslog_socket : DEF_SYSLOG_SOCKET;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const struct svc_conf *sc;
	bool lines = false;	/* a service's output goes there too */
	int s, err = 0;

	for (sc = c->services; sc; sc = sc->next)
		lines |= sc->out[0].dest == OUT_SYSLOG ||
		    sc->out[1].dest == OUT_SYSLOG;
	if (strlen(path) >= sizeof(sa.sun_path))
		err = ENAMETOOLONG;
	else if ((s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
		strcpy(sa.sun_path, path);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			err = errno;
		close(s);
	}
	if (err)
		fprintf(stderr, "guardiand: warning: nothing listens on the syslog "
		    "socket %s (%s): guardiand's log%s will be lost until a "
		    "syslog daemon listens there (%s)\n", path, strerror(err),
		    lines ? " and its services' output" : "", o.foreground ?
		    "without -S, -F logs to stderr" : "-F logs to stderr instead");
}

/* Removes the directories this instance made, if empty: nothing of a
 * one-command instance stays behind in /run or /tmp. */
static void
remove_made_dirs(void)
{
	for (size_t i = sizeof(made_dirs) / sizeof(made_dirs[0]); i-- > 0;)
		if (made_dirs[i])
			rmdir(made_dirs[i]);
}

static void
signal_ready(int fd, short revents, void *arg)
{
	int sig;

	(void)fd;
	(void)revents;
	(void)arg;
	while ((sig = daemon_signal_next()) > 0) {
		switch (sig) {
		case SIGCHLD:
			service_reap();
			break;
		case SIGHUP:
			if (!stopping) {
				char summary[256];

				fwd_reopen(NULL);
				reload_run(log_config_error, NULL, summary,
				    sizeof(summary));
			}
			break;
		case SIGTERM:
		case SIGINT:
		case SIGQUIT:
			if (stopping) {
				/* A user's second Ctrl-C: stop now. */
				log_warnx("guardiand: %s while stopping: killing "
				    "every service's processes now",
				    config_signal_name(sig));
				service_kill_all();
				if (!forced)
					forced_by = now_ms() + FORCED_WAIT_MS;
				forced = sig;
				break;
			}
			log_info("guardiand: stopping all services (signal %s)",
			    config_signal_name(sig));
			stopping = true;
			service_stop_all();
			break;
		}
	}
}

static volatile sig_atomic_t early_sigs;	/* bit n: signal n came early */

static void
early_signal(int sig)
{
	early_sigs |= 1 << sig;
}

/*
 * libdaemon's daemon_signal_init unblocks each signal before it installs
 * its handler (dsignal.c), so a stop signal that came while they were
 * blocked would end guardiand by its default action, leaving the pidfile
 * behind. A handler of ours holds such a signal until libdaemon's is in
 * place, which then gets it again. 0, or -1 (errno set).
 */
static int
signals_init(void)
{
	struct sigaction sa = { .sa_handler = early_signal };
	static const int sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
	if (daemon_signal_init(SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGCHLD, 0) < 0)
		return -1;
	sigprocmask(SIG_UNBLOCK, &stop_sigs, NULL);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (early_sigs & (1 << sigs[i]))
			raise(sigs[i]);
	return 0;
}

/* The steps after detaching: returns 0 or an exit code (already logged). */
static int
start_daemon(struct conf *c)
{
	char err[256], **left;
	int fd;

	open_syslog(c);
	if (pidfile_write(pidfd, getpid()) < 0) {
		startup_error("guardiand: pidfile %s: %s", pidpath, strerror(errno));
		return EXIT_PIDFILE;
	}
	if (signals_init() < 0) {
		startup_error("guardiand: cannot set up signal handling: %s",
		    strerror(errno));
		return EXIT_SIGNALS;
	}
	fd = daemon_signal_fd();
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	loop_init();
	if (loop_add(fd, POLLIN, signal_ready, NULL) < 0) {
		startup_error("guardiand: out of memory");
		return EXIT_STARTUP;
	}
	/* Two pipes per service: take every descriptor the hard limit allows.
	 * Services get the soft limit we were given back (service.c). */
	{
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			spawn_set_nofile(&rl);
			rl.rlim_cur = rl.rlim_max;
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				log_warn("guardiand: cannot raise the descriptor limit");
		}
	}
	/* Orphans of services come back to us, to be reaped and stopped. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		log_warn("guardiand: cannot become a child subreaper");
	umask(DEF_UMASK);
	if (o.socket == NULL) {
		char *dir = paths_socket_dir();
		bool made;

		if (dir == NULL || paths_own_dir(dir, geteuid() == 0 ?
		    0755 : 0700, &made) < 0) {
			startup_error("guardiand: socket directory %s: %s",
			    dir ? dir : "?", strerror(errno));
			free(dir);
			return EXIT_SOCKET;
		}
		if (made)
			made_dirs[1] = dir;
		else
			free(dir);
	}
	reload_setup(o.command ? NULL : o.config, !o.foreground || o.syslog);
	control_set_reload(reload_run);
	if (control_open(sockpath, err, sizeof(err)) < 0) {
		startup_error("guardiand: %s", err);
		return EXIT_SOCKET;
	}
	control_set_groups(c->control_group, c->status_group);
	service_notify_setup(sockpath);
	log_info("guardiand %s started, pid %ld, %zu service%s", GUARDIAND_VERSION,
	    (long)getpid(), c->nservices, c->nservices == 1 ? "" : "s");
	/* The pidfile's lock makes the instance's cgroup subtree ours. */
	svcg_open(pidpath, c->cgroup);
	state_reap_survivors();
	owned_conf = NULL;
	/* Before the services open their cgroups: empty ones are removed. */
	left = svcg_leftovers();
	service_apply(c, err, sizeof(err));
	service_stop_strays(left);
	return 0;
}

/* The longest a start may take to be ready, over the services that have
 * a readiness check or daemonize (0 if none does). */
static int64_t
ready_wait_ms(const struct conf *c)
{
	int64_t max = 0;

	for (const struct svc_conf *sc = c->services; sc; sc = sc->next)
		if ((sc->ready.kind != PROBE_NONE || sc->type == TYPE_FORKING) &&
		    sc->ready_timeout_ms > max)
			max = sc->ready_timeout_ms;
	return max;
}

static int
run(void)
{
	while (!stopping || !service_all_down()) {
		int64_t d, now;

		if (forced && now_ms() >= forced_by)
			break;	/* what is left is in D state, or worse */
		if (startup_pending && (!service_any_starting() ||
		    now_ms() >= startup_by || stopping)) {
			startup_pending = false;
			close(report_fd);
			report_fd = -1;
			daemon_retval_send(0);
		}

		/* Before sleeping: what start-up or the last turn queued goes
		 * out, and the state file follows what changed. */
		slog_tick(now_ms());
		service_record_state();
		state_flush();
		d = deadline_min(deadline_min(service_next_deadline(),
		    control_next_deadline()), slog_next_deadline());
		if (startup_pending)
			d = deadline_min(d, startup_by);
		if (forced)
			d = deadline_min(d, forced_by);
		loop_once(d);
		now = now_ms();
		service_timers(now);
		control_tick(now);
		fwd_tick();
		/* One-command mode: guardiand's work is done with its service. */
		if (o.command && !stopping && oneshot_finished(&exit_status)) {
			stopping = true;
			service_stop_all();
		}
	}
	if (forced)
		exit_status = 128 + forced;
	log_info("guardiand: stopped");
	state_remove();
	unlink(pidpath);
	close(pidfd);
	control_close();
	remove_made_dirs();
	daemon_signal_done();
	return exit_status;
}

/* Makes sure fds 0-2 are open, so no pipe or socket lands on them. */
static void
sane_stdio(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

int
main(int argc, char **argv)
{
	struct conf *c;
	int64_t wait_ms;
	int rp[2];
	pid_t pid;
	int r;

	/* One write(2) a line on stderr (services' lines, in the
	 * foreground), not one a character: stderr is unbuffered. */
	setvbuf(stderr, NULL, _IOLBF, BUFSIZ);
	/* A stop signal while the config loads is held, and obeyed as soon
	 * as guardiand can stop cleanly (signals_init). */
	sigemptyset(&stop_sigs);
	sigaddset(&stop_sigs, SIGTERM);
	sigaddset(&stop_sigs, SIGINT);
	sigaddset(&stop_sigs, SIGQUIT);
	sigaddset(&stop_sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop_sigs, NULL);
	sane_stdio();
	atexit(cleanup);
	parse_args(argc, argv);
	if (!o.config)
		o.config = DEFAULT_CONF;
	log_init(o.foreground || o.test, o.verbose);

	/* Paths mean what they meant where the user typed them, also once
	 * the daemon has changed to "/" (a reload reads the config again). */
	if (!o.test) {
		if ((confpath = paths_absolute(o.config)) == NULL) {
			fprintf(stderr, "guardiand: %s: %s\n", o.config,
			    strerror(errno));
			return EXIT_USAGE;
		}
		o.config = confpath;
	}

	if (o.command)
		c = oneshot_conf(o.name, o.command, o.keys, o.values, o.nkeys, &r);
	else if ((c = config_load(o.config, print_config_error, NULL)) == NULL)
		return EXIT_USAGE;
	if (c == NULL)
		return r;
	owned_conf = c;
	if (o.test) {
		printf("configuration OK\n");
		return EXIT_OK;
	}

	pidpath = o.pidfile ? paths_absolute(o.pidfile) :
	    paths_pidfile(o.command ? c->services->name : NULL);
	sockpath = o.socket ? paths_absolute(o.socket) :
	    paths_socket(o.command ? c->services->name : NULL);
	if (pidpath == NULL || sockpath == NULL) {
		fprintf(stderr, "guardiand: %s: %s\n", pidpath ? o.socket :
		    o.pidfile, strerror(errno));
		return EXIT_STARTUP;
	}
	if (getenv("XDG_RUNTIME_DIR") && geteuid() != 0 && !paths_xdg_ok() &&
	    (!o.pidfile || !o.socket))
		fprintf(stderr, "guardiand: warning: XDG_RUNTIME_DIR=%s is not "
		    "a directory of ours that only we can write, not using it\n",
		    getenv("XDG_RUNTIME_DIR"));
	/* A user without XDG_RUNTIME_DIR gets a private /tmp/guardiand-UID. */
	if ((!o.pidfile || !o.socket) && paths_tmp_fallback()) {
		char *dir = paths_socket_dir();
		bool made;

		if (dir == NULL || paths_own_dir(dir, 0700, &made) < 0) {
			fprintf(stderr, "guardiand: %s: not a private directory "
			    "of ours: %s\n", dir ? dir : "?", strerror(errno));
			free(dir);
			return EXIT_PIDFILE;
		}
		if (made)
			made_dirs[0] = dir;
		else
			free(dir);
	}
	if (!o.foreground || o.syslog)
		check_syslog(c);

	/* libdaemon's start-up ladder (its testd.c): resets first. Of the
	 * mask, only the stop signals stay blocked (since main began). */
	daemon_reset_sigs(-1);
	sigprocmask(SIG_SETMASK, &stop_sigs, NULL);
	/* A client that hangs up must not kill us; children get SIGPIPE back
	 * from daemon_reset_sigs in their start-up recipe. */
	signal(SIGPIPE, SIG_IGN);
	pidfd = pidfile_lock(pidpath);
	state_init(pidpath);

	if (o.foreground) {
		if ((r = start_daemon(c)) != 0) {
			unlink(pidpath);
			remove_made_dirs();
			return r;
		}
		return run();
	}

	wait_ms = ready_wait_ms(c);
	if (pipe2(rp, O_CLOEXEC) < 0 || daemon_retval_init() < 0) {
		fprintf(stderr, "guardiand: cannot create pipes: %s\n", strerror(errno));
		return EXIT_DAEMON;
	}
	if ((pid = daemon_fork()) < 0) {
		fprintf(stderr, "guardiand: cannot fork: %s\n", strerror(errno));
		daemon_retval_done();
		return EXIT_DAEMON;
	}
	if (pid > 0) {
		/* The launcher: wait for the daemon's word, pass it on. */
		char msg[512];
		ssize_t n;

		sigprocmask(SIG_UNBLOCK, &stop_sigs, NULL);
		close(rp[1]);
		r = daemon_retval_wait(STARTUP_WAIT_S + (int)(wait_ms / 1000));
		if (r < 0) {
			fprintf(stderr, "guardiand: the daemon did not report "
			    "back within %d s\n", STARTUP_WAIT_S +
			    (int)(wait_ms / 1000));
			return EXIT_DAEMON;
		}
		if (r != 0) {
			n = read(rp[0], msg, sizeof(msg) - 1);
			msg[n > 0 ? n : 0] = '\0';
			log_print(stderr, n > 0 ? msg :
			    "guardiand: start-up failed (see syslog)");
		}
		return r;
	}

	/* The daemon. */
	close(rp[0]);
	report_fd = rp[1];
	if (daemon_close_all(pidfd, report_fd, -1) < 0) {
		startup_error("guardiand: cannot close descriptors: %s",
		    strerror(errno));
		daemon_retval_send(EXIT_STARTUP);
		return EXIT_STARTUP;
	}
	if ((r = start_daemon(c)) != 0) {
		daemon_retval_send(r);
		unlink(pidpath);
		remove_made_dirs();
		return r;
	}
	/* "started" goes to the launcher from run(), once what starts is
	 * ready */
	startup_pending = true;
	startup_by = now_ms() + wait_ms;
	return run();
}
