/*
 * fuzz_tmpfiles.c: libFuzzer target for the tmpfiles.d(5) line reader
 * (tmpfiles.c). Each input is a tmpfiles.d file's text: every line goes
 * through tmpfiles_parse_line(), whose invariants are checked (an entry
 * has a type letter and an absolute path; nothing is left behind by a
 * refusal or a comment), then freed. Nothing is applied.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), *line, *next, err[256];
	struct tmpfiles_line tl;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (line = text; line != NULL; line = next) {
		int r;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		r = tmpfiles_parse_line(line, &tl, err, sizeof(err));
		if (r == 1 && (!isalpha((unsigned char)tl.type) ||
		    tl.path == NULL || tl.path[0] != '/'))
			abort();
		if (r != 1 && (tl.path != NULL || tl.arg != NULL ||
		    tl.mode != NULL))
			abort();
		if (r < 0 && err[0] == '\0')
			abort();
		tmpfiles_line_free(&tl);
	}
	free(text);
	return 0;
}
