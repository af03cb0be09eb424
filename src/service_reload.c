/*
 * service_reload.c: `guardianctl reload NAME`, a service's own reload, as
 * systemd's ExecReload= does it: reload_command, run as the service runs
 * (its user, environment, directory and cgroup) with MAINPID set, bounded
 * by ready_timeout; or reload_signal to its main process. Each reload ends
 * by counting one more in sv->reloads, with whether it failed and why, so
 * that a waiting client sees the end of the one it asked for.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* A reload has ended (ok, or failed with why): counted, said, kept. */
static void
finish(struct service *sv, bool ok, const char *why)
{
	sv->reloads++;
	sv->reload_failed = !ok;
	free(sv->reload_why);
	sv->reload_why = ok ? NULL : strdup(why);
	if (ok)
		log_info("%s: reloaded", sv->conf->name);
	else
		log_warnx("%s: reload failed: %s", sv->conf->name, why);
}

static void
command_done(void *arg, bool ok, const char *why)
{
	struct service *sv = arg;

	sv->reload_run = NULL;
	finish(sv, ok, why);
}

/*
 * Starts a reload of sv. It ends at once (a signal sent, or the reason it
 * cannot be done) or when its command exits; a reload asked for while one
 * runs is that one.
 */
void
service_reload(struct service *sv)
{
	const struct svc_conf *sc = sv->conf;
	struct probe p = { .kind = PROBE_EXEC, .argv = sc->reload_argv,
	    .text = sc->reload_command };
	char why[512];

	log_info("%s: reload requested", sc->name);
	if (sv->reload_run != NULL)
		return;
	if (sv->state != SV_UP || sv->pid <= 0) {
		snprintf(why, sizeof(why), "it is not up (%s)",
		    service_state_name(sv->state));
		finish(sv, false, why);
	} else if (sc->reload_argv != NULL) {
		if ((sv->reload_run = probe_try(sv, &p, sc->ready_timeout_ms,
		    command_done, sv, why, sizeof(why))) == NULL)
			finish(sv, false, why);
	} else if (sc->reload_signal > 0) {
		if (kill(sv->pid, sc->reload_signal) < 0) {
			snprintf(why, sizeof(why), "kill %ld: %s", (long)sv->pid,
			    strerror(errno));
			finish(sv, false, why);
			return;
		}
		log_info("%s: sent %s to pid %ld", sc->name,
		    config_signal_name(sc->reload_signal), (long)sv->pid);
		finish(sv, true, "");
	} else
		finish(sv, false, "it has neither reload_command nor "
		    "reload_signal");
}

/* The service stops, or goes: a reload under way has failed. */
void
service_reload_cancel(struct service *sv)
{
	if (sv->reload_run == NULL)
		return;
	probe_cancel(sv->reload_run);
	sv->reload_run = NULL;
	finish(sv, false, "the service stopped");
}
