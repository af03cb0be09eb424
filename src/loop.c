/*
 * loop.c: the one event loop, on epoll: a turn costs what is ready, not
 * what is watched (1,000 services are 3,000 descriptors). Descriptors carry
 * callbacks; the timeout is the nearest deadline the caller names, so an
 * idle guardiand never wakes up.
 */
#include <sys/epoll.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include "guardiand.h"

#define LOOP_BATCH	64	/* events taken by one epoll_wait */

/* What is watched on one descriptor, found by its number. gen tells an
 * event for an earlier watch of the same number (deleted, or replaced by
 * a callback of the same turn) from one for the current watch. */
struct watch {
	loop_fn fn;		/* NULL: not watched */
	void *arg;
	uint32_t gen;
};

static int epfd = -1;
static struct watch *watches;
static size_t nwatches;

void
loop_init(void)
{
	if (epfd < 0 && (epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		log_warn("epoll_create1");
}

static int
ctl(int op, int fd, short events, uint32_t gen)
{
	struct epoll_event ev = { 0 };

	/* poll's POLLIN, POLLPRI and POLLOUT are epoll's numbers too */
	ev.events = (uint32_t)(unsigned short)events;
	ev.data.u64 = (uint64_t)gen << 32 | (uint32_t)fd;
	return epoll_ctl(epfd, op, fd, &ev);
}

/* Watches fd for events; replaces an earlier watch of the same fd. */
int
loop_add(int fd, short events, loop_fn fn, void *arg)
{
	struct watch *w;

	if (epfd < 0 || fd < 0)
		return -1;
	if ((size_t)fd >= nwatches) {
		size_t n = nwatches ? nwatches : 64;
		struct watch *nw;

		while (n <= (size_t)fd)
			n *= 2;
		if ((nw = reallocarray(watches, n, sizeof(*nw))) == NULL)
			return -1;
		for (size_t i = nwatches; i < n; i++)
			nw[i] = (struct watch){ NULL, NULL, 0 };
		watches = nw;
		nwatches = n;
	}
	/* A number closed without loop_del and opened again is a new file
	 * to epoll: ADD where MOD finds none, and the other way round. */
	w = &watches[fd];
	if (ctl(w->fn ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, events,
	    w->gen + 1) < 0) {
		if (errno != ENOENT && errno != EEXIST)
			return -1;
		if (ctl(errno == ENOENT ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd,
		    events, w->gen + 1) < 0)
			return -1;
	}
	w->gen++;
	w->fn = fn;
	w->arg = arg;
	return 0;
}

static struct watch *
watched(int fd)
{
	return fd >= 0 && (size_t)fd < nwatches && watches[fd].fn ?
	    &watches[fd] : NULL;
}

/* Changes what is watched on fd: 0 pauses it (output back-pressure). */
void
loop_events(int fd, short events)
{
	struct watch *w = watched(fd);

	if (w)
		(void)ctl(EPOLL_CTL_MOD, fd, events, w->gen);
}

/* Stops watching fd (before it is closed); safe from inside a callback. */
void
loop_del(int fd)
{
	struct watch *w = watched(fd);

	if (w == NULL)
		return;
	(void)epoll_ctl(epfd, EPOLL_CTL_DEL, fd, NULL);
	w->fn = NULL;
	w->arg = NULL;
	w->gen++;
}

void
loop_once(int64_t deadline)
{
	struct epoll_event evs[LOOP_BATCH];
	int timeout = -1, n;

	if (deadline >= 0) {
		int64_t d = deadline - now_ms();
		timeout = d <= 0 ? 0 : d > 3600000 ? 3600000 : (int)d;
	}
	if ((n = epoll_wait(epfd, evs, LOOP_BATCH, timeout)) < 0) {
		if (errno != EINTR)
			log_warn("epoll_wait");
		return;
	}
	/* Callbacks may delete or replace watches, this turn's included:
	 * an event is for the watch of its generation only. */
	for (int i = 0; i < n; i++) {
		int fd = (int)(uint32_t)evs[i].data.u64;
		uint32_t gen = (uint32_t)(evs[i].data.u64 >> 32);
		struct watch *w = watched(fd);

		if (w && w->gen == gen)
			w->fn(fd, (short)(evs[i].events & 0xffff), w->arg);
	}
}

void
loop_free(void)
{
	free(watches);
	watches = NULL;
	nwatches = 0;
	if (epfd >= 0)
		close(epfd);
	epfd = -1;
}
