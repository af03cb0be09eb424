/*
 * values.c: the value parsers of the configuration, one place for what a
 * value may be written as: words split like sh, durations, signals, syslog
 * facilities and priorities, umasks, numbers, resource limits, KEY=VALUE
 * lists and environment files. Each takes text and gives a value or -1; the
 * messages that name the key are keys.c's. The one-command mode's options
 * go through the same functions, so a value means the same everywhere.
 */
#include <sys/resource.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "guardiand.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define NAME_MAX_LEN	64

/* The config key of each limit, in enum order (service.c's messages too). */
static const char *const limit_names[NLIMITS] = {
	[LIM_NOFILE] = "limit_nofile", [LIM_NPROC] = "limit_nproc",
	[LIM_CORE] = "limit_core", [LIM_AS] = "limit_as",
	[LIM_CPU] = "limit_cpu", [LIM_FSIZE] = "limit_fsize",
	[LIM_MEMLOCK] = "limit_memlock", [LIM_STACK] = "limit_stack",
	[LIM_DATA] = "limit_data",
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

/* How many strings a NULL-terminated vector holds (NULL: none). */
size_t
config_nwords(char *const *v)
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
				fmt_err(err, errlen, "unterminated single quote");
				goto fail;
			}
			if (buf_add(&b, p + 1, q - p - 1) == -1)
				goto nomem;
			p = q + 1;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0') {
					fmt_err(err, errlen,
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
				fmt_err(err, errlen, "backslash at end of line");
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
	fmt_err(err, errlen, "out of memory");
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

/* Writes a duration the way a user would have, so that it reads back with
 * config_parse_duration(): 1500ms, 2s, 1m, 1h. */
const char *
config_fmt_duration(int64_t ms, char *buf, size_t len)
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

/* KEY must be a shell identifier, or some programs could never read it. */
bool
config_valid_env_entry(const char *s)
{
	const char *p = s;

	if (!isalpha((unsigned char)*p) && *p != '_')
		return false;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	return *p == '=';
}

/* Adds KEY=VALUE entries; a KEY given again replaces the earlier entry in place. */
int
config_add_env(char ***envp, const char *value, char *err, size_t errlen)
{
	char **words;
	size_t i, n, nw;
	int r;

	if ((r = config_split_words(value, &words, err, errlen)) == -1)
		return -1;
	nw = (size_t)r;
	for (i = 0; i < nw; i++) {
		if (!config_valid_env_entry(words[i])) {
			fmt_err(err, errlen,
			    "invalid environment entry \"%s\" (expected KEY=VALUE)",
			    words[i]);
			config_free_words(words);
			return -1;
		}
	}
	n = config_nwords(*envp);
	for (i = 0; i < nw; i++) {
		if (env_put(envp, &n, words[i]) == -1) {
			fmt_err(err, errlen, "out of memory");
			config_free_words(words);
			return -1;
		}
	}
	config_free_words(words);
	return 0;
}

/*
 * Calls fn(word, arg) for each blank-separated word of s (at most 47
 * bytes) until it returns -1. 0, or -1 with the word it failed on (or the
 * one too long) in bad, cut at badlen.
 */
int
config_each_word(const char *s, int (*fn)(const char *word, void *arg),
    void *arg, char *bad, size_t badlen)
{
	for (;;) {
		char w[48];
		size_t n;

		s += strspn(s, " \t");
		if (*s == '\0')
			return 0;
		n = strcspn(s, " \t");
		snprintf(w, sizeof(w), "%.*s", (int)n, s);
		snprintf(bad, badlen, "%.*s", (int)n, s);
		if (n >= sizeof(w) || fn(w, arg) < 0)
			return -1;
		s += n;
	}
}

/* One word of an exit set: an exit code 0 to 255, or a signal name. */
static int
exit_word(const char *w, void *arg)
{
	struct exit_set *set = arg;
	unsigned long long code;
	int sig;

	if (isdigit((unsigned char)w[0])) {
		if (config_parse_uint(w, 0, 255, &code) == -1)
			return -1;
		set->codes[code / 32] |= 1U << (code % 32);
		return 0;
	}
	if ((sig = config_parse_signal(w)) < 1 || sig > 64)
		return -1;
	set->sigs |= 1ULL << (sig - 1);
	return 0;
}

/*
 * An exit set: words, each an exit code (0 to 255) or a signal name (TERM,
 * SIGTERM), as systemd's SuccessExitStatus= takes them; an empty value is
 * the empty set. 0, or -1 with the bad word in bad (cut at badlen).
 */
int
config_parse_exit_set(const char *s, struct exit_set *out, char *bad,
    size_t badlen)
{
	struct exit_set set = { { 0 }, 0 };

	if (config_each_word(s, exit_word, &set, bad, badlen) < 0)
		return -1;
	*out = set;
	return 0;
}

/* Octal digits only, as umask(1) and chmod(1) take them, so that "22"
 * cannot mean decimal; at most max. */
int
config_parse_mode(const char *value, mode_t max, mode_t *out)
{
	const char *p;
	unsigned m = 0;

	for (p = value; *p >= '0' && *p <= '7'; p++) {
		m = m * 8 + (unsigned)(*p - '0');
		if (m > max)
			break;
	}
	if (*value == '\0' || *p != '\0' || m > max)
		return -1;
	*out = (mode_t)m;
	return 0;
}

/* A whole number in [lo, hi]; 0 or -1. */
int
config_parse_uint(const char *value, unsigned long long lo,
    unsigned long long hi, unsigned long long *out)
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

/* A signed decimal number in [lo, hi], as strtol reads it; 0 or -1. */
int
config_parse_int(const char *value, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || *end || end == value || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* yes/true/on or no/false/off: 1, 0, or -1. */
int
config_parse_bool(const char *value)
{
	if (strcmp(value, "yes") == 0 || strcmp(value, "true") == 0 ||
	    strcmp(value, "on") == 0)
		return 1;
	if (strcmp(value, "no") == 0 || strcmp(value, "false") == 0 ||
	    strcmp(value, "off") == 0)
		return 0;
	return -1;
}

int
config_parse_facility(const char *s)
{
	for (size_t i = 0; i < nitems(factab); i++)
		if (strcmp(s, factab[i].name) == 0)
			return factab[i].num;
	return -1;
}

int
config_parse_priority(const char *s)
{
	for (size_t i = 0; i < nitems(priotab); i++)
		if (strcmp(s, priotab[i].name) == 0)
			return priotab[i].num;
	/* the names syslog.conf(5) also knows */
	if (strcmp(s, "error") == 0)
		return LOG_ERR;
	if (strcmp(s, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

int
config_limit_resource(int lim)
{
	return limit_res[lim];
}

/* The config key of a limit, for messages: LIM_NOFILE -> "limit_nofile". */
const char *
config_limit_name(int lim)
{
	return lim >= 0 && lim < NLIMITS ? limit_names[lim] : "limit_?";
}

bool
config_limit_bytes(int lim)
{
	return limit_bytes[lim];
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

/*
 * limit_X = SOFT or SOFT:HARD (the same for both when one is given): 0, -1
 * if a side does not read, -2 if the soft limit is above the hard one.
 */
int
config_parse_limit(int lim, const char *value, struct svc_limit *l)
{
	const char *colon = strchr(value, ':');
	uint64_t soft, hard;

	if (parse_limit_value(value, colon ? (size_t)(colon - value) :
	    strlen(value), limit_bytes[lim], &soft) < 0 ||
	    (colon && parse_limit_value(colon + 1, strlen(colon + 1),
	    limit_bytes[lim], &hard) < 0))
		return -1;
	if (!colon)
		hard = soft;
	if (soft > hard)
		return -2;
	l->set = true;
	l->soft = soft;
	l->hard = hard;
	return 0;
}
