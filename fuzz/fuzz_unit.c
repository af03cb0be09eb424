/*
 * fuzz_unit.c: libFuzzer target for the systemd unit reader (unit_parse.c,
 * unit_file.c, unit_spec.c, unit_exec.c).
 *
 * Each input is a unit file's text, parsed with unit_parse_text() as the
 * template instance "fz-a@in\x2dst.service"; then every assignment goes
 * through unit_value_specifiers() and unit_split_words() (strict and
 * relaxed), every Exec* one through unit_exec_parse() and
 * unit_exec_expand() with a fixed environment, each key is looked up with
 * unit_get()/unit_next(), with their invariants checked. The first line of
 * the input is also taken as a unit name: unit_name_valid(),
 * unit_name_unescape() and, if valid, unit_load() in a private directory
 * holding a few units (an alias, a mask, a template, drop-ins), which a
 * valid name cannot leave. The parsed unit is also mapped onto a service
 * (unit_map.c), as `unit =` does, without the host checks; the unit
 * directories ($SYSTEMD_UNIT_PATH) are the private ones.
 */
#include <sys/stat.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static const char *dirs[3];
static char sub[2][96];

static const char *const env[] = { "ONE=one", "TWO=two two",
	"Q='a b' \"c\" d\\ e", "EMPTY=", "MAINPID=42", NULL };

static void
discard(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

static void
put(const char *name, const char *text)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

static void
cleanup(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_unit: cannot remove %s\n", dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

	(void)argc;
	(void)argv;
	snprintf(dir, sizeof(dir), "%s/fuzz_unit.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_unit: mkdtemp");
		exit(2);
	}
	atexit(cleanup);
	snprintf(sub[0], sizeof(sub[0]), "%s/etc", dir);
	snprintf(sub[1], sizeof(sub[1]), "%s/lib", dir);
	mkdir(sub[0], 0700);
	mkdir(sub[1], 0700);
	dirs[0] = sub[0];
	dirs[1] = sub[1];
	dirs[2] = NULL;
	snprintf(p, sizeof(p), "%s:%s", sub[0], sub[1]);
	setenv("SYSTEMD_UNIT_PATH", p, 1);
	config_check_host = false;
	put("lib/a.service", "[Service]\nExecStart=/bin/a %n\nUser=x\n");
	put("lib/t@.service", "[Service]\nExecStart=/bin/t %i %I\nUser=%i\n");
	put("lib/empty.service", "");
	mkdir(strcat(strcpy(p, dir), "/etc/a.service.d"), 0700);
	mkdir(strcat(strcpy(p, dir), "/lib/t@.service.d"), 0700);
	mkdir(strcat(strcpy(p, dir), "/lib/service.d"), 0700);
	put("etc/a.service.d/o.conf", "[Service]\nExecStart=\nExecStart=-/bin/b\n");
	put("lib/t@.service.d/o.conf", "[Service]\nNice=1\n");
	put("lib/service.d/all.conf", "[Unit]\nX=1\n");
	snprintf(p, sizeof(p), "%s/lib/alias.service", dir);
	if (symlink("a.service", p) != 0)
		perror(p);
	snprintf(p, sizeof(p), "%s/etc/masked.service", dir);
	if (symlink("/dev/null", p) != 0)
		perror(p);
	snprintf(p, sizeof(p), "%s/lib/loop.service", dir);
	if (symlink("loop.socket", p) != 0)
		perror(p);
	return 0;
}

static void
check_argv(char **argv, size_t argc)
{
	size_t i;

	for (i = 0; i < argc; i++)
		if (argv[i] == NULL)
			abort();	/* fewer words than counted */
	if (argv[i] != NULL)
		abort();		/* not NULL-terminated */
}

/* One assignment through everything that reads a value. */
static void
one_value(const struct unit *u, const struct unit_value *v)
{
	const struct unit_value *l;
	struct unit_exec *ex, *e;
	char err[512], *s, **w, **argv;
	int n;


	if (unit_get(u, v->section, v->key) == NULL)
		abort();
	for (l = unit_next(u, v->section, v->key, NULL); l != NULL;
	    l = unit_next(u, v->section, v->key, l))
		if (l->value[0] == '\0' || strcmp(l->key, v->key) != 0)
			abort();	/* a reset, or another key, in a list */
	if ((s = unit_value_specifiers(u, v, err, sizeof(err))) != NULL)
		free(s);
	else if (strncmp(err, v->file, strlen(v->file)) != 0)
		abort();	/* an error names the file */
	for (int relax = 0; relax < 2; relax++)
		if ((n = unit_split_words(v->value, relax, &w, err,
		    sizeof(err))) >= 0) {
			check_argv(w, (size_t)n);
			unit_strv_free(w);
		}
	if (strncmp(v->key, "Exec", 4) != 0)
		return;
	ex = unit_exec_parse(u, v, discard, NULL, err, sizeof(err));
	for (e = ex; e != NULL; e = e->next) {
		if (e->path == NULL || e->path[0] == '\0' || e->argc == 0)
			abort();
		check_argv(e->argv, e->argc);
		if ((argv = unit_exec_expand(e, env, err, sizeof(err))) != NULL) {
			size_t k = 0;

			while (argv[k] != NULL)
				k++;
			if (e->flags.no_env && k != e->argc)
				abort();	/* ":" expands nothing */
			unit_strv_free(argv);
		}
	}
	unit_exec_free(ex);
}

/* The unit onto a service, as unit = maps it; links resolved against a
 * config of that one service. */
static void
map_unit(struct unit *u)
{
	struct unit_links *links = NULL;
	struct svc_conf *sc = config_svc_new("fz");
	struct conf *c = config_new();
	char err[1024];

	if (sc == NULL || c == NULL) {
		config_svc_free(sc);
		config_free(c);
		return;
	}
	if (unit_map_unit(sc, u, NULL, &links, err, sizeof(err)) == 0) {
		if (config_add(c, sc) == 0)
			sc = NULL;
		(void)unit_map_links(c, links, err, sizeof(err));
	} else if (err[0] == '\0')
		abort();	/* a failure says why */
	unit_links_free(links);
	config_svc_free(sc);
	config_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unit *u;
	char err[512], name[UNIT_NAME_MAX + 1], *s;
	size_t n;

	if ((u = unit_new("fz-a@in\\x2dst.service")) == NULL)
		return 0;
	free(u->instance);
	u->instance = strdup("in\\x2dst");
	free(u->path);
	u->path = strdup("/lib/systemd/system/fz-a@.service");
	if (unit_parse_text(u, "fz.service", (const char *)data, size, discard,
	    NULL, err, sizeof(err)) == 0 || strncmp(err, "fz.service", 10) == 0
	    || strcmp(err, "out of memory") == 0) {
		for (size_t i = 0; i < u->nv; i++)
			one_value(u, &u->v[i]);
		map_unit(u);
	} else
		abort();	/* an error without its file */
	unit_free(u);

	n = size;
	if ((s = memchr(data, '\n', size)) != NULL)
		n = (size_t)(s - (const char *)data);
	if (n <= UNIT_NAME_MAX) {
		memcpy(name, data, n);
		name[n] = '\0';
		if ((s = unit_name_unescape(name)) != NULL)
			free(s);
		if (unit_name_valid(name) && strlen(name) == n &&
		    (u = unit_load(name, dirs, discard, NULL, err,
		    sizeof(err))) != NULL) {
			for (size_t i = 0; i < u->nv; i++)
				one_value(u, &u->v[i]);
			unit_free(u);
		}
	}
	return 0;
}
