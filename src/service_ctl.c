/*
 * service_ctl.c: a service's control processes, as systemd runs its
 * ExecStartPre=, ExecStartPost=, ExecStop= and ExecStopPost=: the commands
 * of one phase one after another, each as the service runs (its user,
 * environment, directory and cgroup; "+": with guardiand's privileges),
 * with MAINPID set while there is a main process, their output the
 * service's. A phase ends once, by service.c's callback: all passed (those
 * with "-" may fail), or the first that failed, or its time ran out.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

static ctl_done_fn on_done;

static const char *const phase_names[] = { "", "start_pre", "start_post",
	"stop_command", "stop_post" };

void
svctl_init(ctl_done_fn fn)
{
	on_done = fn;
}

static const struct ctl_cmds *
phase_cmds(const struct service *sv, enum ctl_phase ph)
{
	const struct svc_conf *sc = sv->conf;

	switch (ph) {
	case CTL_START_PRE:
		return &sc->start_pre;
	case CTL_START_POST:
		return &sc->start_post;
	case CTL_STOP:
		return &sc->stop_cmds;
	case CTL_STOP_POST:
		return &sc->stop_post;
	case CTL_NONE:
		break;
	}
	return NULL;
}

bool
svctl_has(const struct service *sv, enum ctl_phase ph)
{
	const struct ctl_cmds *l = phase_cmds(sv, ph);

	return l != NULL && l->n > 0;
}

/* What status shows in INFO: the command running, or "exited" for a
 * oneshot that stays up. */
const char *
svctl_info(const struct service *sv)
{
	return sv->ctl_info;
}

/* How long one command of the phase may take: the start ones share
 * ready_timeout (set at the phase's start), the stop ones stop_timeout. */
static int64_t
phase_timeout(const struct service *sv, enum ctl_phase ph)
{
	return ph == CTL_START_PRE || ph == CTL_START_POST ?
	    sv->conf->ready_timeout_ms : sv->conf->stop_timeout_ms;
}

/* Ends the phase: the callback, once. */
static void
finish(struct service *sv, bool ok, const char *why)
{
	enum ctl_phase ph = (enum ctl_phase)sv->ctl;

	sv->ctl = CTL_NONE;
	sv->ctl_pid = 0;
	if (sv->ctl_repfd >= 0)
		close(sv->ctl_repfd);
	sv->ctl_repfd = -1;
	sv->ctl_deadline = -1;
	sv->ctl_info[0] = '\0';
	free(sv->ctl_cmd);
	sv->ctl_cmd = NULL;
	if (on_done)
		on_done(sv, ph, ok, why);
}

/* Starts command ctl_i of the running phase, or ends the phase when none
 * is left. */
static void
next(struct service *sv)
{
	const struct ctl_cmds *l = phase_cmds(sv, (enum ctl_phase)sv->ctl);
	const struct ctl_cmd *c;
	const char *name = phase_names[sv->ctl];
	char why[512];
	int op[2];
	struct fwd *keep;

	while (sv->ctl_i < l->n) {
		c = &l->v[sv->ctl_i];
		snprintf(sv->ctl_info, sizeof(sv->ctl_info), "%s %zu/%zu", name,
		    sv->ctl_i + 1, l->n);
		if (pipe2(op, O_CLOEXEC | O_NONBLOCK) < 0) {
			snprintf(why, sizeof(why), "%s `%s`: pipe: %s", name,
			    c->text, strerror(errno));
		} else if (spawn_control(sv, c->argv, (c->flags & CMD_FULL) != 0,
		    op[1], &sv->ctl_pid, &sv->ctl_repfd, why + 256,
		    sizeof(why) - 256) < 0) {
			close(op[0]);
			close(op[1]);
			memmove(why, why + 256, strlen(why + 256) + 1);
		} else {
			close(op[1]);
			free(sv->ctl_cmd);
			sv->ctl_cmd = strdup(c->text);
			sv->ctl_flags = c->flags;
			/* Its output is the service's, on a forwarder of its
			 * own: the main process keeps the service's. */
			keep = sv->fwd[0];
			if (fwd_start(sv, sv->ctl_pid, 1, op[0]) != NULL)
				fwd_forget(sv->fwd[0]);
			sv->fwd[0] = keep;
			log_info("%s: %s `%s`, pid %ld", sv->conf->name, name,
			    c->text, (long)sv->ctl_pid);
			if (sv->ctl_deadline < 0 || sv->ctl == CTL_STOP ||
			    sv->ctl == CTL_STOP_POST)
				sv->ctl_deadline = now_ms() + phase_timeout(sv,
				    (enum ctl_phase)sv->ctl);
			return;
		}
		if (!(c->flags & CMD_IGNORE)) {
			char msg[768];

			snprintf(msg, sizeof(msg), "%s `%s`: %s", name, c->text,
			    why);
			finish(sv, false, msg);
			return;
		}
		log_warnx("%s: %s `%s`: %s (ignored)", sv->conf->name, name,
		    c->text, why);
		sv->ctl_i++;
	}
	finish(sv, true, "");
}

/* Starts the commands of phase ph; the callback says how they ended. */
void
svctl_run(struct service *sv, enum ctl_phase ph)
{
	sv->ctl = ph;
	sv->ctl_i = 0;
	sv->ctl_pid = 0;
	sv->ctl_repfd = -1;
	sv->ctl_deadline = -1;
	next(sv);
}

/* Ends the running phase without a callback: its command is killed (and
 * reaped as a stranger). */
void
svctl_cancel(struct service *sv)
{
	if (sv->ctl == CTL_NONE)
		return;
	if (sv->ctl_pid > 0) {
		log_info("%s: stopping %s, pid %ld", sv->conf->name,
		    phase_names[sv->ctl], (long)sv->ctl_pid);
		kill(sv->ctl_pid, SIGKILL);
	}
	if (sv->ctl_repfd >= 0)
		close(sv->ctl_repfd);
	sv->ctl_repfd = -1;
	sv->ctl = CTL_NONE;
	sv->ctl_pid = 0;
	sv->ctl_deadline = -1;
	sv->ctl_info[0] = '\0';
	free(sv->ctl_cmd);
	sv->ctl_cmd = NULL;
}

/* A command of a phase has ended: the next, or the end of the phase. */
bool
svctl_reaped(struct service *all, pid_t pid, int status)
{
	struct service *sv;
	const char *name, *text;
	char why[512], st[64];

	for (sv = all; sv && !(sv->ctl != CTL_NONE && sv->ctl_pid == pid);
	    sv = sv->next)
		;
	if (sv == NULL)
		return false;
	/* the command that ran, even if a reload changed the list since */
	text = sv->ctl_cmd ? sv->ctl_cmd : "?";
	name = phase_names[sv->ctl];
	sv->ctl_pid = 0;
	if (spawn_check_result(sv, sv->ctl_repfd, text, why, sizeof(why)))
		;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		why[0] = '\0';
	else
		snprintf(why, sizeof(why), "%s", svlog_status(status, st,
		    sizeof(st)));
	sv->ctl_repfd = -1;
	if (why[0] != '\0') {
		char msg[768];

		snprintf(msg, sizeof(msg), "%s `%s` %s", name, text, why);
		if (!(sv->ctl_flags & CMD_IGNORE)) {
			finish(sv, false, msg);
			return true;
		}
		log_warnx("%s: %s (ignored)", sv->conf->name, msg);
	}
	sv->ctl_i++;
	next(sv);
	return true;
}

/* Commands past their time fail, and are killed. */
void
svctl_timers(struct service *all, int64_t now)
{
	char msg[512], d[32];

	for (struct service *sv = all; sv; sv = sv->next) {
		if (sv->ctl == CTL_NONE || sv->ctl_deadline < 0 ||
		    now < sv->ctl_deadline)
			continue;
		snprintf(msg, sizeof(msg), "%s `%s` did not end within %s",
		    phase_names[sv->ctl], sv->ctl_cmd ? sv->ctl_cmd : "?",
		    fmt_duration(
		    phase_timeout(sv, (enum ctl_phase)sv->ctl), d, sizeof(d)));
		if (sv->ctl_pid > 0)
			kill(sv->ctl_pid, SIGKILL);
		finish(sv, false, msg);
	}
}

int64_t
svctl_next_deadline(const struct service *all)
{
	int64_t next = -1;

	for (const struct service *sv = all; sv; sv = sv->next)
		if (sv->ctl != CTL_NONE)
			next = deadline_min(next, sv->ctl_deadline);
	return next;
}
