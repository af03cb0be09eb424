/*
 * tmpfiles.d(5) lines (tmpfiles.c, tmpfiles_run.c): the parser (fields,
 * "-", quotes, modifiers, specifiers, refusals), the d, D, f, L and z lines
 * made in a temp tree with their modes (and owners, as root), links not
 * followed, and tmpfiles_for_paths over overridden tmpfiles.d directories.
 */
#include <sys/stat.h>

#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

static char dir[] = "/tmp/test_tmpfiles.XXXXXX";

static int
parse(const char *line, struct tmpfiles_line *tl)
{
	char err[256];

	return tmpfiles_parse_line(line, tl, err, sizeof(err));
}

static void
test_parse_fields(void)
{
	struct tmpfiles_line tl;

	CHECK_INT(parse("# comment\n", &tl), 0);
	CHECK_INT(parse("   \n", &tl), 0);
	CHECK_INT(parse("d /run/memcached 0755 memcache memcache -\n", &tl), 1);
	CHECK_INT(tl.type, 'd');
	CHECK_STR(tl.path, "/run/memcached");
	CHECK_STR(tl.mode, "0755");
	CHECK_STR(tl.user, "memcache");
	CHECK_STR(tl.group, "memcache");
	CHECK(tl.age == NULL && tl.arg == NULL);
	tmpfiles_line_free(&tl);
	CHECK_INT(parse("d /run/x", &tl), 1);	/* fields left out */
	CHECK(tl.mode == NULL && tl.user == NULL && tl.group == NULL);
	tmpfiles_line_free(&tl);
	CHECK_INT(parse("f+! \"/run/a b\" - - - - some text here\n", &tl), 1);
	CHECK(tl.type == 'f' && tl.plus && tl.bang && !tl.minus);
	CHECK_STR(tl.path, "/run/a b");
	CHECK_STR(tl.arg, "some text here");
	tmpfiles_line_free(&tl);
	CHECK_INT(parse("L+ /etc/l - - - - /target", &tl), 1);
	CHECK(tl.type == 'L' && tl.plus);
	CHECK_STR(tl.arg, "/target");
	tmpfiles_line_free(&tl);
	CHECK_INT(parse("d- %t/a/%%/%S/%C/%L/%T/%V 1777", &tl), 1);
	CHECK(tl.minus);
	CHECK_STR(tl.path, "/run/a/%//var/lib//var/cache//var/log//tmp//var/tmp");
	tmpfiles_line_free(&tl);
}

static void
test_parse_refusals(void)
{
	struct tmpfiles_line tl;

	CHECK_INT(parse("d", &tl), -1);			/* no path */
	CHECK_INT(parse("d relative", &tl), -1);
	CHECK_INT(parse("d /x/%Q", &tl), -1);		/* unknown specifier */
	CHECK_INT(parse("d* /x", &tl), -1);		/* unknown modifier */
	CHECK_INT(parse("1 /x", &tl), -1);		/* not a type */
	CHECK(tl.path == NULL);
}

static int
apply(const char *fmt, const char *a, const char *b)
{
	char line[PATH_MAX * 3], why[256];
	struct tmpfiles_line tl;
	int r;

	snprintf(line, sizeof(line), fmt, a, b);
	if (parse(line, &tl) != 1) {
		printf("  not parsed: %s\n", line);
		t_failed_here = 1;
		return -9;
	}
	r = tmpfiles_apply_line(&tl, why, sizeof(why));
	if (r < 0)
		printf("  (%s: %s)\n", line, why);
	tmpfiles_line_free(&tl);
	return r;
}

static mode_t
mode_of(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0 ? st.st_mode : 0;
}

static void
test_apply_d_f_L_z(void)
{
	char d[PATH_MAX], f[PATH_MAX], l[PATH_MAX], buf[64];
	bool root = geteuid() == 0;
	struct passwd *nobody = getpwnam("nobody");
	struct stat st;
	FILE *fp;

	snprintf(d, sizeof(d), "%s/run/made/inner", dir);
	CHECK_INT(apply("d %s 0750 %s - -", d, root && nobody ? "nobody" :
	    "-"), 0);
	CHECK(S_ISDIR(mode_of(d)) && (mode_of(d) & 07777) == 0750);
	snprintf(f, sizeof(f), "%s/run/made", dir);
	CHECK((mode_of(f) & 07777) == 0755);	/* made on the way */
	if (root && nobody && stat(d, &st) == 0)
		CHECK_INT(st.st_uid, nobody->pw_uid);
	/* again: the mode is set again, nothing else changes */
	chmod(d, 0700);
	CHECK_INT(apply("D %s 0751 - - -", d, ""), 0);
	CHECK_INT(mode_of(d) & 07777, 0751);

	snprintf(f, sizeof(f), "%s/run/made/file", dir);
	CHECK_INT(apply("f %s 0640 - - - hello\\nworld", f, ""), 0);
	CHECK_INT(mode_of(f) & 07777, 0640);
	if ((fp = fopen(f, "r")) != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

		buf[n] = '\0';
		fclose(fp);
		CHECK_STR(buf, "hello\nworld");
	}
	/* f on an existing file: not written again; f+ truncates */
	CHECK_INT(apply("f %s - - - - other", f, ""), 0);
	CHECK_INT(mode_of(f) & 07777, 0640);
	CHECK_INT(apply("f+ %s - - - - new", f, ""), 0);
	if ((fp = fopen(f, "r")) != NULL) {
		size_t n = fread(buf, 1, sizeof(buf) - 1, fp);

		buf[n] = '\0';
		fclose(fp);
		CHECK_STR(buf, "new");
	}

	snprintf(l, sizeof(l), "%s/run/link", dir);
	CHECK_INT(apply("L %s - - - - %s", l, "/nowhere"), 0);
	CHECK(S_ISLNK(mode_of(l)));
	CHECK_INT(readlink(l, buf, sizeof(buf) - 1), 8);
	CHECK_INT(apply("L+ %s - - - - %s", l, "/elsewhere"), 0);
	buf[readlink(l, buf, sizeof(buf) - 1)] = '\0';
	CHECK_STR(buf, "/elsewhere");

	CHECK_INT(apply("z %s 0600 - - -", f, ""), 0);
	CHECK_INT(mode_of(f) & 07777, 0600);
	CHECK_INT(apply("z %s/none 0600 - - -", d, ""), 0);	/* nothing */
	CHECK_INT(apply("p %s/fifo - - - -", d, ""), 1);	/* not made here */
}

static void
test_links_not_followed(void)
{
	char target[PATH_MAX], l[PATH_MAX], p[PATH_MAX + 8];

	snprintf(target, sizeof(target), "%s/target", dir);
	mkdir(target, 0700);
	snprintf(l, sizeof(l), "%s/run/ln", dir);
	if (symlink(target, l) < 0)
		t_failed_here = 1;
	/* the last component: never followed */
	CHECK_INT(apply("d %s 0777 - - -", l, ""), -1);
	CHECK_INT(mode_of(target) & 07777, 0700);
	CHECK_INT(apply("z %s 0777 - - -", l, ""), 0);
	CHECK_INT(mode_of(target) & 07777, 0700);
	CHECK_INT(apply("f %s - - - -", l, ""), -1);
	/* =: what is in the way goes (a link, not its target) */
	CHECK_INT(apply("d= %s 0755 - - -", l, ""), 0);
	CHECK(S_ISDIR(mode_of(l)) && S_ISDIR(mode_of(target)));
	/* a link on the way to a directory of the same owner: followed */
	snprintf(l, sizeof(l), "%s/run/ln2", dir);
	if (symlink(target, l) < 0)
		t_failed_here = 1;
	snprintf(p, sizeof(p), "%s/sub", l);
	CHECK_INT(apply("d %s 0755 - - -", p, ""), 0);
	snprintf(p, sizeof(p), "%s/sub", target);
	CHECK(S_ISDIR(mode_of(p)));
}

/* A link from a directory of nobody's into one of root's is not a way
 * tmpfiles takes (CHASE_SAFE). */
static void
test_unsafe_step(void)
{
	struct passwd *nobody = getpwnam("nobody");
	char u[PATH_MAX], l[PATH_MAX + 8], p[PATH_MAX + 16], t[PATH_MAX];

	snprintf(u, sizeof(u), "%s/user", dir);
	snprintf(t, sizeof(t), "%s/rootdir", dir);
	mkdir(u, 0755);
	mkdir(t, 0755);
	if (chown(u, nobody->pw_uid, nobody->pw_gid) < 0)
		t_failed_here = 1;
	snprintf(l, sizeof(l), "%s/l", u);
	if (symlink(t, l) < 0)
		t_failed_here = 1;
	snprintf(p, sizeof(p), "%s/x", l);
	CHECK_INT(apply("d %s 0755 - - -", p, ""), -1);
	snprintf(p, sizeof(p), "%s/x", t);
	CHECK_INT(mode_of(p), 0);
}

static void
put(const char *rel, const char *text)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	if ((f = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fputs(text, f);
	fclose(f);
}

static void
test_for_paths(void)
{
	char env[PATH_MAX * 4], d1[PATH_MAX], d2[PATH_MAX], **names, *found;
	const char *const paths[] = { "/run/memcached/memcached.pid",
		"/run/postgresql", "/usr/sbin/thing", NULL };

	snprintf(d1, sizeof(d1), "%s/etc.d", dir);
	snprintf(d2, sizeof(d2), "%s/lib.d", dir);
	mkdir(d1, 0755);
	mkdir(d2, 0755);
	snprintf(env, sizeof(env), "%s:%s/missing:%s", d1, dir, d2);
	setenv("GUARDIAND_TMPFILES_DIRS", env, 1);
	put("lib.d/memcached.conf", "d /run/memcached 0755 memcache memcache -\n");
	put("lib.d/postgresql-common.conf",
	    "d /var/run/postgresql 2775 postgres postgres -\n");
	put("lib.d/other.conf", "d /run/other\nf /run/memcachedx\n");
	put("lib.d/masked.conf", "d /run/postgresql/x\n");
	put("lib.d/sub.conf", "z /run/memcached/memcached.pid\n");
	/* /etc's file of the same name wins: this one covers nothing */
	put("etc.d/masked.conf", "d /run/masked\n");
	put("lib.d/skip.txt", "d /run\n");
	CHECK_INT(tmpfiles_for_paths(paths, &names), 0);
	CHECK(names != NULL);
	if (names) {
		CHECK_INT(config_nwords(names), 2);
		CHECK_STR(names[0], "memcached.conf");
		CHECK_STR(names[1], "postgresql-common.conf");
		config_free_words(names);
	}
	found = tmpfiles_find("masked.conf");
	CHECK(found && strncmp(found, d1, strlen(d1)) == 0);
	free(found);
	CHECK(tmpfiles_find("nothing.conf") == NULL);
	unsetenv("GUARDIAND_TMPFILES_DIRS");
}

int
main(void)
{
	char cmd[PATH_MAX + 16];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_parse_fields);
	RUN(test_parse_refusals);
	RUN(test_apply_d_f_L_z);
	RUN(test_links_not_followed);
	if (geteuid() == 0 && getpwnam("nobody") != NULL)
		RUN(test_unsafe_step);
	else
		SKIP(test_unsafe_step, "needs root and a user nobody");
	RUN(test_for_paths);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		return 2;
	T_END();
}
