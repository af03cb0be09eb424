/*
 * Unit tests of config.c: word splitting, values, and whole files with
 * every kind of error, checked against the exact "file:line: message" text.
 * Each file test runs in its own temp dir, entered with chdir, so messages
 * name short relative paths.
 */
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <syslog.h>

#include "guardiand.h"
#include "t.h"

static char t_dir[64];
static char t_oldcwd[PATH_MAX];
static char t_msgs[16384];
static int t_nmsgs;

static void
collect(void *arg, const char *msg)
{
	size_t len = strlen(t_msgs);

	(void)arg;
	t_nmsgs++;
	snprintf(t_msgs + len, sizeof(t_msgs) - len, "%s\n", msg);
}

static void
tmp_enter(void)
{
	strcpy(t_dir, "/tmp/test_config.XXXXXX");
	if (mkdtemp(t_dir) == NULL || getcwd(t_oldcwd, sizeof(t_oldcwd)) == NULL ||
	    chdir(t_dir) == -1) {
		perror("test_config: temp dir");
		exit(2);
	}
	t_msgs[0] = '\0';
	t_nmsgs = 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
tmp_leave(void)
{
	if (chdir(t_oldcwd) == -1 ||
	    nftw(t_dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1)
		perror("test_config: cleanup");
}

/* Writes a file in the temp dir, creating its directory if needed. */
static void
put(const char *path, const char *text)
{
	char dir[256], *slash;
	FILE *fp;

	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir, '/'); slash != NULL;
	    slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	if ((fp = fopen(path, "w")) == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

static struct conf *
load(const char *path)
{
	t_msgs[0] = '\0';
	t_nmsgs = 0;
	return config_load(path, collect, NULL);
}

/* Loads text as main.conf, expecting failure with exactly these messages. */
static void
expect_errors(const char *text, const char *msgs, int line)
{
	struct conf *c;

	put("main.conf", text);
	c = load("main.conf");
	if (c != NULL) {
		printf("  %s:%d: config_load succeeded\n", __FILE__, line);
		t_failed_here = 1;
		config_free(c);
	}
	if (strcmp(t_msgs, msgs) != 0) {
		printf("  %s:%d: messages:\n%s  expected:\n%s", __FILE__, line,
		    t_msgs, msgs);
		t_failed_here = 1;
	}
}
#define EXPECT_ERRORS(text, msgs) expect_errors(text, msgs, __LINE__)

/* Loads text as main.conf, expecting success and no message. */
static struct conf *
load_ok(const char *text, int line)
{
	struct conf *c;

	put("main.conf", text);
	c = load("main.conf");
	if (c == NULL || t_msgs[0] != '\0') {
		printf("  %s:%d: config_load failed:\n%s", __FILE__, line,
		    t_msgs);
		t_failed_here = 1;
	}
	return c;
}
#define LOAD_OK(text) load_ok(text, __LINE__)

/* Splits s and returns the words joined as [w1][w2]..., or the error. */
static const char *
split(const char *s)
{
	static char out[1024];
	char **argv = NULL, err[128];
	int n, i;

	n = config_split_words(s, &argv, err, sizeof(err));
	if (n == -1) {
		snprintf(out, sizeof(out), "error: %s", err);
		return out;
	}
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(out, "[");
		strcat(out, argv[i]);
		strcat(out, "]");
	}
	if (argv[n] != NULL)
		strcpy(out, "argv not NULL-terminated");
	config_free_words(argv);
	return out;
}

/* ---- words ---- */

static void
test_split_plain(void)
{
	CHECK_STR(split("a b c"), "[a][b][c]");
	CHECK_STR(split("  a \t b\t\tc  "), "[a][b][c]");
	CHECK_STR(split("/usr/bin/api --port 8080"), "[/usr/bin/api][--port][8080]");
	CHECK_STR(split("x=$HOME*"), "[x=$HOME*]");
}

static void
test_split_empty(void)
{
	char **argv = NULL, err[64];

	CHECK_INT(config_split_words("", &argv, err, sizeof(err)), 0);
	CHECK(argv != NULL && argv[0] == NULL);
	config_free_words(argv);
	argv = NULL;
	CHECK_INT(config_split_words(" \t ", &argv, err, sizeof(err)), 0);
	CHECK(argv != NULL && argv[0] == NULL);
	config_free_words(argv);
	config_free_words(NULL);
}

static void
test_split_single_quotes(void)
{
	CHECK_STR(split("'a b'"), "[a b]");
	CHECK_STR(split("'a\\b $x \"q\"'"), "[a\\b $x \"q\"]");
	CHECK_STR(split("'\\'"), "[\\]");
}

static void
test_split_double_quotes(void)
{
	CHECK_STR(split("\"a b\""), "[a b]");
	CHECK_STR(split("\"a\\\"b\""), "[a\"b]");
	CHECK_STR(split("\"a\\\\b\""), "[a\\b]");
	CHECK_STR(split("\"\\$x\""), "[$x]");
	CHECK_STR(split("\"\\`x\""), "[`x]");
	CHECK_STR(split("\"a\\nb\""), "[a\\nb]");
	CHECK_STR(split("\"it's\""), "[it's]");
	CHECK_STR(split("\"$HOME\""), "[$HOME]");
}

static void
test_split_backslash(void)
{
	CHECK_STR(split("a\\ b"), "[a b]");
	CHECK_STR(split("\\'x"), "['x]");
	CHECK_STR(split("\\\\"), "[\\]");
	CHECK_STR(split("\\n"), "[n]");
}

static void
test_split_join_and_empty_words(void)
{
	CHECK_STR(split("a\"b c\"d"), "[ab cd]");
	CHECK_STR(split("a'b c'\"d e\"f\\ g"), "[ab cd ef g]");
	CHECK_STR(split("''"), "[]");
	CHECK_STR(split("\"\""), "[]");
	CHECK_STR(split("a '' b"), "[a][][b]");
	CHECK_STR(split("a''b"), "[ab]");
}

static void
test_split_errors(void)
{
	char **argv = NULL, err[64];

	CHECK_STR(split("a 'b"), "error: unterminated single quote");
	CHECK_STR(split("a \"b"), "error: unterminated double quote");
	CHECK_STR(split("\"abc\\\""), "error: unterminated double quote");
	CHECK_STR(split("a\\"), "error: backslash at end of line");
	CHECK_INT(config_split_words("'x", &argv, err, sizeof(err)), -1);
	CHECK(argv == NULL);
	CHECK_INT(config_split_words("'x", &argv, NULL, 0), -1);
}

/* ---- durations, signals, names ---- */

static int64_t
dur(const char *s)
{
	int64_t ms = -42;

	if (config_parse_duration(s, &ms) == -1)
		return -1;
	return ms;
}

static void
test_duration_units(void)
{
	CHECK_INT(dur("250ms"), 250);
	CHECK_INT(dur("10s"), 10000);
	CHECK_INT(dur("2m"), 120000);
	CHECK_INT(dur("1h"), 3600000);
	CHECK_INT(dur("0s"), 0);
	CHECK_INT(dur("0ms"), 0);
	CHECK_INT(dur("007s"), 7000);
	CHECK_INT(dur("24h"), 86400000);
}

static void
test_duration_decimals(void)
{
	CHECK_INT(dur("1.5s"), 1500);
	CHECK_INT(dur("0.25s"), 250);
	CHECK_INT(dur("1.5m"), 90000);
	CHECK_INT(dur("0.5h"), 1800000);
	CHECK_INT(dur("1.000s"), 1000);
	CHECK_INT(dur("2.0ms"), 2);
	CHECK_INT(dur("0.001s"), 1);
}

static void
test_duration_bad(void)
{
	int64_t ms = 7;

	CHECK_INT(dur(""), -1);
	CHECK_INT(dur("10"), -1);
	CHECK_INT(dur("0"), -1);
	CHECK_INT(dur("1.5"), -1);
	CHECK_INT(dur("10x"), -1);
	CHECK_INT(dur("s"), -1);
	CHECK_INT(dur("-1s"), -1);
	CHECK_INT(dur("+1s"), -1);
	CHECK_INT(dur(" 1s"), -1);
	CHECK_INT(dur("1s "), -1);
	CHECK_INT(dur("1 s"), -1);
	CHECK_INT(dur("1.s"), -1);
	CHECK_INT(dur(".5s"), -1);
	CHECK_INT(dur("1..5s"), -1);
	CHECK_INT(dur("1.5ms"), -1);
	CHECK_INT(dur("1.0005s"), -1);
	CHECK_INT(dur("1.0000000001s"), -1);
	CHECK_INT(dur("10S"), -1);
	CHECK_INT(dur("10sec"), -1);
	CHECK_INT(dur("1e3s"), -1);
	CHECK_INT(dur("1s1"), -1);
	CHECK_INT(dur("9223372036854775807ms"), INT64_MAX);
	CHECK_INT(dur("9223372036854775808ms"), -1);
	CHECK_INT(dur("99999999999999999999999s"), -1);
	CHECK_INT(dur("9223372036854775s"), 9223372036854775000LL);
	CHECK_INT(dur("9223372036854776s"), -1);
	CHECK_INT(dur("9223372036854775.808s"), -1);
	CHECK_INT(dur("9223372036854775.807s"), INT64_MAX);
	CHECK_INT(dur("2562047788016h"), -1);
	CHECK_INT(config_parse_duration("bad", &ms), -1);
	CHECK_INT(ms, 7);
}

static void
test_signal_names(void)
{
	CHECK_INT(config_parse_signal("TERM"), SIGTERM);
	CHECK_INT(config_parse_signal("SIGTERM"), SIGTERM);
	CHECK_INT(config_parse_signal("term"), SIGTERM);
	CHECK_INT(config_parse_signal("sigterm"), SIGTERM);
	CHECK_INT(config_parse_signal("SigTerm"), SIGTERM);
	CHECK_INT(config_parse_signal("KILL"), SIGKILL);
	CHECK_INT(config_parse_signal("HUP"), SIGHUP);
	CHECK_INT(config_parse_signal("USR1"), SIGUSR1);
	CHECK_INT(config_parse_signal("SIGUSR2"), SIGUSR2);
	CHECK_INT(config_parse_signal("WINCH"), SIGWINCH);
	CHECK_INT(config_parse_signal("SIGPWR"), SIGPWR);
	CHECK_INT(config_parse_signal("STKFLT"), SIGSTKFLT);
	CHECK_INT(config_parse_signal("SYS"), SIGSYS);
	CHECK_INT(config_parse_signal("IO"), SIGIO);
}

static void
test_signal_numbers(void)
{
	CHECK_INT(config_parse_signal("15"), 15);
	CHECK_INT(config_parse_signal("9"), 9);
	CHECK_INT(config_parse_signal("1"), 1);
	CHECK_INT(config_parse_signal("64"), NSIG - 1 == 64 ? 64 : -1);
	CHECK_INT(config_parse_signal("0"), -1);
	CHECK_INT(config_parse_signal("65"), -1);
	CHECK_INT(config_parse_signal("015"), 15);
	CHECK_INT(config_parse_signal("99999999999999999999"), -1);
}

static void
test_signal_bad(void)
{
	CHECK_INT(config_parse_signal(""), -1);
	CHECK_INT(config_parse_signal("FOO"), -1);
	CHECK_INT(config_parse_signal("SIG"), -1);
	CHECK_INT(config_parse_signal("SIGFOO"), -1);
	CHECK_INT(config_parse_signal("SIG15"), -1);
	CHECK_INT(config_parse_signal("-15"), -1);
	CHECK_INT(config_parse_signal("15x"), -1);
	CHECK_INT(config_parse_signal(" TERM"), -1);
	CHECK_INT(config_parse_signal("TERM "), -1);
}

static void
test_signal_name(void)
{
	static const char *names[] = { "HUP", "INT", "QUIT", "ILL", "TRAP",
	    "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2", "PIPE",
	    "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN",
	    "TTOU", "URG", "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO",
	    "PWR", "SYS" };
	size_t i;

	CHECK_STR(config_signal_name(SIGTERM), "TERM");
	CHECK_STR(config_signal_name(SIGKILL), "KILL");
	CHECK_STR(config_signal_name(40), "SIG40");
	CHECK_STR(config_signal_name(64), "SIG64");
	CHECK_STR(config_signal_name(-1), "SIG?");
	CHECK_STR(config_signal_name(1000), "SIG?");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		CHECK_STR(config_signal_name(config_parse_signal(names[i])),
		    names[i]);
}

static void
test_valid_name(void)
{
	char long64[66];

	CHECK(config_valid_name("api"));
	CHECK(config_valid_name("web-1.worker_x@host"));
	CHECK(config_valid_name("_x"));
	CHECK(config_valid_name("9"));
	CHECK(!config_valid_name(""));
	CHECK(!config_valid_name(".hidden"));
	CHECK(!config_valid_name("-x"));
	CHECK(!config_valid_name("a b"));
	CHECK(!config_valid_name("a/b"));
	CHECK(!config_valid_name("a:b"));
	CHECK(!config_valid_name("caf\xc3\xa9"));
	memset(long64, 'a', 64);
	long64[64] = '\0';
	CHECK(config_valid_name(long64));
	long64[64] = 'a';
	long64[65] = '\0';
	CHECK(!config_valid_name(long64));
}

/* ---- one service ---- */

static void
test_svc_defaults(void)
{
	struct svc_conf *sc = config_svc_new("api");

	CHECK_STR(sc->name, "api");
	CHECK(sc->command == NULL && sc->argv == NULL);
	CHECK(sc->directory == NULL && sc->user == NULL && sc->group == NULL);
	CHECK(sc->env == NULL);
	CHECK_INT(sc->umask, DEF_UMASK);
	CHECK_INT(sc->restart, RESTART_ALWAYS);
	CHECK_INT(sc->stop_signal, SIGTERM);
	CHECK_INT(sc->stop_timeout_ms, DEF_STOP_TIMEOUT_MS);
	CHECK_INT(sc->backoff_initial_ms, DEF_BACKOFF_INITIAL_MS);
	CHECK_INT(sc->backoff_max_ms, DEF_BACKOFF_MAX_MS);
	CHECK_INT(sc->healthy_after_ms, DEF_HEALTHY_AFTER_MS);
	CHECK_INT(sc->give_up_after, 0);
	CHECK_INT(sc->out[0].dest, OUT_SYSLOG);
	CHECK_INT(sc->out[1].dest, OUT_SYSLOG);
	CHECK_INT(sc->out[0].priority, LOG_INFO);
	CHECK_INT(sc->out[1].priority, LOG_WARNING);
	CHECK_INT(sc->syslog_facility, LOG_DAEMON);
	CHECK_INT(sc->line_max, DEF_LINE_MAX);
	CHECK_INT(sc->log_lines, DEF_LOG_LINES);
	CHECK(!sc->nice_set && !sc->clear_environment &&
	    !sc->no_new_privileges && sc->env_files == NULL);
	for (int i = 0; i < NLIMITS; i++)
		CHECK(!sc->limits[i].set);
	CHECK(sc->next == NULL);
	config_svc_free(sc);
	config_svc_free(NULL);
}

/* Sets key=value on sc and returns "" or the error message. */
static const char *
set(struct svc_conf *sc, const char *key, const char *value)
{
	static char err[256];

	strcpy(err, "(none)");
	if (config_svc_set(sc, key, value, err, sizeof(err)) == 0)
		return "";
	return err;
}

static void
test_svc_set_values(void)
{
	struct svc_conf *sc = config_svc_new("api");

	CHECK_STR(set(sc, "command", "/bin/echo 'a b'"), "");
	CHECK_STR(sc->command, "/bin/echo 'a b'");
	CHECK_STR(sc->argv[0], "/bin/echo");
	CHECK_STR(sc->argv[1], "a b");
	CHECK(sc->argv[2] == NULL);
	CHECK_STR(set(sc, "command", "/bin/true"), "");
	CHECK_STR(sc->argv[0], "/bin/true");
	CHECK(sc->argv[1] == NULL);
	CHECK_STR(set(sc, "directory", "/srv/api"), "");
	CHECK_STR(sc->directory, "/srv/api");
	CHECK_STR(set(sc, "user", "api"), "");
	CHECK_STR(sc->user, "api");
	CHECK_STR(set(sc, "group", "www-data"), "");
	CHECK_STR(sc->group, "www-data");
	CHECK_STR(set(sc, "restart", "on-failure"), "");
	CHECK_INT(sc->restart, RESTART_ON_FAILURE);
	CHECK_STR(set(sc, "restart", "never"), "");
	CHECK_INT(sc->restart, RESTART_NEVER);
	CHECK_STR(set(sc, "restart", "always"), "");
	CHECK_INT(sc->restart, RESTART_ALWAYS);
	CHECK_STR(set(sc, "stop_signal", "SIGINT"), "");
	CHECK_INT(sc->stop_signal, SIGINT);
	CHECK_STR(set(sc, "stop_signal", "3"), "");
	CHECK_INT(sc->stop_signal, SIGQUIT);
	CHECK_STR(set(sc, "stop_timeout", "0s"), "");
	CHECK_INT(sc->stop_timeout_ms, 0);
	CHECK_STR(set(sc, "backoff_initial", "1ms"), "");
	CHECK_INT(sc->backoff_initial_ms, 1);
	CHECK_STR(set(sc, "backoff_max", "24h"), "");
	CHECK_INT(sc->backoff_max_ms, 86400000);
	CHECK_STR(set(sc, "healthy_after", "1.5s"), "");
	CHECK_INT(sc->healthy_after_ms, 1500);
	CHECK_STR(set(sc, "give_up_after", "5"), "");
	CHECK_INT(sc->give_up_after, 5);
	CHECK_STR(set(sc, "give_up_after", "0"), "");
	CHECK_INT(sc->give_up_after, 0);
	CHECK_STR(set(sc, "give_up_after", "4294967295"), "");
	CHECK_INT(sc->give_up_after, 4294967295u);
	CHECK_STR(set(sc, "umask", "0027"), "");
	CHECK_INT(sc->umask, 027);
	config_svc_free(sc);
}

static void
test_svc_set_errors(void)
{
	struct svc_conf *sc = config_svc_new("api");

	CHECK_STR(set(sc, "stop_timeout", "10x"),
	    "invalid duration \"10x\" for stop_timeout (use ms, s, m or h)");
	CHECK_STR(set(sc, "healthy_after", "10"),
	    "invalid duration \"10\" for healthy_after (use ms, s, m or h)");
	CHECK_STR(set(sc, "backoff_max", "25h"),
	    "backoff_max \"25h\" is too long (at most 24h)");
	CHECK_STR(set(sc, "backoff_initial", "0ms"),
	    "backoff_initial must be at least 1ms");
	CHECK_STR(set(sc, "restart", "sometimes"),
	    "invalid restart \"sometimes\" (always, on-failure or never)");
	CHECK_STR(set(sc, "restart", "Always"),
	    "invalid restart \"Always\" (always, on-failure or never)");
	CHECK_STR(set(sc, "stop_signal", "FOO"), "unknown signal \"FOO\"");
	CHECK_STR(set(sc, "stop_signal", "0"), "unknown signal \"0\"");
	CHECK_STR(set(sc, "foo", "1"), "unknown key \"foo\"");
	CHECK_STR(set(sc, "directory", "srv/api"),
	    "directory \"srv/api\" is not an absolute path");
	CHECK_STR(set(sc, "user", ""), "empty value for user");
	CHECK_STR(set(sc, "command", ""), "empty command");
	CHECK_STR(set(sc, "command", "  "), "empty command");
	CHECK_STR(set(sc, "command", "/bin/x 'a"), "unterminated single quote");
	CHECK_STR(set(sc, "give_up_after", "-1"),
	    "invalid give_up_after \"-1\" (a non-negative integer)");
	CHECK_STR(set(sc, "give_up_after", "3x"),
	    "invalid give_up_after \"3x\" (a non-negative integer)");
	CHECK_STR(set(sc, "give_up_after", "4294967296"),
	    "invalid give_up_after \"4294967296\" (a non-negative integer)");
	/* nothing changed on failure */
	CHECK(sc->argv == NULL && sc->directory == NULL && sc->user == NULL);
	CHECK_INT(sc->stop_timeout_ms, DEF_STOP_TIMEOUT_MS);
	CHECK_INT(sc->restart, RESTART_ALWAYS);
	CHECK_INT(sc->stop_signal, SIGTERM);
	CHECK_INT(config_svc_set(sc, "foo", "1", NULL, 0), -1);
	config_svc_free(sc);
}

static void
test_umask(void)
{
	struct svc_conf *sc = config_svc_new("u");

	CHECK_STR(set(sc, "umask", "022"), "");
	CHECK_INT(sc->umask, 022);
	CHECK_STR(set(sc, "umask", "77"), "");
	CHECK_INT(sc->umask, 077);
	CHECK_STR(set(sc, "umask", "0"), "");
	CHECK_INT(sc->umask, 0);
	CHECK_STR(set(sc, "umask", "0777"), "");
	CHECK_INT(sc->umask, 0777);
	CHECK_STR(set(sc, "umask", "0000022"), "");
	CHECK_INT(sc->umask, 022);
	CHECK_STR(set(sc, "umask", "999"), "invalid umask \"999\"");
	CHECK_STR(set(sc, "umask", "8"), "invalid umask \"8\"");
	CHECK_STR(set(sc, "umask", "01000"), "invalid umask \"01000\"");
	CHECK_STR(set(sc, "umask", "0x1f"), "invalid umask \"0x1f\"");
	CHECK_STR(set(sc, "umask", "-1"), "invalid umask \"-1\"");
	CHECK_STR(set(sc, "umask", "77777777777777777777"),
	    "invalid umask \"77777777777777777777\"");
	CHECK_STR(set(sc, "umask", ""), "empty value for umask");
	CHECK_INT(sc->umask, 022);
	config_svc_free(sc);
}

static void
test_environment(void)
{
	struct svc_conf *sc = config_svc_new("e");

	CHECK_STR(set(sc, "environment", "PORT=8080 MODE=\"prod mode\""), "");
	CHECK_STR(sc->env[0], "PORT=8080");
	CHECK_STR(sc->env[1], "MODE=prod mode");
	CHECK(sc->env[2] == NULL);
	CHECK_STR(set(sc, "environment", "_X1= PORT=9090"), "");
	CHECK_STR(sc->env[0], "PORT=9090");
	CHECK_STR(sc->env[1], "MODE=prod mode");
	CHECK_STR(sc->env[2], "_X1=");
	CHECK(sc->env[3] == NULL);
	CHECK_STR(set(sc, "environment", ""), "");
	CHECK(sc->env[3] == NULL);
	CHECK_STR(set(sc, "environment", "A=1 1B=2"),
	    "invalid environment entry \"1B=2\" (expected KEY=VALUE)");
	CHECK_STR(set(sc, "environment", "NOVALUE"),
	    "invalid environment entry \"NOVALUE\" (expected KEY=VALUE)");
	CHECK_STR(set(sc, "environment", "=x"),
	    "invalid environment entry \"=x\" (expected KEY=VALUE)");
	CHECK_STR(set(sc, "environment", "A-B=x"),
	    "invalid environment entry \"A-B=x\" (expected KEY=VALUE)");
	CHECK_STR(set(sc, "environment", "A='x"), "unterminated single quote");
	CHECK(sc->env[3] == NULL);	/* a failure adds nothing */
	config_svc_free(sc);
}

static void
test_svc_check(void)
{
	struct svc_conf *sc = config_svc_new("api");
	char err[256];

	CHECK_INT(config_svc_check(sc, err, sizeof(err)), -1);
	CHECK_STR(err, "service \"api\" has no command");
	CHECK_STR(set(sc, "command", "/bin/true"), "");
	CHECK_INT(config_svc_check(sc, err, sizeof(err)), 0);
	CHECK_STR(set(sc, "backoff_initial", "2s"), "");
	CHECK_STR(set(sc, "backoff_max", "1500ms"), "");
	CHECK_INT(config_svc_check(sc, err, sizeof(err)), -1);
	CHECK_STR(err, "service \"api\": backoff_max (1500ms) is less than "
	    "backoff_initial (2s)");
	CHECK_STR(set(sc, "backoff_max", "2s"), "");
	CHECK_INT(config_svc_check(sc, err, sizeof(err)), 0);
	config_svc_free(sc);
}

static void
test_add_find(void)
{
	struct conf *c = config_new();
	struct svc_conf *a = config_svc_new("a"), *b = config_svc_new("b");
	struct svc_conf *a2 = config_svc_new("a");

	CHECK_INT(config_add(c, a), 0);
	CHECK_INT(config_add(c, b), 0);
	CHECK_INT(config_add(c, a2), -1);
	CHECK_INT(c->nservices, 2);
	CHECK(c->services == a && a->next == b && b->next == NULL);
	CHECK(config_find(c, "a") == a);
	CHECK(config_find(c, "b") == b);
	CHECK(config_find(c, "c") == NULL);
	config_svc_free(a2);
	config_free(c);
	config_free(NULL);
}

static struct svc_conf *
full_svc(const char *command)
{
	struct svc_conf *sc = config_svc_new("api");

	set(sc, "command", command);
	set(sc, "directory", "/srv");
	set(sc, "user", "api");
	set(sc, "group", "api");
	set(sc, "environment", "A=1 B=2");
	return sc;
}

static void
test_svc_equal(void)
{
	static const char *changes[][2] = {
		{ "command", "/bin/api --port 8081" },
		{ "command", "/bin/api --port" },
		{ "directory", "/srv/x" },
		{ "user", "nobody" },
		{ "group", "nogroup" },
		{ "environment", "C=3" },
		{ "environment", "A=2" },
		{ "umask", "077" },
		{ "restart", "never" },
		{ "stop_signal", "INT" },
		{ "stop_timeout", "11s" },
		{ "backoff_initial", "1s" },
		{ "backoff_max", "2m" },
		{ "healthy_after", "1s" },
		{ "give_up_after", "3" },
	};
	struct svc_conf *a, *b;
	size_t i;

	a = full_svc("/bin/api --port 8080");
	b = full_svc("/bin/api   '--port' \"8080\"");
	free(b->file);
	b->file = strdup("elsewhere.conf");
	b->line = 99;
	CHECK(config_svc_equal(a, b));
	CHECK(config_svc_equal(b, a));
	config_svc_free(b);

	/* environment order does not matter */
	b = full_svc("/bin/api --port 8080");
	config_free_words(b->env);
	b->env = NULL;
	set(b, "environment", "B=2 A=1");
	CHECK(config_svc_equal(a, b));
	config_svc_free(b);

	/* no directory means "/" */
	b = config_svc_new("x");
	set(b, "command", "/bin/true");
	{
		struct svc_conf *d = config_svc_new("x");

		set(d, "command", "/bin/true");
		set(d, "directory", "/");
		CHECK(config_svc_equal(b, d));
		set(d, "directory", "/tmp");
		CHECK(!config_svc_equal(b, d));
		config_svc_free(d);
	}
	config_svc_free(b);

	for (i = 0; i < sizeof(changes) / sizeof(changes[0]); i++) {
		b = full_svc("/bin/api --port 8080");
		CHECK_STR(set(b, changes[i][0], changes[i][1]), "");
		if (config_svc_equal(a, b)) {
			printf("  equal after %s = %s\n", changes[i][0],
			    changes[i][1]);
			t_failed_here = 1;
		}
		config_svc_free(b);
	}

	/* unset vs set user */
	b = full_svc("/bin/api --port 8080");
	free(b->user);
	b->user = NULL;
	CHECK(!config_svc_equal(a, b));
	config_svc_free(b);
	config_svc_free(a);
}

/* ---- whole files ---- */

static void
test_load_every_key(void)
{
	struct conf *c;
	struct svc_conf *sc;

	tmp_enter();
	c = LOAD_OK(
	    "# a comment\n"
	    "; another\n"
	    "\n"
	    "[guardiand]\n"
	    "include = conf.d/*.conf\n"
	    "\n"
	    "[service api]\n"
	    "command = /usr/local/bin/api --port 8080\n"
	    "directory = /srv/api\n"
	    "user = api\n"
	    "group = www\n"
	    "environment = PORT=8080 MODE=\"prod mode\"\n"
	    "umask = 027\n"
	    "restart = on-failure\n"
	    "stop_signal = SIGINT\n"
	    "stop_timeout = 5s\n"
	    "backoff_initial = 250ms\n"
	    "backoff_max = 2m\n"
	    "healthy_after = 1.5s\n"
	    "give_up_after = 3\n"
	    "\n"
	    "[service worker@1]\n"
	    "command=/bin/sleep 10\n");
	if (c != NULL) {
		CHECK_STR(c->path, "main.conf");
		CHECK_INT(c->nservices, 2);
		sc = c->services;
		CHECK_STR(sc->name, "api");
		CHECK_STR(sc->file, "main.conf");
		CHECK_INT(sc->line, 7);
		CHECK_STR(sc->command, "/usr/local/bin/api --port 8080");
		CHECK_STR(sc->argv[0], "/usr/local/bin/api");
		CHECK_STR(sc->argv[1], "--port");
		CHECK_STR(sc->argv[2], "8080");
		CHECK(sc->argv[3] == NULL);
		CHECK_STR(sc->directory, "/srv/api");
		CHECK_STR(sc->user, "api");
		CHECK_STR(sc->group, "www");
		CHECK_STR(sc->env[0], "PORT=8080");
		CHECK_STR(sc->env[1], "MODE=prod mode");
		CHECK(sc->env[2] == NULL);
		CHECK_INT(sc->umask, 027);
		CHECK_INT(sc->restart, RESTART_ON_FAILURE);
		CHECK_INT(sc->stop_signal, SIGINT);
		CHECK_INT(sc->stop_timeout_ms, 5000);
		CHECK_INT(sc->backoff_initial_ms, 250);
		CHECK_INT(sc->backoff_max_ms, 120000);
		CHECK_INT(sc->healthy_after_ms, 1500);
		CHECK_INT(sc->give_up_after, 3);
		sc = sc->next;
		CHECK_STR(sc->name, "worker@1");
		CHECK_INT(sc->line, 22);
		CHECK_STR(sc->argv[0], "/bin/sleep");
		CHECK_INT(sc->restart, RESTART_ALWAYS);
		CHECK(sc->next == NULL);
		CHECK(config_find(c, "worker@1") == sc);
	}
	config_free(c);
	tmp_leave();
}

static void
test_load_empty_file(void)
{
	struct conf *c;

	tmp_enter();
	c = LOAD_OK("");
	CHECK(c != NULL && c->nservices == 0 && c->services == NULL);
	config_free(c);
	c = LOAD_OK("[guardiand]\n");
	CHECK(c != NULL && c->nservices == 0);
	config_free(c);
	tmp_leave();
}

static void
test_load_comments(void)
{
	struct conf *c;
	struct svc_conf *sc;

	tmp_enter();
	c = LOAD_OK(
	    "[service a] ; the api\n"
	    "command = sh -c 'echo a ; b # c' \"x ; y\" \\#z # comment\n"
	    "restart = always              # always | on-failure | never\n"
	    "stop_timeout = 10s ; seconds\n"
	    "user = a;b\n"
	    "group = g#h\n"
	    "environment = # nothing yet\n");
	if (c != NULL) {
		sc = c->services;
		CHECK_STR(sc->argv[0], "sh");
		CHECK_STR(sc->argv[1], "-c");
		CHECK_STR(sc->argv[2], "echo a ; b # c");
		CHECK_STR(sc->argv[3], "x ; y");
		CHECK_STR(sc->argv[4], "#z");
		CHECK(sc->argv[5] == NULL);
		CHECK_STR(sc->command, "sh -c 'echo a ; b # c' \"x ; y\" \\#z");
		CHECK_INT(sc->restart, RESTART_ALWAYS);
		CHECK_INT(sc->stop_timeout_ms, 10000);
		CHECK_STR(sc->user, "a;b");
		CHECK_STR(sc->group, "g#h");
		CHECK(sc->env == NULL || sc->env[0] == NULL);
	}
	config_free(c);
	tmp_leave();
}

static void
test_load_bom_crlf_colon(void)
{
	struct conf *c;

	tmp_enter();
	c = LOAD_OK("\xEF\xBB\xBF[service a]\r\ncommand: /bin/true x\r\n"
	    "user = u\r\n");
	if (c != NULL) {
		CHECK_STR(c->services->argv[1], "x");
		CHECK(c->services->argv[2] == NULL);
		CHECK_STR(c->services->user, "u");
	}
	config_free(c);
	tmp_leave();
}

static void
test_load_continuation(void)
{
	struct conf *c;
	struct svc_conf *sc;

	tmp_enter();
	c = LOAD_OK(
	    "[service a]\n"
	    "command = /bin/api\n"
	    "    --port 8080\n"
	    "\t--mode 'prod mode'   ; comment\n"
	    "environment =\n"
	    "    A=1\n"
	    "    # a comment between\n"
	    "\n"
	    "    B=\"two words\" C=3\n"
	    "user = u\n"
	    "  [service not-a-section]\n");
	if (c != NULL) {
		sc = c->services;
		CHECK_INT(c->nservices, 1);
		CHECK_STR(sc->command, "/bin/api --port 8080 --mode 'prod mode'");
		CHECK_STR(sc->argv[4], "prod mode");
		CHECK(sc->argv[5] == NULL);
		CHECK_STR(sc->env[0], "A=1");
		CHECK_STR(sc->env[1], "B=two words");
		CHECK_STR(sc->env[2], "C=3");
		CHECK(sc->env[3] == NULL);
		CHECK_STR(sc->user, "u [service not-a-section]");
	}
	config_free(c);
	tmp_leave();
}

static void
test_load_continuation_error_line(void)
{
	tmp_enter();
	/* a continued value is checked as a whole, at the key's line */
	EXPECT_ERRORS(
	    "[service a]\n"
	    "command = /bin/true\n"
	    "environment = A=1\n"
	    "  B=2 3C=x\n"
	    "  D=4\n",
	    "main.conf:3: invalid environment entry \"3C=x\" (expected KEY=VALUE)\n");
	/* an indented key right after a header is a key, the next continues it */
	EXPECT_ERRORS(
	    "[service a]\n"
	    "  bogus = 1\n"
	    "  command = /bin/true\n",
	    "main.conf:1: service \"a\" has no command\n"
	    "main.conf:2: unknown key \"bogus\" in [service a]\n");
	tmp_leave();
}

static void
test_load_includes_sorted(void)
{
	struct conf *c;
	struct svc_conf *sc;

	tmp_enter();
	put("conf.d/20-b.conf", "[service b]\ncommand = /bin/b\n");
	put("conf.d/10-a.conf", "[service a1]\ncommand = /bin/a\n"
	    "[service a2]\ncommand = /bin/a\n");
	put("conf.d/30-c.conf", "[service c]\ncommand = /bin/c\n");
	put("conf.d/README", "not a config\n");
	put("extra/x.conf", "[service x]\ncommand = /bin/x\n");
	c = LOAD_OK(
	    "[service main]\ncommand = /bin/main\n"
	    "[guardiand]\n"
	    "include = conf.d/*.conf\n"
	    "include = extra/*.conf\n"
	    "  nowhere/*.conf \"no where/*.conf\"\n"
	    "include = conf.d/20-b.conf\n"
	    "[service last]\ncommand = /bin/last\n");
	if (c != NULL) {
		const char *want[] = { "main", "last", "a1", "a2", "b", "c", "x" };
		size_t i = 0;

		CHECK_INT(c->nservices, 7);
		for (sc = c->services; sc != NULL && i < 7; sc = sc->next, i++)
			CHECK_STR(sc->name, want[i]);
		sc = config_find(c, "b");
		CHECK(sc != NULL && strcmp(sc->file, "conf.d/20-b.conf") == 0);
		CHECK(sc != NULL && sc->line == 1);
	}
	config_free(c);
	tmp_leave();
}

static void
test_load_include_relative_to_file(void)
{
	struct conf *c;
	char path[PATH_MAX];

	tmp_enter();
	put("etc/conf.d/a.conf", "[service a]\ncommand = /bin/a\n");
	put("etc/main.conf", "[guardiand]\ninclude = conf.d/*.conf\n"
	    "include = *.conf\n");
	c = load("etc/main.conf");
	CHECK(c != NULL);
	CHECK_STR(t_msgs, "");
	if (c != NULL) {
		CHECK_INT(c->nservices, 1);
		CHECK_STR(c->services->file, "etc/conf.d/a.conf");
	}
	config_free(c);

	/* an absolute pattern is taken as it is */
	snprintf(path, sizeof(path), "[guardiand]\ninclude = %s/etc/conf.d/*\n",
	    t_dir);
	put("etc/abs.conf", path);
	c = load("etc/abs.conf");
	CHECK(c != NULL && c->nservices == 1);
	CHECK_STR(t_msgs, "");
	config_free(c);
	tmp_leave();
}

static void
test_load_include_errors(void)
{
	tmp_enter();
	put("conf.d/a.conf",
	    "[guardiand]\n"
	    "include = more/*.conf\n"
	    "[service a]\n"
	    "command = /bin/a\n"
	    "bogus = 1\n");
	put("conf.d/b.conf", "[service main]\ncommand = /bin/b\n");
	symlink("/nonexistent/file", "conf.d/c.conf");
	EXPECT_ERRORS(
	    "[guardiand]\n"
	    "include = conf.d/*.conf\n"
	    "include =\n"
	    "include = 'x\n"
	    "[service main]\n"
	    "command = /bin/main\n",
	    "main.conf:2: include \"conf.d/*.conf\": conf.d/c.conf: No such file "
	    "or directory\n"
	    "main.conf:3: include needs a pattern\n"
	    "main.conf:4: unterminated single quote\n"
	    "conf.d/a.conf:1: [guardiand] is allowed only in the main file\n"
	    "conf.d/a.conf:5: unknown key \"bogus\" in [service a]\n"
	    "conf.d/b.conf:1: duplicate service \"main\" (first defined at main.conf:5)\n");
	tmp_leave();
}

static void
test_load_include_a_directory(void)
{
	tmp_enter();
	mkdir("conf.d", 0755);
	mkdir("conf.d/sub.conf", 0755);
	EXPECT_ERRORS(
	    "[guardiand]\ninclude = conf.d/*\n",
	    "main.conf:2: include \"conf.d/*\": conf.d/sub.conf: Is a "
	    "directory\n");
	tmp_leave();
}

static void
test_load_main_missing(void)
{
	struct conf *c;

	tmp_enter();
	c = load("nope.conf");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "nope.conf: No such file or directory\n");
	mkdir("dir.conf", 0755);
	c = load("dir.conf");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "dir.conf: Is a directory\n");
	/* no callback: still NULL, no crash */
	CHECK(config_load("nope.conf", NULL, NULL) == NULL);
	tmp_leave();
}

static void
test_error_sections(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "command = /bin/x\n"
	    "  continued\n"
	    "[services]\n"
	    "command = /bin/y\n"
	    "[service]\n"
	    "[service  api]\n"
	    "[service a/b]\n"
	    "[Guardiand]\n"
	    "[ guardiand ]\n",
	    "main.conf:1: key \"command\" before any section\n"
	    "main.conf:3: unknown section \"[services]\"\n"
	    "main.conf:5: unknown section \"[service]\"\n"
	    "main.conf:6: unknown section \"[service  api]\": invalid service "
	    "name \" api\" (1 to 64 of A-Z a-z 0-9 _ . @ -, not starting with . or -)\n"
	    "main.conf:7: unknown section \"[service a/b]\": invalid service "
	    "name \"a/b\" (1 to 64 of A-Z a-z 0-9 _ . @ -, not starting with . or -)\n"
	    "main.conf:8: unknown section \"[Guardiand]\"\n"
	    "main.conf:9: unknown section \"[ guardiand ]\"\n");
	tmp_leave();
}

static void
test_error_keys(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[guardiand]\n"
	    "log = syslog\n"
	    "[service api]\n"
	    "command = /bin/api\n"
	    "foo = bar\n"
	    "command = /bin/other\n"
	    "environment = A=1\n"
	    "environment = B=1\n",
	    "main.conf:2: unknown key \"log\" in [guardiand]\n"
	    "main.conf:5: unknown key \"foo\" in [service api]\n"
	    "main.conf:6: duplicate key \"command\" in [service api]\n"
	    "main.conf:8: duplicate key \"environment\" in [service api]\n");
	tmp_leave();
}

static void
test_load_output_keys(void)
{
	struct conf *c;
	struct svc_conf *sc;

	tmp_enter();
	c = LOAD_OK(
	    "[guardiand]\n"
	    "syslog_socket = /tmp/log.sock\n"
	    "control_group = root\n"
	    "status_group = root\n"
	    "[service api]\n"
	    "command = /bin/api\n"
	    "stdout = file:/var/log/api.log\n"
	    "stderr = null\n"
	    "stdout_priority = notice\n"
	    "stderr_priority = err\n"
	    "syslog_tag = api-prod\n"
	    "syslog_facility = local3\n"
	    "line_max = 1000\n"
	    "log_lines = 0\n"
	    "[service plain]\n"
	    "command = /bin/plain\n");
	if (c != NULL) {
		CHECK_STR(c->syslog_socket, "/tmp/log.sock");
		CHECK_STR(c->control_group, "root");
		CHECK_STR(c->status_group, "root");
		sc = c->services;
		CHECK_INT(sc->out[0].dest, OUT_FILE);
		CHECK_STR(sc->out[0].file, "/var/log/api.log");
		CHECK_INT(sc->out[1].dest, OUT_NULL);
		CHECK_INT(sc->out[0].priority, LOG_NOTICE);
		CHECK_INT(sc->out[1].priority, LOG_ERR);
		CHECK_STR(sc->syslog_tag, "api-prod");
		CHECK_INT(sc->syslog_facility, LOG_LOCAL3);
		CHECK_INT(sc->line_max, 1000);
		CHECK_INT(sc->log_lines, 0);
		/* the defaults */
		sc = sc->next;
		CHECK_INT(sc->out[0].dest, OUT_SYSLOG);
		CHECK_INT(sc->out[1].dest, OUT_SYSLOG);
		CHECK_INT(sc->out[0].priority, LOG_INFO);
		CHECK_INT(sc->out[1].priority, LOG_WARNING);
		CHECK(sc->syslog_tag == NULL);
		CHECK_INT(sc->syslog_facility, LOG_DAEMON);
		CHECK_INT(sc->line_max, DEF_LINE_MAX);
		CHECK_INT(sc->log_lines, DEF_LOG_LINES);
	}
	config_free(c);
	tmp_leave();
}

static void
test_error_output_keys(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[guardiand]\n"
	    "syslog_socket = dev/log\n"
	    "control_group = no-such-group-here\n"
	    "[service api]\n"
	    "command = /bin/api\n"
	    "stdout = file:relative.log\n"
	    "stderr = journal\n"
	    "stdout_priority = loud\n"
	    "syslog_tag = a[1]\n"
	    "syslog_facility = local9\n"
	    "line_max = 10\n"
	    "log_lines = 1000001\n",
	    "main.conf:2: syslog_socket \"dev/log\" is not an absolute path\n"
	    "main.conf:3: unknown group \"no-such-group-here\" for control_group\n"
	    "main.conf:6: invalid stdout \"file:relative.log\" (syslog, null or file:/absolute/path)\n"
	    "main.conf:7: invalid stderr \"journal\" (syslog, null or file:/absolute/path)\n"
	    "main.conf:8: invalid stdout_priority \"loud\" (emerg, alert, crit, err, warning, notice, info or debug)\n"
	    "main.conf:9: invalid syslog_tag \"a[1]\" (at most 32 characters, no blanks, brackets or colons)\n"
	    "main.conf:10: invalid syslog_facility \"local9\" (daemon, user, local0 ... local7, ...)\n"
	    "main.conf:11: invalid line_max \"10\" (bytes, 128 to 65536)\n"
	    "main.conf:12: invalid log_lines \"1000001\" (0 to 100000)\n");
	tmp_leave();
}

static void
test_equal_output_keys(void)
{
	struct svc_conf *a = config_svc_new("a"), *b = config_svc_new("a");
	char err[256];

	CHECK(config_svc_equal(a, b));
	/* the default tag is the name */
	config_svc_set(b, "syslog_tag", "a", err, sizeof(err));
	CHECK(config_svc_equal(a, b));
	config_svc_set(b, "stdout", "file:/x", err, sizeof(err));
	CHECK(!config_svc_equal(a, b));
	config_svc_set(a, "stdout", "file:/x", err, sizeof(err));
	CHECK(config_svc_equal(a, b));
	config_svc_set(a, "line_max", "4096", err, sizeof(err));
	CHECK(!config_svc_equal(a, b));
	config_svc_free(a);
	config_svc_free(b);
}

/* As root, files others could change are refused, like sshd's StrictModes. */
static void
test_strict_modes(void)
{
	struct conf *c;

	if (geteuid() != 0) {
		/* The check applies to a root guardiand only: as another user
		 * the same file loads. */
		tmp_enter();
		put("main.conf", "[service a]\ncommand = /bin/a\n");
		chmod("main.conf", 0666);
		c = load("main.conf");
		CHECK(c != NULL);
		config_free(c);
		tmp_leave();
		return;
	}
	tmp_enter();
	put("main.conf", "[guardiand]\ninclude = conf.d/*.conf\n");
	put("conf.d/a.conf", "[service a]\ncommand = /bin/a\n");
	chmod("conf.d/a.conf", 0664);
	c = load("main.conf");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "conf.d/a.conf: writable by others than root (owner "
	    "uid 0, mode 0664); refusing it\n");
	config_free(c);
	chmod("conf.d/a.conf", 0644);
	if (chown("conf.d/a.conf", 65534, 0) == 0) {
		c = load("main.conf");
		CHECK(c == NULL);
		CHECK(strstr(t_msgs, "owner uid 65534") != NULL);
		config_free(c);
		CHECK(chown("conf.d/a.conf", 0, 0) == 0);
	}
	c = load("main.conf");
	CHECK(c != NULL && c->nservices == 1);
	config_free(c);
	tmp_leave();
}

/* ---- what a start needs from the host (check.c) ---- */

static void
test_host_checks(void)
{
	struct conf *c;

	tmp_enter();
	config_check_host = true;
	put("x/script", "#!/bin/sh\n");
	chmod("x/script", 0755);
	put("x/plain", "not a program\n");
	chmod("x/plain", 0644);
	EXPECT_ERRORS(
	    "[service u]\n"
	    "command = /bin/sh\n"
	    "user = nosuchuser\n"
	    "group = nosuchgroup\n"
	    "[service d]\n"
	    "command = /bin/sh\n"
	    "directory = /nonexistent\n"
	    "[service p]\n"
	    "command = /etc/passwd\n"
	    "[service n]\n"
	    "environment = PATH=/nonexistent:/usr/bin\n"
	    "command = nosuchprogram --flag\n"
	    "[service e]\n"
	    "command = \"\"\n"
	    "[service o]\n"
	    "command = /bin/sh\n"
	    "stdout = file:/nonexistent/dir/x.log\n"
	    "stderr = file:/etc/passwd/x.log\n"
	    "[service r]\n"
	    "directory = /etc\n"
	    "command = ./nosuchprogram\n"
	    "[service dirprog]\n"
	    "command = /etc\n",
	    "main.conf:3: unknown user \"nosuchuser\" for user\n"
	    "main.conf:4: unknown group \"nosuchgroup\" for group\n"
	    "main.conf:7: directory \"/nonexistent\": No such file or directory\n"
	    "main.conf:9: command \"/etc/passwd\": not an executable file\n"
	    "main.conf:12: command \"nosuchprogram\": not found in PATH "
	    "(/nonexistent:/usr/bin)\n"
	    "main.conf:14: command \"\": the program name is empty\n"
	    "main.conf:17: stdout \"file:/nonexistent/dir/x.log\": directory "
	    "/nonexistent/dir: No such file or directory\n"
	    "main.conf:18: stderr \"file:/etc/passwd/x.log\": directory "
	    "/etc/passwd: Not a directory\n"
	    "main.conf:21: command \"./nosuchprogram\": No such file or "
	    "directory in directory /etc\n"
	    "main.conf:23: command \"/etc\": not an executable file\n");
	/* What can start loads: a relative command from its directory, a
	 * PATH search with the service's own PATH, existing ids. */
	c = LOAD_OK(
	    "[service a]\n"
	    "directory = /\n"
	    "command = bin/sh -c true\n"
	    "user = root\n"
	    "group = root\n"
	    "stdout = file:/tmp/never-written.log\n"
	    "[service b]\n"
	    "command = sh -c true\n");
	CHECK(c != NULL && c->nservices == 2);
	config_free(c);
	{
		char cwd[PATH_MAX], text[PATH_MAX + 128];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			strcpy(cwd, "/");
		if (snprintf(text, sizeof(text), "[service c]\n"
		    "environment = PATH=/nonexistent:x\n"
		    "directory = %s\n"
		    "command = script\n"
		    "[service d]\n"
		    "directory = %s\n"
		    "command = x/script\n", cwd, cwd) >= (int)sizeof(text))
			strcpy(text, "cwd too long");
		c = LOAD_OK(text);
		CHECK(c != NULL && c->nservices == 2);
		config_free(c);
	}
	config_check_host = false;
	tmp_leave();
}

static void
test_host_program_search(void)
{
	char out[PATH_MAX];

	tmp_enter();
	put("bin/prog", "#!/bin/sh\n");
	chmod("bin/prog", 0755);
	put("nox/prog", "#!/bin/sh\n");
	chmod("nox/prog", 0644);
	CHECK_INT(check_program("sh", NULL, "/nonexistent:/bin", out,
	    sizeof(out)), 0);
	CHECK_STR(out, "/bin/sh");
	CHECK_INT(check_program("prog", t_dir, "nox:bin", out, sizeof(out)), 0);
	CHECK(strstr(out, "/bin/prog") != NULL && out[0] == '/');
	/* found but not executable, and nowhere else: EACCES, as execvp */
	CHECK_INT(check_program("prog", t_dir, "nox:/nonexistent", out,
	    sizeof(out)), EACCES);
	CHECK_INT(check_program("prog", t_dir, "/nonexistent", out,
	    sizeof(out)), ENOENT);
	/* an empty entry is the directory itself */
	CHECK_INT(check_program("prog", "/", ":/nonexistent", out, sizeof(out)),
	    ENOENT);
	/* a name with a slash is not searched, and is taken from dir */
	CHECK_INT(check_program("bin/prog", t_dir, "/bin", out, sizeof(out)), 0);
	CHECK_STR(out, "bin/prog");
	CHECK_INT(check_program("bin/prog", "/", "/bin", out, sizeof(out)),
	    ENOENT);
	CHECK_INT(check_program("", NULL, "/bin", out, sizeof(out)), ENOENT);
	tmp_leave();
}

static void
test_include_not_regular(void)
{
	struct conf *c;

	tmp_enter();
	mkdir("conf.d", 0755);
	put("conf.d/a.conf", "[service a]\ncommand = /bin/a\n");
	CHECK(mkfifo("conf.d/fifo", 0644) == 0);
	/* A FIFO with no writer would block open() and read() forever. */
	EXPECT_ERRORS(
	    "[guardiand]\ninclude = conf.d/*\n",
	    "main.conf:2: include \"conf.d/*\": conf.d/fifo: not a regular "
	    "file (a FIFO); refusing it\n");
	/* The main file too. */
	c = load("conf.d/fifo");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "conf.d/fifo: not a regular file (a FIFO); refusing "
	    "it\n");
	c = load("/dev/null");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "/dev/null: not a regular file (a character device); "
	    "refusing it\n");
	tmp_leave();
}

static void
test_include_proc(void)
{
	tmp_enter();
	/* Files of /proc are no config (and /proc/self/pagemap has no end):
	 * each is an error, and the load returns. */
	put("main.conf", "[guardiand]\ninclude = /proc/self/status "
	    "/proc/self/pagemap\n");
	CHECK(load("main.conf") == NULL);
	CHECK_STR(t_msgs,
	    "main.conf:2: include \"/proc/self/status\": /proc/self/status: a "
	    "file of /proc or /sys, not a configuration file; refusing it\n"
	    "main.conf:2: include \"/proc/self/pagemap\": /proc/self/pagemap: "
	    "a file of /proc or /sys, not a configuration file; refusing it\n");
	put("main.conf", "[guardiand]\ninclude = /proc/self/*\n");
	CHECK(load("main.conf") == NULL);
	CHECK(t_nmsgs > 10);
	tmp_leave();
}

static void
test_include_too_large(void)
{
	FILE *fp;

	tmp_enter();
	mkdir("conf.d", 0755);
	if ((fp = fopen("conf.d/big.conf", "w")) != NULL) {
		for (int i = 0; i < 40000; i++)
			fputs("# a comment line to make the file larger\n", fp);
		fclose(fp);
	}
	EXPECT_ERRORS(
	    "[guardiand]\ninclude = conf.d/*.conf\n",
	    "main.conf:2: include \"conf.d/*.conf\": conf.d/big.conf: larger "
	    "than 1024 KiB; refusing it\n");
	tmp_leave();
}

static void
test_strict_modes_directories(void)
{
	struct conf *c;
	char want[PATH_MAX * 2 + 256], real[PATH_MAX];

	if (geteuid() != 0)
		return;		/* a root guardiand's check */
	tmp_enter();
	put("main.conf", "[guardiand]\ninclude = conf.d/*.conf\n");
	put("conf.d/a.conf", "[service a]\ncommand = /bin/a\n");
	put("conf.d/b.conf", "[service b]\ncommand = /bin/b\n");
	chmod("conf.d", 0777);
	c = load("main.conf");
	CHECK(c == NULL);
	if (realpath("conf.d", real) == NULL)
		strcpy(real, "?");
	/* once for the directory, not for each of its files */
	snprintf(want, sizeof(want), "main.conf:2: include \"conf.d/*.conf\": "
	    "conf.d/a.conf: directory %s is writable by others than root "
	    "(owner uid 0, mode 0777); refusing it\n", real);
	CHECK_STR(t_msgs, want);
	chmod("conf.d", 0775);
	c = load("main.conf");
	CHECK(c == NULL && strstr(t_msgs, "mode 0775") != NULL);
	chmod("conf.d", 0755);
	if (chown("conf.d", 65534, 0) == 0) {
		c = load("main.conf");
		CHECK(c == NULL && strstr(t_msgs, "owner uid 65534") != NULL);
		CHECK(chown("conf.d", 0, 0) == 0);
	}
	c = load("main.conf");
	CHECK(c != NULL && c->nservices == 2);
	config_free(c);
	/* The main file's own directory. */
	chmod(".", 01777);
	c = load("main.conf");
	CHECK(c == NULL);
	if (realpath(".", real) == NULL)
		strcpy(real, "?");
	snprintf(want, sizeof(want), "main.conf: directory %s is writable by "
	    "others than root (owner uid 0, mode 1777); refusing it\n", real);
	CHECK_STR(t_msgs, want);
	chmod(".", 0700);
	tmp_leave();
}

static void
test_log_memory_limit(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[service a]\n"
	    "command = /bin/a\n"
	    "log_lines = 100000\n",
	    "main.conf:1: service \"a\": log_lines = 100000 lines of up to "
	    "line_max = 8192 bytes could take 782 MiB; at most 64 MiB (lower "
	    "log_lines or line_max)\n");
	{
		struct conf *c = LOAD_OK(
		    "[service a]\n"
		    "command = /bin/a\n"
		    "log_lines = 100000\n"
		    "line_max = 512\n"
		    "[service b]\n"
		    "command = /bin/b\n"
		    "log_lines = 8192\n");
		CHECK(c != NULL && c->nservices == 2);
		config_free(c);
	}
	tmp_leave();
}

static void
test_error_values(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[service api]\n"
	    "command = /bin/api 'oops\n"
	    "directory = srv\n"
	    "user =\n"
	    "environment = 9=x\n"
	    "umask = 999\n"
	    "restart = sometimes\n"
	    "stop_signal = FOO\n"
	    "stop_timeout = 10x\n"
	    "backoff_initial = 0s\n"
	    "backoff_max = 10\n"
	    "healthy_after = 48h\n"
	    "give_up_after = -1\n",
	    "main.conf:2: unterminated single quote\n"
	    "main.conf:3: directory \"srv\" is not an absolute path\n"
	    "main.conf:4: empty value for user\n"
	    "main.conf:5: invalid environment entry \"9=x\" (expected KEY=VALUE)\n"
	    "main.conf:6: invalid umask \"999\"\n"
	    "main.conf:7: invalid restart \"sometimes\" (always, on-failure or never)\n"
	    "main.conf:8: unknown signal \"FOO\"\n"
	    "main.conf:9: invalid duration \"10x\" for stop_timeout (use ms, s, m or h)\n"
	    "main.conf:10: backoff_initial must be at least 1ms\n"
	    "main.conf:11: invalid duration \"10\" for backoff_max (use ms, s, m or h)\n"
	    "main.conf:12: healthy_after \"48h\" is too long (at most 24h)\n"
	    "main.conf:13: invalid give_up_after \"-1\" (a non-negative integer)\n");
	tmp_leave();
}

static void
test_error_missing_command_and_backoff(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[service a]\n"
	    "user = a\n"
	    "\n"
	    "[service b]\n"
	    "command = /bin/b\n"
	    "backoff_max = 1s\n"
	    "backoff_initial = 2s\n"
	    "[service c]\n"
	    "command =\n",
	    "main.conf:1: service \"a\" has no command\n"
	    "main.conf:4: service \"b\": backoff_max (1s) is less than backoff_initial (2s)\n"
	    "main.conf:9: empty command\n");
	tmp_leave();
}

static void
test_error_duplicate_service(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[service a]\n"
	    "command = /bin/a\n"
	    "[service b]\n"
	    "command = /bin/b\n"
	    "[service a]\n"
	    "command = /bin/a2\n"
	    "bogus = 1\n",
	    "main.conf:5: duplicate service \"a\" (first defined at main.conf:1)\n"
	    "main.conf:7: unknown key \"bogus\" in [service a]\n");
	tmp_leave();
}

static void
test_error_syntax(void)
{
	tmp_enter();
	EXPECT_ERRORS(
	    "[service a]\n"
	    "command = /bin/a\n"
	    "just some words\n"
	    "[service b\n"
	    "[service c] junk\n"
	    "= value\n"
	    "user ; x = y\n"
	    "user = ok\n",
	    "main.conf:3: syntax error: expected \"key = value\" or \"[section]\"\n"
	    "main.conf:4: syntax error: expected \"key = value\" or \"[section]\"\n"
	    "main.conf:5: syntax error: expected \"key = value\" or \"[section]\"\n"
	    "main.conf:6: syntax error: expected \"key = value\" or \"[section]\"\n"
	    "main.conf:7: syntax error: expected \"key = value\" or \"[section]\"\n");
	tmp_leave();
}

static void
test_error_long_line(void)
{
	char text[1024], val[400];
	struct conf *c;

	tmp_enter();
	/* 199 characters fit */
	memset(val, 'x', sizeof(val));
	val[199 - strlen("command = /")] = '\0';
	snprintf(text, sizeof(text), "[service a]\ncommand = /%s\n", val);
	c = LOAD_OK(text);
	if (c != NULL)
		CHECK_INT(strlen(c->services->argv[0]), 199 - strlen("command = "));
	config_free(c);

	/* 200 do not, and the tail is not read as another line */
	memset(val, 'x', sizeof(val));
	val[200 - strlen("command = /bin/a ") - strlen(" user=root")] = '\0';
	snprintf(text, sizeof(text),
	    "[service a]\ncommand = /bin/a %s user=root\nuser = u\n", val);
	CHECK_INT(strlen(strchr(text, '\n') + 1), 200 + 1 + 9);
	EXPECT_ERRORS(text,
	    "main.conf:1: service \"a\" has no command\n"
	    "main.conf:2: line longer than 199 characters; continue a long "
	    "value on indented lines\n");
	tmp_leave();
}

static void
test_error_nul_byte(void)
{
	FILE *fp;
	struct conf *c;

	tmp_enter();
	fp = fopen("main.conf", "w");
	fwrite("[service a]\ncommand = /bin/a\0x\n", 1, 31, fp);
	fclose(fp);
	c = load("main.conf");
	CHECK(c == NULL);
	CHECK_STR(t_msgs, "main.conf:1: service \"a\" has no command\n"
	    "main.conf:2: line contains a NUL byte\n");
	config_free(c);
	tmp_leave();
}

static void
test_error_many_in_order(void)
{
	tmp_enter();
	/* every error is reported, in line order, and the parse goes on */
	EXPECT_ERRORS(
	    "[service a]\n"
	    "command = /bin/a\n"
	    "  'unterminated\n"
	    "oops\n"
	    "umask = 8\n"
	    "[nope]\n"
	    "x = 1\n"
	    "[service b]\n"
	    "stop_signal = NOPE\n",
	    "main.conf:2: unterminated single quote\n"
	    "main.conf:4: syntax error: expected \"key = value\" or \"[section]\"\n"
	    "main.conf:5: invalid umask \"8\"\n"
	    "main.conf:6: unknown section \"[nope]\"\n"
	    "main.conf:8: service \"b\" has no command\n"
	    "main.conf:9: unknown signal \"NOPE\"\n");
	CHECK_INT(t_nmsgs, 6);
	tmp_leave();
}

static void
test_reload_compare(void)
{
	struct conf *c1, *c2;

	tmp_enter();
	c1 = LOAD_OK("[service a]\ncommand = /bin/a x\nstop_timeout = 10s\n"
	    "[service b]\ncommand = /bin/b\n");
	c2 = LOAD_OK("# moved\n[service b]\ncommand = /bin/b\n"
	    "[service a]\ncommand = /bin/a\n  'x'\n");
	if (c1 != NULL && c2 != NULL) {
		CHECK(config_svc_equal(config_find(c1, "a"), config_find(c2, "a")));
		CHECK(config_svc_equal(config_find(c1, "b"), config_find(c2, "b")));
	}
	config_free(c1);
	config_free(c2);
	tmp_leave();
}

int
main(void)
{
	/* The parser's own tests name programs, users and directories that
	 * need not exist; the host checks have tests of their own. */
	config_check_host = false;
	RUN(test_split_plain);
	RUN(test_split_empty);
	RUN(test_split_single_quotes);
	RUN(test_split_double_quotes);
	RUN(test_split_backslash);
	RUN(test_split_join_and_empty_words);
	RUN(test_split_errors);
	RUN(test_duration_units);
	RUN(test_duration_decimals);
	RUN(test_duration_bad);
	RUN(test_signal_names);
	RUN(test_signal_numbers);
	RUN(test_signal_bad);
	RUN(test_signal_name);
	RUN(test_valid_name);
	RUN(test_svc_defaults);
	RUN(test_svc_set_values);
	RUN(test_svc_set_errors);
	RUN(test_umask);
	RUN(test_environment);
	RUN(test_svc_check);
	RUN(test_add_find);
	RUN(test_svc_equal);
	RUN(test_load_every_key);
	RUN(test_load_empty_file);
	RUN(test_load_comments);
	RUN(test_load_bom_crlf_colon);
	RUN(test_load_continuation);
	RUN(test_load_continuation_error_line);
	RUN(test_load_includes_sorted);
	RUN(test_load_include_relative_to_file);
	RUN(test_load_include_errors);
	RUN(test_load_include_a_directory);
	RUN(test_load_main_missing);
	RUN(test_error_sections);
	RUN(test_error_keys);
	RUN(test_error_values);
	RUN(test_strict_modes);
	RUN(test_load_output_keys);
	RUN(test_error_output_keys);
	RUN(test_equal_output_keys);
	RUN(test_error_missing_command_and_backoff);
	RUN(test_error_duplicate_service);
	RUN(test_error_syntax);
	RUN(test_error_long_line);
	RUN(test_error_nul_byte);
	RUN(test_error_many_in_order);
	RUN(test_reload_compare);
	RUN(test_host_checks);
	RUN(test_host_program_search);
	RUN(test_include_not_regular);
	RUN(test_include_proc);
	RUN(test_include_too_large);
	RUN(test_strict_modes_directories);
	RUN(test_log_memory_limit);
	T_END();
}
