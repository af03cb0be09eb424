/*
 * svc_conf.c: a service's configuration as a whole, walking the key table
 * (keys.c): defaults, freeing, the checks that span keys, and the
 * comparison that tells a reload which services changed.
 */
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "guardiand.h"

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
			config_put_uint(k, slot, (unsigned long long)k->def);
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
	case KK_NAMES:
	case KK_RELPATHS:
	case KK_ENV_FILE:
	case KK_CONDITION:
	case KK_FILENAMES:
		config_free_words(*(char ***)slot);
		break;
	case KK_PROBE:
		probe_free(slot);
		break;
	case KK_STRING:
	case KK_PATH:
	case KK_TAG:
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
	if (sc->ready.kind == PROBE_FD && sc->type == TYPE_FORKING) {
		fmt_err(err, errlen, "service \"%s\": ready = fd:N is for "
		    "type = simple (a forking service's starter would hold "
		    "the descriptor)", sc->name);
		return -1;
	}
	if (sc->watchdog_ms > 0 && sc->ready.kind != PROBE_NOTIFY) {
		fmt_err(err, errlen, "service \"%s\": watchdog is for "
		    "ready = notify (WATCHDOG=1 comes over NOTIFY_SOCKET)",
		    sc->name);
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

/* Order does not matter: each entry appears at most once (an environment
 * KEY, a service name). */
static bool
set_equal(char *const *a, char *const *b)
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
	case KK_RELPATHS:
	case KK_FILENAMES:
	case KK_NAMES:	/* a set: the order does not matter */
		return set_equal(*(char *const *const *)x,
		    *(char *const *const *)y);
	case KK_PROBE:
		return probe_equal(x, y);
	case KK_EXIT_SET:
		return memcmp(x, y, sizeof(struct exit_set)) == 0;
	case KK_CAPS:
		return ((const struct cap_set *)x)->set ==
		    ((const struct cap_set *)y)->set &&
		    ((const struct cap_set *)x)->mask ==
		    ((const struct cap_set *)y)->mask;
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
	case KK_CONDITION:
	case KK_ENV_FILE:	/* in order: a later one wins */
		return words_equal(*(char *const *const *)x,
		    *(char *const *const *)y);
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
