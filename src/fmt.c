/*
 * fmt.c: what guardiand and guardianctl print for people, formatted in one
 * place: durations, text that cannot steer a terminal, and JSON strings
 * that are valid UTF-8 whatever bytes a service printed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guardiand.h"

/*
 * One format for a duration everywhere (logs, status): the two largest
 * units, truncated: 250ms, 3.2s, 5m07s, 1h59m, 2d03h; "-" when negative.
 */
const char *
fmt_duration(int64_t ms, char *buf, size_t len)
{
	long long s = (long long)(ms / 1000);

	if (ms < 0)
		snprintf(buf, len, "-");
	else if (ms < 1000)
		snprintf(buf, len, "%lldms", (long long)ms);
	else if (s < 60)
		snprintf(buf, len, "%lld.%llds", s, (long long)(ms % 1000 / 100));
	else if (s < 3600)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	return buf;
}

/*
 * The length of the well-formed UTF-8 sequence at s (1 to 4), or 0 if the
 * byte there does not start one (overlong forms, surrogates and code points
 * past U+10FFFF are not well-formed). *cp gets the code point.
 */
static size_t
utf8_seq(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, min = 0x80, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, min = 0x800, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* A C0 or C1 control, or DEL: what a terminal may act on. */
static bool
is_control(unsigned cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

/*
 * Writes n bytes for a terminal, to f if not NULL; returns the columns it
 * takes (one per character). Valid UTF-8 text and tabs pass unchanged;
 * a backslash is doubled; newline and carriage return become \n and \r;
 * every other control character (C0, DEL, C1) and every byte that is not
 * part of well-formed UTF-8 becomes \xHH, one per byte.
 */
size_t
fmt_text(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t cols = 0;

	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_seq(u + i, n - i, &cp);
		char esc[8];
		const char *out = esc;

		if (len == 0 || (is_control(cp) && cp != '\t')) {
			if (len == 1 && cp == '\n')
				out = "\\n";
			else if (len == 1 && cp == '\r')
				out = "\\r";
			else {
				/* Each byte of the control or invalid sequence. */
				size_t k = len ? len : 1;

				for (size_t j = 0; j < k; j++) {
					if (f)
						fprintf(f, "\\x%02x", u[i + j]);
					cols += 4;
				}
				i += k;
				continue;
			}
		} else if (cp == '\\')
			out = "\\\\";
		else {
			if (f)
				fwrite(u + i, 1, len, f);
			cols++;
			i += len;
			continue;
		}
		if (f)
			fputs(out, f);
		cols += strlen(out);
		i += len;
	}
	return cols;
}

/*
 * Writes n bytes as a JSON string, quotes included. Valid UTF-8 passes
 * unchanged but for the escapes JSON requires; control characters (C0,
 * DEL, C1) become \uXXXX, so that the output is safe on a terminal too;
 * each byte that is not part of well-formed UTF-8 becomes \ufffd (the
 * replacement character), so that the output is always valid UTF-8.
 */
void
fmt_json_string(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	fputc('"', f);
	for (size_t i = 0; i < n;) {
		unsigned cp;
		size_t len = utf8_seq(u + i, n - i, &cp);

		if (len == 0) {
			fputs("\\ufffd", f);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(f, "\\%c", cp);
		else if (cp == '\n')
			fputs("\\n", f);
		else if (cp == '\t')
			fputs("\\t", f);
		else if (cp == '\r')
			fputs("\\r", f);
		else if (is_control(cp))
			fprintf(f, "\\u%04x", cp);
		else
			fwrite(u + i, 1, len, f);
		i += len;
	}
	fputc('"', f);
}

void
fmt_err(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (buf == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}
