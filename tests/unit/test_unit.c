/*
 * systemd unit files (unit_file.c, unit_parse.c, unit_spec.c,
 * unit_exec.c): finding them in precedence order, aliases, masks,
 * template instances, drop-ins, the line syntax, Exec lines, specifiers
 * and $VAR; and the real Debian 12 units of tests/unit/units/.
 */
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

#define FIXTURES	"tests/unit/units"

static char root[64];
static char d_etc[128], d_run[128], d_lib[128];
static const char *dirs[4];
static char warnings[4096];

static void
on_warn(void *arg, const char *msg)
{
	(void)arg;
	strncat(warnings, msg, sizeof(warnings) - strlen(warnings) - 2);
	strcat(warnings, "\n");
}

/* A fresh tree of three unit directories, in precedence order. */
static void
setup(void)
{
	snprintf(root, sizeof(root), "/tmp/test_unit.XXXXXX");
	if (mkdtemp(root) == NULL) {
		perror("mkdtemp");
		exit(2);
	}
	snprintf(d_etc, sizeof(d_etc), "%s/etc", root);
	snprintf(d_run, sizeof(d_run), "%s/run", root);
	snprintf(d_lib, sizeof(d_lib), "%s/lib", root);
	mkdir(d_etc, 0755);
	mkdir(d_run, 0755);
	mkdir(d_lib, 0755);
	dirs[0] = d_etc;
	dirs[1] = d_run;
	dirs[2] = d_lib;
	dirs[3] = NULL;
	warnings[0] = '\0';
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		printf("  cannot remove %s\n", root);
}

/* Writes text to dir/name, making dir (one level) if needed. */
static void
put(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (strchr(name, '/') != NULL) {
		char d[512];

		snprintf(d, sizeof(d), "%s/%.*s", dir,
		    (int)(strrchr(name, '/') - name), name);
		mkdir(d, 0755);
	}
	if ((fp = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

static void
link_to(const char *target, const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if (symlink(target, p) != 0) {
		perror(p);
		exit(2);
	}
}

static const char *
val(const struct unit *u, const char *section, const char *key)
{
	const struct unit_value *v = unit_get(u, section, key);

	return v ? v->value : NULL;
}

/* The unit text parsed as "f.service" (no file read). */
static struct unit *
parse(const char *text, char *err, size_t errlen)
{
	struct unit *u = unit_new("f.service");

	if (unit_parse_text(u, "f.service", text, strlen(text), on_warn, NULL,
	    err, errlen) < 0) {
		unit_free(u);
		return NULL;
	}
	return u;
}

/* One Exec line of u, as if it were at f.service:7. */
static struct unit_exec *
exec_line(const struct unit *u, const char *line, char *err, size_t errlen)
{
	char key[] = "ExecStart", *value = strdup(line);
	struct unit_value v = { "Service", key, value, "f.service", 7 };
	struct unit_exec *ex = unit_exec_parse(u, &v, on_warn, NULL, err, errlen);

	free(value);
	return ex;
}

/* argv joined by '|' for one CHECK_STR. */
static const char *
joined(char *const *argv)
{
	static char s[2048];

	s[0] = '\0';
	for (size_t i = 0; argv != NULL && argv[i] != NULL; i++) {
		if (i > 0)
			strcat(s, "|");
		strncat(s, argv[i], sizeof(s) - strlen(s) - 2);
	}
	return s;
}

static void
test_name_valid(void)
{
	CHECK(unit_name_valid("ssh.service"));
	CHECK(unit_name_valid("syncthing@.service"));
	CHECK(unit_name_valid("syncthing@alice.service"));
	CHECK(unit_name_valid("dev-sda1.device"));
	CHECK(unit_name_valid("a\\x2db.socket"));
	CHECK(!unit_name_valid("ssh"));
	CHECK(!unit_name_valid("ssh.conf"));
	CHECK(!unit_name_valid(".service"));
	CHECK(!unit_name_valid("@a.service"));
	CHECK(!unit_name_valid("../etc/passwd.service"));
	CHECK(!unit_name_valid("a/b.service"));
	CHECK(!unit_name_valid("a@b@c.service"));
	CHECK(!unit_name_valid("a b.service"));
}

static void
test_precedence(void)
{
	char err[512], *path, *id, *inst, want[256];

	setup();
	put(d_lib, "a.service", "[Service]\nExecStart=/bin/lib\n");
	put(d_run, "a.service", "[Service]\nExecStart=/bin/run\n");
	put(d_lib, "b.service", "[Service]\nExecStart=/bin/lib\n");
	put(d_run, "b.service", "[Service]\nExecStart=/bin/run\n");
	put(d_etc, "b.service", "[Service]\nExecStart=/bin/etc\n");
	CHECK_INT(unit_find("a.service", dirs, &path, &id, &inst, err,
	    sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/a.service", d_run);
	CHECK_STR(path, want);
	CHECK_STR(id, "a.service");
	CHECK(inst == NULL);
	free(path);
	free(id);
	CHECK_INT(unit_find("b.service", dirs, &path, &id, &inst, err,
	    sizeof(err)), 0);
	snprintf(want, sizeof(want), "%s/b.service", d_etc);
	CHECK_STR(path, want);
	free(path);
	free(id);
	CHECK_INT(unit_find("c.service", dirs, &path, &id, &inst, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "unit c.service not found in ") != NULL);
	CHECK(strstr(err, d_lib) != NULL);
	CHECK_INT(unit_find("../x.service", dirs, &path, &id, &inst, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "not a valid unit name") != NULL);
	teardown();
}

/* An alias symlink resolves by name through the whole search path, and
 * the drop-ins of both names apply. */
static void
test_alias_symlink(void)
{
	char err[512], want[256];
	struct unit *u;

	setup();
	put(d_lib, "redis-server.service",
	    "[Service]\nExecStart=/usr/bin/redis-server\nUser=redis\n");
	link_to("redis-server.service", d_lib, "redis.service");
	put(d_etc, "redis.service.d/a.conf", "[Service]\nUser=alias\n");
	put(d_lib, "redis-server.service.d/b.conf", "[Service]\nGroup=real\n");
	u = unit_load("redis.service", dirs, on_warn, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u != NULL) {
		snprintf(want, sizeof(want), "%s/redis-server.service", d_lib);
		CHECK_STR(u->path, want);
		CHECK_STR(u->name, "redis.service");
		CHECK_STR(u->id, "redis-server.service");
		CHECK_STR(val(u, "Service", "User"), "alias");
		CHECK_STR(val(u, "Service", "Group"), "real");
		CHECK_INT(u->nfiles, 3);
	}
	unit_free(u);
	/* an override of the target in /etc wins over the alias's dir */
	put(d_etc, "redis-server.service", "[Service]\nExecStart=/bin/etc\n");
	u = unit_load("redis.service", dirs, NULL, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u != NULL)
		CHECK_STR(val(u, "Service", "ExecStart"), "/bin/etc");
	unit_free(u);
	/* an alias loop ends */
	link_to("loop2.service", d_lib, "loop1.service");
	link_to("loop1.service", d_lib, "loop2.service");
	CHECK(unit_load("loop1.service", dirs, NULL, NULL, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "aliases in a row") != NULL);
	/* a linked unit file (systemctl link): same name, read where it is */
	{
		char elsewhere[256];

		snprintf(elsewhere, sizeof(elsewhere), "%s/linked.service", root);
		put(root, "linked.service", "[Service]\nExecStart=/bin/linked\n");
		link_to(elsewhere, d_etc, "linked.service");
		u = unit_load("linked.service", dirs, NULL, NULL, err,
		    sizeof(err));
		CHECK(u != NULL);
		if (u != NULL) {
			CHECK_STR(u->path, elsewhere);
			CHECK_STR(u->id, "linked.service");
		}
		unit_free(u);
	}
	/* an instance linked to its template keeps its instance */
	put(d_lib, "s@.service", "[Service]\nExecStart=/bin/s %i\n");
	link_to("s@.service", d_etc, "s@one.service");
	u = unit_load("s@one.service", dirs, NULL, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u != NULL) {
		CHECK_STR(u->id, "s@one.service");
		CHECK_STR(u->instance, "one");
		snprintf(want, sizeof(want), "%s/s@.service", d_lib);
		CHECK_STR(u->path, want);
	}
	unit_free(u);
	/* an alias to another type is refused */
	link_to("redis-server.service", d_lib, "r.socket");
	CHECK(unit_load("r.socket", dirs, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not a unit of its type") != NULL);
	teardown();
}

static void
test_masked(void)
{
	char err[512];

	setup();
	put(d_lib, "m.service", "[Service]\nExecStart=/bin/true\n");
	link_to("/dev/null", d_etc, "m.service");
	CHECK(unit_load("m.service", dirs, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "unit m.service is masked") != NULL);
	CHECK(strstr(err, "/dev/null") != NULL);
	put(d_lib, "e.service", "");
	CHECK(unit_load("e.service", dirs, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "unit e.service is masked") != NULL);
	/* a masked template masks its instances */
	put(d_lib, "t@.service", "[Service]\nExecStart=/bin/true\n");
	link_to("/dev/null", d_run, "t@.service");
	CHECK(unit_load("t@x.service", dirs, NULL, NULL, err,
	    sizeof(err)) == NULL);
	CHECK(strstr(err, "masked") != NULL);
	teardown();
}

static void
test_template_instance(void)
{
	char err[512], *s;
	struct unit *u;
	const struct unit_value *v;

	setup();
	put(d_lib, "w@.service", "[Unit]\nDescription=for %I\n[Service]\n"
	    "User=%i\nExecStart=/bin/w --dir /srv/%I --name %p-%i %n %N %j %f\n");
	put(d_lib, "w@.service.d/t.conf", "[Service]\nNice=5\n");
	put(d_etc, "w@a-b.service.d/i.conf", "[Service]\nNice=7\n");
	u = unit_load("w@a-b.service", dirs, on_warn, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u == NULL) {
		printf("  %s\n", err);
		teardown();
		return;
	}
	CHECK_STR(u->id, "w@a-b.service");
	CHECK_STR(u->instance, "a-b");
	/* the instance's and the template's drop-ins apply in the order of
	 * their file names: i.conf, then t.conf */
	CHECK_STR(val(u, "Service", "Nice"), "5");
	v = unit_get(u, "Service", "User");
	s = unit_value_specifiers(u, v, err, sizeof(err));
	CHECK_STR(s, "a-b");
	free(s);
	v = unit_get(u, "Unit", "Description");
	s = unit_value_specifiers(u, v, err, sizeof(err));
	CHECK_STR(s, "for a/b");
	free(s);
	{
		struct unit_exec *ex = unit_exec_parse(u, unit_get(u, "Service",
		    "ExecStart"), NULL, NULL, err, sizeof(err));

		CHECK(ex != NULL);
		if (ex != NULL)
			CHECK_STR(joined(ex->argv), "/bin/w|--dir|/srv/a/b|--name|"
			    "w-a-b|w@a-b.service|w@a-b|w|/a/b");
		unit_exec_free(ex);
	}
	unit_free(u);
	/* an instance with a file of its own keeps its instance */
	put(d_etc, "w@own.service", "[Service]\nExecStart=/bin/own %i\n");
	u = unit_load("w@own.service", dirs, NULL, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u != NULL)
		CHECK_STR(u->instance, "own");
	unit_free(u);
	/* a template alone is not a unit to run */
	CHECK(unit_load("w@.service", dirs, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "is a template") != NULL);
	teardown();
}

/* Drop-ins: lexical order by file name across directories, the same name
 * in a directory of higher precedence masks the lower, /dev/null masks,
 * "ExecStart=" resets the list, service.d and dash prefixes apply. */
static void
test_dropins(void)
{
	char err[512];
	const struct unit_value *v;
	struct unit *u;
	int n;

	setup();
	put(d_lib, "my-app.service", "[Service]\nExecStart=/bin/one\n"
	    "Environment=A=1\nUser=lib\n");
	put(d_lib, "my-app.service.d/10-x.conf", "[Service]\nUser=masked\n");
	put(d_etc, "my-app.service.d/10-x.conf",
	    "[Service]\nExecStart=\nExecStart=/bin/two\n");
	put(d_run, "my-app.service.d/05-y.conf", "[Service]\nUser=run\n"
	    "Environment=B=2\n");
	put(d_lib, "my-app.service.d/20-z.conf", "[Service]\nUser=nulled\n");
	link_to("/dev/null", d_etc, "my-app.service.d/20-z.conf");
	put(d_lib, "my-app.service.d/30-w.conf", "[Service]\nEnvironment=C=3\n");
	put(d_lib, "my-app.service.d/notes.txt", "[Service]\nUser=txt\n");
	put(d_lib, "service.d/00-all.conf", "[Service]\nNice=1\n");
	put(d_lib, "my-.service.d/01-dash.conf", "[Service]\nNice=2\n");
	u = unit_load("my-app.service", dirs, on_warn, NULL, err, sizeof(err));
	CHECK(u != NULL);
	if (u == NULL) {
		printf("  %s\n", err);
		teardown();
		return;
	}
	CHECK_STR(val(u, "Service", "User"), "run");
	CHECK_STR(val(u, "Service", "Nice"), "2");
	v = unit_next(u, "Service", "ExecStart", NULL);
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_STR(v->value, "/bin/two");
		CHECK(strstr(v->file, "/etc/my-app.service.d/10-x.conf") != NULL);
		CHECK_INT(v->line, 3);
		CHECK(unit_next(u, "Service", "ExecStart", v) == NULL);
	}
	n = 0;
	for (v = unit_next(u, "Service", "Environment", NULL); v != NULL;
	    v = unit_next(u, "Service", "Environment", v))
		n++;
	CHECK_INT(n, 3);
	/* main, 00-all, 01-dash, 05-y, 10-x (etc), 30-w */
	CHECK_INT(u->nfiles, 6);
	if (u->nfiles == 6) {
		CHECK(strstr(u->files[1], "00-all.conf") != NULL);
		CHECK(strstr(u->files[2], "01-dash.conf") != NULL);
		CHECK(strstr(u->files[3], "05-y.conf") != NULL);
		CHECK(strstr(u->files[4], "etc/my-app.service.d/10-x") != NULL);
		CHECK(strstr(u->files[5], "30-w.conf") != NULL);
	}
	unit_free(u);
	teardown();
}

static void
test_continuation_and_comments(void)
{
	char err[512];
	struct unit *u;
	const struct unit_value *v;

	warnings[0] = '\0';
	u = parse("\xef\xbb\xbf# comment\r\n; another\n[Unit]\r\n"
	    "Description = spaced out  \n"
	    "[Service]\n"
	    "ExecStart=/bin/sh -c \\\n"
	    "# a comment inside is skipped \\\n"
	    "  ; so is this one\n"
	    "   'echo a' \\\n"
	    "  b\n"
	    "Environment=X=a\\\\\n"
	    "Key2=not # a comment\n"
	    "  [X-Mine]  \n"
	    "Any=thing\n"
	    "Tail=end \\", err, sizeof(err));
	CHECK(u != NULL);
	if (u == NULL) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(val(u, "Unit", "Description"), "spaced out");
	v = unit_get(u, "Service", "ExecStart");
	CHECK(v != NULL);
	if (v != NULL) {
		CHECK_STR(v->value, "/bin/sh -c     'echo a'    b");
		CHECK_INT(v->line, 6);
	}
	CHECK_STR(val(u, "Service", "Environment"), "X=a\\\\");
	CHECK_STR(val(u, "Service", "Key2"), "not # a comment");
	CHECK_STR(val(u, "X-Mine", "Any"), "thing");
	CHECK_STR(val(u, "X-Mine", "Tail"), "end");
	CHECK_INT(u->nsections, 3);
	unit_free(u);

	u = parse("Early=1\n[Service]\n=v\n.include /etc/x\n", err, sizeof(err));
	CHECK(u != NULL);
	CHECK(strstr(warnings, "f.service:1: assignment outside") != NULL);
	CHECK(strstr(warnings, "f.service:3: assignment without a key") != NULL);
	CHECK(strstr(warnings, "f.service:4: .include") != NULL);
	unit_free(u);
	CHECK(parse("[Service]\nExecStart /bin/x\n", err, sizeof(err)) == NULL);
	CHECK_STR(err, "f.service:2: missing '=' in \"ExecStart /bin/x\"");
	CHECK(parse("[Service\n", err, sizeof(err)) == NULL);
	CHECK_STR(err, "f.service:1: invalid section header \"[Service\"");
	/* as a C string the NUL ends the text; with its length, an error */
	u = parse("[A]\nB=c\0d\n", err, sizeof(err));
	CHECK(u != NULL);
	unit_free(u);
	{
		struct unit *w = unit_new("f.service");

		CHECK_INT(unit_parse_text(w, "f.service", "[A]\nB=c\0d\n", 10,
		    NULL, NULL, err, sizeof(err)), -1);
		CHECK_STR(err, "f.service:2: a NUL byte");
		unit_free(w);
	}
}

static void
test_exec_prefixes(void)
{
	static const struct {
		const char *line;
		const char *argv;
		int ig, a0, ne, pr, ns, am;
	} t[] = {
		{ "/bin/x a", "/bin/x|a", 0, 0, 0, 0, 0, 0 },
		{ "-/bin/x", "/bin/x", 1, 0, 0, 0, 0, 0 },
		{ "@/bin/x name a", "name|a", 0, 1, 0, 0, 0, 0 },
		{ ":/bin/x $A", "/bin/x|$A", 0, 0, 1, 0, 0, 0 },
		{ "+/bin/x", "/bin/x", 0, 0, 0, 1, 0, 0 },
		{ "!/bin/x", "/bin/x", 0, 0, 0, 0, 1, 0 },
		{ "!!/bin/x", "/bin/x", 0, 0, 0, 0, 0, 1 },
		{ "-@+/bin/x y", "y", 1, 1, 0, 1, 0, 0 },
		{ ":-!!/bin/x", "/bin/x", 1, 0, 1, 0, 0, 1 },
		{ "@-:!/bin/x z", "z", 1, 1, 1, 0, 1, 0 },
	};
	char err[512];
	struct unit *u = unit_new("f.service");
	struct unit_exec *ex;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ex = exec_line(u, t[i].line, err, sizeof(err));
		CHECK(ex != NULL);
		if (ex == NULL) {
			printf("  %s: %s\n", t[i].line, err);
			continue;
		}
		CHECK_STR(ex->path, "/bin/x");
		CHECK_STR(joined(ex->argv), t[i].argv);
		CHECK_INT(ex->flags.ignore_failure, t[i].ig);
		CHECK_INT(ex->flags.argv0, t[i].a0);
		CHECK_INT(ex->flags.no_env, t[i].ne);
		CHECK_INT(ex->flags.privileged, t[i].pr);
		CHECK_INT(ex->flags.no_setuid, t[i].ns);
		CHECK_INT(ex->flags.ambient, t[i].am);
		unit_exec_free(ex);
	}
	/* a prefix twice, or + with !, is part of the path: not valid */
	CHECK(exec_line(u, "::/bin/x", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "\":/bin/x\" is neither") != NULL);
	CHECK(exec_line(u, "+!/bin/x", err, sizeof(err)) == NULL);
	CHECK(exec_line(u, "@/bin/x", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "empty program name or zeroth argument") != NULL);
	/* with "-", a line that cannot be used is a warning */
	warnings[0] = '\0';
	CHECK(exec_line(u, "-/bin/x 'open", err, sizeof(err)) == NULL);
	CHECK_STR(err, "");
	CHECK(strstr(warnings, "unbalanced quoting, ignored") != NULL);
	/* a bare name is kept for unit_exec_find(); no relative paths */
	ex = exec_line(u, "sh -c true", err, sizeof(err));
	CHECK(ex != NULL);
	if (ex != NULL) {
		char *p = unit_exec_find(ex->path, err, sizeof(err));

		CHECK_STR(ex->path, "sh");
		CHECK(p != NULL && (strcmp(p, "/usr/bin/sh") == 0 ||
		    strcmp(p, "/bin/sh") == 0));
		free(p);
	}
	unit_exec_free(ex);
	CHECK(unit_exec_find("no-such-program-here", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not found in /usr/local/sbin:") != NULL);
	CHECK(exec_line(u, "bin/x", err, sizeof(err)) == NULL);
	CHECK(exec_line(u, "/bin/", err, sizeof(err)) == NULL);
	CHECK(exec_line(u, "\"/bin/a\\\"b\"", err, sizeof(err)) == NULL);
	ex = exec_line(u, "//usr/./bin//x", err, sizeof(err));
	CHECK(ex != NULL);
	if (ex != NULL) {
		CHECK_STR(ex->path, "/usr/bin/x");
		CHECK_STR(ex->argv[0], "//usr/./bin//x");
	}
	unit_exec_free(ex);
	CHECK(exec_line(u, "", err, sizeof(err)) == NULL);
	CHECK_STR(err, "");
	unit_free(u);
}

static void
test_exec_quoting(void)
{
	char err[512];
	struct unit *u = unit_new("f.service");
	struct unit_exec *ex;

	ex = exec_line(u, "/usr/sbin/nginx -g 'daemon on; master_process on;'",
	    err, sizeof(err));
	CHECK(ex != NULL && ex->next == NULL);
	if (ex != NULL)
		CHECK_STR(joined(ex->argv),
		    "/usr/sbin/nginx|-g|daemon on; master_process on;");
	unit_exec_free(ex);
	ex = exec_line(u, "/bin/e a\"b c\"d 'x\\ty' \"\\x41\\101\\u00e9\" "
	    "\\n\\s \"\" ''", err, sizeof(err));
	CHECK(ex != NULL);
	if (ex != NULL) {
		CHECK_INT(ex->argc, 7);
		CHECK_STR(ex->argv[1], "ab cd");
		CHECK_STR(ex->argv[2], "x\ty");
		CHECK_STR(ex->argv[3], "AA\xc3\xa9");
		CHECK_STR(ex->argv[4], "\n ");
		CHECK_STR(ex->argv[5], "");
		CHECK_STR(ex->argv[6], "");
	}
	unit_exec_free(ex);
	/* systemd 252 still splits at a lone ";" (systemd.service(5), and
	 * systemd-analyze verify refuses two ExecStart for Type=simple) */
	ex = exec_line(u, "/bin/echo one ; /bin/echo \"two two\" \\; x;y ;",
	    err, sizeof(err));
	CHECK(ex != NULL);
	if (ex != NULL) {
		CHECK_STR(joined(ex->argv), "/bin/echo|one");
		CHECK(ex->next != NULL);
		if (ex->next != NULL) {
			CHECK_STR(joined(ex->next->argv),
			    "/bin/echo|two two|;|x;y");
			CHECK(ex->next->next == NULL);
		}
	}
	unit_exec_free(ex);
	/* "\;" only as a word of its own: quoted, \; is an unknown escape */
	ex = exec_line(u, "/bin/e \"\\;\" ';'", err, sizeof(err));
	CHECK(ex != NULL && ex->next == NULL);
	if (ex != NULL)
		CHECK_STR(joined(ex->argv), "/bin/e|\\;|;");
	unit_exec_free(ex);
	/* an unknown escape is kept as written, with a warning */
	warnings[0] = '\0';
	ex = exec_line(u, "/bin/e \\q \\x0 \\000", err, sizeof(err));
	CHECK(ex != NULL);
	if (ex != NULL)
		CHECK_STR(joined(ex->argv), "/bin/e|\\q|\\x0|\\000");
	CHECK(strstr(warnings, "f.service:7: ExecStart=: unknown escape") != NULL);
	unit_exec_free(ex);
	CHECK(exec_line(u, "/bin/e \"open", err, sizeof(err)) == NULL);
	CHECK_STR(err, "f.service:7: ExecStart=/bin/e \"open: unbalanced quoting");
	unit_free(u);
}

static void
test_exec_env(void)
{
	char err[512], **argv;
	const char *env[] = { "ONE=one", "TWO=two two", "Q='a b' \"c\" d\\ e",
		"EMPTY=", NULL };
	struct unit *u = unit_new("f.service");
	struct unit_exec *ex;

	/* systemd.service(5)'s own examples */
	ex = exec_line(u, "/bin/echo $ONE $TWO ${TWO} $Q ${Q} $UNSET ${UNSET} "
	    "$EMPTY x${ONE}y $ONE/z $$ONE a$$b ${ONE:-x} ${ONE", err,
	    sizeof(err));
	CHECK(ex != NULL);
	if (ex == NULL) {
		unit_free(u);
		return;
	}
	argv = unit_exec_expand(ex, env, err, sizeof(err));
	CHECK_STR(joined(argv), "/bin/echo|one|two|two|two two|a b|c|d e|"
	    "'a b' \"c\" d\\ e||xoney|$ONE|a$b|${ONE:-x}|${ONE");
	unit_strv_free(argv);
	unit_exec_free(ex);
	ex = exec_line(u, ":/bin/echo $ONE ${TWO}", err, sizeof(err));
	argv = ex ? unit_exec_expand(ex, env, err, sizeof(err)) : NULL;
	CHECK_STR(joined(argv), "/bin/echo|$ONE|${TWO}");
	unit_strv_free(argv);
	unit_exec_free(ex);
	unit_free(u);
}

/* Other list values (After=, SuccessExitStatus=...) split the same way. */
static void
test_split_words(void)
{
	char err[256], **w = NULL;

	CHECK_INT(unit_split_words("  a \"b c\"\td\\x41 'e'f ", false, &w,
	    err, sizeof(err)), 4);
	CHECK_STR(joined(w), "a|b c|dA|ef");
	unit_strv_free(w);
	CHECK_INT(unit_split_words("", false, &w, err, sizeof(err)), 0);
	CHECK(w != NULL && w[0] == NULL);
	unit_strv_free(w);
	CHECK_INT(unit_split_words("a 'b", false, &w, err, sizeof(err)), -1);
	CHECK(strstr(err, "unbalanced quoting") != NULL);
	CHECK_INT(unit_split_words("a 'b c", true, &w, err, sizeof(err)), 2);
	CHECK_STR(joined(w), "a|b c");
	unit_strv_free(w);
}

static void
test_specifiers(void)
{
	char err[512], host[256], *s;
	struct unit *u = unit_new("x-y-z.service");
	char key[] = "User", value[] = "%q%z";
	struct unit_value v = { "Service", key, value,
		"/lib/x.service.d/o.conf", 12 };

	free(u->path);
	u->path = strdup("/lib/systemd/system/x-y-z.service");
	s = unit_specifiers(u, "%n %N %p %P %i %I %j %J %f %y %Y %t %S %C %L "
	    "%E %% 100%", err, sizeof(err));
	CHECK_STR(s, "x-y-z.service x-y-z x-y-z x/y/z   z z /x/y/z "
	    "/lib/systemd/system/x-y-z.service /lib/systemd/system /run "
	    "/var/lib /var/cache /var/log /etc % 100%");
	free(s);
	gethostname(host, sizeof(host));
	s = unit_specifiers(u, "%H", err, sizeof(err));
	CHECK_STR(s, host);
	free(s);
	s = unit_specifiers(u, "%U", err, sizeof(err));
	CHECK(s != NULL && atoi(s) == (int)getuid());
	free(s);
	s = unit_specifiers(u, "%v %a %o %b %u %h %s %g %G %T %V %w", err,
	    sizeof(err));
	CHECK(s != NULL);
	free(s);
	/* %m needs /etc/machine-id, which a fresh chroot lacks: an error
	 * then, as systemd's is */
	{
		FILE *f = fopen("/etc/machine-id", "r");
		char id[64] = "";

		if (f != NULL) {
			if (fgets(id, sizeof(id), f) == NULL)
				id[0] = '\0';
			fclose(f);
		}
		id[strcspn(id, "\n")] = '\0';
		s = unit_specifiers(u, "%m", err, sizeof(err));
		if (id[0] != '\0')
			CHECK_STR(s, id);
		else
			CHECK(s == NULL && strcmp(err,
			    "%m: cannot read the machine id") == 0);
		free(s);
	}
	CHECK(unit_specifiers(u, "a%zb", err, sizeof(err)) == NULL);
	CHECK_STR(err, "unknown specifier \"%z\"");
	CHECK(unit_value_specifiers(u, &v, err, sizeof(err)) == NULL);
	CHECK_STR(err, "/lib/x.service.d/o.conf:12: User=%q%z: unknown "
	    "specifier \"%z\"");
	CHECK(unit_specifiers(u, "%d", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "not supported") != NULL);
	/* in an Exec line: the location and the line in the error */
	CHECK(exec_line(u, "/bin/x --user=%K", err, sizeof(err)) == NULL);
	CHECK_STR(err, "f.service:7: ExecStart=/bin/x --user=%K: unknown "
	    "specifier \"%K\"");
	unit_free(u);
}

static void
test_oversize(void)
{
	char err[512], *big, name[256];
	struct unit *u = unit_new("f.service");
	struct unit_exec *ex;
	size_t n = UNIT_LINE_MAX + 1024;

	setup();
	big = malloc(UNIT_FILE_MAX + 2);
	/* one line over the limit, also when made of continuations */
	memset(big, 'a', n);
	memcpy(big, "[A]\nB=", 6);
	big[n] = '\0';
	CHECK_INT(unit_parse_text(u, "f.service", big, n, NULL, NULL, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "f.service:2: line longer than") != NULL);
	for (size_t i = 100; i + 2 < n; i += 100)
		memcpy(big + i, "\\\n", 2);
	CHECK_INT(unit_parse_text(u, "f.service", big, n, NULL, NULL, err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "f.service:2: line longer than") != NULL);
	/* a file over the limit */
	memset(big, '#', UNIT_FILE_MAX + 1);
	big[UNIT_FILE_MAX + 1] = '\0';
	put(d_lib, "big.service", big);
	CHECK(unit_load("big.service", dirs, NULL, NULL, err, sizeof(err)) ==
	    NULL);
	CHECK(strstr(err, "big.service: larger than") != NULL);
	/* too many drop-ins */
	put(d_lib, "d.service", "[Service]\nExecStart=/bin/true\n");
	for (int i = 0; i <= UNIT_DROPINS_MAX; i++) {
		snprintf(name, sizeof(name), "d.service.d/%03d.conf", i);
		put(d_lib, name, "[Service]\nNice=1\n");
	}
	CHECK(unit_load("d.service", dirs, NULL, NULL, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "more than 128 drop-ins") != NULL);
	/* a FIFO is not read */
	snprintf(name, sizeof(name), "%s/fifo.service", d_lib);
	mkfifo(name, 0644);
	CHECK(unit_load("fifo.service", dirs, NULL, NULL, err, sizeof(err)) ==
	    NULL);
	CHECK(strstr(err, "not a regular file") != NULL);
	/* too many words */
	strcpy(big, "/bin/x");
	for (int i = 0; i <= UNIT_EXEC_ARGS_MAX; i++)
		strcat(big, " a");
	ex = exec_line(u, big, err, sizeof(err));
	CHECK(ex == NULL);
	CHECK(strstr(err, "more than 4096 words") != NULL);
	free(big);
	unit_free(u);
	teardown();
}

/* Loads NAME from the fixtures, or NULL with a message. */
static struct unit *
fixture(const char *name)
{
	static const char *const fdirs[] = { FIXTURES, NULL };
	char err[512];
	struct unit *u;

	if ((u = unit_load(name, fdirs, on_warn, NULL, err, sizeof(err))) == NULL)
		printf("  %s: %s\n", name, err);
	return u;
}

/* The first command of the single-valued key KEY's list, expanded. */
static const char *
cmd(struct unit *u, const char *key, size_t nth, const char *const *env)
{
	static char s[2048];
	const struct unit_value *v = NULL;
	struct unit_exec *ex;
	static char err[512];
	char **argv;

	s[0] = '\0';
	for (size_t i = 0; i <= nth; i++)
		if ((v = unit_next(u, "Service", key, v)) == NULL)
			return "(none)";
	if ((ex = unit_exec_parse(u, v, on_warn, NULL, err, sizeof(err))) == NULL)
		return err;
	argv = unit_exec_expand(ex, env, err, sizeof(err));
	snprintf(s, sizeof(s), "%s%s", ex->flags.ignore_failure ? "-" : "",
	    joined(argv));
	unit_strv_free(argv);
	unit_exec_free(ex);
	return s;
}

static void
test_debian_units(void)
{
	struct unit *u;
	const struct unit_value *v;
	char err[512], *s;
	const char *ssh_env[] = { "SSHD_OPTS=-o LogLevel=VERBOSE", "MAINPID=42", NULL };
	const char *ha_env[] = { "CONFIG=/etc/haproxy/haproxy.cfg",
		"PIDFILE=/run/haproxy.pid",
		"EXTRAOPTS=-S /run/haproxy-master.sock", "MAINPID=7", NULL };

	warnings[0] = '\0';
	if ((u = fixture("nginx.service")) != NULL) {
		CHECK_STR(val(u, "Service", "Type"), "forking");
		CHECK_STR(val(u, "Service", "PIDFile"), "/run/nginx.pid");
		CHECK_STR(cmd(u, "ExecStartPre", 0, NULL), "/usr/sbin/nginx|-t|-q|"
		    "-g|daemon on; master_process on;");
		CHECK_STR(cmd(u, "ExecStart", 0, NULL), "/usr/sbin/nginx|-g|"
		    "daemon on; master_process on;");
		CHECK_STR(cmd(u, "ExecStop", 0, NULL), "-/sbin/start-stop-daemon|"
		    "--quiet|--stop|--retry|QUIT/5|--pidfile|/run/nginx.pid");
		CHECK_STR(val(u, "Service", "KillMode"), "mixed");
		CHECK_STR(val(u, "Unit", "After"), "network-online.target "
		    "remote-fs.target nss-lookup.target");
		CHECK_STR(val(u, "Install", "WantedBy"), "multi-user.target");
	}
	unit_free(u);
	if ((u = fixture("redis-server.service")) != NULL) {
		CHECK_STR(val(u, "Service", "Type"), "notify");
		CHECK_STR(cmd(u, "ExecStart", 0, NULL), "/usr/bin/redis-server|"
		    "/etc/redis/redis.conf|--supervised|systemd|--daemonize|no");
		CHECK_STR(val(u, "Service", "PIDFile"),
		    "/run/redis/redis-server.pid");
		CHECK_STR(val(u, "Service", "User"), "redis");
		CHECK_STR(val(u, "Service", "RuntimeDirectoryMode"), "2755");
		CHECK_STR(val(u, "Service", "UMask"), "007");
		CHECK_STR(val(u, "Service", "CapabilityBoundingSet"), "");
		CHECK_STR(val(u, "Service", "SystemCallFilter"),
		    "~ @privileged @resources");
		CHECK_STR(val(u, "Install", "Alias"), "redis.service");
	}
	unit_free(u);
	if ((u = fixture("rsyslog.service")) != NULL) {
		CHECK_STR(val(u, "Service", "Type"), "notify");
		CHECK_STR(cmd(u, "ExecStart", 0, NULL),
		    "/usr/sbin/rsyslogd|-n|-iNONE");
		CHECK_STR(val(u, "Service", "StandardOutput"), "null");
		CHECK_STR(val(u, "Service", "LimitNOFILE"), "16384");
		CHECK_STR(val(u, "Unit", "Requires"), "syslog.socket");
	}
	unit_free(u);
	if ((u = fixture("ssh.service")) != NULL) {
		v = unit_next(u, "Service", "EnvironmentFile", NULL);
		CHECK(v != NULL && strcmp(v->value, "-/etc/default/ssh") == 0);
		CHECK_STR(cmd(u, "ExecStartPre", 0, NULL), "/usr/sbin/sshd|-t");
		CHECK_STR(cmd(u, "ExecStart", 0, ssh_env),
		    "/usr/sbin/sshd|-D|-o|LogLevel=VERBOSE");
		CHECK_STR(cmd(u, "ExecStart", 0, NULL), "/usr/sbin/sshd|-D");
		CHECK_STR(cmd(u, "ExecReload", 1, ssh_env), "/bin/kill|-HUP|42");
		CHECK_STR(val(u, "Service", "RuntimeDirectory"), "sshd");
		CHECK_STR(val(u, "Service", "RestartPreventExitStatus"), "255");
		CHECK_STR(val(u, "Unit", "ConditionPathExists"),
		    "!/etc/ssh/sshd_not_to_be_run");
	}
	unit_free(u);
	if ((u = fixture("ssh.socket")) != NULL) {
		CHECK_STR(val(u, "Socket", "ListenStream"), "22");
		CHECK_STR(val(u, "Socket", "Accept"), "no");
	}
	unit_free(u);
	if ((u = fixture("syncthing@alice.service")) != NULL) {
		CHECK_STR(u->instance, "alice");
		CHECK_STR(u->path, FIXTURES "/syncthing@.service");
		v = unit_get(u, "Service", "User");
		s = v ? unit_value_specifiers(u, v, err, sizeof(err)) : NULL;
		CHECK_STR(s, "alice");
		free(s);
		v = unit_get(u, "Unit", "Description");
		s = v ? unit_value_specifiers(u, v, err, sizeof(err)) : NULL;
		CHECK_STR(s, "Syncthing - Open Source Continuous File "
		    "Synchronization for alice");
		free(s);
		CHECK_STR(cmd(u, "ExecStart", 0, NULL), "/usr/bin/syncthing|serve|"
		    "--no-browser|--no-restart|--logflags=0");
		CHECK_STR(val(u, "Service", "SuccessExitStatus"), "3 4");
		CHECK_STR(val(u, "Unit", "StartLimitBurst"), "4");
	}
	unit_free(u);
	if ((u = fixture("haproxy.service")) != NULL) {
		int n = 0;

		for (v = unit_next(u, "Service", "EnvironmentFile", NULL); v;
		    v = unit_next(u, "Service", "EnvironmentFile", v))
			n++;
		CHECK_INT(n, 2);
		CHECK_STR(val(u, "Service", "Environment"),
		    "\"CONFIG=/etc/haproxy/haproxy.cfg\" \"PIDFILE=/run/haproxy.pid\" "
		    "\"EXTRAOPTS=-S /run/haproxy-master.sock\"");
		CHECK_STR(cmd(u, "ExecStart", 0, ha_env), "/usr/sbin/haproxy|-Ws|-f|"
		    "/etc/haproxy/haproxy.cfg|-p|/run/haproxy.pid|-S|"
		    "/run/haproxy-master.sock");
		CHECK_STR(cmd(u, "ExecReload", 0, ha_env), "/usr/sbin/haproxy|-Ws|"
		    "-f|/etc/haproxy/haproxy.cfg|-c|-q|-S|/run/haproxy-master.sock");
		CHECK_STR(cmd(u, "ExecReload", 1, ha_env), "/bin/kill|-USR2|7");
		CHECK_STR(cmd(u, "ExecReload", 2, ha_env), "(none)");
		CHECK_STR(val(u, "Service", "SuccessExitStatus"), "143");
		CHECK(unit_get(u, "Service", "NoNewPrivileges") == NULL);
	}
	unit_free(u);
	if ((u = fixture("memcached.service")) != NULL) {
		CHECK_STR(cmd(u, "ExecStart", 0, NULL), "/usr/share/memcached/"
		    "scripts/systemd-memcached-wrapper|/etc/memcached.conf");
		CHECK_STR(val(u, "Service", "PIDFile"),
		    "/run/memcached/memcached.pid");
		CHECK_STR(val(u, "Service", "Restart"), "always");
		CHECK(unit_get(u, "Service", "Type") == NULL);
		CHECK_STR(val(u, "Service", "CapabilityBoundingSet"),
		    "CAP_SETGID CAP_SETUID CAP_SYS_RESOURCE");
	}
	unit_free(u);
	CHECK_STR(warnings, "");
}

int
main(void)
{
	RUN(test_name_valid);
	RUN(test_precedence);
	RUN(test_alias_symlink);
	RUN(test_masked);
	RUN(test_template_instance);
	RUN(test_dropins);
	RUN(test_continuation_and_comments);
	RUN(test_exec_prefixes);
	RUN(test_exec_quoting);
	RUN(test_exec_env);
	RUN(test_split_words);
	RUN(test_specifiers);
	RUN(test_oversize);
	RUN(test_debian_units);
	T_END();
}
