/*
 * probe_conf.c: the values of ready = and health = (struct probe): what to
 * watch or try to learn that a service is ready, or still healthy.
 *
 *   none | notify | fd:N | tcp:HOST:PORT | exec:COMMAND | http://HOST[:PORT]/PATH
 *
 * Which kinds a key accepts is its row's arg (a mask of PROBE_BIT()).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

static const char *const probe_forms[] = {
	[PROBE_NONE] = "none",
	[PROBE_NOTIFY] = "notify",
	[PROBE_FD] = "fd:N",
	[PROBE_TCP] = "tcp:HOST:PORT",
	[PROBE_EXEC] = "exec:COMMAND",
	[PROBE_HTTP] = "http://HOST[:PORT]/PATH",
};

/* "none, notify, fd:N or tcp:HOST:PORT": the forms a mask allows. */
static void
forms(unsigned mask, char *buf, size_t len)
{
	size_t n = 0, left = 0, o = 0;

	for (int k = 0; k < PROBE_NKINDS; k++)
		if (mask & PROBE_BIT(k))
			left++;
	buf[0] = '\0';
	for (int k = 0; k < PROBE_NKINDS && o < len; k++) {
		if (!(mask & PROBE_BIT(k)))
			continue;
		n++;
		o += (size_t)snprintf(buf + o, len - o, "%s%s",
		    n == 1 ? "" : n == left ? " or " : ", ", probe_forms[k]);
	}
}

/* A port: 1 to 65535, decimal. */
static bool
valid_port(const char *s)
{
	unsigned long long n;

	return config_parse_uint(s, 1, 65535, &n) == 0;
}

/* HOST:PORT or [V6]:PORT into host and port; false if malformed. */
static bool
split_hostport(const char *s, char **host, char **port)
{
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':')
			return false;
		colon = end + 1;
		s++;
		hlen = (size_t)(end - s);
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return false;
		hlen = (size_t)(colon - s);
		if (memchr(s, ':', hlen) != NULL)
			return false;	/* an IPv6 address goes in brackets */
	}
	if (hlen == 0 || !valid_port(colon + 1))
		return false;
	if ((*host = strndup(s, hlen)) == NULL ||
	    (*port = strdup(colon + 1)) == NULL) {
		free(*host);
		*host = NULL;
		return false;
	}
	return true;
}

void
probe_free(struct probe *p)
{
	free(p->host);
	free(p->port);
	free(p->path);
	free(p->text);
	config_free_words(p->argv);
	memset(p, 0, sizeof(*p));
}

bool
probe_equal(const struct probe *a, const struct probe *b)
{
	return a->kind == b->kind && (a->text == b->text ||
	    (a->text && b->text && strcmp(a->text, b->text) == 0));
}

/*
 * Parses value into p (freeing what p held) for a key accepting the kinds
 * in mask: 0, or -1 with a message naming key in err.
 */
int
probe_parse(struct probe *p, unsigned mask, const char *key,
    const char *value, char *err, size_t errlen)
{
	struct probe q = { .kind = PROBE_NONE, .fd = -1 };
	char f[160];
	const char *rest;
	long n;

	forms(mask, f, sizeof(f));
	if (strcmp(value, "none") == 0)
		q.kind = PROBE_NONE;
	else if (strcmp(value, "notify") == 0)
		q.kind = PROBE_NOTIFY;
	else if (strncmp(value, "fd:", 3) == 0) {
		q.kind = PROBE_FD;
		if (config_parse_int(value + 3, 3, 1023, &n) != 0) {
			fmt_err(err, errlen, "invalid %s \"%s\": N of fd:N is "
			    "3 to 1023 (0, 1 and 2 are the service's stdin, "
			    "stdout and stderr)", key, value);
			return -1;
		}
		q.fd = (int)n;
	} else if (strncmp(value, "tcp:", 4) == 0) {
		q.kind = PROBE_TCP;
		if (!split_hostport(value + 4, &q.host, &q.port))
			goto invalid;
	} else if (strncmp(value, "exec:", 5) == 0) {
		q.kind = PROBE_EXEC;
		if (config_split_words(value + 5, &q.argv, err, errlen) < 0)
			return -1;
		if (q.argv == NULL || q.argv[0] == NULL) {
			config_free_words(q.argv);
			goto invalid;
		}
		if (q.argv[0][0] != '/') {
			fmt_err(err, errlen, "%s \"%s\": the command of exec: "
			    "is an absolute path", key, value);
			config_free_words(q.argv);
			return -1;
		}
	} else if (strncmp(value, "http://", 7) == 0) {
		char hp[300];
		size_t hl;

		q.kind = PROBE_HTTP;
		rest = value + 7;
		hl = strcspn(rest, "/");
		if (hl == 0 || hl >= sizeof(hp) ||
		    strpbrk(rest, " \t\r\n") != NULL)
			goto invalid;
		memcpy(hp, rest, hl);
		hp[hl] = '\0';
		if (strchr(hp, ':') == NULL || hp[hl - 1] == ']')
			snprintf(hp + hl, sizeof(hp) - hl, ":80");
		if (!split_hostport(hp, &q.host, &q.port))
			goto invalid;
		if ((q.path = strdup(rest[hl] ? rest + hl : "/")) == NULL) {
			probe_free(&q);
			goto invalid;
		}
	} else
		goto invalid;
	if (!(mask & PROBE_BIT(q.kind))) {
		probe_free(&q);
		goto invalid;
	}
	if (q.kind != PROBE_NONE && (q.text = strdup(value)) == NULL) {
		probe_free(&q);
		fmt_err(err, errlen, "out of memory");
		return -1;
	}
	probe_free(p);
	*p = q;
	return 0;
invalid:
	fmt_err(err, errlen, "invalid %s \"%s\" (%s)", key, value, f);
	return -1;
}

const char *
probe_kind_name(enum probe_kind k)
{
	static const char *const names[] = {
		[PROBE_NONE] = "none", [PROBE_NOTIFY] = "notify",
		[PROBE_FD] = "fd", [PROBE_TCP] = "tcp", [PROBE_EXEC] = "exec",
		[PROBE_HTTP] = "http",
	};

	return (unsigned)k < PROBE_NKINDS ? names[k] : "?";
}
