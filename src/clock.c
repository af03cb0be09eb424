/*
 * clock.c: the one clock. Time is monotonic milliseconds everywhere
 * (deadlines, uptimes, the client's timeouts), but for when output lines
 * were printed (wall clock); kept out of loop.c so that
 * what only needs the time does not depend on the event loop.
 */
#include <time.h>

#include "guardiand.h"

int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The wall clock, ms since the epoch. */
int64_t
wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
deadline_min(int64_t a, int64_t b)
{
	return a < 0 || (b >= 0 && b < a) ? b : a;
}
