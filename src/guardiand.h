/*
 * guardiand: shared types, and one prototype section per module; the
 * configuration's are in config.h, process tracking's in track.h, the
 * service table's in service.h, which this file includes.
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
#define RUN_ONCE_MS		1000	/* a first quick failure after a run this
					 * long is restarted at once */
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

#include "config.h"

/* ---- paths.c ---- */

int paths_own_dir(const char *dir, mode_t mode, bool *made);
char *paths_pidfile(const char *name);	/* name: one-command mode's, or NULL */
char *paths_socket_dir(void);
bool paths_tmp_fallback(void);
char *paths_socket(const char *name);
bool paths_xdg_ok(void);		/* XDG_RUNTIME_DIR set and private to us */
char *paths_absolute(const char *path);	/* against the working directory */
char *paths_runtime_base(void);		/* of runtime_directory: /run for root */
char *paths_dir_base(int kind);		/* of state_directory...: /var/lib for root */

/* ---- pidfile.c ---- */

int pidfile_lock(const char *path);	/* the locked fd; exits if it cannot */
int pidfile_write(int fd, pid_t pid);

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
int64_t wall_ms(void);		/* ms since the epoch */
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
void buf_escaped(struct buf *b, const char *s, size_t n);	/* %XX */
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_clear(struct buf *b);	/* empty, keeps the memory */
void buf_free(struct buf *b);

/* ---- output.c ---- */

/* Splits a byte stream into lines; one per stream of a service. */
struct linebuf {
	char *buf;		/* NULL until a line waits for its end */
	size_t size;		/* allocated */
	size_t cap;		/* the longest line passed on in one piece */
	size_t len;
};

typedef void (*line_fn)(void *arg, const char *line, size_t len);

void linebuf_init(struct linebuf *lb, size_t cap);
void linebuf_free(struct linebuf *lb);
void output_feed(struct linebuf *lb, const char *data, size_t n, line_fn fn, void *arg);
void output_flush(struct linebuf *lb, line_fn fn, void *arg);

/* The last lines of a service's output (guardianctl logs). */
struct outlog;
struct outlog *outlog_new(size_t max_lines, size_t max_bytes);
struct outlog *outlog_ref(struct outlog *ol);
void outlog_unref(struct outlog *ol);
void outlog_add(struct outlog *ol, int64_t when_ms, pid_t pid, int stream,
    const char *line, size_t len);
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

/* ---- follow.c ---- */

/* Clients following some service's output (`logs --follow`): while 0, the
 * output path does nothing more. */
extern int follow_active;
/* A line of service name to its followers; *gen and *wanted are the
 * caller's cache (zero-initialised) of whether anyone follows name. */
void follow_line(const char *name, unsigned *gen, bool *wanted, pid_t pid,
    int stream, const char *text, size_t len);
/* A reload removed the service name: its followers are told. */
void follow_gone(const char *name);

/* ---- ctl_logs.c (guardianctl) ---- */

size_t ctl_unescape(char *s);		/* %XX undone in place; the length */
/* logs: the answer's body printed for people, or as a JSON array. */
void ctl_logs_print(char *body, const char *name, bool json);
/* logs -f: the answer on fd, printed as it comes; the exit code. */
int ctl_logs_follow(int fd, bool json, int64_t deadline);

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

/* ---- env.c ---- */

/* Sets KEY=VALUE in a NULL-terminated list of n strings, replacing the same
 * KEY; the string is copied. 0, or -1 out of memory. */
int env_put(char ***envp, size_t *n, const char *kv);
int env_putf(char ***envp, size_t *n, const char *key, const char *value);
/* "KEY=..." with KEY a shell identifier. */
bool env_valid_entry(const char *s);

/* ---- virt.c: the virtualization guardiand runs under ---- */

/* systemd-detect-virt's names; NULL: none of that kind. */
struct virt_info {
	const char *vm;		/* kvm, qemu, xen, vmware, vm-other... */
	const char *container;	/* docker, lxc, systemd-nspawn, wsl... */
};
const struct virt_info *virt_get(void);		/* looked up once */
void virt_set_root(const char *root);		/* tests: look in a tree */
bool virt_known_name(const char *s);
bool virt_matches(const struct virt_info *vi, const char *value);

/* ---- conditions.c: condition_* and assert_* ---- */

const char *cond_bad_value(int kind, const char *value);
/* 1 all hold; 0 not, with which in what ("condition_path_exists=/x"). */
int cond_check(const struct svc_conf *sc, bool asserts,
    const struct virt_info *vi, char *what, size_t len);

/* ---- tmpfiles.c: tmpfiles.d(5) entries a service relies on ---- */

/* One line of a tmpfiles.d file. */
struct tmpfiles_line {
	char type;		/* d D f L z ... */
	bool minus, bang, equals, plus;	/* the modifiers after the type */
	char *path;		/* specifiers expanded */
	char *mode, *user, *group, *age, *arg;	/* NULL: "-" */
};
int tmpfiles_parse_line(const char *line, struct tmpfiles_line *tl,
    char *err, size_t errlen);
void tmpfiles_line_free(struct tmpfiles_line *tl);
const char *tmpfiles_dirs(void);	/* colon-separated, first wins */
char *tmpfiles_find(const char *name);
void tmpfiles_apply(const char *svc, char *const *names);
int tmpfiles_apply_line(const struct tmpfiles_line *tl, char *why,
    size_t len);
int tmpfiles_for_paths(const char *const *paths, char ***names);

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

#include "track.h"
#include "service.h"
#include "unit.h"

#endif
