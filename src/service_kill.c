/*
 * service_kill.c: how a stop signals a service's processes, as kill_mode
 * says (systemd.kill(5)): all of them (control-group), the main process
 * then SIGKILL to the rest (mixed), the main process only (process), or
 * none; and a stop that leaves what runs (none, send_sigkill = no).
 * handed: the service was removed and added back while stopping, so its
 * cgroup is its successor's: only its main process is signalled.
 */
#include <sys/types.h>

#include <signal.h>
#include <stdio.h>

#include "guardiand.h"

/* kill_mode = process or none: what the service leaves is not its to stop,
 * nor to wait for, before the next start. */
bool
svkill_lets_go(const struct svc_conf *sc)
{
	return sc->kill_mode == KILL_PROCESS || sc->kill_mode == KILL_NONE;
}

/* A stop that leaves its processes running (kill_mode = none,
 * send_sigkill = no): the service is down once nothing is waited for. */
void
svkill_let_go(struct service *sv)
{
	service_step(sv, EV_LET_GO, now_ms());
	if (sv->pid > 0) {
		log_info("%s: pid %ld is left running", sv->conf->name,
		    (long)sv->pid);
		sv->pid = 0;
		sv->exited = true;
	}
}

/* The stop signal, to what kill_mode says. */
void
svkill_term(struct service *sv, bool handed)
{
	const struct svc_conf *sc = sv->conf;

	if (sc->kill_mode == KILL_NONE) {
		log_info("%s: stopping, kill_mode = none: its processes are "
		    "left running", sc->name);
		svkill_let_go(sv);
		return;
	}
	if (sv->pid > 0)
		log_info("%s: stopping, pid %ld, sending %s", sc->name,
		    (long)sv->pid, config_signal_name(sc->stop_signal));
	else
		log_info("%s: stopping what it started, sending %s",
		    sc->name, config_signal_name(sc->stop_signal));
	if (handed || sc->kill_mode != KILL_CGROUP) {
		/* mixed, process: the main process only */
		if (sv->pid > 0) {
			kill(sv->pid, sc->stop_signal);
			kill(sv->pid, SIGCONT);
		}
		if (sc->kill_mode == KILL_PROCESS && !handed)
			sv->let_go = true;
		return;
	}
	if (sv->cg) {
		svcg_signal(sv->cg, sv->pid, sc->stop_signal);
		return;
	}
	svpg_find_escaped(sv);
	svpg_send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped,
	    sc->stop_signal);
}

/* SIGKILL to what kill_mode says: all (mixed too), or the main process. */
void
svkill_all(struct service *sv, bool handed)
{
	const struct svc_conf *sc = sv->conf;

	if (handed || sc->kill_mode == KILL_PROCESS) {
		if (sv->pid > 0)
			kill(sv->pid, SIGKILL);
		return;
	}
	if (sv->cg) {
		svcg_kill(sv->cg, sv->pid);
		return;
	}
	svpg_find_escaped(sv);
	svpg_send_stop(sv->pgid, sv->pid, sv->escaped, sv->nescaped, SIGKILL);
}

/* stop_timeout has passed: SIGKILL, said. */
void
svkill_timeout(struct service *sv, bool handed)
{
	const struct svc_conf *sc = sv->conf;
	char b1[32];

	if (handed)
		;
	else if (sc->kill_mode == KILL_PROCESS)
		log_warnx("%s: stop timeout after %s, sending KILL to "
		    "pid %ld", sc->name, fmt_duration(sc->stop_timeout_ms,
		    b1, sizeof(b1)), (long)sv->pid);
	else if (sv->cg)
		log_warnx("%s: stop timeout after %s, sending KILL to "
		    "its cgroup", sc->name, fmt_duration(
		    sc->stop_timeout_ms, b1, sizeof(b1)));
	else
		log_warnx("%s: stop timeout after %s, sending KILL to "
		    "process group %ld", sc->name, fmt_duration(
		    sc->stop_timeout_ms, b1, sizeof(b1)), (long)sv->pgid);
	svkill_all(sv, handed);
}
