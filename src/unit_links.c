/*
 * unit_links.c: where units are (SYSTEMD_UNIT_PATH), which are enabled,
 * the sockets a service gets from its .socket unit, After=/Before=/
 * Requires= between the services guardiand runs, and `units = enabled`.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "unit_map.h"

/* The names a list directive gives (After=...), specifiers expanded. */
static int
link_names(struct map *m, const char *key, char ***out)
{
	size_t n = config_nwords(*out);

	for (const struct unit_value *v = unit_next(m->u, "Unit", key, NULL);
	    v != NULL; v = unit_next(m->u, "Unit", key, v)) {
		char err[MAP_MSG_MAX], *value, **w = NULL;
		int nw;

		if ((value = unit_value_specifiers(m->u, v, err,
		    sizeof(err))) == NULL) {
			umap_fail(m, v, "%s", err);
			return -1;
		}
		nw = unit_split_words(value, true, &w, err, sizeof(err));
		free(value);
		for (int i = 0; i < nw; i++) {
			size_t l = strlen(w[i]);

			if (l > 8 && strcmp(w[i] + l - 8, ".service") == 0 &&
			    env_put(out, &n, w[i]) == -1) {
				unit_strv_free(w);
				umap_fail(m, v, "out of memory");
				return -1;
			}
		}
		unit_strv_free(w);
	}
	return 0;
}

/* The service's After=, Before=, Requires=, kept for unit_map_links(). */
void
umap_keep_links(struct map *m, const int *given)
{
	struct unit_links *l;
	const struct config_key *ka = config_key_find("after", KEY_SERVICE);
	const struct config_key *kr = config_key_find("requires", KEY_SERVICE);
	const struct config_key *kp = config_key_find("part_of", KEY_SERVICE);

	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (l->service = strdup(m->sc->name)) == NULL ||
	    (l->id = strdup(m->u->id)) == NULL) {
		if (l != NULL)
			free(l->service);
		free(l);
		umap_fail(m, NULL, "out of memory");
		return;
	}
	l->after_given = given != NULL && given[ka - config_keys] != 0;
	l->requires_given = given != NULL && given[kr - config_keys] != 0;
	l->part_of_given = given != NULL && given[kp - config_keys] != 0;
	link_names(m, "After", &l->after);
	link_names(m, "Before", &l->before);
	link_names(m, "Requires", &l->requires);
	link_names(m, "BindsTo", &l->requires);
	link_names(m, "Requisite", &l->requires);
	link_names(m, "PartOf", &l->part_of);
	l->next = m->links;
	m->links = l;
}

void
unit_links_free(struct unit_links *l)
{
	while (l != NULL) {
		struct unit_links *next = l->next;

		free(l->service);
		free(l->id);
		config_free_words(l->after);
		config_free_words(l->before);
		config_free_words(l->requires);
		config_free_words(l->part_of);
		free(l);
		l = next;
	}
}

/* Whether a unit is enabled: a link to it in some *.wants/ or
 * *.requires/ of a unit directory (what `systemctl enable` makes). */
static bool
unit_enabled(char **dirs, const char *name)
{
	bool found = false;

	for (const char *const *d = dirs ? (const char *const *)dirs :
	    unit_default_dirs; *d && !found; d++) {
		struct dirent *de;
		DIR *dp;

		if ((dp = opendir(*d)) == NULL)
			continue;
		while (!found && (de = readdir(dp)) != NULL) {
			char path[PATH_MAX];
			struct stat st;

			if (!umap_suffix(de->d_name, ".wants") &&
			    !umap_suffix(de->d_name, ".requires"))
				continue;
			snprintf(path, sizeof(path), "%s/%s/%s", *d, de->d_name,
			    name);
			found = lstat(path, &st) == 0;
		}
		closedir(dp);
	}
	return found;
}

/* The socket unit a service gets its sockets from: Sockets=, else
 * NAME.socket if it is enabled, as systemd passes only the sockets of
 * units it started (Accept=yes ones are for NAME@.service). */
void
umap_socket(struct map *m, char **dirs)
{
	const struct unit_value *sv = unit_get(m->u, "Service", "Sockets");
	char name[UNIT_NAME_MAX], err[MAP_MSG_MAX];
	const char *dot = strrchr(m->u->id, '.');
	struct unit *su, *saved;
	const struct unit_value *acc;
	static const struct { const char *dir, *key; } keys[] = {
		{ "ListenStream", "listen_stream" },
		{ "ListenDatagram", "listen_datagram" },
		{ "SocketUser", "socket_user" }, { "SocketGroup", "socket_group" },
		{ "SocketMode", "socket_mode" },
		{ "FileDescriptorName", "socket_fdname" },
		{ "Backlog", "socket_backlog" },
	};

	if (sv != NULL && sv->value[0] != '\0')
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(sv->value,
		    " \t"), sv->value);
	else
		snprintf(name, sizeof(name), "%.*s.socket",
		    (int)(dot - m->u->id), m->u->id);
	if ((sv == NULL || sv->value[0] == '\0') && !unit_enabled(dirs, name))
		return;
	su = unit_load(name, (const char *const *)dirs, NULL, NULL, err,
	    sizeof(err));
	if (su == NULL) {
		if (sv != NULL && sv->value[0] != '\0')
			umap_fail(m, sv, "%s", err);
		return;
	}
	acc = unit_get(su, "Socket", "Accept");
	if (acc != NULL && config_parse_bool(acc->value) == 1) {
		if (sv != NULL && sv->value[0] != '\0')
			umap_fail(m, acc, "Accept=yes (a process per "
			    "connection) is not supported");
		unit_free(su);
		return;
	}
	saved = m->u;
	m->u = su;	/* file:line of its values in messages */
	for (size_t i = 0; i < su->nv && !m->failed; i++) {
		const struct unit_value *v = &su->v[i];
		char *value;
		size_t k;

		if (strcmp(v->section, "Socket") != 0)
			continue;
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (strcmp(keys[k].dir, v->key) == 0)
				break;
		if (k == sizeof(keys) / sizeof(keys[0])) {
			if (strncmp(v->key, "Listen", 6) == 0)
				umap_fail(m, v, "this kind of socket is not "
				    "supported (ListenStream= and "
				    "ListenDatagram= are)");
			continue;
		}
		if ((value = unit_value_specifiers(su, v, err,
		    sizeof(err))) == NULL) {
			umap_fail(m, v, "%s", err);
			break;
		}
		if (value[0] != '\0')
			umap_put(m, v, keys[k].key, value);
		free(value);
	}
	if (!m->failed && unit_get(su, "Socket", "FileDescriptorName") == NULL &&
	    (acc = unit_get(su, "Socket", "ListenStream")) != NULL)
		umap_put(m, acc, "socket_fdname", su->id);
	m->u = saved;
	unit_free(su);
}

/* The service a unit name stands for: its unit's, or NAME.service's. */
static const char *
link_service(const struct conf *c, const struct unit_links *all,
    const char *unitname)
{
	size_t l = strlen(unitname) - 8;	/* ".service" */

	for (const struct unit_links *o = all; o != NULL; o = o->next)
		if (strcmp(o->id, unitname) == 0)
			return o->service;
	for (const struct svc_conf *s = c->services; s != NULL; s = s->next)
		if (strlen(s->name) == l && strncmp(s->name, unitname, l) == 0)
			return s->name;
	return NULL;
}

/* Adds name to a KK_NAMES list key of sc, by the key table. */
static int
add_name(struct svc_conf *sc, const char *key, const char *name, char *err,
    size_t errlen)
{
	char ***slot = strcmp(key, "after") == 0 ? &sc->after :
	    strcmp(key, "requires") == 0 ? &sc->requires : &sc->part_of;
	struct buf b = { 0 };
	int r;

	for (char **w = *slot; w && *w; w++) {
		if (strcmp(*w, name) == 0)
			return 0;
		if (buf_printf(&b, "%s ", *w) == -1)
			goto nomem;
	}
	if (umap_sh_word(&b, name) == -1 || buf_addc(&b, '\0') == -1)
		goto nomem;
	r = config_svc_set(sc, key, b.s, err, errlen);
	free(b.s);
	return r;
nomem:
	free(b.s);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * After=, Before=, Requires= between the services guardiand runs, once all
 * are known: anything else (targets, units not configured) counts as
 * there already. 0, or -1 with err.
 */
int
unit_map_links(struct conf *c, struct unit_links *links, char *err,
    size_t errlen)
{
	for (struct unit_links *l = links; l != NULL; l = l->next) {
		struct svc_conf *sc = config_find(c, l->service);
		const char *o;

		if (sc == NULL)
			continue;
		for (char **w = l->after; w && *w && !l->after_given; w++)
			if ((o = link_service(c, links, *w)) != NULL &&
			    strcmp(o, sc->name) != 0 &&
			    add_name(sc, "after", o, err, errlen) == -1)
				return -1;
		for (char **w = l->requires; w && *w && !l->requires_given; w++)
			if ((o = link_service(c, links, *w)) != NULL &&
			    strcmp(o, sc->name) != 0 &&
			    add_name(sc, "requires", o, err, errlen) == -1)
				return -1;
		for (char **w = l->part_of; w && *w && !l->part_of_given; w++)
			if ((o = link_service(c, links, *w)) != NULL &&
			    strcmp(o, sc->name) != 0 &&
			    add_name(sc, "part_of", o, err, errlen) == -1)
				return -1;
		for (char **w = l->before; w && *w; w++) {
			struct unit_links *ol;
			struct svc_conf *osc;

			if ((o = link_service(c, links, *w)) == NULL ||
			    strcmp(o, sc->name) == 0 ||
			    (osc = config_find(c, o)) == NULL)
				continue;
			for (ol = links; ol && strcmp(ol->service, o); ol = ol->next)
				;
			if (ol == NULL || ol->after_given)
				continue;	/* its section says what it follows */
			if (add_name(osc, "after", sc->name, err, errlen) == -1)
				return -1;
		}
	}
	return 0;
}


/*
 * The tmpfiles.d files the unit relies on, as boot would have applied them
 * (doc/units.md): the one named like the unit (memcached.conf), and those
 * with an entry for a path the unit names: its PIDFile=, its
 * RuntimeDirectory= under /run, the absolute words of its command.
 */
void
umap_tmpfiles(struct map *m)
{
	const struct unit_value *pf = unit_get(m->u, "Service", "PIDFile");
	char **paths = NULL, **names = NULL, *own, prefix[UNIT_NAME_MAX];
	struct buf b = { 0 };
	size_t n = 0, l;

	if (pf != NULL && pf->value[0] != '\0')
		env_put(&paths, &n, pf->value);
	for (char **d = m->sc->runtime_dirs; d && *d; d++) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "/run/%s", *d);
		env_put(&paths, &n, p);
	}
	for (char **a = m->sc->argv; a && *a; a++)
		if ((*a)[0] == '/' && a != m->sc->argv)
			env_put(&paths, &n, *a);
	if (paths != NULL)
		tmpfiles_for_paths((const char *const *)paths, &names);
	l = strcspn(m->u->id, "@.");
	snprintf(prefix, sizeof(prefix), "%.*s.conf", (int)l, m->u->id);
	if ((own = tmpfiles_find(prefix)) != NULL && buf_printf(&b, "%s",
	    prefix) == -1)
		umap_fail(m, NULL, "out of memory");
	free(own);
	for (char **w = names; w && *w; w++)
		if (strcmp(*w, prefix) != 0 && buf_printf(&b, "%s%s",
		    b.len ? " " : "", *w) == -1)
			umap_fail(m, NULL, "out of memory");
	if (b.len > 0 && !m->failed) {
		static char key[] = "(tmpfiles.d)", value[] = "";
		struct unit_value v = { .section = "Service", .key = key,
		    .value = value, .file = m->u->path };

		umap_put(m, &v, "tmpfiles", b.s);
	}
	free(b.s);
	config_free_words(paths);
	config_free_words(names);
}
