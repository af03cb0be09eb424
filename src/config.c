/*
 * config.c: the file reader: lines, sections, continuations, includes, and
 * errors as file:line: messages. What a key means is keys.c's (the key
 * table), what a value may be is values.c's, whether a file may be read at
 * all is conffile.c's.
 *
 * libinih finds the keys; our own line reader counts lines, classifies each
 * line (blank, comment, section, key, continuation, error) and hands libinih
 * only the key and continuation lines, so that every message carries a line
 * number and nothing libinih would silently truncate or misread gets through.
 * Nothing here touches running state: config_load() returns a new struct conf
 * or NULL after reporting every error.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

#define MSG_MAX		1024

bool config_check_host = true;

enum section { SECT_NONE, SECT_MAIN, SECT_SERVICE, SECT_IGNORE };
enum line_kind { LINE_KEY, LINE_CONT };

struct include {
	char	*pattern;	/* relative patterns already joined to the dir */
	int	 line;
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
	int		*keylines;	/* per config_keys[] row: the line it
					 * is on in this section, 0 if not seen */
	bool		 have_key;	/* a key line since the section header */

	/* the key being read: applied when the next key, section or EOF comes */
	char		*key;
	struct buf	 val;
	int		 keyline;

	struct include	*inc;
	size_t		 ninc;
	struct conffile_ids files;	/* read already */
	struct conffile_ids dirs;	/* directories checked */
	struct unit_links *links;	/* of unit-backed services (unit_map.c) */
};

static void
perr(struct parser *p, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

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


/* ---- the parser ---- */

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

/* The row of a key of the section being read; its index in keylines. */
static const struct config_key *
section_key(struct parser *p, const char *name, int *index)
{
	const struct config_key *k;

	k = config_key_find(name, p->sect == SECT_MAIN ? KEY_MAIN : KEY_SERVICE);
	if (k != NULL)
		*index = (int)(k - config_keys);
	return k;
}

/* Sets a key of the section being read, or says why not. */
static void
apply_key(struct parser *p, const char *value)
{
	const struct config_key *k;
	char err[MSG_MAX];
	int i;

	if ((k = section_key(p, p->key, &i)) == NULL) {
		if (p->sect == SECT_MAIN)
			perr(p, p->keyline, "unknown key \"%s\" in [guardiand]",
			    p->key);
		else
			perr(p, p->keyline, "unknown key \"%s\" in "
			    "[service %s]", p->key, p->svc->name);
	} else if (k->kind == KK_INCLUDE)
		add_includes(p, value);
	else if (p->keylines[i] != 0 && (k->flags & KEY_REPEAT)) {
		/* each line adds one (condition_*): not a duplicate */
		if (config_key_set(k, p->svc, value, err, sizeof(err)) == -1)
			perr(p, p->keyline, "%s", err);
	} else if (p->keylines[i] != 0 && p->sect == SECT_MAIN)
		perr(p, p->keyline, "duplicate key \"%s\" in [guardiand]",
		    p->key);
	else if (p->keylines[i] != 0)
		perr(p, p->keyline, "duplicate key \"%s\" in [service %s]",
		    p->key, p->svc->name);
	else {
		/* [guardiand] keys count across its sections and files */
		p->keylines[i] = p->keyline;
		if (config_key_set(k, p->sect == SECT_MAIN ? (void *)p->conf :
		    (void *)p->svc, value, err, sizeof(err)) == -1)
			perr(p, p->keyline, "%s", err);
	}
}

/* Applies the key read so far, now that no continuation line can extend it. */
static void
flush_key(struct parser *p)
{
	if (p->key == NULL)
		return;
	if (p->sect == SECT_MAIN || p->sect == SECT_SERVICE)
		apply_key(p, p->val.s ? p->val.s : "");
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
	int i;

	perr(p, section_key(p, key, &i) != NULL && p->keylines[i] > 0 ?
	    p->keylines[i] : p->svc->line, "%s", msg);
}

/* Ends a section: a service is checked and kept, unless its name was taken. */
static void
finish_section(struct parser *p)
{
	char err[MSG_MAX];
	int i;

	flush_key(p);
	if (p->sect == SECT_SERVICE && p->svc->unit != NULL && !p->svc_dup) {
		/* the unit sets every key the section did not write */
		if (unit_map_service(p->svc, p->keylines, &p->links, err,
		    sizeof(err)) == -1) {
			perr(p, p->keylines[section_key(p, "unit", &i) - config_keys],
			    "%s", err);
			p->svc_dup = true;	/* reported: not kept */
		}
	}
	if (p->sect == SECT_SERVICE) {
		/* a bad command= was reported already: no "has no command" */
		if ((p->svc->argv != NULL ||
		    section_key(p, "command", &i) == NULL ||
		    p->keylines[i] == 0) &&
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
	for (size_t k = 0; k < config_nkeys; k++)
		if (config_keys[k].section == KEY_SERVICE)
			p->keylines[k] = 0;
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
	rest = conf_lskip(end + 1);
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
	s = conf_lskip(line);
	if (*s == '\0' || *s == ';' || *s == '#')
		return str;
	if (s > line && p->have_key) {
		p->kind = LINE_CONT;
		p->ptext = s;
		conf_strip_comment(s);
		if (*s == '\0')
			return str;	/* only a comment left */
	} else if (*s == '[') {
		if (!section_line(p, s))
			perr(p, p->lineno, "syntax error: expected "
			    "\"key = value\" or \"[section]\"");
		return str;
	} else {
		if ((sep = conf_find_separator(s)) == NULL || sep == s) {
			perr(p, p->lineno, "syntax error: expected "
			    "\"key = value\" or \"[section]\"");
			return str;
		}
		/* libinih gets the line intact before we cut it up */
		memcpy(str, line, n + 1);
		p->kind = LINE_KEY;
		*sep = '\0';
		conf_rstrip(s);
		p->pname = s;
		p->ptext = conf_lskip(sep + 1);
		conf_strip_comment(p->ptext);
		p->pending = true;
		return str;
	}
	memcpy(str, line, n + 1);
	p->pending = true;
	return str;
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
	if (conffile_read(path, &st, &p->data, &p->datalen, why, sizeof(why)) < 0) {
		refuse(p, path, inc, incfile, why);
		return;
	}
	if (conffile_seen_before(&p->files, &st))
		goto out;
	if (conffile_check_dir(&p->dirs, path, why, sizeof(why)) < 0) {
		if (why[0] != '\0')
			refuse(p, path, inc, incfile, why);
		goto out;
	}
	if (conffile_check_owner(&st, why, sizeof(why)) < 0) {
		perr(p, 0, "%s", why);
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
	char order[MSG_MAX + PATH_MAX];
	size_t i;

	memset(&p, 0, sizeof(p));
	p.errfn = errfn;
	p.errarg = arg;
	p.file = p.mainpath = path;
	if ((p.conf = config_new()) == NULL ||
	    (p.conf->path = strdup(path)) == NULL ||
	    (p.keylines = calloc(config_nkeys, sizeof(*p.keylines))) == NULL) {
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
	free(p.files.v);
	free(p.dirs.v);
	free(p.keylines);
	free(p.raw);
	free(p.val.s);
	free(p.key);
	if (p.nerrors == 0 && p.conf->units == 1)
		unit_map_enabled(p.conf, &p.links);
	if (p.nerrors == 0 &&
	    unit_map_links(p.conf, p.links, order, sizeof(order)) == -1)
		perr(&p, 0, "%s", order);
	unit_links_free(p.links);
	flush_msgs(&p);
	if (p.nerrors == 0 && order_check(p.conf, order, sizeof(order)) < 0) {
		errfn(arg, order);	/* a start order across sections */
		p.nerrors++;
	}
	if (p.nerrors > 0) {
		config_free(p.conf);
		return NULL;
	}
	return p.conf;
}
