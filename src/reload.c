/*
 * reload.c: a reload (SIGHUP, `guardianctl reload`, the init script's
 * reload) in three steps: parse the config file into a new struct conf,
 * check it (config_load does both and returns NULL with every error
 * reported), then apply it: socket groups, syslog socket, and the services,
 * which service.c reconciles. A config with errors changes nothing.
 *
 * main.c calls it and hands it to control.c as a callback, so that the
 * control socket does not depend on main.c.
 */
#include <stdio.h>

#include "guardiand.h"

static const char *config_path;	/* NULL: one-command mode */
static bool syslog_wanted;

void
reload_setup(const char *config, bool use_syslog)
{
	config_path = config;
	syslog_wanted = use_syslog;
}

/* Applies a checked config; takes c over. */
static void
apply(struct conf *c, char *summary, size_t len)
{
	control_set_groups(c->control_group, c->status_group);
	svcg_reload_check(c->cgroup);
	if (syslog_wanted)
		slog_open(c->syslog_socket ? c->syslog_socket : DEF_SYSLOG_SOCKET);
	service_apply(c, summary, len);
}

int
reload_run(config_err_fn err, void *arg, char *summary, size_t len)
{
	struct conf *c;

	if (config_path == NULL) {
		snprintf(summary, len, "nothing to reload in one-command mode");
		log_info("reload: %s", summary);
		return -1;
	}
	log_info("reload: reading %s", config_path);
	/* Parse and check: NULL once every error has gone to err. */
	c = config_load(config_path, err, arg);
	if (c == NULL) {
		snprintf(summary, len, "configuration has errors, keeping the "
		    "running one");
		log_warnx("reload: %s", summary);
		return -1;
	}
	apply(c, summary, len);
	log_info("reload: %s", summary);
	return 0;
}
