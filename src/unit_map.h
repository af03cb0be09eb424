/*
 * unit_map.h: what the mapping of a unit onto a service shares between its
 * files, each layer using only those below it: unit_map_put.c (setting a
 * key, errors, quoting, the unit directories); unit_map_values.c and
 * unit_map_exec.c (values, Exec lines); unit_links.c (sockets, tmpfiles,
 * links between units); unit_map.c (the table of directives, a unit onto a
 * service); unit_enable.c (units = enabled). Only they include it.
 */
#ifndef GUARDIAND_UNIT_MAP_H
#define GUARDIAND_UNIT_MAP_H

#define MAP_MSG_MAX	1024

/* One unit being mapped. */
struct map {
	struct svc_conf *sc;
	struct unit *u;
	const int *given;		/* per config_keys row: set in the section */
	char **env;			/* for $VAR in Exec lines */
	struct buf sandbox, unknown;	/* names, for the warnings */
	char *err;
	size_t errlen;
	bool failed;
	struct unit_links *links;
};

/* After=/Before=/Requires= of a mapped unit, resolved once every service is known. */
struct unit_links {
	char *service;			/* the service's name */
	char *id;			/* its unit's real name */
	char **after, **before, **requires, **part_of;
	bool after_given, requires_given, part_of_given;	/* in the section */
	struct unit_links *next;
};

/* unit_map_put.c */
void umap_fail(struct map *m, const struct unit_value *v, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));
int umap_put(struct map *m, const struct unit_value *v, const char *key,
    const char *value);
int umap_sh_word(struct buf *b, const char *w);
char **umap_dirs(void);
bool umap_suffix(const char *s, const char *suffix);

/* unit_map_values.c: one directive each, or a value of one */
int umap_timespan_ms(const char *s, int64_t *ms);
int umap_restart(struct map *m, const struct unit_value *v,
    const char *value);
int umap_restart_prevent(struct map *m, const struct unit_value *v,
    const char *value);
int umap_start_limit(struct map *m, const struct unit_value *v,
    const char *value);
int umap_put_duration(struct map *m, const struct unit_value *v,
    const char *key, const char *value);
int umap_timeout(struct map *m, const struct unit_value *v,
    const char *value);
int umap_refuse_yes(struct map *m, const struct unit_value *v,
    const char *value);
int umap_note(struct map *m, const struct unit_value *v,
    const char *value);
int umap_type(struct map *m, const struct unit_value *v,
    const char *value);
int umap_env(struct map *m, const struct unit_value *v,
    const char *value);
int umap_envfile(struct map *m, const struct unit_value *v,
    const char *value);
int umap_workdir(struct map *m, const struct unit_value *v,
    const char *value);
int umap_pidfile(struct map *m, const struct unit_value *v,
    const char *value);
int umap_output(struct map *m, const struct unit_value *v,
    const char *value);

/* unit_map_exec.c */
int umap_exec_start(struct map *m, const struct unit_value *v,
    const char *value);
int umap_reload(struct map *m, const struct unit_value *v, const char *value);
int umap_exec(struct map *m, const struct unit_value *v, const char *key);

/* unit_links.c */
void umap_keep_links(struct map *m, const int *given);
void umap_socket(struct map *m, char **dirs);
void umap_tmpfiles(struct map *m);

#endif
