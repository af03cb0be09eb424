/*
 * keys.c: the config keys, one row each (DESIGN.md convention 14, as
 * OpenBSD ntpd's keywords[]): name, section, kind of value, where the value
 * lives, default, bounds, whether a change restarts the service at a
 * reload, and a line of doc. Setting a key, the defaults of a new service,
 * freeing one and the reload comparison all walk this table, so a key
 * cannot be parsed but forgotten by the comparison, or freed but never
 * defaulted. tests/unit/test_keys.c checks the table against the man page,
 * the fuzz dictionary and an every-key config.
 */
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "guardiand.h"

#define DURATION_MAX_MS	(24LL * 60 * 60 * 1000)	/* longest accepted duration */
#define BACKOFF_MIN_MS	1			/* shortest backoff_initial */
#define SYSLOG_TAG_MAX	32

#define STR(x)		#x
#define XSTR(x)		STR(x)

/* Where a key of a [service NAME] section, or of [guardiand], lives. */
#define SVC(f)	KEY_SERVICE, offsetof(struct svc_conf, f), \
		sizeof(((struct svc_conf *)0)->f)
#define MAIN(f)	KEY_MAIN, offsetof(struct conf, f), \
		sizeof(((struct conf *)0)->f)
#define SVC2(f)	offsetof(struct svc_conf, f)

/*
 * Every key, sorted by name then section: config_key_find() searches it
 * with bsearch, so this has to be sorted always (test_keys checks it).
 */
const struct config_key config_keys[] = {
	{ "backoff_initial", KK_DURATION, SVC(backoff_initial_ms),
	  .def = DEF_BACKOFF_INITIAL_MS, .min = BACKOFF_MIN_MS,
	  .doc = "the delay before the first restart after a quick failure" },
	{ "backoff_max", KK_DURATION, SVC(backoff_max_ms),
	  .def = DEF_BACKOFF_MAX_MS,
	  .doc = "the longest delay between restarts" },
	{ "cgroup", KK_CHOICE, MAIN(cgroup), .def = CGROUP_AUTO,
	  .choices = (const char *const[]){ "auto", "off", NULL },
	  .doc = "auto or off" },
	{ "clear_environment", KK_BOOL, SVC(clear_environment),
	  .doc = "start from PATH only, not guardiand's environment" },
	{ "command", KK_COMMAND, SVC(argv), .off2 = SVC2(command),
	  .flags = KEY_EMPTY_OK,
	  .doc = "the program and its arguments, split like sh" },
	{ "control_group", KK_GROUP, MAIN(control_group),
	  .doc = "a group that may use every guardianctl command" },
	{ "directory", KK_PATH, SVC(directory), .def_s = "/",
	  .doc = "the working directory of the service" },
	{ "environment", KK_ENV, SVC(env), .flags = KEY_EMPTY_OK,
	  .doc = "KEY=VALUE entries added to the environment" },
	{ "environment_file", KK_ENV_FILE, SVC(environment_file),
	  .off2 = SVC2(environment_file_optional),
	  .doc = "a file of KEY=VALUE lines read at each start (-: optional)" },
	{ "give_up_after", KK_UINT, SVC(give_up_after), .max = UINT_MAX,
	  .hint = "(a non-negative integer)",
	  .doc = "quick failures in a row before the service is fatal" },
	{ "group", KK_STRING, SVC(group),
	  .doc = "the group the service runs as" },
	{ "healthy_after", KK_DURATION, SVC(healthy_after_ms),
	  .def = DEF_HEALTHY_AFTER_MS,
	  .doc = "how long a run must last to reset the backoff" },
	{ "include", KK_INCLUDE, KEY_MAIN, 0, 0,
	  .doc = "more files to read, by glob pattern" },
	{ "limit_as", KK_LIMIT, SVC(limits[LIM_AS]), .arg = LIM_AS,
	  .doc = "RLIMIT_AS: the size of the address space" },
	{ "limit_core", KK_LIMIT, SVC(limits[LIM_CORE]), .arg = LIM_CORE,
	  .doc = "RLIMIT_CORE: the size of core dumps" },
	{ "limit_cpu", KK_LIMIT, SVC(limits[LIM_CPU]), .arg = LIM_CPU,
	  .doc = "RLIMIT_CPU: CPU time in seconds" },
	{ "limit_data", KK_LIMIT, SVC(limits[LIM_DATA]), .arg = LIM_DATA,
	  .doc = "RLIMIT_DATA: the size of the data segment" },
	{ "limit_fsize", KK_LIMIT, SVC(limits[LIM_FSIZE]), .arg = LIM_FSIZE,
	  .doc = "RLIMIT_FSIZE: the size of files written" },
	{ "limit_memlock", KK_LIMIT, SVC(limits[LIM_MEMLOCK]),
	  .arg = LIM_MEMLOCK,
	  .doc = "RLIMIT_MEMLOCK: memory locked in RAM" },
	{ "limit_nofile", KK_LIMIT, SVC(limits[LIM_NOFILE]), .arg = LIM_NOFILE,
	  .doc = "RLIMIT_NOFILE: open files" },
	{ "limit_nproc", KK_LIMIT, SVC(limits[LIM_NPROC]), .arg = LIM_NPROC,
	  .doc = "RLIMIT_NPROC: processes of the user" },
	{ "limit_stack", KK_LIMIT, SVC(limits[LIM_STACK]), .arg = LIM_STACK,
	  .doc = "RLIMIT_STACK: the size of the stack" },
	{ "line_max", KK_UINT, SVC(line_max), .def = DEF_LINE_MAX,
	  .min = LINE_MAX_MIN, .max = LINE_MAX_MAX,
	  .hint = "(bytes, " XSTR(LINE_MAX_MIN) " to " XSTR(LINE_MAX_MAX) ")",
	  .doc = "output lines longer than this are passed on in pieces" },
	{ "log_lines", KK_UINT, SVC(log_lines), .def = DEF_LOG_LINES,
	  .max = LOG_LINES_MAX, .hint = "(0 to " XSTR(LOG_LINES_MAX) ")",
	  .doc = "lines of output kept for guardianctl logs" },
	{ "nice", KK_INT, SVC(nice), .off2 = SVC2(nice_set), .min = -20,
	  .max = 19, .hint = "(-20 to 19)",
	  .doc = "the scheduling priority" },
	{ "no_new_privileges", KK_BOOL, SVC(no_new_privileges),
	  .doc = "PR_SET_NO_NEW_PRIVS before the exec" },
	{ "pidfile", KK_PATH, SVC(pidfile), .flags = KEY_EMPTY_OK,
	  .doc = "type = forking: the file its main process's pid is in" },
	{ "ready_timeout", KK_DURATION, SVC(ready_timeout_ms),
	  .def = DEF_READY_TIMEOUT_MS,
	  .doc = "how long until it is ready (forking: its main process known)" },
	{ "restart", KK_CHOICE, SVC(restart), .def = RESTART_ALWAYS,
	  .choices = (const char *const[]){ "always", "on-failure", "never",
	  NULL }, .doc = "always, on-failure or never" },
	{ "status_group", KK_GROUP, MAIN(status_group),
	  .doc = "a group that may use the read-only guardianctl commands" },
	{ "stderr", KK_OUTPUT, SVC(out[1]), .def = OUT_SYSLOG,
	  .doc = "where standard error goes: syslog, null or file:PATH" },
	{ "stderr_priority", KK_PRIORITY, SVC(out[1].priority),
	  .def = LOG_WARNING,
	  .doc = "the syslog priority of standard error" },
	{ "stdout", KK_OUTPUT, SVC(out[0]), .def = OUT_SYSLOG,
	  .doc = "where standard output goes: syslog, null or file:PATH" },
	{ "stdout_priority", KK_PRIORITY, SVC(out[0].priority),
	  .def = LOG_INFO,
	  .doc = "the syslog priority of standard output" },
	{ "stop_signal", KK_SIGNAL, SVC(stop_signal), .def = SIGTERM,
	  .doc = "the signal that asks the service to stop" },
	{ "stop_timeout", KK_DURATION, SVC(stop_timeout_ms),
	  .def = DEF_STOP_TIMEOUT_MS,
	  .doc = "how long a stop waits before SIGKILL" },
	{ "syslog_facility", KK_FACILITY, SVC(syslog_facility),
	  .def = LOG_DAEMON, .hint = "(daemon, user, local0 ... local7, ...)",
	  .doc = "the syslog facility of the service's output" },
	{ "syslog_socket", KK_PATH, MAIN(syslog_socket), .flags = KEY_EMPTY_OK,
	  .doc = "the socket syslog listens on (default /dev/log)" },
	{ "syslog_tag", KK_TAG, SVC(syslog_tag), .max = SYSLOG_TAG_MAX,
	  .hint = "(at most " XSTR(SYSLOG_TAG_MAX) " characters, no blanks, "
	  "brackets or colons)",
	  .doc = "the tag of the service's lines (default: its name)" },
	{ "type", KK_CHOICE, SVC(type), .def = TYPE_SIMPLE,
	  .choices = (const char *const[]){ "simple", "forking", NULL },
	  .doc = "simple or forking" },
	{ "umask", KK_UMASK, SVC(umask), .def = DEF_UMASK,
	  .doc = "the umask the service starts with" },
	{ "user", KK_STRING, SVC(user),
	  .doc = "the user the service runs as" },
};
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

static int
key_cmp(const void *a, const void *b)
{
	const struct config_key *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	return r != 0 ? r : (int)x->section - (int)y->section;
}

/* The row of a key of that section, or NULL if there is none. */
const struct config_key *
config_key_find(const char *name, enum key_section section)
{
	struct config_key k = { .name = name, .section = section };

	return bsearch(&k, config_keys, config_nkeys, sizeof(k), key_cmp);
}

/* Replaces *dst with a copy of value; the old string survives a failure. */
static int
set_string(char **dst, const char *value, char *err, size_t errlen)
{
	char *s;

	if ((s = strdup(value)) == NULL) {
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* The words of command=, and its text for messages. */
static int
set_command(char ***argvp, char **textp, const char *value, char *err,
    size_t errlen)
{
	char **argv, *text;
	int n;

	if ((n = config_split_words(value, &argv, err, errlen)) == -1)
		return -1;
	if (n == 0) {
		config_free_words(argv);
		fmt_err(err, errlen, "empty command");
		return -1;
	}
	if ((text = strdup(value)) == NULL) {
		config_free_words(argv);
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	config_free_words(*argvp);
	free(*textp);
	*argvp = argv;
	*textp = text;
	return 0;
}

/* Durations are bounded so that deadlines computed from them never overflow. */
static int
set_duration(const struct config_key *k, int64_t *dst, const char *value,
    char *err, size_t errlen)
{
	int64_t ms;

	if (config_parse_duration(value, &ms) == -1) {
		fmt_err(err, errlen,
		    "invalid duration \"%s\" for %s (use ms, s, m or h)",
		    value, k->name);
		return -1;
	}
	if (ms > DURATION_MAX_MS) {
		fmt_err(err, errlen, "%s \"%s\" is too long (at most 24h)",
		    k->name, value);
		return -1;
	}
	if (ms < k->min) {
		fmt_err(err, errlen, "%s must be at least %lldms", k->name,
		    (long long)k->min);
		return -1;
	}
	*dst = ms;
	return 0;
}

/* stdout = / stderr = : syslog, null, or file:PATH (absolute). */
static int
set_output(struct out_conf *oc, const char *value, char *err, size_t errlen)
{
	if (strcmp(value, "syslog") == 0)
		oc->dest = OUT_SYSLOG;
	else if (strcmp(value, "null") == 0)
		oc->dest = OUT_NULL;
	else if (strncmp(value, "file:", 5) == 0 && value[5] == '/') {
		oc->dest = OUT_FILE;
		return set_string(&oc->file, value + 5, err, errlen);
	} else
		return -2;
	free(oc->file);
	oc->file = NULL;
	return 0;
}

/* A number of a KK_UINT row, into a field of the row's size. */
static void
put_uint(const struct config_key *k, void *slot, unsigned long long n)
{
	if (k->size == sizeof(size_t))
		*(size_t *)slot = (size_t)n;
	else
		*(unsigned *)slot = (unsigned)n;
}

/*
 * Reads value into the field of base (a struct svc_conf or a struct conf,
 * as the row's section says) that row k names. 0, or -1 with a message
 * (without file:line) in err.
 */
int
config_key_set(const struct config_key *k, void *base, const char *value,
    char *err, size_t errlen)
{
	void *slot = (char *)base + k->off;
	void *slot2 = (char *)base + k->off2;
	unsigned long long u;
	long l;
	int n;

	if (*value == '\0' && !(k->flags & KEY_EMPTY_OK)) {
		fmt_err(err, errlen, "empty value for %s", k->name);
		return -1;
	}
	switch (k->kind) {
	case KK_COMMAND:
		return set_command(slot, slot2, value, err, errlen);
	case KK_STRING:
		return set_string(slot, value, err, errlen);
	case KK_PATH:
		if (value[0] == '\0') {	/* KEY_EMPTY_OK: the default */
			free(*(char **)slot);
			*(char **)slot = NULL;
			return 0;
		}
		if (value[0] != '/')
			goto not_absolute;
		return set_string(slot, value, err, errlen);
	case KK_TAG:
		if (strlen(value) > (size_t)k->max ||
		    strpbrk(value, " \t[]:") != NULL)
			goto invalid;
		return set_string(slot, value, err, errlen);
	case KK_ENV:
		return config_add_env(slot, value, err, errlen);
	case KK_ENV_FILE:
		n = value[0] == '-';
		if (value[n] != '/')
			goto not_absolute;
		*(bool *)slot2 = n;
		return set_string(slot, value + n, err, errlen);
	case KK_UMASK:
		if (config_parse_umask(value, slot) == -1)
			goto invalid;
		return 0;
	case KK_CHOICE:
		for (n = 0; k->choices[n] != NULL; n++)
			if (strcmp(value, k->choices[n]) == 0) {
				*(int *)slot = n;
				return 0;
			}
		fmt_err(err, errlen, "invalid %s \"%s\" (%s)", k->name, value,
		    k->doc);
		return -1;
	case KK_SIGNAL:
		if ((n = config_parse_signal(value)) == -1) {
			fmt_err(err, errlen, "unknown signal \"%s\"", value);
			return -1;
		}
		*(int *)slot = n;
		return 0;
	case KK_DURATION:
		return set_duration(k, slot, value, err, errlen);
	case KK_UINT:
		if (config_parse_uint(value, (unsigned long long)k->min,
		    (unsigned long long)k->max, &u) == -1)
			goto invalid;
		put_uint(k, slot, u);
		return 0;
	case KK_INT:
		if (config_parse_int(value, (long)k->min, (long)k->max, &l) == -1)
			goto invalid;
		*(int *)slot = (int)l;
		*(bool *)slot2 = true;
		return 0;
	case KK_BOOL:
		if ((n = config_parse_bool(value)) == -1) {
			fmt_err(err, errlen, "invalid %s \"%s\" (yes or no)",
			    k->name, value);
			return -1;
		}
		*(bool *)slot = n;
		return 0;
	case KK_OUTPUT:
		if ((n = set_output(slot, value, err, errlen)) == -2) {
			fmt_err(err, errlen, "invalid %s \"%s\" (syslog, "
			    "null or file:/absolute/path)", k->name, value);
			return -1;
		}
		return n;
	case KK_PRIORITY:
		if ((n = config_parse_priority(value)) < 0) {
			fmt_err(err, errlen, "invalid %s \"%s\" (emerg, "
			    "alert, crit, err, warning, notice, info or debug)",
			    k->name, value);
			return -1;
		}
		*(int *)slot = n;
		return 0;
	case KK_FACILITY:
		if ((n = config_parse_facility(value)) < 0)
			goto invalid;
		*(int *)slot = n;
		return 0;
	case KK_LIMIT:
		if ((n = config_parse_limit(k->arg, value, slot)) == -1) {
			fmt_err(err, errlen, "invalid %s \"%s\" (a number%s "
			    "or unlimited, or soft:hard)", k->name, value,
			    config_limit_bytes(k->arg) ? " with K, M or G" : "");
			return -1;
		} else if (n == -2) {
			fmt_err(err, errlen, "invalid %s \"%s\": the soft "
			    "limit is above the hard one", k->name, value);
			return -1;
		}
		return 0;
	case KK_GROUP:
		if (getgrnam(value) == NULL) {
			fmt_err(err, errlen, "unknown group \"%s\" for %s",
			    value, k->name);
			return -1;
		}
		return set_string(slot, value, err, errlen);
	case KK_INCLUDE:
		break;		/* config.c reads it */
	}
	fmt_err(err, errlen, "%s cannot be set here", k->name);
	return -1;
invalid:
	fmt_err(err, errlen, "invalid %s \"%s\"%s%s", k->name, value,
	    k->hint ? " " : "", k->hint ? k->hint : "");
	return -1;
not_absolute:
	fmt_err(err, errlen, "%s \"%s\" is not an absolute path",
	    k->name, value);
	return -1;
}

/* Sets one key of a service, by name: a config file's line, or an option. */
int
config_svc_set(struct svc_conf *sc, const char *key, const char *value,
    char *err, size_t errlen)
{
	const struct config_key *k = config_key_find(key, KEY_SERVICE);

	if (k == NULL) {
		fmt_err(err, errlen, "unknown key \"%s\"", key);
		return -1;
	}
	return config_key_set(k, sc, value, err, errlen);
}

struct conf *
config_new(void)
{
	return calloc(1, sizeof(struct conf));
}

/* A new service with every key at its default. */
struct svc_conf *
config_svc_new(const char *name)
{
	struct svc_conf *sc;
	const struct config_key *k;
	void *slot;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	if ((sc->name = strdup(name)) == NULL) {
		free(sc);
		return NULL;
	}
	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		if (k->section != KEY_SERVICE)
			continue;
		slot = (char *)sc + k->off;
		switch (k->kind) {
		case KK_UMASK:
			*(mode_t *)slot = (mode_t)k->def;
			break;
		case KK_CHOICE:
		case KK_SIGNAL:
		case KK_PRIORITY:
		case KK_FACILITY:
		case KK_INT:
			*(int *)slot = (int)k->def;
			break;
		case KK_DURATION:
			*(int64_t *)slot = k->def;
			break;
		case KK_UINT:
			put_uint(k, slot, (unsigned long long)k->def);
			break;
		case KK_BOOL:
			*(bool *)slot = k->def != 0;
			break;
		case KK_OUTPUT:
			((struct out_conf *)slot)->dest = (enum out_dest)k->def;
			break;
		default:
			break;		/* pointers: NULL; limits: not set */
		}
	}
	return sc;
}

/* Frees what the row's field of base owns. */
static void
key_free(const struct config_key *k, void *base)
{
	void *slot = (char *)base + k->off;

	switch (k->kind) {
	case KK_COMMAND:
		free(*(char **)((char *)base + k->off2));
		/* FALLTHROUGH */
	case KK_ENV:
		config_free_words(*(char ***)slot);
		break;
	case KK_STRING:
	case KK_PATH:
	case KK_TAG:
	case KK_ENV_FILE:
	case KK_GROUP:
		free(*(char **)slot);
		break;
	case KK_OUTPUT:
		free(((struct out_conf *)slot)->file);
		break;
	default:
		break;
	}
}

void
config_svc_free(struct svc_conf *sc)
{
	const struct config_key *k;

	if (sc == NULL)
		return;
	for (k = config_keys; k < config_keys + config_nkeys; k++)
		if (k->section == KEY_SERVICE)
			key_free(k, sc);
	free(sc->name);
	free(sc->file);
	free(sc);
}

void
config_free(struct conf *c)
{
	const struct config_key *k;
	struct svc_conf *sc, *next;

	if (c == NULL)
		return;
	for (sc = c->services; sc != NULL; sc = next) {
		next = sc->next;
		config_svc_free(sc);
	}
	for (k = config_keys; k < config_keys + config_nkeys; k++)
		if (k->section == KEY_MAIN && k->kind != KK_INCLUDE)
			key_free(k, c);
	free(c->path);
	free(c);
}

/* The checks that depend on several keys, which may come in any order. */
int
config_svc_check(const struct svc_conf *sc, char *err, size_t errlen)
{
	char a[32], b[32];

	if (sc->argv == NULL || sc->argv[0] == NULL) {
		fmt_err(err, errlen, "service \"%s\" has no command",
		    sc->name);
		return -1;
	}
	if (sc->backoff_max_ms < sc->backoff_initial_ms) {
		fmt_err(err, errlen, "service \"%s\": backoff_max (%s) is "
		    "less than backoff_initial (%s)", sc->name,
		    config_fmt_duration(sc->backoff_max_ms, a, sizeof(a)),
		    config_fmt_duration(sc->backoff_initial_ms, b, sizeof(b)));
		return -1;
	}
	if (sc->pidfile != NULL && sc->type != TYPE_FORKING) {
		fmt_err(err, errlen, "service \"%s\": pidfile is for type = "
		    "forking (a simple service's main process is the one "
		    "started)", sc->name);
		return -1;
	}
	if ((uint64_t)sc->log_lines * sc->line_max > LOG_BYTES_MAX) {
		fmt_err(err, errlen, "service \"%s\": log_lines = %u lines "
		    "of up to line_max = %zu bytes could take %llu MiB; at most "
		    "%d MiB (lower log_lines or line_max)", sc->name,
		    sc->log_lines, sc->line_max,
		    (unsigned long long)(((uint64_t)sc->log_lines *
		    sc->line_max + 1024 * 1024 - 1) / (1024 * 1024)),
		    LOG_BYTES_MAX / (1024 * 1024));
		return -1;
	}
	return 0;
}

struct svc_conf *
config_find(const struct conf *c, const char *name)
{
	struct svc_conf *sc;

	for (sc = c->services; sc != NULL; sc = sc->next)
		if (strcmp(sc->name, name) == 0)
			return sc;
	return NULL;
}

int
config_add(struct conf *c, struct svc_conf *sc)
{
	struct svc_conf **tail;

	if (config_find(c, sc->name) != NULL)
		return -1;
	for (tail = &c->services; *tail != NULL; tail = &(*tail)->next)
		;
	sc->next = NULL;
	*tail = sc;
	c->nservices++;
	return 0;
}

/* NULL means dflt (which may be NULL too). */
static bool
str_equal(const char *a, const char *b, const char *dflt)
{
	a = a ? a : dflt;
	b = b ? b : dflt;
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
words_equal(char *const *a, char *const *b)
{
	size_t i, n = config_nwords(a);

	if (n != config_nwords(b))
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

/* Environment order does not matter: each KEY appears at most once. */
static bool
env_equal(char *const *a, char *const *b)
{
	size_t i, j, n = config_nwords(a);

	if (n != config_nwords(b))
		return false;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n; j++)
			if (strcmp(a[i], b[j]) == 0)
				break;
		if (j == n)
			return false;
	}
	return true;
}

/* Whether row k's value is the same in two services. */
static bool
key_equal(const struct config_key *k, const struct svc_conf *a,
    const struct svc_conf *b)
{
	const void *x = (const char *)a + k->off;
	const void *y = (const char *)b + k->off;
	const void *x2 = (const char *)a + k->off2;
	const void *y2 = (const char *)b + k->off2;
	const struct out_conf *ox = x, *oy = y;
	const struct svc_limit *lx = x, *ly = y;

	switch (k->kind) {
	case KK_COMMAND:
		return words_equal(*(char *const *const *)x,
		    *(char *const *const *)y);
	case KK_ENV:
		return env_equal(*(char *const *const *)x,
		    *(char *const *const *)y);
	case KK_STRING:
	case KK_PATH:
	case KK_GROUP:
		return str_equal(*(const char *const *)x,
		    *(const char *const *)y, k->def_s);
	case KK_TAG:
		return str_equal(*(const char *const *)x ?
		    *(const char *const *)x : a->name,
		    *(const char *const *)y ?
		    *(const char *const *)y : b->name, NULL);
	case KK_ENV_FILE:
		return str_equal(*(const char *const *)x,
		    *(const char *const *)y, NULL) &&
		    *(const bool *)x2 == *(const bool *)y2;
	case KK_INT:
		return *(const bool *)x2 == *(const bool *)y2 &&
		    memcmp(x, y, k->size) == 0;
	case KK_OUTPUT:
		return ox->dest == oy->dest && str_equal(ox->file, oy->file,
		    NULL);
	case KK_LIMIT:
		return lx->set == ly->set && (!lx->set ||
		    (lx->soft == ly->soft && lx->hard == ly->hard));
	case KK_INCLUDE:
		return true;
	default:
		return memcmp(x, y, k->size) == 0;	/* a number */
	}
}

/*
 * Whether a reload must restart a service: only what the process sees
 * counts, and every key does unless its row says otherwise.
 */
bool
config_svc_equal(const struct svc_conf *a, const struct svc_conf *b)
{
	const struct config_key *k;

	if (!str_equal(a->name, b->name, NULL))
		return false;
	for (k = config_keys; k < config_keys + config_nkeys; k++)
		if (k->section == KEY_SERVICE && !(k->flags & KEY_NO_RESTART) &&
		    !key_equal(k, a, b))
			return false;
	return true;
}
