/* now.h: the benchmark helpers' one clock, monotonic nanoseconds. */
#ifndef BENCH_NOW_H
#define BENCH_NOW_H

#include <stdint.h>
#include <time.h>

static inline int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#endif
