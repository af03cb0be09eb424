/*
 * unit_spec.c: the %-specifiers of systemd.unit(5) ("SPECIFIERS", systemd
 * 252's table) for Exec lines and the other values of a unit, after
 * systemd's src/shared/specifier.c and src/core/unit-printf.c, as the
 * system manager resolves them.
 */
#include <sys/utsname.h>

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

/*
 * systemd's unit_name_unescape(): "-" stands for "/", "\xNN" for the
 * byte NN; anything else is itself.
 */
char *
unit_name_unescape(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;
	int hi, lo;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '-') {
			*o++ = '/';
		} else if (s[0] == '\\' && s[1] == 'x' &&
		    isxdigit((unsigned char)s[2]) &&
		    isxdigit((unsigned char)s[3])) {
			hi = isdigit((unsigned char)s[2]) ? s[2] - '0' :
			    tolower((unsigned char)s[2]) - 'a' + 10;
			lo = isdigit((unsigned char)s[3]) ? s[3] - '0' :
			    tolower((unsigned char)s[3]) - 'a' + 10;
			*o++ = (char)(hi * 16 + lo);
			s += 3;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* The first line of a small file, without its newline, into buf. */
static int
first_line(const char *path, char *buf, size_t len)
{
	FILE *fp;

	if ((fp = fopen(path, "re")) == NULL)
		return -1;
	if (fgets(buf, (int)len, fp) == NULL) {
		fclose(fp);
		return -1;
	}
	fclose(fp);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/*
 * KEY= of an env-style file (os-release, machine-info), unquoted; "" when
 * the file or the key is missing, which is what systemd gives for an
 * unset os-release field.
 */
static void
file_field(const char *const *paths, const char *key, char *buf, size_t len)
{
	char line[512], *v;
	size_t kl = strlen(key), n;
	FILE *fp = NULL;

	buf[0] = '\0';
	for (; *paths != NULL && fp == NULL; paths++)
		fp = fopen(*paths, "re");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, key, kl) != 0 || line[kl] != '=')
			continue;
		v = line + kl + 1;
		v[strcspn(v, "\n")] = '\0';
		n = strlen(v);
		if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
			v[n - 1] = '\0';
			v++;
		}
		snprintf(buf, len, "%s", v);
	}
	fclose(fp);
}

/* systemd's tmp_dir(): $TMPDIR, $TEMP or $TMP when an absolute path. */
static const char *
tmp_dir(const char *fallback)
{
	static const char *const vars[] = { "TMPDIR", "TEMP", "TMP" };
	const char *e;

	for (size_t i = 0; i < 3; i++)
		if ((e = getenv(vars[i])) != NULL && e[0] == '/')
			return e;
	return fallback;
}

/* uname's machine as systemd's architecture names (%a). */
static const char *
arch_name(const char *m)
{
	static const char *const map[][2] = {
		{ "x86_64", "x86-64" }, { "i386", "x86" }, { "i486", "x86" },
		{ "i586", "x86" }, { "i686", "x86" }, { "aarch64", "arm64" },
		{ "aarch64_be", "arm64-be" }, { "armv7l", "arm" },
		{ "armv6l", "arm" }, { "ppc64le", "ppc64-le" },
		{ "riscv64", "riscv64" }, { "s390x", "s390x" },
		{ "mips64", "mips64" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(m, map[i][0]) == 0)
			return map[i][1];
	return m;
}

static const char *const os_release[] = { "/etc/os-release",
	"/usr/lib/os-release", NULL };
static const char *const machine_info[] = { "/etc/machine-info", NULL };

/*
 * The value of one specifier c for u into buf (or *alloc, malloc'd); 0,
 * or -1 with err.
 */
static int
spec_value(const struct unit *u, char c, char *buf, size_t len, char **alloc,
    char *err, size_t errlen)
{
	const char *id = u->id, *dot = strrchr(id, '.'), *at, *dash, *s = NULL;
	char prefix[UNIT_NAME_MAX], *tmp;
	struct passwd *pw;
	struct utsname un;
	size_t plen;

	*alloc = NULL;
	if (dot == NULL)
		dot = id + strlen(id);
	at = memchr(id, '@', (size_t)(dot - id));
	plen = (size_t)((at != NULL ? at : dot) - id);
	snprintf(prefix, sizeof(prefix), "%.*s", (int)plen, id);
	buf[0] = '\0';
	switch (c) {
	case 'n': s = id; break;
	case 'N': snprintf(buf, len, "%.*s", (int)(dot - id), id); break;
	case 'p': s = prefix; break;
	case 'P': return (*alloc = unit_name_unescape(prefix)) ? 0 : -1;
	case 'i': s = u->instance ? u->instance : ""; break;
	case 'I':
		return (*alloc = unit_name_unescape(u->instance ? u->instance :
		    "")) ? 0 : -1;
	case 'j':
	case 'J':
		dash = strrchr(prefix, '-');
		s = dash != NULL ? dash + 1 : prefix;
		if (c == 'J')
			return (*alloc = unit_name_unescape(s)) ? 0 : -1;
		break;
	case 'f':
		s = u->instance ? u->instance : prefix;
		if (strcmp(s, "-") == 0 || s[0] == '\0') {
			s = "/";
			break;
		}
		if ((tmp = unit_name_unescape(s)) == NULL)
			return -1;
		snprintf(buf, len, "%s%s", tmp[0] == '/' ? "" : "/", tmp);
		free(tmp);
		s = NULL;
		break;
	case 'y': s = u->path ? u->path : ""; break;
	case 'Y':
		snprintf(buf, len, "%s", u->path ? u->path : "");
		if ((tmp = strrchr(buf, '/')) != NULL)
			*(tmp == buf ? tmp + 1 : tmp) = '\0';
		break;
	case 'H':
	case 'l':
	case 'q':
		if (c == 'q')
			file_field(machine_info, "PRETTY_HOSTNAME", buf, len);
		if (buf[0] == '\0' && gethostname(buf, len) != 0) {
			fmt_err(err, errlen, "%%%c: host name: %s", c,
			    strerror(errno));
			return -1;
		}
		buf[len - 1] = '\0';
		if (c == 'l')
			buf[strcspn(buf, ".")] = '\0';
		break;
	case 'm':
	case 'b':
		if (first_line(c == 'm' ? "/etc/machine-id" :
		    "/proc/sys/kernel/random/boot_id", buf, len) != 0) {
			fmt_err(err, errlen, "%%%c: cannot read the %s id", c,
			    c == 'm' ? "machine" : "boot");
			return -1;
		}
		for (char *r = buf, *w = buf; ; r++)	/* boot_id has dashes */
			if (*r != '-' && (*w++ = *r) == '\0')
				break;
		break;
	case 'v':
	case 'a':
		if (uname(&un) != 0) {
			fmt_err(err, errlen, "uname: %s", strerror(errno));
			return -1;
		}
		snprintf(buf, len, "%s", c == 'v' ? un.release :
		    arch_name(un.machine));
		break;
	case 'o': file_field(os_release, "ID", buf, len); break;
	case 'w': file_field(os_release, "VERSION_ID", buf, len); break;
	case 'W': file_field(os_release, "VARIANT_ID", buf, len); break;
	case 'B': file_field(os_release, "BUILD_ID", buf, len); break;
	case 'A': file_field(os_release, "IMAGE_VERSION", buf, len); break;
	case 'M': file_field(os_release, "IMAGE_ID", buf, len); break;
	case 'u':
	case 'h':
	case 's':
		/* the user running the manager (systemd 252: "root" for
		 * the system manager), not User= */
		if ((pw = getpwuid(getuid())) == NULL) {
			if (c != 'u') {
				fmt_err(err, errlen, "%%%c: no passwd entry for "
				    "uid %u", c, (unsigned)getuid());
				return -1;
			}
			snprintf(buf, len, "%u", (unsigned)getuid());
			break;
		}
		s = c == 'u' ? pw->pw_name : c == 'h' ? pw->pw_dir :
		    pw->pw_shell;
		break;
	case 'U': snprintf(buf, len, "%u", (unsigned)getuid()); break;
	case 'g':
	case 'G':
		snprintf(buf, len, "%u", (unsigned)getgid());
		if (c == 'g') {
			struct group *gr = getgrgid(getgid());

			if (gr != NULL)
				snprintf(buf, len, "%s", gr->gr_name);
		}
		break;
	case 'C': s = "/var/cache"; break;
	case 'E': s = "/etc"; break;
	case 'L': s = "/var/log"; break;
	case 'S': s = "/var/lib"; break;
	case 't': s = "/run"; break;
	case 'T': s = tmp_dir("/tmp"); break;
	case 'V': s = tmp_dir("/var/tmp"); break;
	case '%': s = "%"; break;
	case 'd':
		fmt_err(err, errlen, "specifier %%d (credentials directory) "
		    "is not supported");
		return -1;
	default:
		if (isprint((unsigned char)c))
			fmt_err(err, errlen, "unknown specifier \"%%%c\"", c);
		else
			fmt_err(err, errlen, "unknown specifier \"%%\\x%02x\"",
			    (unsigned char)c);
		return -1;
	}
	if (s != NULL)
		return (*alloc = strdup(s)) ? 0 : -1;
	return 0;
}

/*
 * As specifier_printf(): "%X" replaced by its value, an unknown X an
 * error (systemd refuses the setting), a '%' at the very end kept as is.
 */
char *
unit_specifiers(const struct unit *u, const char *s, char *err, size_t errlen)
{
	struct buf b = { 0 };
	char val[1024], *alloc;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	for (; *s != '\0'; s++) {
		if (*s != '%' || s[1] == '\0') {
			buf_addc(&b, *s);
			continue;
		}
		s++;
		if (spec_value(u, *s, val, sizeof(val), &alloc, err, errlen) < 0) {
			if (err != NULL && errlen > 0 && err[0] == '\0')
				fmt_err(err, errlen, "out of memory");
			buf_free(&b);
			return NULL;
		}
		buf_add(&b, alloc ? alloc : val, strlen(alloc ? alloc : val));
		free(alloc);
		if (b.len > UNIT_LINE_MAX) {
			fmt_err(err, errlen, "longer than %d bytes with its "
			    "specifiers", UNIT_LINE_MAX);
			buf_free(&b);
			return NULL;
		}
	}
	if (buf_addc(&b, '\0') < 0 || b.failed) {
		fmt_err(err, errlen, "out of memory");
		buf_free(&b);
		return NULL;
	}
	return b.s;
}

char *
unit_value_specifiers(const struct unit *u, const struct unit_value *v,
    char *err, size_t errlen)
{
	char why[256] = "";
	char *r;

	if ((r = unit_specifiers(u, v->value, why, sizeof(why))) == NULL)
		fmt_err(err, errlen, "%s:%u: %s=%.*s%s: %s", v->file, v->line,
		    v->key, UNIT_QUOTE_MAX, v->value,
		    strlen(v->value) > UNIT_QUOTE_MAX ? "..." : "", why);
	return r;
}
