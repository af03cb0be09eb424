/*
 * fuzz_config.c: libFuzzer target for the config parser.
 *
 * Each input is written to one temp file (mode 0600, owned by whoever runs
 * the fuzzer, so config.c's StrictModes check passes under root) in a
 * private directory (in /dev/shm, else /tmp), loaded with config_load(),
 * checked and freed; the same file is read with config_read_env_file().
 * The raw input, and each of its lines, also goes through
 * config_split_words(), config_parse_duration(), config_parse_signal() and
 * the other value parsers, and is set as every service key of the table.
 *
 * include= patterns are real globs over the file system, so an input could
 * otherwise name /dev/zero or /proc/kmsg and hang. The link wraps glob()
 * (-Wl,--wrap=glob): every pattern is confined to the private directory,
 * which holds a few small files for includes to find.
 */
#include <sys/stat.h>

#include <errno.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob);
int __real_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob);

static char dir[64];	/* private: the config and what it may include */
static char path[128];
static int fd = -1;

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
	chmod(p, 0600);
}

static void
cleanup(void)
{
	char p[256];

	if (fd >= 0)
		close(fd);
	unlink(path);
	snprintf(p, sizeof(p), "%s/conf.d/a.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/conf.d/b.conf", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/conf.d", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/other.conf", dir);
	unlink(p);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char p[256];

	(void)argc;
	(void)argv;
	/* tmpfs if there is one: on ext4, rewriting a file per input costs a
	 * writeback each time. */
	snprintf(dir, sizeof(dir), "%s/fuzz_config.XXXXXX",
	    access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_config: mkdtemp");
		exit(2);
	}
	snprintf(path, sizeof(path), "%s/main.XXXXXX", dir);
	if ((fd = mkstemp(path)) == -1 || fchmod(fd, 0600) == -1) {
		perror("fuzz_config: mkstemp");
		exit(2);
	}
	snprintf(p, sizeof(p), "%s/conf.d", dir);
	mkdir(p, 0700);
	put("conf.d/a.conf", "[service inc_a]\ncommand = /bin/true\n");
	put("conf.d/b.conf", "[service inc_b]\ncommand = /bin/sleep 1\n"
	    "restart = never\n");
	put("other.conf", "[guardiand]\ninclude = conf.d/*.conf\n");
	/* unit = and units = enabled: a unit of the target's own, never the
	 * host's */
	snprintf(p, sizeof(p), "%s/units", dir);
	mkdir(p, 0700);
	setenv("SYSTEMD_UNIT_PATH", p, 1);
	put("units/u.service", "[Unit]\nAfter=inc_a.service\n[Service]\n"
	    "Type=notify\nExecStart=/bin/sleep 1\nUser=root\n");
	snprintf(p, sizeof(p), "%s/units/multi-user.target.wants", dir);
	mkdir(p, 0700);
	put("units/multi-user.target.wants/u.service",
	    "[Service]\nExecStart=/bin/true\n");
	atexit(cleanup);
	return 0;
}

/* Confines an include pattern to the private directory: ".." is refused,
 * an absolute pattern outside it is re-rooted there. */
int
__wrap_glob(const char *pattern, int flags,
    int (*errfunc)(const char *, int), glob_t *pglob)
{
	size_t dl = strlen(dir);
	char *p;
	int r;

	if (strstr(pattern, "..") != NULL)
		return GLOB_NOMATCH;
	if (strncmp(pattern, dir, dl) == 0 && (pattern[dl] == '/' ||
	    pattern[dl] == '\0'))
		return __real_glob(pattern, flags, errfunc, pglob);
	if (asprintf(&p, "%s%s%s", dir, pattern[0] == '/' ? "" : "/",
	    pattern) == -1)
		return GLOB_NOSPACE;
	r = __real_glob(p, flags, errfunc, pglob);
	free(p);
	return r;
}

/* Every service key of the table set to s, on a fresh service: the
 * parsers, defaults, free and comparison all walk the table. */
static void
every_key(const char *s)
{
	struct svc_conf *sc = config_svc_new("fuzz");
	char err[256];

	if (sc == NULL)
		return;
	for (size_t i = 0; i < config_nkeys; i++)
		if (config_keys[i].section == KEY_SERVICE)
			(void)config_key_set(&config_keys[i], sc, s, err,
			    sizeof(err));
	(void)config_svc_check(sc, err, sizeof(err));
	if (!config_svc_equal(sc, sc))
		abort();
	config_svc_free(sc);
}

/* The value parsers on one NUL-terminated text, with their invariants. */
static void
pieces(const char *s)
{
	char **words = NULL, err[256], buf[32];
	int64_t ms, back;
	int n;

	n = config_split_words(s, &words, err, sizeof(err));
	if (n >= 0) {
		for (int i = 0; i < n; i++)
			if (words[i] == NULL)
				abort();	/* fewer words than counted */
		if (words[n] != NULL)
			abort();	/* not NULL-terminated */
		config_free_words(words);
	}
	if (config_parse_duration(s, &ms) == 0) {
		if (ms < 0)
			abort();
		/* written back the way a user would, it reads the same */
		if (config_parse_duration(config_fmt_duration(ms, buf,
		    sizeof(buf)), &back) != 0 || back != ms)
			abort();
	}
	n = config_parse_signal(s);
	if (n > 0)
		(void)config_signal_name(n);
	else if (n == 0 || n < -1)
		abort();
	(void)config_parse_facility(s);
	(void)config_parse_priority(s);
	(void)config_valid_name(s);
	every_key(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf *c;
	char *s, **env;
	char err[256];

	/* The config file: rewritten in place for each input. */
	if (pwrite(fd, data, size, 0) != (ssize_t)size ||
	    ftruncate(fd, (off_t)size) == -1)
		abort();
	if ((c = config_load(path, discard, NULL)) != NULL) {
		for (struct svc_conf *sc = c->services; sc; sc = sc->next) {
			if (!config_svc_equal(sc, sc))
				abort();	/* a service differs from itself */
			if (config_find(c, sc->name) == NULL)
				abort();
		}
		config_free(c);
	}

	/* The same file as an environment_file= (read at each start). */
	if ((env = config_read_env_file(path, err, sizeof(err))) != NULL)
		config_free_words(env);

	/* The pieces, on the raw text, then on each line of it. */
	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	pieces(s);
	for (char *line = s, *nl; line != NULL; line = nl) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl++ = '\0';
		pieces(line);
	}
	free(s);
	return 0;
}
