/*
 * config.c: parse, validate and compare the configuration.
 *
 * libinih finds the keys; our own line reader counts lines, classifies each
 * line (blank, comment, section, key, continuation, error) and hands libinih
 * only the key and continuation lines, so that every message carries a line
 * number and nothing libinih would silently truncate or misread gets through.
 * Nothing here touches running state: config_load() returns a new struct conf
 * or NULL after reporting every error.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <ini.h>
#include <libgen.h>
#include <limits.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "guardiand.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define NAME_MAX_LEN	64
#define DURATION_MAX_MS	(24LL * 60 * 60 * 1000)	/* longest accepted duration */
#define BACKOFF_MIN_MS	1			/* shortest backoff_initial */
#define MSG_MAX		1024
#define CONF_FILE_MAX	(1024 * 1024)	/* a config file larger is refused */

bool config_check_host = true;

/* The keys of a [service NAME] section, in the order of the man page. */
enum svc_key {
	K_COMMAND, K_DIRECTORY, K_USER, K_GROUP, K_ENVIRONMENT, K_UMASK,
	K_RESTART, K_STOP_SIGNAL, K_STOP_TIMEOUT, K_BACKOFF_INITIAL,
	K_BACKOFF_MAX, K_HEALTHY_AFTER, K_GIVE_UP_AFTER, K_STDOUT, K_STDERR,
	K_STDOUT_PRIORITY, K_STDERR_PRIORITY, K_SYSLOG_TAG, K_SYSLOG_FACILITY,
	K_LINE_MAX, K_LOG_LINES, K_ENVIRONMENT_FILE, K_CLEAR_ENVIRONMENT,
	K_NO_NEW_PRIVILEGES, K_NICE, K_LIMIT_FIRST,
	K_LIMIT_LAST = K_LIMIT_FIRST + NLIMITS - 1, NKEYS
};

static const char *const svc_keys[NKEYS] = {
	[K_COMMAND] = "command",
	[K_DIRECTORY] = "directory",
	[K_USER] = "user",
	[K_GROUP] = "group",
	[K_ENVIRONMENT] = "environment",
	[K_UMASK] = "umask",
	[K_RESTART] = "restart",
	[K_STOP_SIGNAL] = "stop_signal",
	[K_STOP_TIMEOUT] = "stop_timeout",
	[K_BACKOFF_INITIAL] = "backoff_initial",
	[K_BACKOFF_MAX] = "backoff_max",
	[K_HEALTHY_AFTER] = "healthy_after",
	[K_GIVE_UP_AFTER] = "give_up_after",
	[K_STDOUT] = "stdout",
	[K_STDERR] = "stderr",
	[K_STDOUT_PRIORITY] = "stdout_priority",
	[K_STDERR_PRIORITY] = "stderr_priority",
	[K_SYSLOG_TAG] = "syslog_tag",
	[K_SYSLOG_FACILITY] = "syslog_facility",
	[K_LINE_MAX] = "line_max",
	[K_LOG_LINES] = "log_lines",
	[K_ENVIRONMENT_FILE] = "environment_file",
	[K_CLEAR_ENVIRONMENT] = "clear_environment",
	[K_NO_NEW_PRIVILEGES] = "no_new_privileges",
	[K_NICE] = "nice",
	[K_LIMIT_FIRST + LIM_NOFILE] = "limit_nofile",
	[K_LIMIT_FIRST + LIM_NPROC] = "limit_nproc",
	[K_LIMIT_FIRST + LIM_CORE] = "limit_core",
	[K_LIMIT_FIRST + LIM_AS] = "limit_as",
	[K_LIMIT_FIRST + LIM_CPU] = "limit_cpu",
	[K_LIMIT_FIRST + LIM_FSIZE] = "limit_fsize",
	[K_LIMIT_FIRST + LIM_MEMLOCK] = "limit_memlock",
	[K_LIMIT_FIRST + LIM_STACK] = "limit_stack",
	[K_LIMIT_FIRST + LIM_DATA] = "limit_data",
};

/* Which limits are sizes in bytes (they take K, M, G suffixes). */
static const bool limit_bytes[NLIMITS] = {
	[LIM_CORE] = true, [LIM_AS] = true, [LIM_FSIZE] = true,
	[LIM_MEMLOCK] = true, [LIM_STACK] = true, [LIM_DATA] = true,
};

static const int limit_res[NLIMITS] = {
	[LIM_NOFILE] = RLIMIT_NOFILE, [LIM_NPROC] = RLIMIT_NPROC,
	[LIM_CORE] = RLIMIT_CORE, [LIM_AS] = RLIMIT_AS, [LIM_CPU] = RLIMIT_CPU,
	[LIM_FSIZE] = RLIMIT_FSIZE, [LIM_MEMLOCK] = RLIMIT_MEMLOCK,
	[LIM_STACK] = RLIMIT_STACK, [LIM_DATA] = RLIMIT_DATA,
};

static const struct {
	int		 num;
	const char	*name;
} factab[] = {
	{ LOG_KERN, "kern" }, { LOG_USER, "user" }, { LOG_MAIL, "mail" },
	{ LOG_DAEMON, "daemon" }, { LOG_AUTH, "auth" }, { LOG_SYSLOG, "syslog" },
	{ LOG_LPR, "lpr" }, { LOG_NEWS, "news" }, { LOG_UUCP, "uucp" },
	{ LOG_CRON, "cron" }, { LOG_AUTHPRIV, "authpriv" }, { LOG_FTP, "ftp" },
	{ LOG_LOCAL0, "local0" }, { LOG_LOCAL1, "local1" },
	{ LOG_LOCAL2, "local2" }, { LOG_LOCAL3, "local3" },
	{ LOG_LOCAL4, "local4" }, { LOG_LOCAL5, "local5" },
	{ LOG_LOCAL6, "local6" }, { LOG_LOCAL7, "local7" },
}, priotab[] = {
	{ LOG_EMERG, "emerg" }, { LOG_ALERT, "alert" }, { LOG_CRIT, "crit" },
	{ LOG_ERR, "err" }, { LOG_WARNING, "warning" }, { LOG_NOTICE, "notice" },
	{ LOG_INFO, "info" }, { LOG_DEBUG, "debug" },
};

static const struct {
	int		 num;
	const char	*name;
} sigtab[] = {
	{ SIGHUP, "HUP" }, { SIGINT, "INT" }, { SIGQUIT, "QUIT" },
	{ SIGILL, "ILL" }, { SIGTRAP, "TRAP" }, { SIGABRT, "ABRT" },
	{ SIGBUS, "BUS" }, { SIGFPE, "FPE" }, { SIGKILL, "KILL" },
	{ SIGUSR1, "USR1" }, { SIGSEGV, "SEGV" }, { SIGUSR2, "USR2" },
	{ SIGPIPE, "PIPE" }, { SIGALRM, "ALRM" }, { SIGTERM, "TERM" },
#ifdef SIGSTKFLT
	{ SIGSTKFLT, "STKFLT" },
#endif
	{ SIGCHLD, "CHLD" }, { SIGCONT, "CONT" }, { SIGSTOP, "STOP" },
	{ SIGTSTP, "TSTP" }, { SIGTTIN, "TTIN" }, { SIGTTOU, "TTOU" },
	{ SIGURG, "URG" }, { SIGXCPU, "XCPU" }, { SIGXFSZ, "XFSZ" },
	{ SIGVTALRM, "VTALRM" }, { SIGPROF, "PROF" }, { SIGWINCH, "WINCH" },
	{ SIGIO, "IO" },
#ifdef SIGPWR
	{ SIGPWR, "PWR" },
#endif
	{ SIGSYS, "SYS" },
};

/* Names for signals without one, so config_signal_name() needs no buffer. */
#define S8(t)	"SIG" #t "0", "SIG" #t "1", "SIG" #t "2", "SIG" #t "3", \
		"SIG" #t "4", "SIG" #t "5", "SIG" #t "6", "SIG" #t "7", \
		"SIG" #t "8", "SIG" #t "9"
static const char *const signum_names[] = {
	"SIG0", "SIG1", "SIG2", "SIG3", "SIG4", "SIG5", "SIG6", "SIG7",
	"SIG8", "SIG9", S8(1), S8(2), S8(3), S8(4), S8(5), S8(6),
	"SIG70", "SIG71", "SIG72", "SIG73", "SIG74", "SIG75", "SIG76",
	"SIG77", "SIG78", "SIG79",
};
#undef S8

/* A growing NULL-terminated vector of strings. */
struct vec {
	char	**v;
	size_t	  n, cap;
};

enum section { SECT_NONE, SECT_MAIN, SECT_SERVICE, SECT_IGNORE };
enum line_kind { LINE_KEY, LINE_CONT };

struct include {
	char	*pattern;	/* relative patterns already joined to the dir */
	int	 line;
};

struct seen_file {
	dev_t	dev;
	ino_t	ino;
	bool	ok;	/* a directory: found safe */
};

/* An error kept until the end, so errors come out in file and line order. */
struct msg {
	int	 fileseq;
	int	 line;
	size_t	 seq;
	char	*text;
};

/* Everything config_load() needs while it reads; freed before it returns. */
struct parser {
	struct conf	*conf;
	config_err_fn	 errfn;
	void		*errarg;
	int		 nerrors;
	struct msg	*msgs;
	size_t		 nmsgs;
	int		 fileseq;	/* 0 for the main file, then 1, 2... */

	/* the file being read, whole, in memory */
	char		*data;
	size_t		 datalen, datapos;
	const char	*file;
	const char	*mainpath;
	bool		 main;
	int		 lineno;
	int		 read_errno;
	char		*raw;
	size_t		 rawcap;

	/* the line handed to libinih, waiting for its handler */
	bool		 pending;
	enum line_kind	 kind;
	char		*pname;		/* LINE_KEY: the key, inside raw */
	char		*ptext;		/* the value or continuation text, inside raw */

	/* the section being read */
	enum section	 sect;
	struct svc_conf	*svc;
	bool		 svc_dup;
	uint64_t	 seen;		/* bit per enum svc_key given in this section */
	int		 keylines[NKEYS];	/* where each seen key is */
	bool		 have_key;	/* a key line since the section header */

	/* the key being read: applied when the next key, section or EOF comes */
	char		*key;
	struct buf	 val;
	int		 keyline;

	struct include	*inc;
	size_t		 ninc;
	struct seen_file *files;
	size_t		 nfiles;
	struct seen_file *dirs;		/* directories checked */
	size_t		 ndirs;
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void
perr(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Fills the caller's buffer, which may be absent, so callers need not care. */
static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * Records one error as "file:line: message" (no line when line is 0); they
 * are sorted and passed on at the end, since a key's value is only checked
 * once its continuation lines are in.
 */
static void
perr(struct parser *p, int line, const char *fmt, ...)
{
	char msg[MSG_MAX], out[MSG_MAX + PATH_MAX + 16];
	struct msg *nm;
	char *text;
	va_list ap;

	p->nerrors++;
	if (p->errfn == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(out, sizeof(out), "%s:%d: %s", p->file, line, msg);
	else
		snprintf(out, sizeof(out), "%s: %s", p->file, msg);
	nm = reallocarray(p->msgs, p->nmsgs + 1, sizeof(*nm));
	if (nm == NULL || (text = strdup(out)) == NULL) {
		if (nm != NULL)
			p->msgs = nm;
		p->errfn(p->errarg, out);	/* out of order beats lost */
		return;
	}
	p->msgs = nm;
	nm[p->nmsgs].fileseq = p->file == p->mainpath ? 0 : p->fileseq;
	nm[p->nmsgs].line = line;
	nm[p->nmsgs].seq = p->nmsgs;
	nm[p->nmsgs++].text = text;
}

static int
msg_cmp(const void *a, const void *b)
{
	const struct msg *x = a, *y = b;

	if (x->fileseq != y->fileseq)
		return x->fileseq < y->fileseq ? -1 : 1;
	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Passes the recorded errors on in file, then line, order. */
static void
flush_msgs(struct parser *p)
{
	size_t i;

	if (p->nmsgs > 0)
		qsort(p->msgs, p->nmsgs, sizeof(*p->msgs), msg_cmp);
	for (i = 0; i < p->nmsgs; i++) {
		p->errfn(p->errarg, p->msgs[i].text);
		free(p->msgs[i].text);
	}
	free(p->msgs);
}

/* Appends s (owned from now on) and keeps the vector NULL-terminated. */
static int
vec_push(struct vec *w, char *s)
{
	char **nv;
	size_t ncap;

	if (w->n + 2 > w->cap) {
		ncap = w->cap ? w->cap * 2 : 8;
		if ((nv = reallocarray(w->v, ncap, sizeof(*nv))) == NULL)
			return -1;
		w->v = nv;
		w->cap = ncap;
	}
	w->v[w->n++] = s;
	w->v[w->n] = NULL;
	return 0;
}

static size_t
nwords(char *const *v)
{
	size_t n = 0;

	while (v != NULL && v[n] != NULL)
		n++;
	return n;
}

void
config_free_words(char **argv)
{
	size_t i;

	if (argv == NULL)
		return;
	for (i = 0; argv[i] != NULL; i++)
		free(argv[i]);
	free(argv);
}

/* Ends the current word; the word may be empty when it was quoted. */
static int
end_word(struct vec *w, struct buf *b)
{
	char *s;

	if ((s = strdup(b->s ? b->s : "")) == NULL)
		return -1;
	if (vec_push(w, s) == -1) {
		free(s);
		return -1;
	}
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
	return 0;
}

/*
 * Splits like sh without any expansion, so that a command line means the
 * same in the config as at a prompt, and no shell is ever involved.
 */
int
config_split_words(const char *s, char ***argvp, char *err, size_t errlen)
{
	struct vec w = { 0 };
	struct buf b = { 0 };
	const char *p = s, *q;
	bool inword = false;

	while (*p != '\0') {
		if (*p == ' ' || *p == '\t') {
			if (inword && end_word(&w, &b) == -1)
				goto nomem;
			inword = false;
			p++;
			continue;
		}
		inword = true;
		if (*p == '\'') {
			if ((q = strchr(p + 1, '\'')) == NULL) {
				seterr(err, errlen, "unterminated single quote");
				goto fail;
			}
			if (buf_add(&b, p + 1, q - p - 1) == -1)
				goto nomem;
			p = q + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					seterr(err, errlen,
					    "unterminated double quote");
					goto fail;
				}
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("\"\\$`", p[1]) != NULL)
					p++;
				if (buf_addc(&b, *p) == -1)
					goto nomem;
			}
			p++;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				seterr(err, errlen, "backslash at end of line");
				goto fail;
			}
			if (buf_addc(&b, p[1]) == -1)
				goto nomem;
			p += 2;
		} else {
			if (buf_addc(&b, *p) == -1)
				goto nomem;
			p++;
		}
	}
	if (inword && end_word(&w, &b) == -1)
		goto nomem;
	if (w.v == NULL && (w.v = calloc(1, sizeof(*w.v))) == NULL)
		goto nomem;
	free(b.s);
	*argvp = w.v;
	return (int)w.n;

nomem:
	seterr(err, errlen, "out of memory");
fail:
	free(b.s);
	config_free_words(w.v);
	return -1;
}

/* Units are mandatory so that "10" never means 10ms to one reader and 10s to another. */
int
config_parse_duration(const char *s, int64_t *ms)
{
	int64_t ip = 0, fp = 0, scale = 1, unit, total, frac;
	const char *p = s;

	if (s == NULL || !isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++)
		if (__builtin_mul_overflow(ip, 10, &ip) ||
		    __builtin_add_overflow(ip, *p - '0', &ip))
			return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		for (; isdigit((unsigned char)*p); p++) {
			if (scale >= 1000000000)
				return -1;	/* far below a millisecond */
			fp = fp * 10 + (*p - '0');
			scale *= 10;
		}
	}
	if (strcmp(p, "ms") == 0)
		unit = 1;
	else if (strcmp(p, "s") == 0)
		unit = 1000;
	else if (strcmp(p, "m") == 0)
		unit = 60 * 1000;
	else if (strcmp(p, "h") == 0)
		unit = 60 * 60 * 1000;
	else
		return -1;
	frac = fp * unit;	/* < 1e9 * 3.6e6: no overflow */
	if (frac % scale != 0)
		return -1;	/* finer than a millisecond */
	if (__builtin_mul_overflow(ip, unit, &total) ||
	    __builtin_add_overflow(total, frac / scale, &total))
		return -1;
	*ms = total;
	return 0;
}

/* Accepts what people type after kill -s: TERM, SIGTERM, term, 15. */
int
config_parse_signal(const char *s)
{
	const char *name;
	size_t i;
	int n = 0;

	if (s == NULL || *s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		for (; *s != '\0'; s++) {
			if (!isdigit((unsigned char)*s) || n >= NSIG)
				return -1;
			n = n * 10 + (*s - '0');
		}
		return n >= 1 && n < NSIG ? n : -1;
	}
	name = s;
	if (strncasecmp(name, "SIG", 3) == 0 && name[3] != '\0')
		name += 3;
	for (i = 0; i < nitems(sigtab); i++)
		if (strcasecmp(name, sigtab[i].name) == 0)
			return sigtab[i].num;
	return -1;
}

const char *
config_signal_name(int sig)
{
	size_t i;

	for (i = 0; i < nitems(sigtab); i++)
		if (sigtab[i].num == sig)
			return sigtab[i].name;
	if (sig >= 0 && (size_t)sig < nitems(signum_names))
		return signum_names[sig];
	return "SIG?";
}

/* Names end up in syslog tags, messages and the control protocol: keep them plain. */
bool
config_valid_name(const char *name)
{
	size_t n;

	if (name == NULL || *name == '\0' || *name == '.' || *name == '-')
		return false;
	for (n = 0; name[n] != '\0'; n++) {
		if (n >= NAME_MAX_LEN)
			return false;
		if (!isalnum((unsigned char)name[n]) &&
		    strchr("_.@-", name[n]) == NULL)
			return false;
	}
	return true;
}

struct conf *
config_new(void)
{
	return calloc(1, sizeof(struct conf));
}

void
config_svc_free(struct svc_conf *sc)
{
	if (sc == NULL)
		return;
	free(sc->name);
	free(sc->command);
	config_free_words(sc->argv);
	free(sc->directory);
	free(sc->user);
	free(sc->group);
	config_free_words(sc->env);
	free(sc->out[0].file);
	free(sc->out[1].file);
	free(sc->syslog_tag);
	free(sc->environment_file);
	free(sc->file);
	free(sc);
}

void
config_free(struct conf *c)
{
	struct svc_conf *sc, *next;

	if (c == NULL)
		return;
	for (sc = c->services; sc != NULL; sc = next) {
		next = sc->next;
		config_svc_free(sc);
	}
	free(c->path);
	free(c->control_group);
	free(c->status_group);
	free(c->syslog_socket);
	free(c);
}

struct svc_conf *
config_svc_new(const char *name)
{
	struct svc_conf *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	if ((sc->name = strdup(name)) == NULL) {
		free(sc);
		return NULL;
	}
	sc->umask = DEF_UMASK;
	sc->restart = RESTART_ALWAYS;
	sc->stop_signal = SIGTERM;
	sc->stop_timeout_ms = DEF_STOP_TIMEOUT_MS;
	sc->backoff_initial_ms = DEF_BACKOFF_INITIAL_MS;
	sc->backoff_max_ms = DEF_BACKOFF_MAX_MS;
	sc->healthy_after_ms = DEF_HEALTHY_AFTER_MS;
	sc->give_up_after = 0;
	sc->out[0].dest = sc->out[1].dest = OUT_SYSLOG;
	sc->out[0].priority = LOG_INFO;
	sc->out[1].priority = LOG_WARNING;
	sc->syslog_facility = LOG_DAEMON;
	sc->line_max = DEF_LINE_MAX;
	sc->log_lines = DEF_LOG_LINES;
	return sc;
}

static int
key_index(const char *key)
{
	int i;

	for (i = 0; i < NKEYS; i++)
		if (strcmp(key, svc_keys[i]) == 0)
			return i;
	return -1;
}

/* Replaces *dst with a copy of value; the old string survives a failure. */
static int
set_string(char **dst, const char *value, char *err, size_t errlen)
{
	char *s;

	if ((s = strdup(value)) == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	free(*dst);
	*dst = s;
	return 0;
}

/* Durations are bounded so that deadlines computed from them never overflow. */
static int
set_duration(const char *key, const char *value, int64_t min, int64_t *dst,
    char *err, size_t errlen)
{
	int64_t ms;

	if (config_parse_duration(value, &ms) == -1) {
		seterr(err, errlen,
		    "invalid duration \"%s\" for %s (use ms, s, m or h)",
		    value, key);
		return -1;
	}
	if (ms > DURATION_MAX_MS) {
		seterr(err, errlen, "%s \"%s\" is too long (at most 24h)",
		    key, value);
		return -1;
	}
	if (ms < min) {
		seterr(err, errlen, "%s must be at least %lldms", key,
		    (long long)min);
		return -1;
	}
	*dst = ms;
	return 0;
}

/* KEY must be a shell identifier, or some programs could never read it. */
static bool
valid_env_entry(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

/* Adds KEY=VALUE entries; a KEY given again replaces the earlier entry in place. */
static int
add_env(struct svc_conf *sc, const char *value, char *err, size_t errlen)
{
	char **words, **nv;
	size_t i, j, n, nw, klen;
	int r;

	if ((r = config_split_words(value, &words, err, errlen)) == -1)
		return -1;
	nw = (size_t)r;
	for (i = 0; i < nw; i++) {
		if (!valid_env_entry(words[i])) {
			seterr(err, errlen,
			    "invalid environment entry \"%s\" (expected KEY=VALUE)",
			    words[i]);
			config_free_words(words);
			return -1;
		}
	}
	n = nwords(sc->env);
	if ((nv = reallocarray(sc->env, n + nw + 1, sizeof(*nv))) == NULL) {
		seterr(err, errlen, "out of memory");
		config_free_words(words);
		return -1;
	}
	sc->env = nv;
	for (i = 0; i < nw; i++) {
		klen = strchr(words[i], '=') - words[i] + 1;
		for (j = 0; j < n; j++)
			if (strncmp(sc->env[j], words[i], klen) == 0)
				break;
		if (j < n)
			free(sc->env[j]);
		else
			n++;
		sc->env[j] = words[i];
	}
	sc->env[n] = NULL;
	free(words);		/* the strings moved into sc->env */
	return 0;
}

static int
set_command(struct svc_conf *sc, const char *value, char *err, size_t errlen)
{
	char **argv, *text;
	int n;

	if ((n = config_split_words(value, &argv, err, errlen)) == -1)
		return -1;
	if (n == 0) {
		config_free_words(argv);
		seterr(err, errlen, "empty command");
		return -1;
	}
	if ((text = strdup(value)) == NULL) {
		config_free_words(argv);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	config_free_words(sc->argv);
	free(sc->command);
	sc->argv = argv;
	sc->command = text;
	return 0;
}

/* Octal digits only, as umask(1) takes them, so "22" cannot mean decimal. */
static int
set_umask(struct svc_conf *sc, const char *value, char *err, size_t errlen)
{
	const char *p;
	unsigned m = 0;

	for (p = value; *p >= '0' && *p <= '7'; p++) {
		m = m * 8 + (unsigned)(*p - '0');
		if (m > 0777)
			break;
	}
	if (*value == '\0' || *p != '\0' || m > 0777) {
		seterr(err, errlen, "invalid umask \"%s\"", value);
		return -1;
	}
	sc->umask = (mode_t)m;
	return 0;
}

/* A whole number in [lo, hi]; 0 or -1. */
static int
parse_uint(const char *value, unsigned long long lo, unsigned long long hi,
    unsigned long long *out)
{
	const char *p;
	unsigned long long n = 0;

	for (p = value; isdigit((unsigned char)*p); p++) {
		n = n * 10 + (unsigned)(*p - '0');
		if (n > hi)
			return -1;
	}
	if (*value == '\0' || *p != '\0' || n < lo)
		return -1;
	*out = n;
	return 0;
}

static int
set_give_up(struct svc_conf *sc, const char *value, char *err, size_t errlen)
{
	unsigned long long n;

	if (parse_uint(value, 0, UINT_MAX, &n) < 0) {
		seterr(err, errlen,
		    "invalid give_up_after \"%s\" (a non-negative integer)",
		    value);
		return -1;
	}
	sc->give_up_after = (unsigned)n;
	return 0;
}

/*
 * All validation of values lives here, so a setting means the same in a
 * config file and on the command line of the one-command mode.
 */
int
config_parse_facility(const char *s)
{
	for (size_t i = 0; i < sizeof(factab) / sizeof(factab[0]); i++)
		if (strcmp(s, factab[i].name) == 0)
			return factab[i].num;
	return -1;
}

int
config_parse_priority(const char *s)
{
	for (size_t i = 0; i < sizeof(priotab) / sizeof(priotab[0]); i++)
		if (strcmp(s, priotab[i].name) == 0)
			return priotab[i].num;
	/* the names syslog.conf(5) also knows */
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

/* stdout = / stderr = : syslog, null, or file:PATH (absolute). */
static int
set_output(struct out_conf *oc, const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(value, "syslog") == 0)
		oc->dest = OUT_SYSLOG;
	else if (strcmp(value, "null") == 0)
		oc->dest = OUT_NULL;
	else if (strncmp(value, "file:", 5) == 0 && value[5] == '/') {
		oc->dest = OUT_FILE;
		return set_string(&oc->file, value + 5, err, errlen);
	} else {
		seterr(err, errlen, "invalid %s \"%s\" (syslog, null or "
		    "file:/absolute/path)", key, value);
		return -1;
	}
	free(oc->file);
	oc->file = NULL;
	return 0;
}

static int
set_priority(int *slot, const char *key, const char *value, char *err,
    size_t errlen)
{
	int prio = config_parse_priority(value);

	if (prio < 0) {
		seterr(err, errlen, "invalid %s \"%s\" (emerg, alert, crit, err, "
		    "warning, notice, info or debug)", key, value);
		return -1;
	}
	*slot = prio;
	return 0;
}

int
config_limit_resource(int lim)
{
	return limit_res[lim];
}

/* One side of a limit: a number (with K, M, G for sizes) or "unlimited". */
static int
parse_limit_value(const char *s, size_t len, bool bytes, uint64_t *out)
{
	char buf[32], *end;
	unsigned long long v;
	uint64_t mul = 1;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strcmp(buf, "unlimited") == 0 || strcmp(buf, "infinity") == 0) {
		*out = UINT64_MAX;
		return 0;
	}
	if (!isdigit((unsigned char)buf[0]))
		return -1;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0)
		return -1;
	if (bytes && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K': case 'k': mul = 1024; break;
		case 'M': case 'm': mul = 1024 * 1024; break;
		case 'G': case 'g': mul = 1024 * 1024 * 1024; break;
		default: return -1;
		}
		end++;
	}
	if (*end != '\0' || v > UINT64_MAX / mul || v * mul == UINT64_MAX)
		return -1;
	*out = v * mul;
	return 0;
}

/* limit_X = SOFT or SOFT:HARD (the same for both when one is given). */
static int
set_limit(struct svc_limit *l, int lim, const char *key, const char *value,
    char *err, size_t errlen)
{
	const char *colon = strchr(value, ':');
	uint64_t soft, hard;

	if (parse_limit_value(value, colon ? (size_t)(colon - value) :
	    strlen(value), limit_bytes[lim], &soft) < 0 ||
	    (colon && parse_limit_value(colon + 1, strlen(colon + 1),
	    limit_bytes[lim], &hard) < 0)) {
		seterr(err, errlen, "invalid %s \"%s\" (a number%s or "
		    "unlimited, or soft:hard)", key, value, limit_bytes[lim] ?
		    " with K, M or G" : "");
		return -1;
	}
	if (!colon)
		hard = soft;
	if (soft > hard) {
		seterr(err, errlen, "invalid %s \"%s\": the soft limit is above "
		    "the hard one", key, value);
		return -1;
	}
	l->set = true;
	l->soft = soft;
	l->hard = hard;
	return 0;
}

static int
set_bool(bool *slot, const char *key, const char *value, char *err,
    size_t errlen)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
	    strcmp(value, "on") == 0)
		*slot = true;
	else if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
	    strcmp(value, "off") == 0)
		*slot = false;
	else {
		seterr(err, errlen, "invalid %s \"%s\" (yes or no)", key, value);
		return -1;
	}
	return 0;
}

char **
config_read_env_file(const char *path, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *line = NULL, **env = NULL;
	size_t cap = 0, n = 0;
	int lineno = 0;

	if (fp == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((env = calloc(1, sizeof(char *))) == NULL)
		goto nomem;
	while (getline(&line, &cap, fp) != -1) {
		char *p = line, **words = NULL, **ne;
		int nw;

		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
			p += 7 + strspn(p + 7, " \t");
		nw = config_split_words(p, &words, err, errlen);
		if (nw != 1 || !valid_env_entry(words[0])) {
			if (nw >= 0)
				seterr(err, errlen, "%s:%d: expected one KEY=VALUE (quote a value with blanks)",
				    path, lineno);
			else {
				char why[256];
				snprintf(why, sizeof(why), "%s", err);
				seterr(err, errlen, "%s:%d: %s", path, lineno, why);
			}
			config_free_words(words);
			goto fail;
		}
		if ((ne = reallocarray(env, n + 2, sizeof(char *))) == NULL) {
			config_free_words(words);
			goto nomem;
		}
		env = ne;
		env[n++] = words[0];
		env[n] = NULL;
		words[0] = NULL;
		config_free_words(words);
	}
	free(line);
	fclose(fp);
	return env;
nomem:
	seterr(err, errlen, "out of memory");
fail:
	free(line);
	fclose(fp);
	config_free_words(env);
	return NULL;
}

int
config_svc_set(struct svc_conf *sc, const char *key, const char *value,
    char *err, size_t errlen)
{
	int k, sig;

	if ((k = key_index(key)) == -1) {
		seterr(err, errlen, "unknown key \"%s\"", key);
		return -1;
	}
	if (*value == '\0' && k != K_ENVIRONMENT && k != K_COMMAND) {
		seterr(err, errlen, "empty value for %s", key);
		return -1;
	}
	switch (k) {
	case K_COMMAND:
		return set_command(sc, value, err, errlen);
	case K_DIRECTORY:
		if (*value != '/') {
			seterr(err, errlen,
			    "directory \"%s\" is not an absolute path", value);
			return -1;
		}
		return set_string(&sc->directory, value, err, errlen);
	case K_USER:
		return set_string(&sc->user, value, err, errlen);
	case K_GROUP:
		return set_string(&sc->group, value, err, errlen);
	case K_ENVIRONMENT:
		return add_env(sc, value, err, errlen);
	case K_UMASK:
		return set_umask(sc, value, err, errlen);
	case K_RESTART:
		if (strcmp(value, "always") == 0)
			sc->restart = RESTART_ALWAYS;
		else if (strcmp(value, "on-failure") == 0)
			sc->restart = RESTART_ON_FAILURE;
		else if (strcmp(value, "never") == 0)
			sc->restart = RESTART_NEVER;
		else {
			seterr(err, errlen, "invalid restart policy \"%s\" "
			    "(always, on-failure or never)", value);
			return -1;
		}
		return 0;
	case K_STOP_SIGNAL:
		if ((sig = config_parse_signal(value)) == -1) {
			seterr(err, errlen, "unknown signal \"%s\"", value);
			return -1;
		}
		sc->stop_signal = sig;
		return 0;
	case K_STOP_TIMEOUT:
		return set_duration(key, value, 0, &sc->stop_timeout_ms,
		    err, errlen);
	case K_BACKOFF_INITIAL:
		return set_duration(key, value, BACKOFF_MIN_MS,
		    &sc->backoff_initial_ms, err, errlen);
	case K_BACKOFF_MAX:
		return set_duration(key, value, 0, &sc->backoff_max_ms,
		    err, errlen);
	case K_HEALTHY_AFTER:
		return set_duration(key, value, 0, &sc->healthy_after_ms,
		    err, errlen);
	case K_GIVE_UP_AFTER:
		return set_give_up(sc, value, err, errlen);
	case K_STDOUT:
		return set_output(&sc->out[0], key, value, err, errlen);
	case K_STDERR:
		return set_output(&sc->out[1], key, value, err, errlen);
	case K_STDOUT_PRIORITY:
		return set_priority(&sc->out[0].priority, key, value, err, errlen);
	case K_STDERR_PRIORITY:
		return set_priority(&sc->out[1].priority, key, value, err, errlen);
	case K_SYSLOG_TAG:
		if (strlen(value) > 32 || strpbrk(value, " \t[]:") != NULL) {
			seterr(err, errlen, "invalid syslog_tag \"%s\" (at most 32 "
			    "characters, no blanks, brackets or colons)", value);
			return -1;
		}
		return set_string(&sc->syslog_tag, value, err, errlen);
	case K_SYSLOG_FACILITY:
		if ((sig = config_parse_facility(value)) < 0) {
			seterr(err, errlen, "invalid syslog_facility \"%s\" (daemon, "
			    "user, local0 ... local7, ...)", value);
			return -1;
		}
		sc->syslog_facility = sig;
		return 0;
	case K_LINE_MAX: {
		unsigned long long n;

		if (parse_uint(value, LINE_MAX_MIN, LINE_MAX_MAX, &n) < 0) {
			seterr(err, errlen, "invalid line_max \"%s\" (bytes, %d to "
			    "%d)", value, LINE_MAX_MIN, LINE_MAX_MAX);
			return -1;
		}
		sc->line_max = (size_t)n;
		return 0;
	}
	case K_ENVIRONMENT_FILE: {
		bool optional = value[0] == '-';
		const char *path = optional ? value + 1 : value;

		if (path[0] != '/') {
			seterr(err, errlen, "environment_file \"%s\" is not an "
			    "absolute path", value);
			return -1;
		}
		sc->environment_file_optional = optional;
		return set_string(&sc->environment_file, path, err, errlen);
	}
	case K_CLEAR_ENVIRONMENT:
		return set_bool(&sc->clear_environment, key, value, err, errlen);
	case K_NO_NEW_PRIVILEGES:
		return set_bool(&sc->no_new_privileges, key, value, err, errlen);
	case K_NICE: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || *end || end == value || v < -20 || v > 19) {
			seterr(err, errlen, "invalid nice \"%s\" (-20 to 19)", value);
			return -1;
		}
		sc->nice = (int)v;
		sc->nice_set = true;
		return 0;
	}
	case K_LOG_LINES: {
		unsigned long long n;

		if (parse_uint(value, 0, LOG_LINES_MAX, &n) < 0) {
			seterr(err, errlen, "invalid log_lines \"%s\" (0 to %d)",
			    value, LOG_LINES_MAX);
			return -1;
		}
		sc->log_lines = (unsigned)n;
		return 0;
	}
	default:
		if (k >= K_LIMIT_FIRST && k <= K_LIMIT_LAST)
			return set_limit(&sc->limits[k - K_LIMIT_FIRST],
			    k - K_LIMIT_FIRST, key, value, err, errlen);
	}
	return -1;
}

/* Writes a duration the way a user would have: 1500ms, 2s, 1m, 1h. */
static const char *
fmt_ms(int64_t ms, char *buf, size_t len)
{
	if (ms != 0 && ms % (60 * 60 * 1000) == 0)
		snprintf(buf, len, "%lldh", (long long)(ms / (60 * 60 * 1000)));
	else if (ms != 0 && ms % (60 * 1000) == 0)
		snprintf(buf, len, "%lldm", (long long)(ms / (60 * 1000)));
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(buf, len, "%llds", (long long)(ms / 1000));
	else
		snprintf(buf, len, "%lldms", (long long)ms);
	return buf;
}

/* The checks that depend on several keys, which may come in any order. */
int
config_svc_check(const struct svc_conf *sc, char *err, size_t errlen)
{
	char a[32], b[32];

	if (sc->argv == NULL || sc->argv[0] == NULL) {
		seterr(err, errlen, "service \"%s\" has no command", sc->name);
		return -1;
	}
	if (sc->backoff_max_ms < sc->backoff_initial_ms) {
		seterr(err, errlen, "service \"%s\": backoff_max (%s) is less "
		    "than backoff_initial (%s)", sc->name,
		    fmt_ms(sc->backoff_max_ms, a, sizeof(a)),
		    fmt_ms(sc->backoff_initial_ms, b, sizeof(b)));
		return -1;
	}
	if ((uint64_t)sc->log_lines * sc->line_max > LOG_BYTES_MAX) {
		seterr(err, errlen, "service \"%s\": log_lines = %u lines of up "
		    "to line_max = %zu bytes could take %llu MiB; at most %d "
		    "MiB (lower log_lines or line_max)", sc->name,
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

static bool
str_equal(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

static bool
words_equal(char *const *a, char *const *b)
{
	size_t i, n = nwords(a);

	if (n != nwords(b))
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
	size_t i, j, n = nwords(a);

	if (n != nwords(b))
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

/* Decides whether a reload must restart a service; only what the process sees counts. */
static bool
limits_equal(const struct svc_limit *a, const struct svc_limit *b)
{
	for (int i = 0; i < NLIMITS; i++)
		if (a[i].set != b[i].set || (a[i].set && (a[i].soft != b[i].soft ||
		    a[i].hard != b[i].hard)))
			return false;
	return true;
}

static bool
out_equal(const struct out_conf *a, const struct out_conf *b)
{
	return a->dest == b->dest && a->priority == b->priority &&
	    str_equal(a->file, b->file);
}

bool
config_svc_equal(const struct svc_conf *a, const struct svc_conf *b)
{
	return str_equal(a->name, b->name) &&
	    words_equal(a->argv, b->argv) &&
	    str_equal(a->directory ? a->directory : "/",
		b->directory ? b->directory : "/") &&
	    str_equal(a->user, b->user) &&
	    str_equal(a->group, b->group) &&
	    env_equal(a->env, b->env) &&
	    a->umask == b->umask &&
	    a->restart == b->restart &&
	    a->stop_signal == b->stop_signal &&
	    a->stop_timeout_ms == b->stop_timeout_ms &&
	    a->backoff_initial_ms == b->backoff_initial_ms &&
	    a->backoff_max_ms == b->backoff_max_ms &&
	    a->healthy_after_ms == b->healthy_after_ms &&
	    a->give_up_after == b->give_up_after &&
	    out_equal(&a->out[0], &b->out[0]) &&
	    out_equal(&a->out[1], &b->out[1]) &&
	    str_equal(a->syslog_tag ? a->syslog_tag : a->name,
		b->syslog_tag ? b->syslog_tag : b->name) &&
	    a->syslog_facility == b->syslog_facility &&
	    a->line_max == b->line_max &&
	    a->log_lines == b->log_lines &&
	    str_equal(a->environment_file, b->environment_file) &&
	    a->environment_file_optional == b->environment_file_optional &&
	    a->clear_environment == b->clear_environment &&
	    a->no_new_privileges == b->no_new_privileges &&
	    a->nice_set == b->nice_set && a->nice == b->nice &&
	    limits_equal(a->limits, b->limits);
}

/* ---- the parser ---- */

static char *
lskip(char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

static void
rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * Cuts a value at its comment: ';' or '#' after a blank, outside quotes, so
 * that "sh -c 'a ; b'" survives and "restart = always  # note" works.
 */
static void
strip_comment(char *s)
{
	char *p, quote = 0;

	for (p = s; *p != '\0'; p++) {
		if (quote == '\'') {
			if (*p == '\'')
				quote = 0;
		} else if (quote == '"') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				quote = 0;
		} else if (*p == '\'' || *p == '"') {
			quote = *p;
		} else if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if ((*p == ';' || *p == '#') &&
		    (p == s || *(p - 1) == ' ' || *(p - 1) == '\t')) {
			*p = '\0';
			break;
		}
	}
	rstrip(s);
}

/*
 * Where libinih would end a key: the first '=' or ':', unless a ';' after a
 * blank (an inline comment for libinih) comes first.
 */
static char *
find_separator(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '=' || *p == ':')
			return p;
		if (*p == ';' && p > s && isspace((unsigned char)*(p - 1)))
			return NULL;
	}
	return NULL;
}

/*
 * Records the patterns of an include= value, split like a command so one
 * line or its continuations can name several and a space can be quoted;
 * relative ones are joined to the directory of the file that names them.
 */
static void
add_includes(struct parser *p, const char *value)
{
	char **words, err[MSG_MAX], *pat;
	struct include *ninc;
	const char *slash;
	size_t dirlen;
	int i, n;

	if ((n = config_split_words(value, &words, err, sizeof(err))) == -1) {
		perr(p, p->keyline, "%s", err);
		return;
	}
	if (n == 0)
		perr(p, p->keyline, "include needs a pattern");
	slash = strrchr(p->file, '/');
	for (i = 0; i < n; i++) {
		dirlen = words[i][0] == '/' || slash == NULL ? 0 :
		    (size_t)(slash - p->file + 1);
		ninc = reallocarray(p->inc, p->ninc + 1, sizeof(*ninc));
		if (ninc != NULL)
			p->inc = ninc;
		if (ninc == NULL || asprintf(&pat, "%.*s%s", (int)dirlen,
		    p->file, words[i]) == -1) {
			perr(p, p->keyline, "out of memory");
			break;
		}
		p->inc[p->ninc].pattern = pat;
		p->inc[p->ninc++].line = p->keyline;
	}
	config_free_words(words);
}

/* A [guardiand] group key: the group must exist, and be given once. */
static void
set_group(struct parser *p, char **slot, const char *value)
{
	if (*slot != NULL) {
		perr(p, p->keyline, "duplicate key \"%s\" in [guardiand]", p->key);
		return;
	}
	if (value[0] == '\0') {
		perr(p, p->keyline, "empty value for %s", p->key);
		return;
	}
	if (getgrnam(value) == NULL) {
		perr(p, p->keyline, "unknown group \"%s\" for %s", value, p->key);
		return;
	}
	if ((*slot = strdup(value)) == NULL)
		perr(p, p->keyline, "out of memory");
}

/* Applies the key read so far, now that no continuation line can extend it. */
static void
flush_key(struct parser *p)
{
	char err[MSG_MAX];
	const char *value;
	int k;

	if (p->key == NULL)
		return;
	value = p->val.s ? p->val.s : "";
	if (p->sect == SECT_MAIN) {
		if (strcmp(p->key, "include") == 0)
			add_includes(p, value);
		else if (strcmp(p->key, "control_group") == 0)
			set_group(p, &p->conf->control_group, value);
		else if (strcmp(p->key, "status_group") == 0)
			set_group(p, &p->conf->status_group, value);
		else if (strcmp(p->key, "syslog_socket") == 0) {
			if (p->conf->syslog_socket != NULL)
				perr(p, p->keyline, "duplicate key \"%s\" in "
				    "[guardiand]", p->key);
			else if (value[0] != '/')
				perr(p, p->keyline, "syslog_socket \"%s\" is not "
				    "an absolute path", value);
			else if ((p->conf->syslog_socket = strdup(value)) == NULL)
				perr(p, p->keyline, "out of memory");
		}
		else
			perr(p, p->keyline, "unknown key \"%s\" in [guardiand]",
			    p->key);
	} else if (p->sect == SECT_SERVICE) {
		if ((k = key_index(p->key)) == -1)
			perr(p, p->keyline, "unknown key \"%s\" in [service %s]",
			    p->key, p->svc->name);
		else if (p->seen & (1ull << k))
			perr(p, p->keyline,
			    "duplicate key \"%s\" in [service %s]",
			    p->key, p->svc->name);
		else {
			p->seen |= 1ull << k;
			p->keylines[k] = p->keyline;
			if (config_svc_set(p->svc, p->key, value, err,
			    sizeof(err)) == -1)
				perr(p, p->keyline, "%s", err);
		}
	}
	free(p->key);
	p->key = NULL;
	p->val.len = 0;
	if (p->val.s)
		p->val.s[0] = '\0';
}

/* A problem check_service() found: at the line of its key. */
static void
host_problem(void *arg, const char *key, const char *msg)
{
	struct parser *p = arg;
	int k = key_index(key);

	perr(p, k >= 0 && p->keylines[k] > 0 ? p->keylines[k] : p->svc->line,
	    "%s", msg);
}

/* Ends a section: a service is checked and kept, unless its name was taken. */
static void
finish_section(struct parser *p)
{
	char err[MSG_MAX];

	flush_key(p);
	if (p->sect == SECT_SERVICE) {
		/* a bad command= was reported already: no "has no command" */
		if ((p->svc->argv != NULL || !(p->seen & (1ull << K_COMMAND))) &&
		    config_svc_check(p->svc, err, sizeof(err)) == -1)
			perr(p, p->svc->line, "%s", err);
		/* What the start needs from the host, once the section is
		 * sound: a service that can never start is an error too. */
		if (config_check_host && p->svc->argv != NULL && !p->svc_dup)
			check_service(p->svc, host_problem, p);
		if (p->svc_dup || config_add(p->conf, p->svc) == -1)
			config_svc_free(p->svc);
	}
	p->svc = NULL;
	p->svc_dup = false;
	p->sect = SECT_NONE;
	p->seen = 0;
	memset(p->keylines, 0, sizeof(p->keylines));
	p->have_key = false;
}

/* Opens a section; a bad one is reported once and its keys are skipped quietly. */
static void
start_section(struct parser *p, const char *name)
{
	struct svc_conf *sc, *prev;
	const char *sname;

	finish_section(p);
	p->sect = SECT_IGNORE;
	if (strcmp(name, "guardiand") == 0) {
		if (p->main)
			p->sect = SECT_MAIN;
		else
			perr(p, p->lineno,
			    "[guardiand] is allowed only in the main file");
		return;
	}
	if (strncmp(name, "service ", 8) != 0) {
		perr(p, p->lineno, "unknown section \"[%s]\"", name);
		return;
	}
	sname = name + 8;
	if (!config_valid_name(sname)) {
		perr(p, p->lineno, "unknown section \"[%s]\": invalid service "
		    "name \"%s\" (1 to 64 of A-Z a-z 0-9 _ . @ -, "
		    "not starting with . or -)", name, sname);
		return;
	}
	if ((sc = config_svc_new(sname)) == NULL ||
	    (sc->file = strdup(p->file)) == NULL) {
		config_svc_free(sc);
		perr(p, p->lineno, "out of memory");
		return;
	}
	sc->line = p->lineno;
	if ((prev = config_find(p->conf, sname)) != NULL) {
		perr(p, p->lineno,
		    "duplicate service \"%s\" (first defined at %s:%d)",
		    sname, prev->file, prev->line);
		p->svc_dup = true;
	}
	p->svc = sc;
	p->sect = SECT_SERVICE;
}

/* Handles a key or continuation line the reader classified and libinih accepted. */
static void
process_line(struct parser *p)
{
	p->pending = false;
	if (p->kind == LINE_CONT) {
		if (p->key == NULL)
			return;		/* continues an ignored or bad key */
		if ((p->val.len > 0 && buf_addc(&p->val, ' ') == -1) ||
		    buf_add(&p->val, p->ptext, strlen(p->ptext)) == -1)
			perr(p, p->lineno, "out of memory");
		return;
	}
	flush_key(p);
	p->have_key = true;
	switch (p->sect) {
	case SECT_NONE:
		perr(p, p->lineno, "key \"%s\" before any section", p->pname);
		return;
	case SECT_IGNORE:
		return;
	case SECT_MAIN:
	case SECT_SERVICE:
		break;
	}
	if ((p->key = strdup(p->pname)) == NULL ||
	    buf_add(&p->val, p->ptext, strlen(p->ptext)) == -1) {
		free(p->key);
		p->key = NULL;
		perr(p, p->lineno, "out of memory");
		return;
	}
	p->keyline = p->lineno;
}

/* The libinih handler: our reader already knows what the line is. */
static int
ini_handler_fn(void *user, const char *section, const char *name,
    const char *value)
{
	struct parser *p = user;

	(void)section;
	(void)name;
	(void)value;
	if (p->pending)
		process_line(p);
	return 1;
}

/* Recognises a "[name]" line; false if it is malformed. */
static bool
section_line(struct parser *p, char *s)
{
	char *end, *rest;

	if ((end = strchr(s + 1, ']')) == NULL)
		return false;
	rest = lskip(end + 1);
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return false;
	*end = '\0';
	start_section(p, s + 1);
	return true;
}

/* Copies the next line of the file (with its newline) into p->raw, so
 * it is NUL-terminated where the file may not be; its length, or -1 at
 * the end (or out of memory, recorded). */
static ssize_t
next_line(struct parser *p)
{
	const char *s = p->data + p->datapos, *nl;
	size_t n, left = p->datalen - p->datapos;
	char *nr;

	if (left == 0)
		return -1;
	nl = memchr(s, '\n', left);
	n = nl ? (size_t)(nl - s) + 1 : left;
	if (n + 1 > p->rawcap) {
		if ((nr = realloc(p->raw, n + 1)) == NULL) {
			p->read_errno = ENOMEM;
			return -1;
		}
		p->raw = nr;
		p->rawcap = n + 1;
	}
	memcpy(p->raw, s, n);
	p->raw[n] = '\0';
	p->datapos += n;
	return (ssize_t)n;
}

/*
 * The ini_reader: reads whole lines itself so it can count them, refuse
 * lines longer than libinih's buffer, report syntax errors with their line,
 * and tell continuation lines from keys; libinih gets only the lines whose
 * handler call we want, everything else as a blank line.
 */
static char *
read_line(char *str, int num, void *stream)
{
	struct parser *p = stream;
	ssize_t n;
	char *s, *sep, *line;

	if (p->pending)
		process_line(p);	/* libinih skipped it: cannot happen */
	if ((n = next_line(p)) == -1)
		return NULL;
	p->lineno++;
	line = p->raw;
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (p->lineno == 1 && strncmp(line, "\xEF\xBB\xBF", 3) == 0) {
		line += 3;
		n -= 3;
	}
	str[0] = '\0';
	if (strlen(line) != (size_t)n) {
		perr(p, p->lineno, "line contains a NUL byte");
		return str;
	}
	if (n > num - 1) {
		perr(p, p->lineno, "line longer than %d characters; "
		    "continue a long value on indented lines", num - 1);
		return str;
	}
	s = lskip(line);
	if (*s == '\0' || *s == ';' || *s == '#')
		return str;
	if (s > line && p->have_key) {
		p->kind = LINE_CONT;
		p->ptext = s;
		strip_comment(s);
		if (*s == '\0')
			return str;	/* only a comment left */
	} else if (*s == '[') {
		if (!section_line(p, s))
			perr(p, p->lineno, "syntax error: expected "
			    "\"key = value\" or \"[section]\"");
		return str;
	} else {
		if ((sep = find_separator(s)) == NULL || sep == s) {
			perr(p, p->lineno, "syntax error: expected "
			    "\"key = value\" or \"[section]\"");
			return str;
		}
		/* libinih gets the line intact before we cut it up */
		memcpy(str, line, n + 1);
		p->kind = LINE_KEY;
		*sep = '\0';
		rstrip(s);
		p->pname = s;
		p->ptext = lskip(sep + 1);
		strip_comment(p->ptext);
		p->pending = true;
		return str;
	}
	memcpy(str, line, n + 1);
	p->pending = true;
	return str;
}

/* True if this file was read already, so a pattern matching it twice (or the main file) is harmless. */
static bool
seen_before(struct parser *p, const struct stat *st)
{
	struct seen_file *nf;
	size_t i;

	for (i = 0; i < p->nfiles; i++)
		if (p->files[i].dev == st->st_dev &&
		    p->files[i].ino == st->st_ino)
			return true;
	if ((nf = reallocarray(p->files, p->nfiles + 1, sizeof(*nf))) != NULL) {
		p->files = nf;
		p->files[p->nfiles].dev = st->st_dev;
		p->files[p->nfiles++].ino = st->st_ino;
	}
	return false;
}

/* What kind of file a mode is, for "not a regular file (a FIFO)". */
static const char *
file_kind(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	    S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	    S_ISDIR(m) ? "a directory" : "not a regular file";
}

/*
 * Reads a config file whole, and only a regular one: a FIFO or a device
 * would block guardiand (or act on being opened), and a file of /proc or
 * /sys is no config and may never end. Opened without blocking, read up to
 * CONF_FILE_MAX. 0 with the data, or -1 with why.
 */
static int
slurp(const char *path, struct stat *st, char **data, size_t *len,
    char *why, size_t whylen)
{
	struct statfs sfs;
	char *buf = NULL, *nb;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd = -1;

	if (stat(path, st) < 0)
		goto sys;
	if (S_ISDIR(st->st_mode)) {
		errno = EISDIR;
		goto sys;
	}
	if (!S_ISREG(st->st_mode))
		goto notreg;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		goto sys;
	if (fstat(fd, st) < 0)
		goto sys;
	if (!S_ISREG(st->st_mode))
		goto notreg;	/* replaced since the stat */
	if (fstatfs(fd, &sfs) == 0 && (sfs.f_type == PROC_SUPER_MAGIC ||
	    sfs.f_type == SYSFS_MAGIC)) {
		seterr(why, whylen, "a file of /proc or /sys, not a "
		    "configuration file; refusing it");
		goto fail;
	}
	for (;;) {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if (cap > CONF_FILE_MAX + 1)
				cap = CONF_FILE_MAX + 1;
			if ((nb = realloc(buf, cap)) == NULL)
				goto sys;
			buf = nb;
		}
		if ((r = read(fd, buf + n, cap - n)) < 0) {
			if (errno == EINTR)
				continue;
			goto sys;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CONF_FILE_MAX) {
			seterr(why, whylen, "larger than %d KiB; refusing it",
			    CONF_FILE_MAX / 1024);
			goto fail;
		}
	}
	close(fd);
	*data = buf;
	*len = n;
	return 0;
notreg:
	seterr(why, whylen, "not a regular file (%s); refusing it",
	    file_kind(st->st_mode));
	goto fail;
sys:
	seterr(why, whylen, "%s", strerror(errno));
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return -1;
}

/*
 * Like sshd's StrictModes for the directory a config file is in (where it
 * really is, past symbolic links): whoever may write there may replace the
 * file. 0 if it is safe (or guardiand is not root), else -1 with why; a
 * directory found unsafe is reported once, then its files are just skipped.
 */
static int
check_dir(struct parser *p, const char *path, char *why, size_t whylen)
{
	struct seen_file *nd;
	struct stat st;
	char *real, *dir;
	size_t i;
	bool ok;

	why[0] = '\0';
	if (geteuid() != 0)
		return 0;
	if ((real = realpath(path, NULL)) == NULL) {
		seterr(why, whylen, "%s", strerror(errno));
		return -1;
	}
	dir = dirname(real);
	if (stat(dir, &st) < 0) {
		seterr(why, whylen, "directory %s: %s", dir, strerror(errno));
		free(real);
		return -1;
	}
	for (i = 0; i < p->ndirs; i++)
		if (p->dirs[i].dev == st.st_dev && p->dirs[i].ino == st.st_ino) {
			free(real);
			return p->dirs[i].ok ? 0 : -1;
		}
	ok = st.st_uid == 0 && (st.st_mode & 022) == 0;
	if (!ok)
		seterr(why, whylen, "directory %s is writable by others than "
		    "root (owner uid %ld, mode %04o); refusing it", dir,
		    (long)st.st_uid, (unsigned)(st.st_mode & 07777));
	free(real);
	if ((nd = reallocarray(p->dirs, p->ndirs + 1, sizeof(*nd))) != NULL) {
		p->dirs = nd;
		p->dirs[p->ndirs].dev = st.st_dev;
		p->dirs[p->ndirs].ino = st.st_ino;
		p->dirs[p->ndirs++].ok = ok;
	}
	return ok ? 0 : -1;
}

/* Reports why a file is not read: an included one at its include line,
 * naming the pattern. */
static void
refuse(struct parser *p, const char *path, const struct include *inc,
    const char *incfile, const char *why)
{
	if (inc == NULL) {
		perr(p, 0, "%s", why);
	} else {
		p->file = incfile;	/* == p->mainpath */
		perr(p, inc->line, "include \"%s\": %s: %s", inc->pattern,
		    path, why);
	}
}

/* Reads one file: the main one (inc NULL), or one that inc matched. */
static void
parse_file(struct parser *p, const char *path, const struct include *inc,
    const char *incfile)
{
	char why[MSG_MAX + PATH_MAX];
	struct stat st;
	int ret;

	if (inc != NULL)
		p->fileseq++;
	p->file = path;
	p->main = inc == NULL;
	p->lineno = 0;
	p->read_errno = 0;
	p->data = NULL;
	p->datalen = p->datapos = 0;
	if (slurp(path, &st, &p->data, &p->datalen, why, sizeof(why)) < 0) {
		refuse(p, path, inc, incfile, why);
		return;
	}
	if (seen_before(p, &st))
		goto out;
	if (check_dir(p, path, why, sizeof(why)) < 0) {
		if (why[0] != '\0')
			refuse(p, path, inc, incfile, why);
		goto out;
	}
	/* Like sshd's StrictModes: a root guardiand runs what its files
	 * say, so nobody but root may be able to change them. */
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & 022) != 0)) {
		perr(p, 0, "writable by others than root (owner uid %ld, mode "
		    "%04o); refusing it", (long)st.st_uid,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}

	ret = ini_parse_stream(read_line, p, ini_handler_fn, p);
	if (p->pending)
		process_line(p);
	finish_section(p);
	if (ret == -2)
		perr(p, 0, "out of memory");
	else if (ret > 0 && p->nerrors == 0)
		perr(p, ret, "syntax error");
	if (p->read_errno != 0)
		perr(p, 0, "read error: %s", strerror(p->read_errno));
out:
	free(p->data);
	p->data = NULL;
}

/* Missing directories are no match; anything else aborts the glob. */
static int
glob_errfn(const char *path, int err)
{
	(void)path;
	return err != ENOENT && err != ENOTDIR;
}

/* Reads the included files after the main one, each pattern's matches in sorted order. */
static void
do_includes(struct parser *p, const char *mainpath)
{
	glob_t g;
	size_t i, j;
	int r;

	for (i = 0; i < p->ninc; i++) {
		memset(&g, 0, sizeof(g));
		errno = 0;
		r = glob(p->inc[i].pattern, 0, glob_errfn, &g);
		if (r == GLOB_NOSPACE || r == GLOB_ABORTED) {
			p->file = mainpath;
			if (r == GLOB_NOSPACE)
				perr(p, p->inc[i].line, "include \"%s\": out "
				    "of memory", p->inc[i].pattern);
			else
				perr(p, p->inc[i].line, "include \"%s\": "
				    "cannot read a directory: %s",
				    p->inc[i].pattern,
				    strerror(errno ? errno : EIO));
		}
		if (r == 0)
			for (j = 0; j < g.gl_pathc; j++)
				parse_file(p, g.gl_pathv[j], &p->inc[i],
				    mainpath);
		globfree(&g);
	}
}

/*
 * Reads the main file, then what it includes, reporting every error through
 * errfn; NULL if there was any, so a reload never applies half a config.
 */
struct conf *
config_load(const char *path, config_err_fn errfn, void *arg)
{
	struct parser p;
	size_t i;

	memset(&p, 0, sizeof(p));
	p.errfn = errfn;
	p.errarg = arg;
	p.file = p.mainpath = path;
	if ((p.conf = config_new()) == NULL ||
	    (p.conf->path = strdup(path)) == NULL) {
		perr(&p, 0, "out of memory");
		flush_msgs(&p);
		config_free(p.conf);
		return NULL;
	}
	parse_file(&p, path, NULL, NULL);
	do_includes(&p, path);

	for (i = 0; i < p.ninc; i++)
		free(p.inc[i].pattern);
	free(p.inc);
	free(p.files);
	free(p.dirs);
	free(p.raw);
	free(p.val.s);
	free(p.key);
	flush_msgs(&p);
	if (p.nerrors > 0) {
		config_free(p.conf);
		return NULL;
	}
	return p.conf;
}
