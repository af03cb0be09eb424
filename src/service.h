/*
 * service.h: the service table and what works for it: the policy, its
 * tracking, spawning, readiness and order (guardiand.h includes it).
 */
#ifndef GUARDIAND_SERVICE_H
#define GUARDIAND_SERVICE_H

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
	EV_PRE_START,	/* its start_pre commands start: a run begins */
	EV_POST_DONE,	/* its start_post commands all passed: up */
	EV_LET_GO,	/* a stop ends without the rest (kill_mode = process or
			 * none, send_sigkill = no): down once main is gone */
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
	bool free_first;	/* the first of them ended a run of at least
				 * RUN_ONCE_MS: restarted at once, as runit
				 * does; the backoff starts one later */
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
	unsigned reloads;	/* reloads ended (guardianctl reload NAME) */
	bool reload_failed;	/* the last one failed, reload_why says why */
	char *reload_why;
	struct probe_run *reload_run;	/* its reload_command, running */
	char *cond_why;		/* "condition failed: ..." while a condition
				 * keeps it down (svcond.c), else NULL */
	/* control processes (service_ctl.c) */
	int ctl;		/* enum ctl_phase running, CTL_NONE none */
	size_t ctl_i;		/* which command of it */
	char *ctl_cmd;		/* its text: the config may change meanwhile */
	unsigned ctl_flags;	/* its CMD_IGNORE, CMD_FULL */
	pid_t ctl_pid;
	int ctl_repfd;		/* its exec report pipe */
	int64_t ctl_deadline;	/* -1 none */
	bool ctl_then_post;	/* stop_command after a run: stop_post next */
	bool spawn_pending;	/* a start waits for stop_post to end */
	bool in_pre;		/* start_pre began this run: no second count */
	bool post_pending;	/* ready: start_post runs before it is up */
	bool let_go;		/* its processes are left running (kill_mode) */
	bool stop_ran;		/* stop_command ran for this run */
	char ctl_info[64];	/* "start_pre 1/2", "exited": status INFO */
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
bool service_exit_in(const struct exit_set *e, int wait_status);
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
/* part_of =: a stop (EV_STOP) or restart (EV_START) of name, done to the
 * services that are part of it. */
void service_do_parts(const char *name, enum sv_event ev, int depth);
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

/* ---- service_ctl.c: control processes (start_pre, stop_command...) ---- */

enum ctl_phase { CTL_NONE, CTL_START_PRE, CTL_START_POST, CTL_STOP,
	CTL_STOP_POST };
/* The end of a phase: all passed (or failed with "-"), or why one failed. */
typedef void (*ctl_done_fn)(struct service *sv, enum ctl_phase ph, bool ok,
    const char *why);
void svctl_init(ctl_done_fn fn);
bool svctl_has(const struct service *sv, enum ctl_phase ph);
void svctl_run(struct service *sv, enum ctl_phase ph);
void svctl_cancel(struct service *sv);
bool svctl_reaped(struct service *all, pid_t pid, int status);
void svctl_timers(struct service *all, int64_t now);
int64_t svctl_next_deadline(const struct service *all);
const char *svctl_info(const struct service *sv);

/* ---- service_kill.c: what a stop signals (kill_mode) ---- */

bool svkill_lets_go(const struct svc_conf *sc);
void svkill_let_go(struct service *sv);
void svkill_term(struct service *sv, bool handed);
void svkill_all(struct service *sv, bool handed);
void svkill_timeout(struct service *sv, bool handed);

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
bool svpg_adopt_due(int64_t now);
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
int spawn_control(const struct service *sv, char *const *argv, bool full,
    int out, pid_t *pidp, int *repfd, char *why, size_t len);
bool spawn_check_result(const struct service *sv, int repfd, const char *prog,
    char *why, size_t len);

/* ---- service_log.c: the log lines of a service's runs ---- */

const char *svlog_status(int st, char *buf, size_t len);
void svlog_end(const struct service *sv, const char *st);
void svlog_exit(const struct service *sv);
void svlog_last_stderr(const struct service *sv, pid_t pid);
const char *svlog_failure(const struct service *sv, char *buf, size_t len);

/* ---- ready.c: readiness and health checks of the services that have them ---- */

typedef void (*ready_event_fn)(struct service *sv, enum sv_event ev);
void ready_init(ready_event_fn fn);
int ready_prepare(struct service *sv);
void ready_begin(struct service *sv);
void ready_up(struct service *sv);
void ready_stop(struct service *sv);
void ready_free(struct service *sv);
const char *ready_why(const struct service *sv);
int ready_health_fails(const struct service *sv);
int ready_check_start(struct service *sv, int64_t now);
void ready_timers(int64_t now);
int64_t ready_next_deadline(void);

/* ---- service_reload.c: a service's own reload ---- */

void service_reload(struct service *sv);
void service_reload_cancel(struct service *sv);

/* ---- spawn_id.c: who a service runs as, and its environment ---- */

/* Who a service runs as, resolved in the parent so the child does no NSS. */
struct ident {
	bool set;
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	int ngroups;
	char *home, *user, *shell;
};

/* Room for a pid in WATCHDOG_PID=, which the child fills in (its pid is
 * known only there). */
#define WATCHDOG_PID_ROOM	"0000000000"

int spawn_ident_resolve(const struct svc_conf *sc, struct ident *id,
    char *why, size_t len);
void spawn_ident_free(struct ident *id);
char **spawn_env(const struct svc_conf *sc, const struct ident *id,
    const char *notify_path, pid_t mainpid);

/* ---- svdirs.c: runtime_directory, state_directory and friends ---- */

int svdirs_make(const struct svc_conf *sc, uid_t uid, gid_t gid, char *why,
    size_t len);
void svdirs_stopped(const struct svc_conf *sc, bool for_good);
char *svdirs_env(const struct svc_conf *sc);
int svdirs_put_env(const struct svc_conf *sc, char ***envp, size_t *n);

/* ---- svcond.c: conditions and asserts at a start ---- */

/* 0 go on; 1 a condition failed: left down (sv->cond_why), no failure;
 * -2 an assert failed (why): a failed start. */
int svcond_start(struct service *sv, char *why, size_t len);

/* ---- notify.c: sd_notify, for services with ready = notify ---- */

typedef void (*notify_event_fn)(struct service *sv, enum sv_event ev);
void notify_setup(const char *control_socket, notify_event_fn fn);
void notify_cleanup(void);
int notify_prepare(struct service *sv);
void notify_stop(struct service *sv);
void notify_drain(struct service *sv);	/* read what waits, now */
void notify_free(struct service *sv);
const char *notify_status(const struct service *sv, bool *reloading,
    bool *stopping);
void notify_timers(int64_t now);
int64_t notify_next_deadline(void);

/* ---- sockets.c: socket activation (listen_stream, listen_datagram) ---- */

/* Room for a pid in LISTEN_PID=, which the child fills in. */
#define SOCKETS_PID_ROOM	"0000000000"

void sockets_apply(const struct conf *c);
int sockets_get(const struct svc_conf *sc, const int **fds, size_t *n,
    char *why, size_t len);
int sockets_env(const struct svc_conf *sc, size_t n, char ***envp);
size_t sockets_count(const char *name);
void sockets_cleanup(void);

/* ---- probe.c: one try of a readiness or health check ---- */

typedef void (*probe_done_fn)(void *arg, bool ok, const char *why);
struct probe_run;
struct probe_run *probe_try(struct service *sv, const struct probe *p,
    int64_t timeout_ms, probe_done_fn done, void *arg, char *why, size_t len);
void probe_cancel(struct probe_run *r);
bool probe_reaped(pid_t pid, int status);	/* a check's command ended */
void probe_timers(int64_t now);
int64_t probe_next_deadline(void);

/* ---- service_fork.c: the main process of a type = forking service ---- */

int svfork_look(struct service *sv, const struct service *all, int64_t now);

/* ---- order.c, service_order.c: start order between services ---- */

int order_check(const struct conf *c, char *err, size_t errlen);
bool order_names_have(char *const *list, const char *name);
bool order_blocked(const struct service *sv, const struct service *all,
    char *why, size_t len);
const struct service *order_required_down(const struct service *sv,
    const struct service *all);
bool order_dependents_run(const struct service *sv, const struct service *all,
    bool requires_only);
bool order_any(const struct svc_conf *sc);
struct service *order_requirer(const struct service *sv, struct service *all);
struct service *order_next(struct service *all, enum sv_event *ev, char *why,
    size_t len);

#endif
