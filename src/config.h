/*
 * config.h: the configuration, its key table and its readers (guardiand.h
 * includes it).
 */
#ifndef GUARDIAND_CONFIG_H
#define GUARDIAND_CONFIG_H

#include <sys/socket.h>

/* ---- config.c ---- */

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
/* When runtime_directory is removed: when the service stops (no), never
 * (yes), when it stops for good, not for a restart (restart). */
enum runtime_preserve { PRESERVE_NO, PRESERVE_YES, PRESERVE_RESTART };
/* What condition_* and assert_* test (conditions.c); an assert's slot is
 * COND_NKINDS + its kind. */
enum cond_kind { COND_PATH_EXISTS, COND_PATH_IS_DIRECTORY,
	COND_FILE_NOT_EMPTY, COND_FILE_IS_EXECUTABLE, COND_VIRTUALIZATION,
	COND_NKINDS };
/* The directories systemd keeps apart from RuntimeDirectory= (svdirs.c):
 * under /var/lib, /var/cache, /var/log and /etc, never removed. */
enum svdir_kind { SVDIR_STATE, SVDIR_CACHE, SVDIR_LOGS, SVDIR_CONFIGURATION,
	SVDIR_NKINDS };

/* Capabilities by number (bit n: capability n); set: the key was given. */
struct cap_set {
	uint64_t mask;
	bool set;
};

/* A set of ways to end: exit codes 0-255 and deaths by signal 1-64 (as
 * systemd's SuccessExitStatus= and RestartPreventExitStatus= take them). */
struct exit_set {
	uint32_t codes[8];	/* bit n: exit(n) */
	uint64_t sigs;		/* bit n - 1: killed by signal n */
};
/* [guardiand] cgroup =: each service in its own cgroup v2 where one is
 * usable (auto), or process-group tracking (off). */
enum cgroup_mode { CGROUP_AUTO, CGROUP_OFF };
/* How guardiand learns that a service is ready (ready =) or still
 * healthy (health =); probe_conf.c reads them. */
enum probe_kind { PROBE_NONE, PROBE_NOTIFY, PROBE_FD, PROBE_TCP, PROBE_EXEC,
	PROBE_HTTP, PROBE_NKINDS };
#define PROBE_BIT(k)	(1u << (k))
struct probe {
	enum probe_kind kind;
	int fd;			/* PROBE_FD: the service writes a line to it */
	char *host, *port;	/* PROBE_TCP, PROBE_HTTP */
	char *path;		/* PROBE_HTTP: what to GET */
	char **argv;		/* PROBE_EXEC: exits 0 when ready or healthy */
	char *text;		/* as written (NULL for none): messages, reload */
};
/* notify_access =: whose sd_notify messages count */
enum notify_access { NOTIFY_MAIN, NOTIFY_ALL };

/* simple: the process started is the service; forking: it starts the
 * service and exits 0, and the service's main process is found after;
 * oneshot: it runs to its end, and its exit 0 is the start. */
enum svc_type { TYPE_SIMPLE, TYPE_FORKING, TYPE_ONESHOT };
/* kill_mode = (systemd.kill(5)): which processes a stop signals. */
enum kill_mode { KILL_CGROUP, KILL_MIXED, KILL_PROCESS, KILL_NONE };

/* One line of start_pre, start_post, stop_command or stop_post. */
#define CMD_IGNORE	0x01	/* "-": its failure is ignored */
#define CMD_FULL	0x02	/* "+": as guardiand's user, all privileges */
struct ctl_cmd {
	unsigned flags;
	char **argv;
	char *text;		/* as written, prefixes too */
};
/* The commands of one such key, run in order. */
struct ctl_cmds {
	struct ctl_cmd *v;
	size_t n;
};
enum out_dest { OUT_SYSLOG, OUT_NULL, OUT_FILE };

/* Where one of a service's output streams goes. */
struct out_conf {
	enum out_dest dest;
	char *file;		/* OUT_FILE: the path */
	int priority;		/* OUT_SYSLOG: LOG_INFO, LOG_WARNING... */
};

/* Resource limits a service may set: limit_nofile = 1024 or 1024:4096. */
enum { LIM_NOFILE, LIM_NPROC, LIM_CORE, LIM_AS, LIM_CPU, LIM_FSIZE,
	LIM_MEMLOCK, LIM_STACK, LIM_DATA, NLIMITS };
struct svc_limit {
	bool set;
	uint64_t soft, hard;	/* UINT64_MAX: unlimited */
};

/*
 * One service as configured. Everything config_svc_equal() compares is here,
 * so that a reload restarts exactly the services whose settings changed.
 */
struct svc_conf {
	char *name;
	char *unit;		/* unit =: the systemd unit it runs, or NULL */
	char *command;		/* the text of command=, for messages */
	char **argv;		/* command split into words; NULL-terminated */
	char *directory;	/* NULL: "/" */
	char *user;		/* NULL: run as guardiand's user */
	char *group;		/* NULL: the user's primary group */
	char **supp_groups;	/* added to the user's supplementary groups */
	char **env;		/* "KEY=VALUE" strings added to the environment; NULL-terminated */
	mode_t umask;
	char **runtime_dirs;	/* made under /run before each start */
	mode_t runtime_dir_mode;
	enum runtime_preserve runtime_preserve;
	char **dirs[SVDIR_NKINDS];	/* state_directory...: made before each start */
	mode_t dir_modes[SVDIR_NKINDS];
	char **conds[2 * COND_NKINDS];	/* condition_*, then assert_*: each
					 * line as written ("!|/path") */
	char **tmpfiles;	/* tmpfiles.d file names applied before each start */
	enum restart_policy restart;
	struct exit_set success_status;	/* exits that count as success, besides 0 */
	struct exit_set restart_prevent;	/* never restarted after these */
	struct exit_set restart_force;	/* always restarted after these */
	enum svc_type type;
	char *pidfile;		/* type = forking: where the main pid is, or NULL */
	char *reload_command;	/* guardianctl reload NAME runs it, or NULL */
	char **reload_argv;
	int reload_signal;	/* ...or sends this to the main process; 0 none */
	struct ctl_cmds start_pre;	/* run before command, each must exit 0 */
	struct ctl_cmds start_post;	/* run once it is ready; then it is up */
	struct ctl_cmds stop_cmds;	/* stop_command: run first on a stop */
	struct ctl_cmds stop_post;	/* run once it is down */
	enum kill_mode kill_mode;
	bool send_sigkill;	/* SIGKILL after stop_timeout (yes) */
	bool remain_after_exit;	/* oneshot: up after its exit 0 */
	struct probe ready;	/* how it tells it is ready: none by default */
	int64_t ready_timeout_ms;	/* ready (forking: main known) by then */
	enum notify_access notify_access;
	int64_t watchdog_ms;	/* ready = notify: WATCHDOG=1 this often; 0 off */
	struct probe health;	/* none, tcp, exec or http, while up */
	int64_t health_interval_ms, health_timeout_ms;
	unsigned health_retries;	/* failures in a row that restart it */
	char **after;		/* started once these are ready */
	char **requires;	/* ...and not run while one is down for good */
	char **part_of;		/* stopped and restarted with these */
	int stop_signal;
	int64_t stop_timeout_ms;
	int64_t backoff_initial_ms;
	int64_t backoff_max_ms;
	int64_t healthy_after_ms;
	unsigned give_up_after;	/* quick failures in a row before FATAL; 0 = never */
	struct out_conf out[2];	/* stdout, stderr */
	char *syslog_tag;	/* NULL: the service's name */
	int syslog_facility;	/* LOG_DAEMON... */
	size_t line_max;	/* longer lines are passed on in pieces */
	unsigned log_lines;	/* lines kept for guardianctl logs */
	char **env_files;	/* KEY=VALUE lines read at each start, in
				 * order; "-/path": may be missing */
	bool clear_environment;	/* start from PATH only, not guardiand's env */
	bool no_new_privileges;
	struct cap_set ambient;		/* capabilities: kept as its user */
	struct cap_set bounding;	/* capability_bounding_set */
	bool nice_set;
	int nice;
	bool oom_adj_set;
	int oom_adj;		/* oom_score_adjust: -1000 to 1000 */
	struct svc_limit limits[NLIMITS];
	/* Socket activation (sockets.c): made and held by guardiand, passed
	 * as descriptors 3, 4... with LISTEN_FDS; streams first, in order. */
	char **listen_stream;	/* addresses, as listen_parse reads them */
	char **listen_datagram;
	char *socket_user;	/* owner of path sockets; NULL: guardiand's */
	char *socket_group;
	mode_t socket_mode;	/* of path sockets */
	char *socket_fdname;	/* LISTEN_FDNAMES; NULL: the service's name */
	unsigned socket_backlog;
#define SOCKETS_MAX	64	/* listen_stream and listen_datagram together */

	char *file;		/* where the section starts, for messages */
	int line;
	struct svc_conf *next;	/* in the order the files define them */
};

struct conf {
	char *path;			/* the main file, or NULL in one-command mode */
	struct svc_conf *services;
	size_t nservices;
	char *control_group;		/* may use every guardianctl command */
	char *status_group;		/* may use the read-only ones */
	char *syslog_socket;		/* NULL: DEF_SYSLOG_SOCKET */
	enum cgroup_mode cgroup;	/* read at start-up only */
	int units;			/* units =: 0 none, 1 enabled */
};

/* Receives each error as one "file:line: message" line (no newline). */
typedef void (*config_err_fn)(void *arg, const char *msg);

struct conf *config_load(const char *path, config_err_fn err, void *arg);

/* Whether config_load also checks the host: users, groups, directories and
 * programs exist (check.c). On; off only in the parser's own unit tests. */
extern bool config_check_host;

/* ---- probe_conf.c: the values of ready = and health = ---- */

int probe_parse(struct probe *p, unsigned mask, const char *key,
    const char *value, char *err, size_t errlen);
void probe_free(struct probe *p);
bool probe_equal(const struct probe *a, const struct probe *b);
const char *probe_kind_name(enum probe_kind k);

/* ---- confline.c: the text of one config line ---- */

char *conf_lskip(char *s);
void conf_rstrip(char *s);
void conf_strip_comment(char *s);
char *conf_find_separator(char *s);

/* ---- conffile.c: whether a config file may be read ---- */

/* Files (or directories) met already, by device and inode. */
struct conffile_id {
	dev_t	dev;
	ino_t	ino;
	bool	ok;	/* a directory: found safe */
};
struct conffile_ids {
	struct conffile_id *v;
	size_t	n;
};
struct stat;

/* Reads a regular config file whole: 0 with the data, or -1 with why. */
int conffile_read(const char *path, struct stat *st, char **data, size_t *len,
    char *why, size_t whylen);
/* True if st was met before; else it is added to files. */
bool conffile_seen_before(struct conffile_ids *files, const struct stat *st);
/* StrictModes for the directory of path (once per directory) and for the
 * file: 0, or -1 with why (empty: a directory reported already). */
int conffile_check_dir(struct conffile_ids *dirs, const char *path,
    char *why, size_t whylen);
int conffile_check_owner(const struct stat *st, char *why, size_t whylen);

/* ---- keys.c: the config keys, one row each ---- */

enum key_section { KEY_SERVICE, KEY_MAIN };	/* [service NAME], [guardiand] */

/* How a key's value is read, stored, compared and freed. */
enum key_kind {
	KK_COMMAND,	/* char **argv at off, its text (char *) at off2 */
	KK_STRING,	/* char *; NULL means def_s */
	KK_PATH,	/* char *, an absolute path; NULL means def_s */
	KK_TAG,		/* char *, a syslog tag; NULL means the service's name */
	KK_ENV,		/* char **, KEY=VALUE entries; each line adds to it */
	KK_ENV_FILE,	/* char **, absolute paths, "-/path": optional */
	KK_UMASK,	/* mode_t, octal, at most max (0777 if max is 0) */
	KK_PROBE,	/* struct probe; arg: the kinds allowed (PROBE_BIT) */
	KK_NAMES,	/* char **, service names, space-separated, each once */
	KK_EXIT_SET,	/* struct exit_set: exit codes and signal names */
	KK_CAPS,	/* struct cap_set: capability names, "~" all but */
	KK_RELPATHS,	/* char **, relative paths (no "..", no "."), each once */
	KK_CHOICE,	/* an int-sized enum: the index of the value in
			 * choices[]; doc lists them, for the error */
	KK_SIGNAL,	/* int */
	KK_DURATION,	/* int64_t milliseconds, at least min, at most 24h */
	KK_UINT,	/* unsigned or size_t (size says), min to max */
	KK_INT,		/* int, min to max; bool at off2: it was set */
	KK_BOOL,	/* bool: yes/no, true/false, on/off */
	KK_OUTPUT,	/* struct out_conf: its dest and file */
	KK_PRIORITY,	/* int, a syslog priority */
	KK_FACILITY,	/* int, a syslog facility */
	KK_LIMIT,	/* struct svc_limit of limit arg (LIM_...) */
	KK_GROUP,	/* char *, a group that must exist */
	KK_INCLUDE,	/* include = patterns: config.c reads it itself */
	KK_CONDITION,	/* char **, one condition of kind arg per line, as
			 * written; an empty value empties it */
	KK_FILENAMES,	/* char **, tmpfiles.d file names (NAME.conf), each once */
	KK_LISTEN,	/* char **, socket addresses (listen.c); each value
			 * adds to the list, an empty one empties it */
	KK_COMMANDS,	/* struct ctl_cmds: each line adds one; "" empties */
};

#define KEY_EMPTY_OK	0x01	/* an empty value is a value, not an error */
#define KEY_NO_RESTART	0x02	/* a change of it does not restart the service */
#define KEY_REPEAT	0x04	/* each line adds one (condition_*), not a duplicate */

/* One config key. Adding a key: one row, its use site, guardiand.conf(5). */
struct config_key {
	const char	*name;
	enum key_kind	 kind;
	enum key_section section;
	size_t		 off, size;	/* its field in struct svc_conf or conf */
	size_t		 off2;		/* the second field some kinds fill */
	int64_t		 def;		/* the default of a number */
	int64_t		 min, max;	/* bounds of a number; max: of a tag's length */
	int		 arg;		/* KK_LIMIT: which limit */
	const char	*def_s;		/* what NULL means, for the comparison */
	const char	*hint;		/* "(...)" after "invalid KEY \"VALUE\"" */
	const char *const *choices;	/* KK_CHOICE: the values, NULL-ended */
	unsigned	 flags;		/* KEY_EMPTY_OK, KEY_NO_RESTART */
	const char	*doc;		/* one line */
};

extern const struct config_key config_keys[];	/* sorted by name, section */
extern const size_t config_nkeys;

const struct config_key *config_key_find(const char *name,
    enum key_section section);
void config_put_uint(const struct config_key *k, void *slot,
    unsigned long long n);
/* Sets row k's field of base (a struct svc_conf or struct conf, as its
 * section says); 0, or -1 with a message (without file:line) in err. */
int config_key_set(const struct config_key *k, void *base, const char *value,
    char *err, size_t errlen);
struct conf *config_new(void);
void config_free(struct conf *c);
struct svc_conf *config_svc_new(const char *name);
void config_svc_free(struct svc_conf *sc);
/* Sets one key of a service; 0, or -1 with a message (without file:line) in err. */
int config_svc_set(struct svc_conf *sc, const char *key, const char *value,
    char *err, size_t errlen);
/* Final checks once every key is in (command present...); 0 or -1 with err. */
int config_svc_check(const struct svc_conf *sc, char *err, size_t errlen);
/* Appends sc to c; -1 if a service of that name exists already. */
int config_add(struct conf *c, struct svc_conf *sc);
struct svc_conf *config_find(const struct conf *c, const char *name);
bool config_svc_equal(const struct svc_conf *a, const struct svc_conf *b);

/* ---- values.c: the value parsers ---- */

int config_split_words(const char *s, char ***argv, char *err, size_t errlen);
void config_free_words(char **argv);
int config_add_ctl_cmd(struct ctl_cmds *l, const char *value, char *err,
    size_t errlen);
void config_free_ctl_cmds(struct ctl_cmds *l);
bool config_ctl_cmds_equal(const struct ctl_cmds *a, const struct ctl_cmds *b);
size_t config_nwords(char *const *v);
int config_parse_duration(const char *s, int64_t *ms);
/* The way a user writes it, read back by config_parse_duration: 1500ms, 2s. */
const char *config_fmt_duration(int64_t ms, char *buf, size_t len);
int config_parse_signal(const char *s);
const char *config_signal_name(int sig);
int config_parse_facility(const char *s);
int config_parse_priority(const char *s);
int config_parse_mode(const char *s, mode_t max, mode_t *out);
int config_each_word(const char *s, int (*fn)(const char *word, void *arg),
    void *arg, char *bad, size_t badlen);
int config_parse_exit_set(const char *s, struct exit_set *out, char *bad,
    size_t badlen);

/* ---- listen.c: the addresses of listen_stream and listen_datagram ---- */

/* One address, ready for bind(2). */
struct listen_addr {
	int family;		/* AF_UNIX, AF_INET, AF_INET6 */
	socklen_t len;
	struct sockaddr_storage sa;
	bool any;		/* PORT alone: [::]:PORT, else 0.0.0.0:PORT */
	bool file;		/* a path in the file system */
};
int listen_parse(const char *s, struct listen_addr *la, char *err,
    size_t errlen);

/* ---- caps.c: capabilities of a service ---- */

int caps_parse(const char *s, struct cap_set *out, char *bad, size_t badlen);
int caps_child_before(const struct svc_conf *sc);
int caps_child_after(const struct svc_conf *sc);
int config_parse_uint(const char *s, unsigned long long lo,
    unsigned long long hi, unsigned long long *out);
int config_parse_int(const char *s, long lo, long hi, long *out);
int config_parse_bool(const char *s);	/* 1, 0, or -1 */
int config_limit_resource(int lim);	/* LIM_NOFILE -> RLIMIT_NOFILE */
const char *config_limit_name(int lim);	/* LIM_NOFILE -> "limit_nofile" */
bool config_limit_bytes(int lim);	/* a size: takes K, M, G */
/* SOFT or SOFT:HARD into *l: 0, -1 unreadable, -2 soft above hard. */
int config_parse_limit(int lim, const char *s, struct svc_limit *l);
/* Adds "KEY=VALUE ..." to a NULL-terminated list; a KEY again replaces. */
int config_add_env(char ***env, const char *value, char *err, size_t errlen);
/* Reads an environment file (KEY=VALUE lines, # and ; comments, optional
 * "export ", quoting as systemd's EnvironmentFile= reads it: a superset
 * of one sh word; no expansion) into a NULL-terminated list (env.c). */
char **config_read_env_file(const char *path, char *err, size_t errlen);
bool config_valid_name(const char *name);

/* ---- check.c ---- */

/* One problem a start would meet; key is the config key it is about. */
typedef void (*check_fn)(void *arg, const char *key, const char *msg);

int check_service(const struct svc_conf *sc, check_fn fn, void *arg);
bool check_no_such_entry(int err);
/* Finds prog as execvp(3) from dir would; 0 and its path in out, or an errno. */
int check_program(const char *prog, const char *dir, const char *search,
    char *out, size_t outlen);
/* The PATH a start of sc searches (envp: its environment, if built);
 * *to_free is set to what the caller frees. */
const char *check_search_path(const struct svc_conf *sc, char *const *envp,
    char **to_free);

#endif
