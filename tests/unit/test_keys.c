/*
 * Unit tests that keep the key table (src/keys.c) honest: it is sorted for
 * bsearch and every row has a doc line; every key is documented in
 * guardiand.conf(5), is in the fuzz dictionary and in
 * tests/unit/every-key.conf, which loads without an error; and a change of
 * any service key's value is seen by config_svc_equal(), so that a reload
 * restarts the service (or is not, where the row says so). Files are read
 * relative to the repository's root, where tests/run runs unit binaries.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

#define MAN_PAGE	"man/guardiand.conf.5"
#define FUZZ_DICT	"fuzz/config.dict"
#define EVERY_KEY	"tests/unit/every-key.conf"

static char t_msgs[8192];

static void
collect(void *arg, const char *msg)
{
	size_t len = strlen(t_msgs);

	(void)arg;
	snprintf(t_msgs + len, sizeof(t_msgs) - len, "%s\n", msg);
}

/* A whole file, NUL-terminated, or NULL (reported as a failure). */
static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s = NULL;
	size_t n = 0;

	if (fp == NULL) {
		printf("  %s: %s (run from the repository's root)\n", path,
		    strerror(errno));
		t_failed_here = 1;
		return NULL;
	}
	if (getdelim(&s, &n, '\0', fp) < 0) {
		free(s);
		s = strdup("");
	}
	fclose(fp);
	return s;
}

/* Whether name occurs in s as a word of its own (not inside a longer key). */
static bool
has_token(const char *s, size_t len, const char *name)
{
	size_t n = strlen(name);
	const char *p, *end = s + len;

	for (p = s; p + n <= end && (p = memmem(p, end - p, name, n)) != NULL;
	    p++) {
		bool before = p == s || !(isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_');
		bool after = p + n == end || !(isalnum((unsigned char)p[n]) ||
		    p[n] == '_');

		if (before && after)
			return true;
	}
	return false;
}

static const char *
section_name(enum key_section s)
{
	return s == KEY_MAIN ? "[guardiand]" : "[service]";
}

static void
test_table_sorted(void)
{
	size_t i;

	CHECK(config_nkeys > 0);
	for (i = 1; i < config_nkeys; i++) {
		int r = strcmp(config_keys[i - 1].name, config_keys[i].name);

		if (r > 0 || (r == 0 && config_keys[i - 1].section >=
		    config_keys[i].section)) {
			printf("  config_keys[] not sorted, or a duplicate: "
			    "\"%s\" %s before \"%s\" %s\n",
			    config_keys[i - 1].name,
			    section_name(config_keys[i - 1].section),
			    config_keys[i].name,
			    section_name(config_keys[i].section));
			t_failed_here = 1;
		}
	}
}

static void
test_table_rows(void)
{
	const struct config_key *k;

	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		if (k->doc == NULL || k->doc[0] == '\0' ||
		    strchr(k->doc, '\n') != NULL) {
			printf("  %s: no one-line doc\n", k->name);
			t_failed_here = 1;
		}
		/* every key is found where it is */
		CHECK(config_key_find(k->name, k->section) == k);
		if (k->kind == KK_INCLUDE && k->section != KEY_MAIN) {
			printf("  %s: include outside [guardiand]\n", k->name);
			t_failed_here = 1;
		}
		if (k->section == KEY_SERVICE && k->kind != KK_INCLUDE)
			CHECK(k->off + k->size <= sizeof(struct svc_conf));
		if (k->section == KEY_MAIN && k->kind != KK_INCLUDE)
			CHECK(k->off + k->size <= sizeof(struct conf));
	}
	CHECK(config_key_find("no_such_key", KEY_SERVICE) == NULL);
	CHECK(config_key_find("command", KEY_MAIN) == NULL);
	CHECK(config_key_find("include", KEY_SERVICE) == NULL);
}

/*
 * Every key in guardiand.conf(5), as the page defines a key: on the line
 * after a .TP or .TQ, in the section of the page for its own section.
 */
static void
test_man_page(void)
{
	char *man = slurp(MAN_PAGE), *line, *next, *sh = NULL;
	const struct config_key *k;
	bool *found, tagline = false;

	if (man == NULL)
		return;
	found = calloc(config_nkeys, sizeof(*found));
	for (line = man; *line != '\0'; line = next) {
		size_t len = strcspn(line, "\n");

		next = line + len + (line[len] == '\n');
		if (strncmp(line, ".SH ", 4) == 0)
			sh = line;
		if (tagline && sh != NULL)
			for (k = config_keys; k < config_keys + config_nkeys; k++)
				if (has_token(line, len, k->name) &&
				    (k->section == KEY_MAIN ?
				    strncmp(sh, ".SH THE [guardiand]", 19) == 0 :
				    strncmp(sh, ".SH SERVICE", 11) == 0))
					found[k - config_keys] = true;
		tagline = strncmp(line, ".TP", len) == 0 && len == 3;
		tagline |= strncmp(line, ".TQ", len) == 0 && len == 3;
	}
	for (k = config_keys; k < config_keys + config_nkeys; k++)
		if (!found[k - config_keys]) {
			printf("  %s: not documented in %s (a .TP or .TQ entry "
			    "of its section)\n", k->name, MAN_PAGE);
			t_failed_here = 1;
		}
	free(found);
	free(man);
}

/* Every key in the fuzzer's dictionary, as a line "name". */
static void
test_fuzz_dict(void)
{
	char *dict = slurp(FUZZ_DICT), want[128];
	const struct config_key *k;

	if (dict == NULL)
		return;
	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		snprintf(want, sizeof(want), "\n\"%s\"\n", k->name);
		if (strstr(dict, want) == NULL) {
			printf("  %s: not in %s\n", k->name, FUZZ_DICT);
			t_failed_here = 1;
		}
	}
	free(dict);
}

/* One "key = value" (or "key =") line of every-key.conf, and its section. */
struct kv {
	char section[512];
	char key[512];
	char value[512];
};

static struct kv kvs[256];
static size_t nkvs;

/* Reads every-key.conf's lines the simple way (it has no continuations). */
static char *
read_every_key(void)
{
	char *text = slurp(EVERY_KEY), *line, *next, *eq;
	char section[512] = "";

	nkvs = 0;
	if (text == NULL)
		return NULL;
	for (line = text; *line != '\0'; line = next) {
		size_t len = strcspn(line, "\n");
		char buf[512];

		next = line + len + (line[len] == '\n');
		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (buf[0] == '[') {
			snprintf(section, sizeof(section), "%.*s",
			    (int)strcspn(buf, "]") + 1, buf);
			continue;
		}
		if (buf[0] == '#' || buf[0] == '\0' ||
		    (eq = strstr(buf, " =")) == NULL ||
		    nkvs == sizeof(kvs) / sizeof(kvs[0]))
			continue;
		*eq = '\0';
		snprintf(kvs[nkvs].section, sizeof(kvs[nkvs].section), "%s",
		    section);
		snprintf(kvs[nkvs].key, sizeof(kvs[nkvs].key), "%s", buf);
		snprintf(kvs[nkvs].value, sizeof(kvs[nkvs].value), "%s",
		    eq + 2 + strspn(eq + 2, " "));	/* "key =": empty */
		nkvs++;
	}
	return text;
}

static const char *
kv_value(const char *section, const char *key)
{
	for (size_t i = 0; i < nkvs; i++)
		if (strcmp(kvs[i].section, section) == 0 &&
		    strcmp(kvs[i].key, key) == 0)
			return kvs[i].value;
	return NULL;
}

static const char *
or_none(const char *s)
{
	return s ? s : "(none)";
}

/* every-key.conf loads without an error, and holds every key. */
static void
test_every_key_loads(void)
{
	char dir[] = "/tmp/test_keys.XXXXXX", path[PATH_MAX];
	char *text = read_every_key();
	const struct config_key *k;
	struct conf *c;
	FILE *fp;

	if (text == NULL)
		return;
	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		const char *sects[2] = { "[service all]", "[service changed]" };
		int n = k->section == KEY_MAIN ? 1 : 2;

		if (k->section == KEY_MAIN)
			sects[0] = "[guardiand]";
		for (int i = 0; i < n; i++)
			if (kv_value(sects[i], k->name) == NULL) {
				printf("  %s: not in %s of %s\n", k->name,
				    sects[i], EVERY_KEY);
				t_failed_here = 1;
			}
	}
	/* a private copy: StrictModes is about the file, not this test */
	if (mkdtemp(dir) == NULL) {
		perror("test_keys: mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/every-key.conf", dir);
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
	config_check_host = false;
	t_msgs[0] = '\0';
	c = config_load(path, collect, NULL);
	CHECK(c != NULL);
	CHECK_STR(t_msgs, "");
	if (c != NULL) {
		CHECK_INT(c->nservices, 2);
		CHECK(config_find(c, "all") != NULL);
		CHECK(config_find(c, "changed") != NULL);
		CHECK(c->control_group != NULL && c->status_group != NULL &&
		    c->syslog_socket != NULL);
	}
	config_free(c);
	unlink(path);
	rmdir(dir);
	free(text);
}

/* The service "all" of every-key.conf, with key (if not NULL) as in "changed". */
static struct svc_conf *
every_key_svc(const char *key)
{
	struct svc_conf *sc = config_svc_new("all");
	char err[512];

	for (size_t i = 0; i < nkvs; i++) {
		const char *v = kvs[i].value;

		if (strcmp(kvs[i].section, "[service all]") != 0)
			continue;
		if (key != NULL && strcmp(kvs[i].key, key) == 0)
			v = kv_value("[service changed]", key);
		if (v == NULL || config_svc_set(sc, kvs[i].key, v, err,
		    sizeof(err)) < 0) {
			printf("  %s = %s: %s\n", kvs[i].key, v ? v : "(none)",
			    v ? err : "not in [service changed]");
			t_failed_here = 1;
		}
	}
	return sc;
}

/* A reload restarts a service when any of its keys changed (convention 14). */
static void
test_change_of_each_key(void)
{
	char *text = read_every_key();
	const struct config_key *k;
	struct svc_conf *a, *b;

	if (text == NULL)
		return;
	a = every_key_svc(NULL);
	b = every_key_svc(NULL);
	CHECK(config_svc_equal(a, b));
	config_svc_free(b);
	for (k = config_keys; k < config_keys + config_nkeys; k++) {
		bool restarts = !(k->flags & KEY_NO_RESTART);

		if (k->section != KEY_SERVICE)
			continue;
		b = every_key_svc(k->name);
		if (config_svc_equal(a, b) == restarts ||
		    config_svc_equal(b, a) == restarts) {
			printf("  %s: a change from %s to %s is %s by "
			    "config_svc_equal\n", k->name,
			    or_none(kv_value("[service all]", k->name)),
			    or_none(kv_value("[service changed]", k->name)),
			    restarts ? "not seen" : "seen");
			t_failed_here = 1;
		}
		config_svc_free(b);
	}
	config_svc_free(a);
	free(text);
}

/* The limit names service.c's messages use are the config keys. */
static void
test_limit_names(void)
{
	for (int i = 0; i < NLIMITS; i++) {
		const struct config_key *k;

		k = config_key_find(config_limit_name(i), KEY_SERVICE);
		CHECK(k != NULL && k->kind == KK_LIMIT && k->arg == i);
	}
	CHECK_STR(config_limit_name(LIM_NOFILE), "limit_nofile");
}

int
main(void)
{
	/* unit = in every-key.conf: the fixture units, nothing of the host */
	setenv("SYSTEMD_UNIT_PATH", "tests/unit/units", 1);
	RUN(test_table_sorted);
	RUN(test_table_rows);
	RUN(test_man_page);
	RUN(test_fuzz_dict);
	RUN(test_every_key_loads);
	RUN(test_change_of_each_key);
	RUN(test_limit_names);
	T_END();
}
