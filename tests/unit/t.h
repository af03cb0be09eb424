/*
 * A minimal unit test harness: each TEST is a function; CHECK records a
 * failure and goes on. The binary prints "PASS name" or "FAIL name" per test
 * (SKIP: "SKIP name: why", for a test this machine cannot run: not counted
 * as passed) and ends with "N passed, N failed"; tests/run adds them up.
 */
#ifndef T_H
#define T_H

#include <stdio.h>
#include <string.h>

static int t_failed_here;
static int t_passed, t_failed, t_skipped;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		t_failed_here = 1; \
	} \
} while (0)

#define CHECK_STR(a, b) do { \
	const char *t_a_ = (a), *t_b_ = (b); \
	if (t_a_ == NULL || t_b_ == NULL || strcmp(t_a_, t_b_) != 0) { \
		printf("  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, \
		    t_a_ ? t_a_ : "(null)", t_b_ ? t_b_ : "(null)"); \
		t_failed_here = 1; \
	} \
} while (0)

#define CHECK_INT(a, b) do { \
	long long t_a_ = (long long)(a), t_b_ = (long long)(b); \
	if (t_a_ != t_b_) { \
		printf("  %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, \
		    #a, t_a_, t_b_); \
		t_failed_here = 1; \
	} \
} while (0)

#define RUN(fn) do { \
	t_failed_here = 0; \
	fn(); \
	if (t_failed_here) { t_failed++; printf("FAIL %s\n", #fn); } \
	else { t_passed++; printf("PASS %s\n", #fn); } \
} while (0)

/* Instead of RUN(fn), when what fn needs is missing here (root, cgroup2). */
#define SKIP(fn, why) do { \
	t_skipped++; \
	printf("SKIP %s: %s\n", #fn, (why)); \
} while (0)

#define T_END() do { \
	if (t_skipped > 0) \
		printf("%d passed, %d failed, %d skipped\n", t_passed, \
		    t_failed, t_skipped); \
	else \
		printf("%d passed, %d failed\n", t_passed, t_failed); \
	return t_failed ? 1 : 0; \
} while (0)

#endif
