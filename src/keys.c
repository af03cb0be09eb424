/*
 * keys.c: the config keys, one row each (DESIGN.md convention 14, as OpenBSD
 * ntpd's keywords[]): name, section, kind of value, where the value lives,
 * default, bounds, whether a change restarts the service at a reload, and a
 * line of doc; and the setting of a key. The defaults of a new service,
 * freeing one and the reload comparison (svc_conf.c) walk this table too, so
 * a key cannot be parsed but forgotten by the comparison, or freed but never
 * defaulted. tests/unit/test_keys.c checks the table against the man page,
 * the fuzz dictionary and an every-key config.
 */
#include <sys/socket.h>

#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "guardiand.h"

#define DURATION_MAX_MS	(24LL * 60 * 60 * 1000)	/* longest accepted duration */
#define BACKOFF_MIN_MS	1			/* shortest backoff_initial */
#define SYSLOG_TAG_MAX	32
#define SOCKET_FDNAME_MAX 255	/* as sd_listen_fds_with_names(3) */

#define STR(x)		#x
#define XSTR(x)		STR(x)

/* Where a key of a [service NAME] section, or of [guardiand], lives. */
#define SVC(f)	KEY_SERVICE, offsetof(struct svc_conf, f), \
		sizeof(((struct svc_conf *)0)->f)
#define MAIN(f)	KEY_MAIN, offsetof(struct conf, f), \
		sizeof(((struct conf *)0)->f)
#define SVC2(f)	offsetof(struct svc_conf, f)

/*
 * Every key, sorted by name then section: config_key_find() searches it
 * with bsearch, so this has to be sorted always (test_keys checks it).
 */
const struct config_key config_keys[] = {
	{ "after", KK_NAMES, SVC(after), .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "services it starts after, once they are ready" },
	{ "assert_file_is_executable", KK_CONDITION, SVC(conds[COND_NKINDS + COND_FILE_IS_EXECUTABLE]),
	  .arg = COND_NKINDS + COND_FILE_IS_EXECUTABLE, .flags = KEY_EMPTY_OK | KEY_NO_RESTART |
	  KEY_REPEAT, .doc = "as condition_file_is_executable, but a start that fails it has failed" },
	{ "assert_file_not_empty", KK_CONDITION, SVC(conds[COND_NKINDS + COND_FILE_NOT_EMPTY]),
	  .arg = COND_NKINDS + COND_FILE_NOT_EMPTY, .flags = KEY_EMPTY_OK | KEY_NO_RESTART |
	  KEY_REPEAT, .doc = "as condition_file_not_empty, but a start that fails it has failed" },
	{ "assert_path_exists", KK_CONDITION, SVC(conds[COND_NKINDS + COND_PATH_EXISTS]),
	  .arg = COND_NKINDS + COND_PATH_EXISTS, .flags = KEY_EMPTY_OK | KEY_NO_RESTART |
	  KEY_REPEAT, .doc = "as condition_path_exists, but a start that fails it has failed" },
	{ "assert_path_is_directory", KK_CONDITION, SVC(conds[COND_NKINDS + COND_PATH_IS_DIRECTORY]),
	  .arg = COND_NKINDS + COND_PATH_IS_DIRECTORY, .flags = KEY_EMPTY_OK | KEY_NO_RESTART |
	  KEY_REPEAT, .doc = "as condition_path_is_directory, but a start that fails it has failed" },
	{ "assert_virtualization", KK_CONDITION, SVC(conds[COND_NKINDS + COND_VIRTUALIZATION]),
	  .arg = COND_NKINDS + COND_VIRTUALIZATION, .flags = KEY_EMPTY_OK | KEY_NO_RESTART |
	  KEY_REPEAT, .doc = "as condition_virtualization, but a start that fails it has failed" },
	{ "backoff_initial", KK_DURATION, SVC(backoff_initial_ms),
	  .def = DEF_BACKOFF_INITIAL_MS, .min = BACKOFF_MIN_MS,
	  .doc = "the delay before the first restart after a quick failure" },
	{ "backoff_max", KK_DURATION, SVC(backoff_max_ms),
	  .def = DEF_BACKOFF_MAX_MS,
	  .doc = "the longest delay between restarts" },
	{ "cache_directory", KK_RELPATHS, SVC(dirs[SVDIR_CACHE]),
	  .flags = KEY_EMPTY_OK,
	  .doc = "directories made under /var/cache before each start, never removed" },
	{ "cache_directory_mode", KK_UMASK, SVC(dir_modes[SVDIR_CACHE]),
	  .def = 0755, .max = 07777,
	  .doc = "their mode, in octal" },
	{ "capabilities", KK_CAPS, SVC(ambient), .flags = KEY_EMPTY_OK,
	  .doc = "capabilities it keeps as its user (CAP_NET_BIND_SERVICE...)" },
	{ "capability_bounding_set", KK_CAPS, SVC(bounding),
	  .flags = KEY_EMPTY_OK,
	  .doc = "the capabilities it may ever have; ~ first: all but these" },
	{ "cgroup", KK_CHOICE, MAIN(cgroup), .def = CGROUP_AUTO,
	  .choices = (const char *const[]){ "auto", "off", NULL },
	  .doc = "auto or off" },
	{ "clear_environment", KK_BOOL, SVC(clear_environment),
	  .doc = "start from PATH only, not guardiand's environment" },
	{ "command", KK_COMMAND, SVC(argv), .off2 = SVC2(command),
	  .flags = KEY_EMPTY_OK,
	  .doc = "the program and its arguments, split like sh" },
	{ "condition_file_is_executable", KK_CONDITION, SVC(conds[COND_FILE_IS_EXECUTABLE]),
	  .arg = COND_FILE_IS_EXECUTABLE, .flags = KEY_EMPTY_OK | KEY_NO_RESTART | KEY_REPEAT,
	  .doc = "started only if this is an executable file (! not, | any of)" },
	{ "condition_file_not_empty", KK_CONDITION, SVC(conds[COND_FILE_NOT_EMPTY]),
	  .arg = COND_FILE_NOT_EMPTY, .flags = KEY_EMPTY_OK | KEY_NO_RESTART | KEY_REPEAT,
	  .doc = "started only if this is a file that is not empty (! not, | any of)" },
	{ "condition_path_exists", KK_CONDITION, SVC(conds[COND_PATH_EXISTS]),
	  .arg = COND_PATH_EXISTS, .flags = KEY_EMPTY_OK | KEY_NO_RESTART | KEY_REPEAT,
	  .doc = "started only if this path exists (! not, | any of)" },
	{ "condition_path_is_directory", KK_CONDITION, SVC(conds[COND_PATH_IS_DIRECTORY]),
	  .arg = COND_PATH_IS_DIRECTORY, .flags = KEY_EMPTY_OK | KEY_NO_RESTART | KEY_REPEAT,
	  .doc = "started only if this is a directory (! not, | any of)" },
	{ "condition_virtualization", KK_CONDITION, SVC(conds[COND_VIRTUALIZATION]),
	  .arg = COND_VIRTUALIZATION, .flags = KEY_EMPTY_OK | KEY_NO_RESTART | KEY_REPEAT,
	  .doc = "started only on this virtualization: yes, no, vm, container, kvm, docker..." },
	{ "configuration_directory", KK_RELPATHS, SVC(dirs[SVDIR_CONFIGURATION]),
	  .flags = KEY_EMPTY_OK,
	  .doc = "directories made under /etc, owned by root, before each start, never removed" },
	{ "configuration_directory_mode", KK_UMASK, SVC(dir_modes[SVDIR_CONFIGURATION]),
	  .def = 0755, .max = 07777,
	  .doc = "their mode, in octal" },
	{ "control_group", KK_GROUP, MAIN(control_group),
	  .doc = "a group that may use every guardianctl command" },
	{ "directory", KK_PATH, SVC(directory), .def_s = "/",
	  .doc = "the working directory of the service" },
	{ "environment", KK_ENV, SVC(env), .flags = KEY_EMPTY_OK,
	  .doc = "KEY=VALUE entries added to the environment" },
	{ "environment_file", KK_ENV_FILE, SVC(env_files),
	  .doc = "files of KEY=VALUE lines read at each start (-/path: optional)" },
	{ "give_up_after", KK_UINT, SVC(give_up_after), .max = UINT_MAX,
	  .hint = "(a non-negative integer)",
	  .doc = "quick failures in a row before the service is fatal" },
	{ "group", KK_STRING, SVC(group),
	  .doc = "the group the service runs as" },
	{ "health", KK_PROBE, SVC(health), .arg = PROBE_BIT(PROBE_NONE) |
	  PROBE_BIT(PROBE_TCP) | PROBE_BIT(PROBE_EXEC) | PROBE_BIT(PROBE_HTTP),
	  .flags = KEY_NO_RESTART,
	  .doc = "a check while up: none, tcp:HOST:PORT, exec:COMMAND or http://..." },
	{ "health_interval", KK_DURATION, SVC(health_interval_ms),
	  .def = DEF_HEALTH_INTERVAL_MS, .min = 100, .flags = KEY_NO_RESTART,
	  .doc = "how often the health check runs" },
	{ "health_retries", KK_UINT, SVC(health_retries),
	  .def = DEF_HEALTH_RETRIES, .min = 1, .max = 1000,
	  .flags = KEY_NO_RESTART, .hint = "(1 to 1000)",
	  .doc = "failed checks in a row that restart the service" },
	{ "health_timeout", KK_DURATION, SVC(health_timeout_ms),
	  .def = DEF_HEALTH_TIMEOUT_MS, .min = 10, .flags = KEY_NO_RESTART,
	  .doc = "how long one health check may take" },
	{ "healthy_after", KK_DURATION, SVC(healthy_after_ms),
	  .def = DEF_HEALTHY_AFTER_MS,
	  .doc = "how long a run must last to reset the backoff" },
	{ "include", KK_INCLUDE, KEY_MAIN, 0, 0,
	  .doc = "more files to read, by glob pattern" },
	{ "kill_mode", KK_CHOICE, SVC(kill_mode), .def = KILL_CGROUP,
	  .choices = (const char *const[]){ "control-group", "mixed",
	  "process", "none", NULL }, .flags = KEY_NO_RESTART,
	  .doc = "control-group, mixed, process or none" },
	{ "limit_as", KK_LIMIT, SVC(limits[LIM_AS]), .arg = LIM_AS,
	  .doc = "RLIMIT_AS: the size of the address space" },
	{ "limit_core", KK_LIMIT, SVC(limits[LIM_CORE]), .arg = LIM_CORE,
	  .doc = "RLIMIT_CORE: the size of core dumps" },
	{ "limit_cpu", KK_LIMIT, SVC(limits[LIM_CPU]), .arg = LIM_CPU,
	  .doc = "RLIMIT_CPU: CPU time in seconds" },
	{ "limit_data", KK_LIMIT, SVC(limits[LIM_DATA]), .arg = LIM_DATA,
	  .doc = "RLIMIT_DATA: the size of the data segment" },
	{ "limit_fsize", KK_LIMIT, SVC(limits[LIM_FSIZE]), .arg = LIM_FSIZE,
	  .doc = "RLIMIT_FSIZE: the size of files written" },
	{ "limit_memlock", KK_LIMIT, SVC(limits[LIM_MEMLOCK]),
	  .arg = LIM_MEMLOCK,
	  .doc = "RLIMIT_MEMLOCK: memory locked in RAM" },
	{ "limit_nofile", KK_LIMIT, SVC(limits[LIM_NOFILE]), .arg = LIM_NOFILE,
	  .doc = "RLIMIT_NOFILE: open files" },
	{ "limit_nproc", KK_LIMIT, SVC(limits[LIM_NPROC]), .arg = LIM_NPROC,
	  .doc = "RLIMIT_NPROC: processes of the user" },
	{ "limit_stack", KK_LIMIT, SVC(limits[LIM_STACK]), .arg = LIM_STACK,
	  .doc = "RLIMIT_STACK: the size of the stack" },
	{ "line_max", KK_UINT, SVC(line_max), .def = DEF_LINE_MAX,
	  .min = LINE_MAX_MIN, .max = LINE_MAX_MAX,
	  .hint = "(bytes, " XSTR(LINE_MAX_MIN) " to " XSTR(LINE_MAX_MAX) ")",
	  .doc = "output lines longer than this are passed on in pieces" },
	{ "listen_datagram", KK_LISTEN, SVC(listen_datagram),
	  .flags = KEY_EMPTY_OK,
	  .doc = "datagram sockets passed to it: /path, @name, PORT, IP:PORT" },
	{ "listen_stream", KK_LISTEN, SVC(listen_stream), .flags = KEY_EMPTY_OK,
	  .doc = "stream sockets passed to it: /path, @name, PORT, IP:PORT" },
	{ "log_lines", KK_UINT, SVC(log_lines), .def = DEF_LOG_LINES,
	  .max = LOG_LINES_MAX, .hint = "(0 to " XSTR(LOG_LINES_MAX) ")",
	  .doc = "lines of output kept for guardianctl logs" },
	{ "logs_directory", KK_RELPATHS, SVC(dirs[SVDIR_LOGS]),
	  .flags = KEY_EMPTY_OK,
	  .doc = "directories made under /var/log before each start, never removed" },
	{ "logs_directory_mode", KK_UMASK, SVC(dir_modes[SVDIR_LOGS]),
	  .def = 0755, .max = 07777,
	  .doc = "their mode, in octal" },
	{ "nice", KK_INT, SVC(nice), .off2 = SVC2(nice_set), .min = -20,
	  .max = 19, .hint = "(-20 to 19)",
	  .doc = "the scheduling priority" },
	{ "no_new_privileges", KK_BOOL, SVC(no_new_privileges),
	  .doc = "PR_SET_NO_NEW_PRIVS before the exec" },
	{ "notify_access", KK_CHOICE, SVC(notify_access), .def = NOTIFY_MAIN,
	  .choices = (const char *const[]){ "main", "all", NULL },
	  .doc = "main or all" },
	{ "oom_score_adjust", KK_INT, SVC(oom_adj), .off2 = SVC2(oom_adj_set),
	  .min = -1000, .max = 1000, .hint = "(-1000 to 1000)",
	  .doc = "how willingly the kernel's OOM killer picks it" },
	{ "part_of", KK_NAMES, SVC(part_of),
	  .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "services whose stop or restart by guardianctl it follows" },
	{ "pidfile", KK_PATH, SVC(pidfile), .flags = KEY_EMPTY_OK,
	  .doc = "type = forking: the file its main process's pid is in" },
	{ "ready", KK_PROBE, SVC(ready), .arg = PROBE_BIT(PROBE_NONE) |
	  PROBE_BIT(PROBE_NOTIFY) | PROBE_BIT(PROBE_FD) | PROBE_BIT(PROBE_TCP) |
	  PROBE_BIT(PROBE_EXEC),
	  .doc = "none, notify, fd:N, tcp:HOST:PORT or exec:COMMAND" },
	{ "ready_timeout", KK_DURATION, SVC(ready_timeout_ms),
	  .def = DEF_READY_TIMEOUT_MS, .min = 1,
	  .doc = "how long until it is ready (forking: its main process known)" },
	{ "reload_command", KK_COMMAND, SVC(reload_argv),
	  .off2 = SVC2(reload_command), .flags = KEY_NO_RESTART,
	  .doc = "what guardianctl reload NAME runs, as the service, with MAINPID" },
	{ "reload_signal", KK_SIGNAL, SVC(reload_signal),
	  .flags = KEY_NO_RESTART,
	  .doc = "what guardianctl reload NAME sends to the main process" },
	{ "remain_after_exit", KK_BOOL, SVC(remain_after_exit),
	  .doc = "type = oneshot: up after its command exited 0" },
	{ "requires", KK_NAMES, SVC(requires),
	  .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "as after, and it does not run while one of them is down" },
	{ "restart", KK_CHOICE, SVC(restart), .def = RESTART_ALWAYS,
	  .choices = (const char *const[]){ "always", "on-failure", "never",
	  NULL }, .doc = "always, on-failure or never" },
	{ "restart_force_exit_status", KK_EXIT_SET, SVC(restart_force),
	  .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "exit codes and signals after which it is restarted whatever restart says" },
	{ "restart_prevent_exit_status", KK_EXIT_SET, SVC(restart_prevent),
	  .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "exit codes and signals after which it is never restarted" },
	{ "runtime_directory", KK_RELPATHS, SVC(runtime_dirs),
	  .flags = KEY_EMPTY_OK,
	  .doc = "directories made under /run, owned by the user, before each start" },
	{ "runtime_directory_mode", KK_UMASK, SVC(runtime_dir_mode),
	  .def = 0755, .max = 07777,
	  .doc = "their mode, in octal" },
	{ "runtime_directory_preserve", KK_CHOICE, SVC(runtime_preserve),
	  .def = PRESERVE_NO, .choices = (const char *const[]){ "no", "yes",
	  "restart", NULL }, .flags = KEY_NO_RESTART,
	  .doc = "no, yes or restart" },
	{ "send_sigkill", KK_BOOL, SVC(send_sigkill), .def = 1,
	  .flags = KEY_NO_RESTART,
	  .doc = "whether a stop sends SIGKILL after stop_timeout" },
	{ "socket_backlog", KK_UINT, SVC(socket_backlog), .def = SOMAXCONN,
	  .min = 1, .max = INT_MAX, .flags = KEY_NO_RESTART,
	  .hint = "(a positive integer)",
	  .doc = "the listen(2) backlog of its stream sockets" },
	{ "socket_fdname", KK_TAG, SVC(socket_fdname), .max = SOCKET_FDNAME_MAX,
	  .hint = "(at most " XSTR(SOCKET_FDNAME_MAX) " characters, no blanks, "
	  "brackets or colons)",
	  .doc = "the name of its sockets in LISTEN_FDNAMES (default: its name)" },
	{ "socket_group", KK_GROUP, SVC(socket_group), .flags = KEY_NO_RESTART,
	  .doc = "the group of its path sockets" },
	{ "socket_mode", KK_UMASK, SVC(socket_mode), .def = 0666,
	  .flags = KEY_NO_RESTART,
	  .doc = "the mode of its path sockets, in octal" },
	{ "socket_user", KK_STRING, SVC(socket_user), .flags = KEY_NO_RESTART,
	  .doc = "the owner of its path sockets" },
	{ "start_post", KK_COMMANDS, SVC(start_post), .flags = KEY_EMPTY_OK,
	  .doc = "commands run once it is ready, before it is up" },
	{ "start_pre", KK_COMMANDS, SVC(start_pre), .flags = KEY_EMPTY_OK,
	  .doc = "commands run before command, each must exit 0" },
	{ "state_directory", KK_RELPATHS, SVC(dirs[SVDIR_STATE]),
	  .flags = KEY_EMPTY_OK,
	  .doc = "directories made under /var/lib before each start, never removed" },
	{ "state_directory_mode", KK_UMASK, SVC(dir_modes[SVDIR_STATE]),
	  .def = 0755, .max = 07777,
	  .doc = "their mode, in octal" },
	{ "status_group", KK_GROUP, MAIN(status_group),
	  .doc = "a group that may use the read-only guardianctl commands" },
	{ "stderr", KK_OUTPUT, SVC(out[1]), .def = OUT_SYSLOG,
	  .doc = "where standard error goes: syslog, null or file:PATH" },
	{ "stderr_priority", KK_PRIORITY, SVC(out[1].priority),
	  .def = LOG_WARNING,
	  .doc = "the syslog priority of standard error" },
	{ "stdout", KK_OUTPUT, SVC(out[0]), .def = OUT_SYSLOG,
	  .doc = "where standard output goes: syslog, null or file:PATH" },
	{ "stdout_priority", KK_PRIORITY, SVC(out[0].priority),
	  .def = LOG_INFO,
	  .doc = "the syslog priority of standard output" },
	{ "stop_command", KK_COMMANDS, SVC(stop_cmds), .flags = KEY_EMPTY_OK,
	  .doc = "commands a stop runs first, with MAINPID" },
	{ "stop_post", KK_COMMANDS, SVC(stop_post), .flags = KEY_EMPTY_OK,
	  .doc = "commands run once it is down" },
	{ "stop_signal", KK_SIGNAL, SVC(stop_signal), .def = SIGTERM,
	  .doc = "the signal that asks the service to stop" },
	{ "stop_timeout", KK_DURATION, SVC(stop_timeout_ms),
	  .def = DEF_STOP_TIMEOUT_MS,
	  .doc = "how long a stop waits before SIGKILL" },
	{ "success_exit_status", KK_EXIT_SET, SVC(success_status),
	  .flags = KEY_NO_RESTART | KEY_EMPTY_OK,
	  .doc = "exit codes and signals that count as success, besides 0" },
	{ "supplementary_groups", KK_NAMES, SVC(supp_groups),
	  .flags = KEY_EMPTY_OK,
	  .doc = "groups added to the user's (systemd's SupplementaryGroups=)" },
	{ "syslog_facility", KK_FACILITY, SVC(syslog_facility),
	  .def = LOG_DAEMON, .hint = "(daemon, user, local0 ... local7, ...)",
	  .doc = "the syslog facility of the service's output" },
	{ "syslog_socket", KK_PATH, MAIN(syslog_socket), .flags = KEY_EMPTY_OK,
	  .doc = "the socket syslog listens on (default /dev/log)" },
	{ "syslog_tag", KK_TAG, SVC(syslog_tag), .max = SYSLOG_TAG_MAX,
	  .hint = "(at most " XSTR(SYSLOG_TAG_MAX) " characters, no blanks, "
	  "brackets or colons)",
	  .doc = "the tag of the service's lines (default: its name)" },
	{ "tmpfiles", KK_FILENAMES, SVC(tmpfiles), .flags = KEY_EMPTY_OK,
	  .doc = "tmpfiles.d files (NAME.conf) applied before each start" },
	{ "type", KK_CHOICE, SVC(type), .def = TYPE_SIMPLE,
	  .choices = (const char *const[]){ "simple", "forking", "oneshot",
	  NULL }, .doc = "simple, forking or oneshot" },
	{ "umask", KK_UMASK, SVC(umask), .def = DEF_UMASK,
	  .doc = "the umask the service starts with" },
	{ "unit", KK_STRING, SVC(unit),
	  .doc = "a systemd unit it runs: its directives set the keys not written here" },
	{ "units", KK_CHOICE, MAIN(units), .def = 0,
	  .choices = (const char *const[]){ "none", "enabled", NULL },
	  .doc = "none, or enabled: every unit enabled for multi-user.target" },
	{ "user", KK_STRING, SVC(user),
	  .doc = "the user the service runs as" },
	{ "watchdog", KK_DURATION, SVC(watchdog_ms),
	  .doc = "ready = notify: WATCHDOG=1 at least this often (0: off)" },
};
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

static int
key_cmp(const void *a, const void *b)
{
	const struct config_key *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r != 0 ? r : (int)x->section - (int)y->section;
}

/* The row of a key of that section, or NULL if there is none. */
const struct config_key *
config_key_find(const char *name, enum key_section section)
{
	struct config_key k = { .name = name, .section = section };

	return bsearch(&k, config_keys, config_nkeys, sizeof(k), key_cmp);
}

/* Replaces *dst with a copy of value; the old string survives a failure. */
static int
set_string(char **dst, const char *value, char *err, size_t errlen)
{
	char *s;

	if ((s = strdup(value)) == NULL) {
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* The words of command=, and its text for messages. */
static int
set_command(char ***argvp, char **textp, const char *value, char *err,
    size_t errlen)
{
	char **argv, *text;
	int n;

	if ((n = config_split_words(value, &argv, err, errlen)) == -1)
		return -1;
	if (n == 0) {
		config_free_words(argv);
		fmt_err(err, errlen, "empty command");
		return -1;
	}
	if ((text = strdup(value)) == NULL) {
		config_free_words(argv);
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	config_free_words(*argvp);
	free(*textp);
	*argvp = argv;
	*textp = text;
	return 0;
}

/* What is wrong with a service name in after = / requires =, or NULL. */
static const char *
bad_name(const char *w)
{
	return config_valid_name(w) ? NULL : "not a service name";
}

/* What is wrong with a runtime_directory path, or NULL: it must be
 * relative, without "..", "." or empty components. */
static const char *
bad_relpath(const char *c)
{
	if (c[0] == '/' || strlen(c) > 255)
		return "not a relative path";
	while (*c) {
		size_t n = strcspn(c, "/");

		if (n == 0 || (n == 1 && c[0] == '.') ||
		    (n == 2 && c[0] == '.' && c[1] == '.'))
			return "not a plain relative path (empty, . or .. in it)";
		c += n + (c[n] == '/');
		if (c[-1] == '/' && *c == '\0')
			return "not a plain relative path (a trailing /)";
	}
	return NULL;
}

/* What is wrong with a tmpfiles = name, or NULL: a file name of a
 * tmpfiles.d directory. */
static const char *
bad_tmpfiles_name(const char *w)
{
	size_t n = strlen(w);

	return strchr(w, '/') == NULL && n > 5 && n < 256 && w[0] != '.' &&
	    strcmp(w + n - 5, ".conf") == 0 ? NULL :
	    "not a tmpfiles.d file name (NAME.conf)";
}

/* One more line of a condition_* or assert_* key (arg: which); an empty
 * value forgets the lines before, as in systemd. */
static int
add_condition(char ***slot, const struct config_key *k, const char *value,
    char *err, size_t errlen)
{
	const char *bad;
	char *w, **v;
	size_t n = config_nwords(*slot);

	if (*value == '\0') {
		config_free_words(*slot);
		*slot = NULL;
		return 0;
	}
	if ((bad = cond_bad_value(k->arg % COND_NKINDS, value)) != NULL) {
		fmt_err(err, errlen, "invalid %s \"%s\": %s", k->name, value,
		    bad);
		return -1;
	}
	if ((w = strdup(value)) == NULL ||
	    (v = realloc(*slot, (n + 2) * sizeof(*v))) == NULL) {
		free(w);
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	v[n] = w;
	v[n + 1] = NULL;
	*slot = v;
	return 0;
}

/* What is wrong with an environment_file path, or NULL. */
static const char *
bad_env_file(const char *w)
{
	return w[w[0] == '-'] == '/' ? NULL :
	    "not an absolute path (-/path for one that may be missing)";
}

/* A list of words, each once and each passing bad() (after = and
 * requires =, runtime_directory =). */
static int
set_words(char ***slot, const char *key, const char *value,
    const char *(*bad_word)(const char *), char *err, size_t errlen)
{
	char **v;

	if (config_split_words(value, &v, err, errlen) < 0)
		return -1;
	for (size_t i = 0; v && v[i]; i++) {
		const char *bad = bad_word(v[i]);

		for (size_t j = 0; j < i && bad == NULL; j++)
			if (strcmp(v[i], v[j]) == 0)
				bad = "named twice";
		if (bad) {
			fmt_err(err, errlen, "%s: \"%s\" is %s", key, v[i], bad);
			config_free_words(v);
			return -1;
		}
	}
	config_free_words(*slot);
	*slot = v;
	return 0;
}

/* listen_stream = / listen_datagram =: each address, checked, is added
 * after those set before (a unit's lines, one by one); an empty value
 * empties the list. An address given twice is an error. */
static int
set_listen(char ***slot, const char *key, const char *value, char *err,
    size_t errlen)
{
	struct listen_addr la;
	char **v, **all, e[256];
	size_t n, have = config_nwords(*slot);

	if (*value == '\0') {
		config_free_words(*slot);
		*slot = NULL;
		return 0;
	}
	if (config_split_words(value, &v, err, errlen) < 0)
		return -1;
	if ((n = config_nwords(v)) == 0) {
		config_free_words(v);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		bool twice = false;

		if (listen_parse(v[i], &la, e, sizeof(e)) < 0) {
			fmt_err(err, errlen, "invalid %s %s", key, e);
			config_free_words(v);
			return -1;
		}
		for (size_t j = 0; j < have + i && !twice; j++)
			twice = strcmp(v[i], j < have ? (*slot)[j] :
			    v[j - have]) == 0;
		if (twice) {
			fmt_err(err, errlen, "%s: \"%s\" is named twice", key,
			    v[i]);
			config_free_words(v);
			return -1;
		}
	}
	if ((all = reallocarray(*slot, have + n + 1, sizeof(char *))) == NULL) {
		fmt_err(err, errlen, "out of memory");
		config_free_words(v);
		return -1;
	}
	memcpy(all + have, v, (n + 1) * sizeof(char *));
	free(v);	/* the words are all's now */
	*slot = all;
	return 0;
}

/* Durations are bounded so that deadlines computed from them never overflow. */
static int
set_duration(const struct config_key *k, int64_t *dst, const char *value,
    char *err, size_t errlen)
{
	int64_t ms;

	if (config_parse_duration(value, &ms) == -1) {
		fmt_err(err, errlen,
		    "invalid duration \"%s\" for %s (use ms, s, m or h)",
		    value, k->name);
		return -1;
	}
	if (ms > DURATION_MAX_MS) {
		fmt_err(err, errlen, "%s \"%s\" is too long (at most 24h)",
		    k->name, value);
		return -1;
	}
	if (ms < k->min) {
		fmt_err(err, errlen, "%s must be at least %lldms", k->name,
		    (long long)k->min);
		return -1;
	}
	*dst = ms;
	return 0;
}

/* stdout = / stderr = : syslog, null, or file:PATH (absolute). */
static int
set_output(struct out_conf *oc, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "syslog") == 0)
		oc->dest = OUT_SYSLOG;
	else if (strcmp(value, "null") == 0)
		oc->dest = OUT_NULL;
	else if (strncmp(value, "file:", 5) == 0 && value[5] == '/') {
		oc->dest = OUT_FILE;
		return set_string(&oc->file, value + 5, err, errlen);
	} else
		return -2;
	free(oc->file);
	oc->file = NULL;
	return 0;
}

/* A number of a KK_UINT row, into a field of the row's size. */
void
config_put_uint(const struct config_key *k, void *slot, unsigned long long n)
{
	if (k->size == sizeof(size_t))
		*(size_t *)slot = (size_t)n;
	else
		*(unsigned *)slot = (unsigned)n;
}

/*
 * Reads value into the field of base (a struct svc_conf or a struct conf,
 * as the row's section says) that row k names. 0, or -1 with a message
 * (without file:line) in err.
 */
int
config_key_set(const struct config_key *k, void *base, const char *value,
    char *err, size_t errlen)
{
	void *slot = (char *)base + k->off;
	void *slot2 = (char *)base + k->off2;
	unsigned long long u;
	char bad[32];
	long l;
	int n;

	if (*value == '\0' && !(k->flags & KEY_EMPTY_OK)) {
		fmt_err(err, errlen, "empty value for %s", k->name);
		return -1;
	}
	switch (k->kind) {
	case KK_COMMAND:
		return set_command(slot, slot2, value, err, errlen);
	case KK_STRING:
		return set_string(slot, value, err, errlen);
	case KK_PATH:
		if (value[0] == '\0') {	/* KEY_EMPTY_OK: the default */
			free(*(char **)slot);
			*(char **)slot = NULL;
			return 0;
		}
		if (value[0] != '/')
			goto not_absolute;
		return set_string(slot, value, err, errlen);
	case KK_TAG:
		if (strlen(value) > (size_t)k->max ||
		    strpbrk(value, " \t[]:") != NULL)
			goto invalid;
		return set_string(slot, value, err, errlen);
	case KK_ENV:
		return config_add_env(slot, value, err, errlen);
	case KK_ENV_FILE:
		return set_words(slot, k->name, value, bad_env_file, err, errlen);
	case KK_UMASK:
		if (config_parse_mode(value, k->max ? (mode_t)k->max : 0777,
		    slot) == -1)
			goto invalid;
		return 0;
	case KK_RELPATHS:
		return set_words(slot, k->name, value, bad_relpath, err, errlen);
	case KK_CAPS:
		if (caps_parse(value, slot, bad, sizeof(bad)) == -1) {
			fmt_err(err, errlen, "unknown capability \"%s\" for %s",
			    bad, k->name);
			return -1;
		}
		return 0;
	case KK_PROBE:
		return probe_parse(slot, (unsigned)k->arg, k->name, value, err,
		    errlen);
	case KK_NAMES:
		return set_words(slot, k->name, value, bad_name, err, errlen);
	case KK_EXIT_SET:
		if (config_parse_exit_set(value, slot, bad, sizeof(bad)) == -1) {
			fmt_err(err, errlen, "invalid %s \"%s\" (exit codes 0 to "
			    "255 and signal names)", k->name, bad);
			return -1;
		}
		return 0;
	case KK_CHOICE:
		for (n = 0; k->choices[n] != NULL; n++)
			if (strcmp(value, k->choices[n]) == 0) {
				*(int *)slot = n;
				return 0;
			}
		fmt_err(err, errlen, "invalid %s \"%s\" (%s)", k->name, value,
		    k->doc);
		return -1;
	case KK_SIGNAL:
		if ((n = config_parse_signal(value)) == -1) {
			fmt_err(err, errlen, "unknown signal \"%s\"", value);
			return -1;
		}
		*(int *)slot = n;
		return 0;
	case KK_DURATION:
		return set_duration(k, slot, value, err, errlen);
	case KK_UINT:
		if (config_parse_uint(value, (unsigned long long)k->min,
		    (unsigned long long)k->max, &u) == -1)
			goto invalid;
		config_put_uint(k, slot, u);
		return 0;
	case KK_INT:
		if (config_parse_int(value, (long)k->min, (long)k->max, &l) == -1)
			goto invalid;
		*(int *)slot = (int)l;
		*(bool *)slot2 = true;
		return 0;
	case KK_BOOL:
		if ((n = config_parse_bool(value)) == -1) {
			fmt_err(err, errlen, "invalid %s \"%s\" (yes or no)",
			    k->name, value);
			return -1;
		}
		*(bool *)slot = n;
		return 0;
	case KK_OUTPUT:
		if ((n = set_output(slot, value, err, errlen)) == -2) {
			fmt_err(err, errlen, "invalid %s \"%s\" (syslog, "
			    "null or file:/absolute/path)", k->name, value);
			return -1;
		}
		return n;
	case KK_PRIORITY:
		if ((n = config_parse_priority(value)) < 0) {
			fmt_err(err, errlen, "invalid %s \"%s\" (emerg, "
			    "alert, crit, err, warning, notice, info or debug)",
			    k->name, value);
			return -1;
		}
		*(int *)slot = n;
		return 0;
	case KK_FACILITY:
		if ((n = config_parse_facility(value)) < 0)
			goto invalid;
		*(int *)slot = n;
		return 0;
	case KK_LIMIT:
		if ((n = config_parse_limit(k->arg, value, slot)) == -1) {
			fmt_err(err, errlen, "invalid %s \"%s\" (a number%s "
			    "or unlimited, or soft:hard)", k->name, value,
			    config_limit_bytes(k->arg) ? " with K, M or G" : "");
			return -1;
		} else if (n == -2) {
			fmt_err(err, errlen, "invalid %s \"%s\": the soft "
			    "limit is above the hard one", k->name, value);
			return -1;
		}
		return 0;
	case KK_GROUP:
		if (getgrnam(value) == NULL) {
			fmt_err(err, errlen, "unknown group \"%s\" for %s",
			    value, k->name);
			return -1;
		}
		return set_string(slot, value, err, errlen);
	case KK_LISTEN:
		return set_listen(slot, k->name, value, err, errlen);
	case KK_CONDITION:
		return add_condition(slot, k, value, err, errlen);
	case KK_FILENAMES:
		return set_words(slot, k->name, value, bad_tmpfiles_name, err,
		    errlen);
	case KK_COMMANDS:
		return config_add_ctl_cmd(slot, value, err, errlen);
	case KK_INCLUDE:
		break;		/* config.c reads it */
	}
	fmt_err(err, errlen, "%s cannot be set here", k->name);
	return -1;
invalid:
	fmt_err(err, errlen, "invalid %s \"%s\"%s%s", k->name, value,
	    k->hint ? " " : "", k->hint ? k->hint : "");
	return -1;
not_absolute:
	fmt_err(err, errlen, "%s \"%s\" is not an absolute path",
	    k->name, value);
	return -1;
}

/* Sets one key of a service, by name: a config file's line, or an option. */
int
config_svc_set(struct svc_conf *sc, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct config_key *k = config_key_find(key, KEY_SERVICE);

	if (k == NULL) {
		fmt_err(err, errlen, "unknown key \"%s\"", key);
		return -1;
	}
	return config_key_set(k, sc, value, err, errlen);
}

/*
 * Adds one line of start_pre, start_post, stop_command or stop_post to l:
 * "-" and "+" first, in either order (systemd's prefixes), then the
 * command split as command = is; an empty value empties the list.
 */
int
config_add_ctl_cmd(struct ctl_cmds *l, const char *value, char *err,
    size_t errlen)
{
	struct ctl_cmd c = { 0 }, *nv;
	const char *p = value;
	int n;

	if (*value == '\0') {
		config_free_ctl_cmds(l);
		return 0;
	}
	for (; *p == '-' || *p == '+'; p++) {
		unsigned f = *p == '-' ? CMD_IGNORE : CMD_FULL;

		if (c.flags & f) {
			fmt_err(err, errlen, "\"%c\" twice before the command",
			    *p);
			return -1;
		}
		c.flags |= f;
	}
	if ((n = config_split_words(p, &c.argv, err, errlen)) == -1)
		return -1;
	if (n == 0) {
		config_free_words(c.argv);
		fmt_err(err, errlen, "empty command");
		return -1;
	}
	if ((c.text = strdup(value)) == NULL ||
	    (nv = reallocarray(l->v, l->n + 1, sizeof(*nv))) == NULL) {
		free(c.text);
		config_free_words(c.argv);
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	l->v = nv;
	l->v[l->n++] = c;
	return 0;
}

void
config_free_ctl_cmds(struct ctl_cmds *l)
{
	for (size_t i = 0; i < l->n; i++) {
		config_free_words(l->v[i].argv);
		free(l->v[i].text);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}
