/*
 * confline.c: the text of one line of a config file, as the parser
 * (config.c) takes it apart: blanks, an inline comment, and where the key
 * ends.
 */
#include <ctype.h>
#include <string.h>

#include "guardiand.h"

char *
conf_lskip(char *s)
{
	while (*s != '\0' && isspace((unsigned char)*s))
		s++;
	return s;
}

void
conf_rstrip(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
}

/*
 * Cuts a value at its comment: ';' or '#' after a blank, outside quotes, so
 * that "sh -c 'a ; b'" survives and "restart = always  # note" works.
 */
void
conf_strip_comment(char *s)
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
	conf_rstrip(s);
}

/*
 * Where libinih would end a key: the first '=' or ':', unless a ';' after a
 * blank (an inline comment for libinih) comes first.
 */
char *
conf_find_separator(char *s)
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
