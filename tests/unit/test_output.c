/*
 * The line splitter: lines out of arbitrary chunks, never a byte lost.
 */
#include <stdlib.h>

#include "guardiand.h"
#include "t.h"

#define OUTPUT_LINE_MAX 8192

static char got[64][OUTPUT_LINE_MAX + 1];
static size_t gotlen[64];
static int ngot;

static void
collect(void *arg, const char *line, size_t len)
{
	(void)arg;
	if (ngot < 64) {
		memcpy(got[ngot], line, len);
		got[ngot][len] = '\0';
		gotlen[ngot] = len;
	}
	ngot++;
}

static struct linebuf lb;

static void
reset(void)
{
	linebuf_free(&lb);
	linebuf_init(&lb, OUTPUT_LINE_MAX);
	ngot = 0;
}

static void
feed(const char *s)
{
	output_feed(&lb, s, strlen(s), collect, NULL);
}

static void
test_lines_across_chunks(void)
{
	reset();
	feed("hel");
	CHECK_INT(ngot, 0);
	feed("lo\nwor");
	feed("ld\n\nlast");
	CHECK_INT(ngot, 3);
	CHECK_STR(got[0], "hello");
	CHECK_STR(got[1], "world");
	CHECK_STR(got[2], "");
	output_flush(&lb, collect, NULL);
	CHECK_INT(ngot, 4);
	CHECK_STR(got[3], "last");
	/* a flush with nothing pending emits nothing */
	output_flush(&lb, collect, NULL);
	CHECK_INT(ngot, 4);
}

static void
test_crlf(void)
{
	reset();
	feed("dos\r\nline\r");
	feed("\nbare\rcr\n");
	CHECK_INT(ngot, 3);
	CHECK_STR(got[0], "dos");
	CHECK_STR(got[1], "line");
	CHECK_STR(got[2], "bare\rcr");
}

static void
test_long_line_split_not_lost(void)
{
	size_t n = OUTPUT_LINE_MAX * 2 + 100;
	char *big = malloc(n + 2);

	reset();
	for (size_t i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	big[n] = '\n';
	big[n + 1] = '\0';
	feed(big);
	CHECK_INT(ngot, 3);
	CHECK_INT(gotlen[0], OUTPUT_LINE_MAX);
	CHECK_INT(gotlen[1], OUTPUT_LINE_MAX);
	CHECK_INT(gotlen[2], 100);
	CHECK(memcmp(got[0], big, OUTPUT_LINE_MAX) == 0);
	CHECK(memcmp(got[2], big + 2 * OUTPUT_LINE_MAX, 100) == 0);
	free(big);
}

static void
test_exactly_full_line(void)
{
	char *line = malloc(OUTPUT_LINE_MAX + 2);

	reset();
	memset(line, 'x', OUTPUT_LINE_MAX);
	line[OUTPUT_LINE_MAX] = '\n';
	line[OUTPUT_LINE_MAX + 1] = '\0';
	feed(line);
	/* a line that fills the buffer exactly is one line, no empty extra */
	CHECK_INT(ngot, 1);
	CHECK_INT(gotlen[0], OUTPUT_LINE_MAX);
	/* and the same when its newline comes in the next chunk */
	reset();
	output_feed(&lb, line, OUTPUT_LINE_MAX, collect, NULL);
	CHECK_INT(ngot, 0);
	feed("\nnext\n");
	CHECK_INT(ngot, 2);
	CHECK_INT(gotlen[0], OUTPUT_LINE_MAX);
	CHECK_STR(got[1], "next");
	free(line);
}

static void
test_nul_bytes_kept(void)
{
	reset();
	output_feed(&lb, "a\0b\n", 4, collect, NULL);
	CHECK_INT(ngot, 1);
	CHECK_INT(gotlen[0], 3);
	CHECK(memcmp(got[0], "a\0b", 3) == 0);
}

static void
test_byte_at_a_time(void)
{
	const char *s = "one\ntwo\r\nthree\n";

	reset();
	for (size_t i = 0; s[i]; i++)
		output_feed(&lb, s + i, 1, collect, NULL);
	CHECK_INT(ngot, 3);
	CHECK_STR(got[0], "one");
	CHECK_STR(got[1], "two");
	CHECK_STR(got[2], "three");
}

/* What a splitter of cap must pass on, byte by byte, for comparison:
 * at a newline the line (a CR before it stripped), and a piece of cap
 * bytes whenever a byte comes after cap without a newline. */
static char want[4096];
static size_t want_len, want_n;
static char seen[4096];
static size_t seen_len, seen_n;

static void
record(char *out, size_t *olen, size_t *on, const char *t, size_t len)
{
	if (*olen + len + 1 <= 4096) {
		memcpy(out + *olen, t, len);
		out[*olen + len] = '|';
		*olen += len + 1;
	}
	(*on)++;
}

static void
collect_seen(void *arg, const char *t, size_t len)
{
	(void)arg;
	record(seen, &seen_len, &seen_n, t, len);
}

static void
reference(const char *s, size_t n, size_t cap)
{
	char cur[64];
	size_t len = 0;

	want_len = want_n = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\n') {
			record(want, &want_len, &want_n, cur, len > 0 &&
			    cur[len - 1] == '\r' ? len - 1 : len);
			len = 0;
			continue;
		}
		if (len == cap) {
			record(want, &want_len, &want_n, cur, len);
			len = 0;
		}
		cur[len++] = s[i];
	}
	if (len > 0)
		record(want, &want_len, &want_n, cur, len > 0 &&
		    cur[len - 1] == '\r' ? len - 1 : len);
}

/* Random text cut in random chunks: the same lines and pieces as the
 * byte-by-byte reference, whatever the cuts (the whole-line path from the
 * chunk and the buffered path agree). */
static void
test_random_chunks_match_the_reference(void)
{
	static const char alphabet[] = "ab\r\n\n";
	char s[600];
	unsigned seed = 1;

	for (int round = 0; round < 2000; round++) {
		size_t cap = 1 + (size_t)(rand_r(&seed) % 20), n = sizeof(s), i;
		struct linebuf b;

		for (i = 0; i < n; i++) {
			/* runs of plain text longer than cap now and then */
			s[i] = rand_r(&seed) % 8 == 0 ? alphabet[rand_r(&seed) %
			    5] : 'x';
		}
		reference(s, n, cap);
		linebuf_init(&b, cap);
		seen_len = seen_n = 0;
		for (i = 0; i < n;) {
			size_t k = 1 + (size_t)(rand_r(&seed) % 40);

			if (k > n - i)
				k = n - i;
			output_feed(&b, s + i, k, collect_seen, NULL);
			i += k;
		}
		output_flush(&b, collect_seen, NULL);
		CHECK(b.size <= cap);
		linebuf_free(&b);
		CHECK_INT(seen_n, want_n);
		CHECK_INT(seen_len, want_len);
		if (seen_len != want_len || memcmp(seen, want, want_len) != 0) {
			CHECK(!"the same lines as the reference");
			break;
		}
	}
}

/* A stream whose writes end with a newline never needs the buffer. */
static void
test_no_buffer_for_whole_lines(void)
{
	reset();
	feed("one\ntwo\n");
	feed("three\n");
	CHECK_INT(ngot, 3);
	CHECK(lb.buf == NULL && lb.size == 0);
	feed("fo");
	CHECK(lb.buf != NULL && lb.size >= 2 && lb.size <= 128);
}

static void
test_outlog_keeps_last_lines(void)
{
	struct outlog *ol = outlog_new(3, 0);
	char line[24];
	size_t len;
	int64_t when;
	pid_t pid;
	int stream;
	const char *t;

	for (int i = 0; i < 5; i++) {
		snprintf(line, sizeof(line), "line %d", i);
		outlog_add(ol, 1000 + i, 100 + i, 1 + i % 2, line, strlen(line));
	}
	CHECK_INT(outlog_count(ol), 3);
	t = outlog_get(ol, 0, &len, &when, &pid, &stream);
	CHECK(t != NULL && len == 6 && memcmp(t, "line 2", 6) == 0);
	CHECK_INT(pid, 102);
	CHECK_INT(stream, 1);
	CHECK(when > 0);
	t = outlog_get(ol, 2, &len, &when, &pid, &stream);
	CHECK(t != NULL && memcmp(t, "line 4", 6) == 0);
	CHECK(outlog_get(ol, 3, &len, &when, &pid, &stream) == NULL);
	outlog_unref(ol);
}

static void
test_outlog_byte_cap_and_refs(void)
{
	struct outlog *ol = outlog_new(100, 25);
	size_t len;
	int64_t when;
	pid_t pid;
	int stream;

	outlog_add(ol, 5, 1, 1, "0123456789", 10);
	outlog_add(ol, 5, 1, 1, "abcdefghij", 10);
	outlog_add(ol, 5, 1, 2, "ABCDEFGHIJ", 10);
	/* 30 bytes > 25: the oldest went */
	CHECK_INT(outlog_count(ol), 2);
	CHECK(memcmp(outlog_get(ol, 0, &len, &when, &pid, &stream), "abcdefghij", 10) == 0);
	/* a line larger than the cap is still kept, alone */
	outlog_add(ol, 5, 1, 1, "0123456789012345678901234567890", 31);
	CHECK_INT(outlog_count(ol), 1);
	/* shared: freed only at the last unref (ASan/valgrind check the rest) */
	outlog_ref(ol);
	outlog_unref(ol);
	CHECK_INT(outlog_count(ol), 1);
	outlog_unref(ol);
}

int
main(void)
{
	RUN(test_lines_across_chunks);
	RUN(test_crlf);
	RUN(test_long_line_split_not_lost);
	RUN(test_exactly_full_line);
	RUN(test_nul_bytes_kept);
	RUN(test_byte_at_a_time);
	RUN(test_random_chunks_match_the_reference);
	RUN(test_no_buffer_for_whole_lines);
	RUN(test_outlog_keeps_last_lines);
	RUN(test_outlog_byte_cap_and_refs);
	linebuf_free(&lb);
	T_END();
}
