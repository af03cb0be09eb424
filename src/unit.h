/*
 * unit.h: systemd unit files read into a model (guardiand.h includes it).
 *
 * This layer finds a unit file and its drop-ins the way systemd does,
 * reads every assignment with its file and line, splits Exec lines into
 * argv and expands specifiers and $VAR; mapping a unit onto a
 * struct svc_conf rests on it (doc/units.md).
 */
#ifndef GUARDIAND_UNIT_H
#define GUARDIAND_UNIT_H

#include <stdbool.h>
#include <stddef.h>

/* ---- unit_file.c ---- */

#define UNIT_NAME_MAX		256	/* systemd's UNIT_NAME_MAX, with the NUL */
#define UNIT_LINE_MAX		32768	/* one logical line, continuations joined */
#define UNIT_FILE_MAX		(1024 * 1024)	/* one unit file or drop-in */
#define UNIT_DROPINS_MAX	128	/* drop-in files of one unit */
#define UNIT_VALUES_MAX		8192	/* assignments of one unit, all files */
#define UNIT_ALIAS_MAX		8	/* alias symlinks followed in a row */
#define UNIT_QUOTE_MAX		120	/* bytes of a value quoted in a message */

/* Called with one warning ("file:line: ..."), which never fails the unit. */
typedef void (*unit_warn_fn)(void *arg, const char *msg);

/* One assignment, as written: Key=Value in [Section] of file at line. */
struct unit_value {
	const char *section;	/* points into the unit's strings */
	char *key;
	char *value;		/* trimmed, continuations joined; "" resets */
	const char *file;	/* one of the unit's files[] */
	unsigned line;		/* where the assignment starts */
};

/*
 * A unit as systemd would load it: the main file, then its drop-ins, every
 * assignment kept in order (unknown sections and keys too).
 */
struct unit {
	char *name;		/* as asked for: syncthing@alice.service */
	char *id;		/* after aliases: redis.service -> redis-server.service */
	char *instance;		/* "alice" for a template instance, else NULL */
	char *path;		/* the fragment: main file read */
	char **files;		/* path, then drop-ins in the order applied */
	size_t nfiles;
	char **sections;	/* section names seen, each once */
	size_t nsections;
	struct unit_value *v;
	size_t nv, cap;
};

/* systemd's system unit path for units, in precedence order. */
extern const char *const unit_default_dirs[];

/* Whether name is a valid unit name (name.type, name@instance.type...). */
bool unit_name_valid(const char *name);
/* The fragment for name in dirs (NULL: unit_default_dirs): path, the real
 * name after aliases (id) and the instance; 0, or -1 with err (masked,
 * not found, bad alias). */
int unit_find(const char *name, const char *const *dirs, char **path,
    char **id, char **instance, char *err, size_t errlen);
/* unit_find(), then the fragment and its drop-ins read; NULL with err. */
struct unit *unit_load(const char *name, const char *const *dirs,
    unit_warn_fn warn, void *arg, char *err, size_t errlen);
/* Parses text as the unit file named file (for tests and the fuzzer);
 * 0, or -1 with err ("file:line: ..."). */
int unit_parse_text(struct unit *u, const char *file, const char *text,
    size_t len, unit_warn_fn warn, void *arg, char *err, size_t errlen);
struct unit *unit_new(const char *name);	/* empty, no file read */
void unit_free(struct unit *u);
/* The last assignment of a single-valued key (its value "" means the
 * default), or NULL if none. */
const struct unit_value *unit_get(const struct unit *u, const char *section,
    const char *key);
/* The values of a list key in order, after the last empty assignment:
 * prev NULL for the first; NULL after the last. */
const struct unit_value *unit_next(const struct unit *u, const char *section,
    const char *key, const struct unit_value *prev);

/* ---- unit_spec.c ---- */

/* systemd's unit name unescaping (%I, %P, %J): "-" is "/", \xNN a byte. */
char *unit_name_unescape(const char *s);
/* Expands %-specifiers of systemd.unit(5) in s for u; a malloc'd string,
 * or NULL with err (an unknown specifier is named). */
char *unit_specifiers(const struct unit *u, const char *s, char *err,
    size_t errlen);
/* The same for an assignment of u; err says "file:line: Key=value: why". */
char *unit_value_specifiers(const struct unit *u, const struct unit_value *v,
    char *err, size_t errlen);

/* ---- unit_exec.c ---- */

/* The prefixes of an Exec line (systemd.service(5), table 1). */
struct unit_exec_flags {
	bool ignore_failure;	/* -: a failure is not one */
	bool argv0;		/* @: the second word is argv[0] */
	bool no_env;		/* :: no $VAR expansion */
	bool privileged;	/* +: no User=, Group=, sandbox */
	bool no_setuid;		/* !: no User=, Group= */
	bool ambient;		/* !!: ! only without ambient capabilities */
};

/* One command of an Exec line; "a ; b" gives a list of two. */
struct unit_exec {
	struct unit_exec_flags flags;
	char *path;		/* absolute, or a bare name: unit_exec_find() */
	char **argv;		/* NULL-terminated; specifiers done, $VAR not yet */
	size_t argc;
	struct unit_exec *next;
};

#define UNIT_EXEC_ARGS_MAX	4096	/* words of one command */
/* systemd's compiled-in search path for bare program names (Debian 12). */
#define UNIT_EXEC_PATH	"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Splits the Exec line v of u as systemd 252 does; the list, or NULL:
 * with err empty, the line was empty or (with "-") ignored with a
 * warning; else err says why, "file:line: Key=value: ...". */
struct unit_exec *unit_exec_parse(const struct unit *u,
    const struct unit_value *v, unit_warn_fn warn, void *arg, char *err,
    size_t errlen);
void unit_exec_free(struct unit_exec *ex);
/* argv with $VAR and ${VAR} expanded from env ("K=V" strings, NULL-ended),
 * as systemd does at start; a copy without for the ":" prefix. */
char **unit_exec_expand(const struct unit_exec *ex, const char *const *env,
    char *err, size_t errlen);
/* A bare program name searched in UNIT_EXEC_PATH; malloc'd path or NULL. */
char *unit_exec_find(const char *name, char *err, size_t errlen);
/* Splits a value into words with systemd's quoting and C escapes
 * (EXTRACT_UNQUOTE|EXTRACT_CUNESCAPE; relax: unbalanced quotes end the
 * word); the count, or -1 with err. */
int unit_split_words(const char *s, bool relax, char ***words, char *err,
    size_t errlen);
void unit_strv_free(char **v);

/* ---- unit_map.c: a unit onto a struct svc_conf ---- */

struct svc_conf;
struct conf;
struct unit_links;	/* After= and the like, until every service is known */

/* Maps the unit sc->unit onto sc: each key given (per config_keys row;
 * NULL: none) does not have set in the section. 0, or -1 with err. */
int unit_map_service(struct svc_conf *sc, const int *given,
    struct unit_links **links, char *err, size_t errlen);
/* The same for a unit already loaded (the fuzzer's). */
int unit_map_unit(struct svc_conf *sc, struct unit *u, const int *given,
    struct unit_links **links, char *err, size_t errlen);
/* units = enabled: adds a service for each unit enabled for
 * multi-user.target that no section runs. */
int unit_map_enabled(struct conf *c, struct unit_links **links);
/* After=, Before=, Requires= between the services of c; 0 or -1, err. */
int unit_map_links(struct conf *c, struct unit_links *links, char *err,
    size_t errlen);
void unit_links_free(struct unit_links *l);

#endif
