/*
 * guardiand: shared types, and one prototype section per module.
 */
#ifndef GUARDIAND_H
#define GUARDIAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "proto.h"	/* the control protocol: commands, state names */

#define GUARDIAND_VERSION "0.1.0"
#define DEFAULT_CONF "/etc/guardiand/guardiand.conf"
#define DEFAULT_PIDFILE "/run/guardiand.pid"
#define SERVICE_MARK "GUARDIAND_SERVICE"	/* NAME, in every service's environment */
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Exit codes of guardiand: a contract, documented in guardiand(8). */
enum {
	EXIT_OK = 0,
	EXIT_USAGE = 1,		/* usage or configuration error */
	EXIT_RUNNING = 2,	/* another guardiand holds the pidfile */
	EXIT_PIDFILE = 3,	/* the pidfile cannot be created or locked */
	EXIT_DAEMON = 4,	/* fork, or the daemon never reported back */
	EXIT_SIGNALS = 5,	/* the signal pipe cannot be set up */
	EXIT_SOCKET = 6,	/* the control socket cannot be created */
	EXIT_STARTUP = 7,	/* another start-up step failed */
};

/* Defaults that shape behaviour; the config keys of the same names override them. */
#define DEF_STOP_TIMEOUT_MS	10000
#define DEF_READY_TIMEOUT_MS	90000	/* systemd's TimeoutStartSec */
#define DEF_HEALTH_INTERVAL_MS	30000
#define DEF_HEALTH_TIMEOUT_MS	5000
#define DEF_HEALTH_RETRIES	3
#define DEF_BACKOFF_INITIAL_MS	100
#define DEF_BACKOFF_MAX_MS	60000
#define DEF_HEALTHY_AFTER_MS	10000
#define DEF_UMASK		022
#define DEF_LINE_MAX		8192
#define LINE_MAX_MIN		128
#define LINE_MAX_MAX		65536	/* one datagram to the syslog socket */
#define DEF_LOG_LINES		200
#define LOG_LINES_MAX		100000
/* What log_lines lines of up to line_max bytes may hold, per service: the
 * lines are kept whole and all of them, so their product is what is bounded. */
#define LOG_BYTES_MAX		(64 * 1024 * 1024)
#define DEF_SYSLOG_SOCKET	"/dev/log"

/* ---- config.c ---- */

enum restart_policy { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };
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
 * service and exits 0, and the service's main process is found after. */
enum svc_type { TYPE_SIMPLE, TYPE_FORKING };
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
	char *command;		/* the text of command=, for messages */
	char **argv;		/* command split into words; NULL-terminated */
	char *directory;	/* NULL: "/" */
	char *user;		/* NULL: run as guardiand's user */
	char *group;		/* NULL: the user's primary group */
	char **env;		/* "KEY=VALUE" strings added to the environment; NULL-terminated */
	mode_t umask;
	enum restart_policy restart;
	enum svc_type type;
	char *pidfile;		/* type = forking: where the main pid is, or NULL */
	struct probe ready;	/* how it tells it is ready: none by default */
	int64_t ready_timeout_ms;	/* ready (forking: main known) by then */
	enum notify_access notify_access;
	int64_t watchdog_ms;	/* ready = notify: WATCHDOG=1 this often; 0 off */
	struct probe health;	/* none, tcp, exec or http, while up */
	int64_t health_interval_ms, health_timeout_ms;
	unsigned health_retries;	/* failures in a row that restart it */
	char **after;		/* started once these are ready */
	char **requires;	/* ...and not run while one is down for good */
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
	char *environment_file;	/* KEY=VALUE lines read at each start */
	bool environment_file_optional;	/* written "-/path": may be missing */
	bool clear_environment;	/* start from PATH only, not guardiand's env */
	bool no_new_privileges;
	bool nice_set;
	int nice;
	struct svc_limit limits[NLIMITS];

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

/* ---- order.c: start order between services ---- */

int order_check(const struct conf *c, char *err, size_t errlen);
struct service;
bool order_blocked(const struct service *sv, const struct service *all,
    char *why, size_t len);
const struct service *order_required_down(const struct service *sv,
    const struct service *all);
bool order_dependents_run(const struct service *sv, const struct service *all,
    bool requires_only);
bool order_any(const struct svc_conf *sc);
struct service *order_requirer(const struct service *sv, struct service *all);
enum sv_event;
struct service *order_next(struct service *all, enum sv_event *ev, char *why,
    size_t len);

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
	KK_ENV_FILE,	/* char * path at off; bool at off2: "-/path", optional */
	KK_UMASK,	/* mode_t */
	KK_PROBE,	/* struct probe; arg: the kinds allowed (PROBE_BIT) */
	KK_NAMES,	/* char **, service names, space-separated, each once */
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
};

#define KEY_EMPTY_OK	0x01	/* an empty value is a value, not an error */
#define KEY_NO_RESTART	0x02	/* a change of it does not restart the service */

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
size_t config_nwords(char *const *v);
int config_parse_duration(const char *s, int64_t *ms);
/* The way a user writes it, read back by config_parse_duration: 1500ms, 2s. */
const char *config_fmt_duration(int64_t ms, char *buf, size_t len);
int config_parse_signal(const char *s);
const char *config_signal_name(int sig);
int config_parse_facility(const char *s);
int config_parse_priority(const char *s);
int config_parse_umask(const char *s, mode_t *out);
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
/* Reads an environment file (KEY=VALUE lines, # comments, optional
 * "export ", sh quoting, no expansion) into a NULL-terminated list. */
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

/* ---- paths.c ---- */

int paths_own_dir(const char *dir, mode_t mode, bool *made);
char *paths_pidfile(const char *name);	/* name: one-command mode's, or NULL */
char *paths_socket_dir(void);
bool paths_tmp_fallback(void);
char *paths_socket(const char *name);
bool paths_xdg_ok(void);		/* XDG_RUNTIME_DIR set and private to us */
char *paths_absolute(const char *path);	/* against the working directory */

/* ---- oneshot.c ---- */

/* One-command mode's config, from the command line; NULL after printing
 * why, with the exit code in *code. */
struct conf *oneshot_conf(const char *name, char **command,
    const char *const *keys, const char *const *values, int nkeys, int *code);
/* Whether its service is finished for good; then *status is the exit
 * status guardiand passes on. */
bool oneshot_finished(int *status);

/* ---- reload.c ---- */

/* What a reload reads: the main config file (NULL in one-command mode,
 * where there is nothing to reload), and whether guardiand logs to syslog
 * (then a reload applies syslog_socket). */
void reload_setup(const char *config, bool use_syslog);
/* Re-reads the config and applies it; errors go to err, the outcome
 * ("1 added, ..." or why not) to summary. 0, or -1 if nothing changed. */
int reload_run(config_err_fn err, void *arg, char *summary, size_t len);

/* ---- control.c ---- */

/* What `reload` calls: main.c hands over reload_run. */
typedef int (*control_reload_fn)(config_err_fn err, void *arg, char *summary,
    size_t len);

int control_open(const char *path, char *err, size_t errlen);
void control_set_reload(control_reload_fn fn);
void control_set_groups(const char *control_group, const char *status_group);
void control_close(void);
void control_tick(int64_t now);
int64_t control_next_deadline(void);
#ifdef GUARDIAND_FUZZ
/* One request line through handle(), reply discarded: fuzz/fuzz_control.c. */
void control_fuzz_request(const char *data, size_t len);
#endif

/* ---- log.c ---- */

/* Where guardiand's own messages go once set (slog.c sets itself while it
 * is open): each as one formatted line, with its priority. */
typedef void (*log_sink_fn)(int priority, const char *msg, size_t len);

void log_init(bool foreground, bool verbose);
void log_set_sink(log_sink_fn fn);	/* NULL: back to daemon_log */
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_escape(char *out, size_t len, const char *s, size_t n);
void log_print(FILE *f, const char *s);
/* One line of a service's output; stream is 1 or 2. */
void log_output(const char *name, pid_t pid, int stream, const char *line, size_t len);

/* ---- loop.c ---- */

typedef void (*loop_fn)(int fd, short revents, void *arg);

void loop_init(void);
void loop_free(void);
int loop_add(int fd, short events, loop_fn fn, void *arg);
void loop_events(int fd, short events);
void loop_del(int fd);
/* Waits until an fd is ready or the deadline (monotonic ms, -1 none) passes. */
void loop_once(int64_t deadline_ms);

/* ---- clock.c (guardiand and guardianctl) ---- */

int64_t now_ms(void);		/* monotonic milliseconds */
/* The earlier of two deadlines, where -1 is none. */
int64_t deadline_min(int64_t a, int64_t b);

/* ---- buf.c ---- */

/* A growing string, NUL-terminated; zero-initialised is empty. A failed
 * allocation is sticky: appends do nothing once failed is set. */
struct buf {
	char *s;
	size_t len, cap;
	bool failed;
};

int buf_add(struct buf *b, const char *s, size_t n);	/* 0, or -1 */
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_clear(struct buf *b);	/* empty, keeps the memory */
void buf_free(struct buf *b);

/* ---- output.c ---- */

/* Splits a byte stream into lines; one per stream of a service. */
struct linebuf {
	char *buf;
	size_t cap;		/* the longest line passed on in one piece */
	size_t len;
};

typedef void (*line_fn)(void *arg, const char *line, size_t len);

int linebuf_init(struct linebuf *lb, size_t cap);
void linebuf_free(struct linebuf *lb);
void output_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg);
void output_flush(struct linebuf *lb, line_fn fn, void *arg);

/* The last lines of a service's output (guardianctl logs). */
struct outlog;
struct outlog *outlog_new(size_t max_lines, size_t max_bytes);
struct outlog *outlog_ref(struct outlog *ol);
void outlog_unref(struct outlog *ol);
void outlog_add(struct outlog *ol, pid_t pid, int stream, const char *line, size_t len);
size_t outlog_count(const struct outlog *ol);
const char *outlog_get(const struct outlog *ol, size_t i, size_t *len,
    int64_t *when_ms, pid_t *pid, int *stream);

/* ---- slog.c ---- */

void slog_open(const char *socket_path);	/* NULL: off */
bool slog_active(void);
void slog_send(int facility, int priority, const char *tag, pid_t pid,
    const char *text, size_t len);
bool slog_blocked(void);
int64_t slog_next_deadline(void);
void slog_tick(int64_t now);
void slog_close(void);

/* ---- forward.c ---- */

struct service;
struct fwd;
/* Forwards what a process writes on fd (its stream 1 or 2) to the
 * service's destinations until EOF; sv->fwd[stream - 1] points to it. */
struct fwd *fwd_start(struct service *sv, pid_t pid, int stream, int fd);
void fwd_forget(struct fwd *f);		/* the service moves on: keep forwarding */
void fwd_drain(struct fwd *f);		/* read what the pipe holds now */
int fwd_reopen(const char *name);	/* NULL: every file output; returns count */
void fwd_tick(void);			/* resume pipes paused for a slow syslog */
void fwd_close_all(void);

/* ---- state.c ---- */

/* One process group the state file records. */
struct state_group {
	const char *name;
	pid_t pgid;
	uint64_t start;		/* the leader's start time (/proc stat 22) */
};

void state_init(const char *pidfile);
/* The groups to record now (service.c hands them over at each change);
 * written by the next state_flush. */
void state_record(const struct state_group *g, size_t n);
void state_flush(void);
void state_remove(void);
void state_reap_survivors(void);

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
size_t proc_children(pid_t **out);	/* guardiand's own; free *out */
bool proc_mark(pid_t pid, char *name, size_t len);	/* its GUARDIAND_SERVICE */

/* ---- service.c ---- */

/* Processes of a stopping service outside its process group, tracked. */
#define MAX_ESCAPED	256

/* SV_WAITING: wanted up, but a service of its after or requires is not
 * ready yet (order.c). */
enum sv_state { SV_DOWN, SV_STARTING, SV_UP, SV_STOPPING, SV_BACKOFF, SV_FATAL,
	SV_WAITING };
enum sv_want { WANT_UP, WANT_DOWN };
enum sv_event {
	EV_START,	/* the operator (or config) wants it up */
	EV_STOP,	/* the operator wants it down */
	EV_SPAWNED,	/* fork succeeded */
	EV_SPAWN_FAILED,/* fork failed: try again later */
	EV_EXEC_OK,	/* exec succeeded */
	EV_EXEC_FAILED,	/* exec failed in the child */
	EV_CANNOT_EXEC,	/* ...in a way no retry can mend (no such program or
			 * directory): its exit makes the service FATAL */
	EV_CANNOT_START,/* nothing was started, and no retry can mend it (no
			 * such user or program): FATAL now */
	EV_EXITED,	/* the main process was reaped */
	EV_GROUP_GONE,	/* no process of the group is left */
	EV_TIMER,	/* the deadline passed */
	EV_MAIN_FOUND,	/* forking: sv->pid is its main process now */
	EV_READY,	/* its readiness check passed (ready =) */
	EV_START_FAILED,/* not ready (forking: no main process) in time; fail_why */
	EV_UNHEALTHY,	/* health_retries checks failed in a row; fail_why */
	EV_WATCHDOG,	/* ready = notify: no WATCHDOG=1 in time, or a trigger */
	EV_WAIT,	/* a start must wait for its after or requires */
};
enum sv_action {
	ACT_NONE,
	ACT_SPAWN,	/* fork and exec now */
	ACT_TERM,	/* send stop_signal to the process group */
	ACT_KILL,	/* send SIGKILL to the process group */
	ACT_ABORT,	/* SIGABRT to the main process (watchdog), then a stop */
	ACT_CHECK_START,/* starting: look for the main process (forking), or
			 * give up at ready_by_ms (service.c knows why) */
};
/* What came of the last start, as service_step recorded it: set by an exit
 * of the main process, by a start that failed, and by an operator's stop.
 * The exit's log line and `guardianctl start --wait` read it. */
enum sv_outcome {
	SVO_NONE,		/* running, or never started */
	SVO_STOPPED,		/* ended by a stop, or stopped since */
	SVO_RESTART_NOW,	/* exited, started again at once */
	SVO_RESTART_LATER,	/* exited (or fork failed): BACKOFF for delay_ms */
	SVO_GAVE_UP,		/* give_up_after quick failures in a row: FATAL */
	SVO_HOPELESS,		/* cannot work as configured: FATAL, said why */
	SVO_DONE_OK,		/* exited with status 0, restart says not again */
	SVO_DONE_FAIL,		/* failed, restart = never says not again */
};

struct service {
	struct svc_conf *conf;
	enum sv_state state;
	enum sv_want want;
	pid_t pid;		/* main process, 0 if none */
	pid_t pgid;		/* its process group, kept until the group is gone */
	uint64_t pg_start;	/* the group leader's start time (/proc stat 22) */
	int64_t started_ms;	/* when the current process was spawned */
	int64_t deadline_ms;	/* the next timer, -1 none */
	int64_t delay_ms;	/* the delay chosen for the pending restart */
	unsigned fails;		/* quick failures in a row */
	unsigned restarts;	/* starts after the first */
	unsigned starts;
	int last_status;	/* wait status of the last exit, -1 none */
	int64_t last_exit_ms;
	int64_t last_runtime_ms;
	bool exec_failed;	/* the last exit was an exec failure */
	bool hopeless;		/* the last start cannot work until the config
				 * or the host changes: FATAL, no retries */
	bool by_operator;	/* started by hand while failing: a quick
				 * failure of it does not lengthen the backoff */
	bool exited;		/* the main process is reaped, the group may linger */
	bool killed;		/* SIGKILL was sent */
	bool awaiting_main;	/* forking: its main process is not known yet */
	bool forked;		/* forking: its starter exited 0, main not known */
	bool run_failed;	/* its start failed, or it became unhealthy
				 * (fail_why says); once its processes are gone,
				 * a failed run for the restart policy */
	int64_t start_by_ms;	/* ready (forking: main known) by then */
	int64_t ready_ms;	/* when the current run became ready, -1 not yet */
	int64_t last_up_ms;	/* how long the last run was ready: the healthy
				 * clock (healthy_after) starts at readiness */
	int64_t find_delay_ms;	/* forking: the next look for it is this later */
	enum sv_outcome outcome;	/* what came of the last start */

	/* runtime plumbing, owned by service.c */
	int exec_fd;
	int exec_errno;
	bool removed;		/* gone from the config: freed once down */
	bool just_added;	/* by service_apply, which starts it at its end */
	struct outlog *log;	/* its last lines of output */
	struct fwd *fwd[2];	/* the current process's stdout, stderr */
	pid_t *escaped;		/* while stopping: descendants outside the group */
	size_t nescaped;
	struct track_cg *cg;	/* its cgroup, NULL with process-group tracking */
	char *fail_why;		/* why the last run failed (run_failed) */
	struct readiness *rd;	/* ready.c's, for services with ready/health */
	int ready_wfd;		/* ready = fd:N: the pipe's end for the child */
	const char *notify_path;	/* ready = notify: NOTIFY_SOCKET (notify.c's) */
	bool aborted;		/* its watchdog fired: the rest stops after main */
	int stop_deferred;	/* to stop once what depends on it is down: 1
				 * what requires it, 2 (shutdown) all of them */
	struct service *next;
};

/* While a stopping service's main process is gone but its group lingers
 * (or a leftover group is stopping), look again this often in case no
 * SIGCHLD tells. */
#define GROUP_POLL_MS	50

/* A forking service's main process is looked for at its starter's exit,
 * then again after 10 ms, doubling up to 1 s, until ready_timeout. */
#define FIND_MAIN_FIRST_MS	10
#define FIND_MAIN_MAX_MS	1000

/*
 * The timing of a leftover process group: one that outlived its main
 * process (service.c keeps the list). Announced once; on a stop, the stop
 * signal, then SIGKILL every stop_timeout while it lives; forgotten once
 * gone.
 */
struct lo_timing {
	int64_t stop_timeout_ms;
	int64_t kill_at;	/* -1 until asked to stop */
	bool announced;		/* logged once it outlived the reaping */
};
enum lo_event {
	LO_EV_STOP,	/* the service stops: stop the group too */
	LO_EV_CHECK,	/* a look after reaping or at a deadline */
};
/* What service.c does for a leftover group (a set of these bits). */
enum {
	LO_ANNOUNCE = 1 << 0,	/* log that it lives on */
	LO_TERM = 1 << 1,	/* send the stop signal */
	LO_KILL = 1 << 2,	/* send SIGKILL */
	LO_FORGET = 1 << 3,	/* gone: drop it */
	LO_WAS_STOPPING = 1 << 4,	/* with LO_FORGET: it went after a stop */
};

/* The pure policy: takes every transition and returns the action to perform. */
enum sv_action service_step(struct service *sv, enum sv_event ev, int64_t now);
int64_t service_backoff(const struct svc_conf *sc, unsigned fails);
const char *service_state_name(enum sv_state st);
/* Whether the outcome means that the last start failed (a waiting start
 * reports it): restarting later, FATAL, or down by policy. */
bool service_outcome_failed(enum sv_outcome o);
void service_leftover_init(struct lo_timing *t, int64_t stop_timeout_ms);
unsigned service_leftover_step(struct lo_timing *t, enum lo_event ev,
    bool alive, int64_t now);
int64_t service_leftover_deadline(const struct lo_timing *t, int64_t now);

/* Reconciles the running table with c, and takes c over (frees it);
 * summary gets "N added, N removed, N changed, N unchanged". */
void service_apply(struct conf *c, char *summary, size_t len);
struct service *service_find(const char *name);
void service_do(struct service *sv, enum sv_event ev);	/* step and act, now */
void service_notify_setup(const char *control_socket);
void service_record_state(void);	/* to state.c, if changed: once a turn */
void service_stop_all(void);
void service_kill_all(void);	/* SIGKILL to every group now */
void service_free_all(void);
bool service_has_leftovers(const char *name);	/* NULL: any service */
bool service_any_starting(void);
bool service_all_down(void);
void service_reap(void);
void service_timers(int64_t now);
int64_t service_next_deadline(void);
struct service *service_list(void);
/* The cgroups an earlier guardiand left populated (names, freed here):
 * those of services no longer configured are stopped. */
void service_stop_strays(char **names);

/* ---- service_pg.c ---- */

void svpg_send_stop(pid_t pgid, pid_t main, const pid_t *extra, size_t n,
    int sig);
void svpg_find_escaped(struct service *sv);
bool svpg_escaped_gone(struct service *sv);
void svpg_groups_changed(void);
void svpg_record_state(const struct service *all);
bool svpg_group_alive(pid_t pgid);
void svpg_leftover_add(const struct service *sv);
void svpg_leftover_stop(const char *name, struct service *all); /* NULL: all */
bool svpg_leftover_check(int64_t now);
bool svpg_has_leftovers(const char *name);	/* NULL: any */
size_t svpg_count(void);
void svpg_record(struct state_group *g, size_t *n);
int64_t svpg_next_deadline(int64_t now);
void svpg_kill_leftovers(void);
void svpg_free_leftovers(void);
/* all: service.c's table, to read */
bool svpg_adopt(struct service *all);	/* orphans of guardiand to their services */
void svpg_disown(pid_t pid);	/* an adopted pid became a main process */
bool svpg_old_runs(const struct service *sv, const struct service *all);
bool svpg_stop_old_runs(struct service *sv, struct service *all); /* wait? */

/* ---- service_cg.c ---- */

struct track_cg;
/* mode: [guardiand] cgroup, "auto" or "off" (NULL: auto); logs which
 * tracking is used. A reload cannot change it: svcg_reload_check says so. */
void svcg_open(const char *pidfile, enum cgroup_mode mode);
void svcg_reload_check(enum cgroup_mode mode);
bool svcg_on(void);
void svcg_close(void);
struct track_cg *svcg_attach(const char *name);
void svcg_detach(struct track_cg *cg, bool remove);
int svcg_populated(const struct track_cg *cg);
void svcg_stop_rest(struct service *sv);
void svcg_stop_left(struct service *sv);
void svcg_signal(const struct track_cg *cg, pid_t main, int sig);
void svcg_kill(const struct track_cg *cg, pid_t main);
char **svcg_leftovers(void);
void svcg_stop_stray(const char *name);
void svcg_strays_tick(int64_t now, bool all);	/* all: SIGKILL now */
int64_t svcg_strays_next(void);
bool svcg_strays_left(void);
struct track_usage;
bool svcg_memory_on(void);
int svcg_usage(const struct track_cg *cg, struct track_usage *u, bool memcg);
long svcg_signal_all(const struct track_cg *cg, pid_t main, int sig);

/* ---- usage.c ---- */

/* Fills u[i] with what service sv[i] holds now (status): from its cgroup,
 * or from one walk of /proc for all those tracked by process group. */
void usage_collect(struct service *const *sv, size_t n, struct track_usage *u);
/* sig to every process of the service; how many it reached, or -1. */
long usage_signal_all(struct service *sv, int sig);

/* ---- spawn.c ---- */

#define NOT_RETRYING	"not retrying until a reload or guardianctl start"

struct rlimit;
void spawn_set_nofile(const struct rlimit *rl);
/* Forks and execs the service; 0, or -1 when nothing was started, -2 when
 * nothing can be until something changes (why says what). */
int spawn_start(struct service *sv, char *why, size_t len);
void spawn_exec_result(struct service *sv);	/* read the exec pipe now */
int spawn_check(const struct service *sv, char *const *argv, int outfd,
    pid_t *pidp, int *repfd, char *why, size_t len);
bool spawn_check_result(const struct service *sv, int repfd, const char *prog,
    char *why, size_t len);

/* ---- service_log.c: the log lines of a service's runs ---- */

const char *svlog_status(int st, char *buf, size_t len);
void svlog_end(const struct service *sv, const char *st);
void svlog_exit(const struct service *sv);
void svlog_last_stderr(const struct service *sv, pid_t pid);

/* ---- ready.c: readiness and health checks of the services that have them ---- */

typedef void (*ready_event_fn)(struct service *sv, enum sv_event ev);
void ready_init(ready_event_fn fn);
int ready_prepare(struct service *sv);
void ready_begin(struct service *sv);
void ready_up(struct service *sv);
void ready_stop(struct service *sv);
void ready_free(struct service *sv);
const char *ready_why(const struct service *sv);
int ready_check_start(struct service *sv, int64_t now);
void ready_timers(int64_t now);
int64_t ready_next_deadline(void);

/* ---- notify.c: sd_notify, for services with ready = notify ---- */

typedef void (*notify_event_fn)(struct service *sv, enum sv_event ev);
void notify_setup(const char *control_socket, notify_event_fn fn);
void notify_cleanup(void);
int notify_prepare(struct service *sv);
void notify_stop(struct service *sv);
void notify_free(struct service *sv);
const char *notify_status(const struct service *sv, bool *reloading,
    bool *stopping);
void notify_timers(int64_t now);
int64_t notify_next_deadline(void);

/* ---- probe.c: one try of a readiness or health check ---- */

typedef void (*probe_done_fn)(void *arg, bool ok, const char *why);
struct probe_run;
struct probe_run *probe_try(struct service *sv, const struct probe *p,
    int64_t timeout_ms, probe_done_fn done, void *arg, char *why, size_t len);
void probe_cancel(struct probe_run *r);
bool probe_reaped(pid_t pid, int status);	/* a check's command ended */
void probe_timers(int64_t now);
int64_t probe_next_deadline(void);

/* ---- env.c ---- */

/* Sets KEY=VALUE in a NULL-terminated list of n strings, replacing the same
 * KEY; the string is copied. 0, or -1 out of memory. */
int env_put(char ***envp, size_t *n, const char *kv);
int env_putf(char ***envp, size_t *n, const char *key, const char *value);

/* ---- fmt.c (guardiand and guardianctl) ---- */

/* A duration for people, the same in logs and status: 250ms 3.2s 5m07s 1h59m 2d03h. */
const char *fmt_duration(int64_t ms, char *buf, size_t len);
/* Bytes for a terminal, control characters and invalid UTF-8 escaped
 * (\\ \n \r \xHH); f may be NULL; returns the columns the text takes. */
size_t fmt_text(FILE *f, const char *s, size_t n);
/* Bytes as a JSON string: valid UTF-8, controls as \uXXXX, bad bytes as \ufffd. */
void fmt_json_string(FILE *f, const char *s, size_t n);
/* An error message into the caller's buffer, which may be NULL or empty. */
void fmt_err(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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
	int procs_fd;		/* cgroup.procs, O_WRONLY: see track_join() */
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
int track_usage(const struct track_cg *cg, struct track_usage *u);
int track_usage_as(const struct track_cg *cg, struct track_usage *u,
    bool memcg);
bool track_root_memory(const struct track_root *root);
void track_proc_usage(const pid_t *pids, long n, struct track_usage *u,
    bool mem, bool cpu);
int track_has(const struct track_cg *cg, pid_t pid);
char **track_leftovers(struct track_root *root);
void track_free_list(char **list);

/* The child's side, between fork and exec: joins the service's cgroup with
 * one write(2) (async-signal-safe); 0, or -1 with errno. */
int track_join(int procs_fd);

/* ---- service_fork.c: the main process of a type = forking service ---- */

int svfork_look(struct service *sv, const struct service *all, int64_t now);

/* ---- mainpid.c ---- */

/* The main pid of a forking service, from its pidfile, read as systemd
 * does since CVE-2018-16888 (stricter); member(pid, arg) says whether a pid
 * is the service's: 1 yes, 0 no (its cgroup says so), -1 cannot tell. */
int mainpid_read(const char *path, int (*member)(pid_t pid, void *arg),
    void *arg, pid_t *pidp, char *why, size_t wlen);

#endif
