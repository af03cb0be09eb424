/*
 * env.c: environments as NULL-terminated lists of "KEY=VALUE" strings, where
 * a later KEY replaces an earlier one (the layers of a service's
 * environment), and environment files read as systemd reads them.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define ENV_FILE_MAX	(1024 * 1024)	/* bytes of an environment file */

/* Sets KEY=VALUE in a NULL-terminated list, replacing the same KEY; the
 * string is copied. 0, or -1 out of memory. */
int
env_put(char ***envp, size_t *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy = strdup(kv), **ne;

	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = copy;
			return 0;
		}
	}
	if ((ne = reallocarray(*envp, *n + 2, sizeof(char *))) == NULL) {
		free(copy);
		return -1;
	}
	*envp = ne;
	ne[(*n)++] = copy;
	ne[*n] = NULL;
	return 0;
}

/* Sets key=value, as env_put. */
int
env_putf(char ***envp, size_t *n, const char *key, const char *value)
{
	char *kv;
	int r;

	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -1;
	r = env_put(envp, n, kv);
	free(kv);
	return r;
}

/*
 * The value of an environment file line as systemd reads it (its
 * env-file.c), a superset of one sh word: quotes removed, a backslash
 * escapes the next byte (inside "...", only " \\ ` $ do), blanks inside
 * an unquoted value kept, trailing ones dropped. -1 if a quote is open.
 */
static int
env_file_value(const char *p, struct buf *b)
{
	size_t keep = b->len;	/* up to the last byte that is not a blank */

	for (; *p != '\0'; p++) {
		if (*p == '\'') {
			const char *q = strchr(p + 1, '\'');

			if (q == NULL || buf_add(b, p + 1, q - p - 1) == -1)
				return -1;
			p = q;
		} else if (*p == '"') {
			for (p++; *p != '"'; p++) {
				if (*p == '\0')
					return -1;
				if (*p == '\\' && p[1] != '\0' &&
				    strchr("\"\\`$", p[1]) != NULL)
					p++;
				if (buf_addc(b, *p) == -1)
					return -1;
			}
		} else if (*p == '\\' && p[1] != '\0') {
			if (buf_addc(b, *++p) == -1)
				return -1;
			keep = b->len;	/* an escaped blank is kept */
			continue;
		} else if (buf_addc(b, *p) == -1)
			return -1;
		if (!isblank((unsigned char)*p) || *p == '\'' || *p == '"')
			keep = b->len;
	}
	b->len = keep;
	return buf_addc(b, '\0');
}

/*
 * KEY=VALUE lines of an environment file: comments (# or ;), blank
 * lines, `export`, blanks around the =, and systemd's quoting
 * (env_file_value). Read at each start (check.c and service.c), so an
 * edit of the file needs no reload. The list, or NULL with err.
 */
char **
config_read_env_file(const char *path, char *err, size_t errlen)
{
	char *line = NULL, **env = NULL;
	struct buf b = { 0 };
	size_t cap = 0, n = 0;
	int lineno = 0, fd;
	struct stat st;
	FILE *fp;

	/* a FIFO cannot hang a start, nor /dev/zero fill memory */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1) {
		fmt_err(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > ENV_FILE_MAX) {
		fmt_err(err, errlen, "%s: %s", path, S_ISREG(st.st_mode) ?
		    "larger than 1 MiB" : "not a regular file");
		close(fd);
		errno = EINVAL;
		return NULL;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		fmt_err(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	if ((env = calloc(1, sizeof(char *))) == NULL)
		goto nomem;
	while (getline(&line, &cap, fp) != -1) {
		char *p = line, *eq, *k;

		lineno++;
		p[strcspn(p, "\r\n")] = '\0';
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t'))
			p += 7 + strspn(p + 7, " \t");
		if ((eq = strchr(p, '=')) == NULL)
			goto bad;
		for (k = eq; k > p && isblank((unsigned char)k[-1]); k--)
			;
		b.len = 0;
		if (buf_add(&b, p, k - p) == -1 || buf_addc(&b, '=') == -1)
			goto nomem;
		if (env_file_value(eq + 1 + strspn(eq + 1, " \t"), &b) == -1) {
			if (b.s == NULL)
				goto nomem;
			fmt_err(err, errlen, "%s:%d: unterminated quote", path,
			    lineno);
			goto fail;
		}
		if (!config_valid_env_entry(b.s))
			goto bad;
		if (env_put(&env, &n, b.s) == -1)
			goto nomem;
	}
	free(b.s);
	free(line);
	fclose(fp);
	return env;
bad:
	fmt_err(err, errlen, "%s:%d: expected KEY=VALUE", path, lineno);
	goto fail;
nomem:
	fmt_err(err, errlen, "out of memory");
fail:
	free(b.s);
	free(line);
	fclose(fp);
	config_free_words(env);
	return NULL;
}
