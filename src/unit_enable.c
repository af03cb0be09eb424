/*
 * unit_enable.c: `units = enabled`: the services `systemctl enable` would
 * have had started at boot, each mapped as `unit =` maps one.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "unit_map.h"

/* Units that make no sense without systemd, and why: `units = enabled`
 * passes them over, saying so with -v. */
static const struct { const char *prefix, *why; } skip[] = {
	{ "systemd-", "part of systemd itself" },
	{ "getty@", "terminals are init's (inittab)" },
	{ "serial-getty@", "terminals are init's (inittab)" },
	{ "autovt@", "terminals are init's (inittab)" },
	{ "console-getty", "terminals are init's (inittab)" },
	{ "container-getty@", "terminals are init's (inittab)" },
	{ "user@", "systemd's per-user manager" },
	{ "user-runtime-dir@", "systemd's per-user manager" },
	{ "dbus-org.", "an alias for D-Bus activation" },
	{ "emergency", "a boot mode of systemd's" },
	{ "rescue", "a boot mode of systemd's" },
	{ "initrd-", "a boot step of systemd's" },
};

/* The first thing check_service() finds missing on the host. */
static void
host_problem(void *arg, const char *key, const char *msg)
{
	char *err = arg;

	(void)key;
	if (err[0] == '\0')
		snprintf(err, MAP_MSG_MAX, "%s", msg);
}

/* Names of dir/T.wants/ and T.requires/ links, for every unit dir. */
static void
wants_links(char **dirs, const char *target, char ***out)
{
	size_t n = config_nwords(*out);

	for (const char *const *d = dirs ? (const char *const *)dirs :
	    unit_default_dirs; *d; d++) {
		for (int kind = 0; kind < 2; kind++) {
			char path[PATH_MAX];
			struct dirent *de;
			DIR *dp;

			snprintf(path, sizeof(path), "%s/%s.%s", *d, target,
			    kind ? "requires" : "wants");
			if ((dp = opendir(path)) == NULL)
				continue;
			while ((de = readdir(dp)) != NULL) {
				bool seen = false;

				if (de->d_name[0] == '.' ||
				    !unit_name_valid(de->d_name))
					continue;
				for (char **w = *out; w && *w && !seen; w++)
					seen = strcmp(*w, de->d_name) == 0;
				if (!seen)
					env_put(out, &n, de->d_name);
			}
			closedir(dp);
		}
	}
}

/*
 * `units = enabled`: every service `systemctl enable` would have had
 * started, the wants of multi-user.target and of the targets it pulls in,
 * each as a service named after its unit, unless a section runs it
 * already. A unit that cannot run is passed over with a warning, not an
 * error: nobody asked for it by name.
 */
int
unit_map_enabled(struct conf *c, bool check_host, struct unit_links **links)
{
	char **dirs = umap_dirs(), **names = NULL, **targets = NULL;
	size_t nt = 0;

	env_put(&targets, &nt, "multi-user.target");
	for (size_t t = 0; t < nt; t++) {
		struct unit *tu;
		char err[MAP_MSG_MAX];

		wants_links(dirs, targets[t], &names);
		/* the target's own Wants=/Requires= pull in more */
		if ((tu = unit_load(targets[t], (const char *const *)dirs, NULL,
		    NULL, err, sizeof(err))) == NULL)
			continue;
		size_t n = config_nwords(names);
		for (int k = 0; k < 2; k++)
			for (const struct unit_value *v = unit_next(tu, "Unit",
			    k ? "Requires" : "Wants", NULL); v != NULL;
			    v = unit_next(tu, "Unit", k ? "Requires" : "Wants", v)) {
				char **w = NULL;
				int nw = unit_split_words(v->value, true, &w,
				    err, sizeof(err));

				for (int i = 0; i < nw; i++)
					env_put(&names, &n, w[i]);
				unit_strv_free(w);
			}
		unit_free(tu);
		for (char **w = names; w && *w; w++) {
			bool seen = false;

			if (!umap_suffix(*w, ".target"))
				continue;
			for (size_t i = 0; i < nt && !seen; i++)
				seen = strcmp(targets[i], *w) == 0;
			if (!seen && nt < 64)
				env_put(&targets, &nt, *w);
		}
	}
	for (char **w = names; w && *w; w++) {
		char svc[UNIT_NAME_MAX], err[MAP_MSG_MAX];
		struct svc_conf *sc;
		const char *why = NULL;
		bool dup = false;

		for (char **p = names; p < w && !dup; p++)
			dup = strcmp(*p, *w) == 0;
		if (dup || umap_suffix(*w, ".target"))
			continue;
		if (umap_suffix(*w, ".socket")) {
			/* its service runs with the sockets, if enabled */
			log_debug("units: %s: its sockets go to its service",
			    *w);
			continue;
		}
		if (!umap_suffix(*w, ".service")) {
			log_debug("units: %s skipped: only services are run",
			    *w);
			continue;
		}
		for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
			if (strncmp(*w, skip[i].prefix,
			    strlen(skip[i].prefix)) == 0)
				why = skip[i].why;
		snprintf(svc, sizeof(svc), "%.*s", (int)(strlen(*w) - 8), *w);
		if (why == NULL && !config_valid_name(svc))
			why = "its name is not a valid service name";
		for (const struct unit_links *l = *links; l && !why; l = l->next)
			if (strcmp(l->id, *w) == 0)
				why = "a section runs it already";
		if (why == NULL && config_find(c, svc) != NULL)
			why = "a section has its name";
		if (why != NULL) {
			log_debug("units: %s skipped: %s", *w, why);
			continue;
		}
		if ((sc = config_svc_new(svc)) == NULL ||
		    (sc->unit = strdup(*w)) == NULL) {
			config_svc_free(sc);
			continue;
		}
		err[0] = '\0';
		if (unit_map_service(sc, NULL, links, err, sizeof(err)) == -1 ||
		    config_svc_check(sc, err, sizeof(err)) == -1 ||
		    (check_host && check_service(sc, host_problem, err) &&
		    err[0] != '\0')) {
			log_warnx("units: %s skipped: %s", *w, err);
			config_svc_free(sc);
			continue;
		}
		if ((sc->file = strdup(*w)) == NULL ||
		    config_add(c, sc) == -1) {
			config_svc_free(sc);
			continue;
		}
		log_debug("units: %s runs as service %s", *w, svc);
	}
	config_free_words(names);
	config_free_words(targets);
	config_free_words(dirs);
	return 0;
}
