/*
 * loop.c: the one poll loop. Descriptors carry callbacks; the timeout is the
 * nearest deadline the caller names, so an idle guardiand never wakes up.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "guardiand.h"

struct watch {
	loop_fn fn;
	void *arg;
};

static struct pollfd *pfds;
static struct watch *watches;
static size_t nfds, capfds;

void
loop_init(void)
{
	nfds = 0;
}

static ssize_t
loop_find(int fd)
{
	for (size_t i = 0; i < nfds; i++)
		if (pfds[i].fd == fd)
			return (ssize_t)i;
	return -1;
}

/* Watches fd for events; replaces an earlier watch of the same fd. */
int
loop_add(int fd, short events, loop_fn fn, void *arg)
{
	ssize_t i = loop_find(fd);

	if (i < 0) {
		if (nfds == capfds) {
			size_t ncap = capfds ? capfds * 2 : 16;
			struct pollfd *np = reallocarray(pfds, ncap, sizeof(*np));
			if (np == NULL)
				return -1;
			pfds = np;
			struct watch *nw = reallocarray(watches, ncap, sizeof(*nw));
			if (nw == NULL)
				return -1;
			watches = nw;
			capfds = ncap;
		}
		i = (ssize_t)nfds++;
	}
	pfds[i].fd = fd;
	pfds[i].events = events;
	pfds[i].revents = 0;
	watches[i].fn = fn;
	watches[i].arg = arg;
	return 0;
}

/* Changes what is watched on fd: 0 pauses it (output back-pressure). */
void
loop_events(int fd, short events)
{
	ssize_t i = loop_find(fd);

	if (i >= 0)
		pfds[i].events = events;
}

/* Stops watching fd; safe from inside a callback. */
void
loop_del(int fd)
{
	ssize_t i = loop_find(fd);

	if (i < 0)
		return;
	/* Mark it dead; loop_once compacts after dispatching. */
	pfds[i].fd = -1;
	pfds[i].events = 0;
	pfds[i].revents = 0;
	watches[i].fn = NULL;
}

static void
loop_compact(void)
{
	size_t j = 0;

	for (size_t i = 0; i < nfds; i++) {
		if (watches[i].fn == NULL)
			continue;
		pfds[j] = pfds[i];
		watches[j] = watches[i];
		j++;
	}
	nfds = j;
}

void
loop_once(int64_t deadline)
{
	int timeout = -1;
	size_t n;

	loop_compact();
	if (deadline >= 0) {
		int64_t d = deadline - now_ms();
		timeout = d <= 0 ? 0 : d > 3600000 ? 3600000 : (int)d;
	}
	if (poll(pfds, nfds, timeout) < 0) {
		if (errno != EINTR)
			log_warn("poll");
		return;
	}
	/* Callbacks may add watches (realloc) or delete some: index each time,
	 * and only visit the ones present before dispatch began. */
	n = nfds;
	for (size_t i = 0; i < n; i++) {
		short rev = pfds[i].revents;

		if (rev == 0 || watches[i].fn == NULL)
			continue;
		pfds[i].revents = 0;
		watches[i].fn(pfds[i].fd, rev, watches[i].arg);
	}
}

void
loop_free(void)
{
	free(pfds);
	free(watches);
	pfds = NULL;
	watches = NULL;
	nfds = capfds = 0;
}
