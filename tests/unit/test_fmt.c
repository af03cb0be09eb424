/*
 * fmt.c: one duration format, terminal-safe text, JSON that is valid UTF-8.
 */
#include <stdlib.h>

#include "guardiand.h"
#include "t.h"

static char out[1024];

static const char *
dur(int64_t ms)
{
	return fmt_duration(ms, out, sizeof(out));
}

/* fmt_text or fmt_json_string of n bytes, into out; *cols gets fmt_text's count. */
static const char *
text(const char *s, size_t n, size_t *cols)
{
	FILE *f = fmemopen(out, sizeof(out), "w");
	size_t c = fmt_text(f, s, n);

	fclose(f);
	if (cols)
		*cols = c;
	return out;
}

static const char *
json(const char *s, size_t n)
{
	FILE *f = fmemopen(out, sizeof(out), "w");

	fmt_json_string(f, s, n);
	fclose(f);
	return out;
}

static void
test_duration_one_format(void)
{
	CHECK_STR(dur(-1), "-");
	CHECK_STR(dur(0), "0ms");
	CHECK_STR(dur(999), "999ms");
	CHECK_STR(dur(1000), "1.0s");
	CHECK_STR(dur(2050), "2.0s");
	CHECK_STR(dur(59999), "59.9s");
	CHECK_STR(dur(60000), "1m00s");
	CHECK_STR(dur(7 * 60000 + 5000), "7m05s");
	CHECK_STR(dur(3599999), "59m59s");
	/* The backoff of one hour doubled: the log said 120m0s, status 1h59m. */
	CHECK_STR(dur(2 * 3600000), "2h00m");
	CHECK_STR(dur(2 * 3600000 - 1), "1h59m");
	CHECK_STR(dur(86400000LL + 3 * 3600000), "1d03h");
	CHECK_STR(dur(400 * 86400000LL), "400d00h");
}

static void
test_text_passes_utf8_and_tab(void)
{
	size_t cols;

	CHECK_STR(text("plain text", 10, &cols), "plain text");
	CHECK_INT(cols, 10);
	/* é and € are one column each; a tab cannot steer a terminal. */
	CHECK_STR(text("caf\xc3\xa9 \xe2\x82\xac\t1", 11, &cols), "caf\xc3\xa9 \xe2\x82\xac\t1");
	CHECK_INT(cols, 8);
	CHECK_STR(text("\xf0\x9f\x98\x80", 4, &cols), "\xf0\x9f\x98\x80");
	CHECK_INT(cols, 1);
}

static void
test_text_escapes_controls(void)
{
	size_t cols;

	CHECK_STR(text("\x1b[31mred\x1b]0;title\a", 18, &cols),
	    "\\x1b[31mred\\x1b]0;title\\x07");
	CHECK_INT(cols, strlen(out));
	CHECK_STR(text("a\0b", 3, NULL), "a\\x00b");
	CHECK_STR(text("a\nb\rc", 5, NULL), "a\\nb\\rc");
	CHECK_STR(text("back\\slash", 10, NULL), "back\\\\slash");
	CHECK_STR(text("del\x7f", 4, NULL), "del\\x7f");
	/* C1 controls (CSI is U+009B) are controls too, byte by byte. */
	CHECK_STR(text("\xc2\x9b" "2J", 4, NULL), "\\xc2\\x9b2J");
	/* U+00A0, the first one past C1, is text. */
	CHECK_STR(text("\xc2\xa0", 2, NULL), "\xc2\xa0");
}

static void
test_text_escapes_invalid_utf8(void)
{
	CHECK_STR(text("\xff\xfe", 2, NULL), "\\xff\\xfe");
	/* overlong '/', a surrogate, past U+10FFFF, a truncated sequence */
	CHECK_STR(text("\xc0\xaf", 2, NULL), "\\xc0\\xaf");
	CHECK_STR(text("\xed\xa0\x80", 3, NULL), "\\xed\\xa0\\x80");
	CHECK_STR(text("\xf4\x90\x80\x80", 4, NULL), "\\xf4\\x90\\x80\\x80");
	CHECK_STR(text("\xe2\x82", 2, NULL), "\\xe2\\x82");
	CHECK_STR(text("\xe2\x82z", 3, NULL), "\\xe2\\x82z");
}

static void
test_json_string(void)
{
	CHECK_STR(json("say \"hi\" \\ now", 14), "\"say \\\"hi\\\" \\\\ now\"");
	CHECK_STR(json("a\tb\nc\rd", 7), "\"a\\tb\\nc\\rd\"");
	CHECK_STR(json("\x1b[0m\0", 5), "\"\\u001b[0m\\u0000\"");
	CHECK_STR(json("\x7f\xc2\x85", 3), "\"\\u007f\\u0085\"");
	CHECK_STR(json("caf\xc3\xa9", 5), "\"caf\xc3\xa9\"");
	/* Each byte that is not well-formed UTF-8: one replacement character. */
	CHECK_STR(json("a\xff\xfe" "b", 4), "\"a\\ufffd\\ufffdb\"");
	CHECK_STR(json("\xed\xa0\x80", 3), "\"\\ufffd\\ufffd\\ufffd\"");
	CHECK_STR(json("", 0), "\"\"");
}

int
main(void)
{
	RUN(test_duration_one_format);
	RUN(test_text_passes_utf8_and_tab);
	RUN(test_text_escapes_controls);
	RUN(test_text_escapes_invalid_utf8);
	RUN(test_json_string);
	T_END();
}
