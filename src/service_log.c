/*
 * service_log.c: what the log says of a service's runs: how each ended
 * (exited, killed, a failed start) and what the restart policy made of it,
 * with the last lines of stderr after an abnormal exit.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <stdio.h>
#include <string.h>

#include "guardiand.h"

/* Lines of stderr logged with an abnormal exit. */
#define CRASH_LINES	3

/* "exited with status 1" or "killed by signal 9 (KILL)". */
const char *
svlog_status(int st, char *buf, size_t len)
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

/* Logs the end of a run (st: how it ended), with what service_step made of
 * it. */
void
svlog_end(const struct service *sv, const char *st)
{
	const struct svc_conf *sc = sv->conf;
	char rt[32], d[32];
	/* why it is not restarted, for SVO_DONE_* */
	const char *why = !sv->exec_failed && service_exit_in(
	    &sc->restart_prevent, sv->last_status) ?
	    "restart_prevent_exit_status" : sc->restart == RESTART_NEVER ?
	    "restart = never" : sc->restart == RESTART_ON_FAILURE ?
	    "restart = on-failure" : "restart = always";

	if (sc->type == TYPE_ONESHOT && sv->outcome == SVO_DONE_OK)
		why = "type = oneshot: done";

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
		log_info("%s: %s after %s, not restarting (%s)", sc->name, st,
		    rt, why);
		break;
	case SVO_DONE_FAIL:
		log_warnx("%s: %s after %s, not restarting (%s)", sc->name, st,
		    rt, why);
		break;
	}
}

/* Logs one exit of a main process, with what service_step made of it. */
void
svlog_exit(const struct service *sv)
{
	char st[64];

	svlog_end(sv, svlog_status(sv->last_status, st, sizeof(st)));
}

/* After an abnormal exit: the process's last stderr lines, for context. */
void
svlog_last_stderr(const struct service *sv, pid_t pid)
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

/* Why the last run failed, for a waiting start or restart: what ended the
 * start (not ready in time, unhealthy...), or that its command could not
 * be run, or how it ended and after how long. */
const char *
svlog_failure(const struct service *sv, char *buf, size_t len)
{
	char st[64], rt[32];

	if (sv->run_failed && sv->fail_why)
		snprintf(buf, len, "%s", sv->fail_why);
	else if (sv->exec_failed && sv->exec_errno)
		snprintf(buf, len, "cannot run %s: %s", sv->conf->command,
		    strerror(sv->exec_errno));
	else if (sv->last_status == -1)
		snprintf(buf, len, "it did not start");
	else
		snprintf(buf, len, "%s after %s", svlog_status(sv->last_status,
		    st, sizeof(st)), fmt_duration(sv->last_runtime_ms, rt,
		    sizeof(rt)));
	return buf;
}
