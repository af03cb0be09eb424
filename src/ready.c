/*
 * ready.c: when a service is ready (ready = fd:N, tcp:, exec:) and whether
 * it stays healthy (health =), for the services that say so; the others
 * have no struct readiness and cost nothing. A readiness check is tried
 * after 10 ms, then again doubling up to 250 ms, until it passes or
 * ready_timeout ends the start; a health check every health_interval while
 * the service is up. What they find goes to service.c as an event
 * (EV_READY, EV_START_FAILED, EV_UNHEALTHY) through the function it gave
 * ready_init: this module calls nothing of service.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"

#define READY_FIRST_MS	10	/* the first try, after the start */
#define READY_MAX_MS	250	/* the longest pause between tries: how late
				 * a slow starter is seen ready, at most */

struct readiness {
	struct readiness *next;
	struct service *sv;
	struct probe_run *run;	/* the try in flight, or NULL */
	int rfd;		/* fd:N: our end of its pipe, or -1 */
	int64_t at_ms;		/* the next try, -1 none */
	int64_t delay_ms;	/* readiness: the pause before the next try */
	unsigned health_fails;	/* failed health checks in a row */
	char why[512];		/* what the last failed try said */
};

static struct readiness *rds;
static ready_event_fn on_event;

void
ready_init(ready_event_fn fn)
{
	on_event = fn;
}

/* Whether the service has anything for this module to do. */
static bool
wanted(const struct svc_conf *sc)
{
	return sc->ready.kind == PROBE_FD || sc->ready.kind == PROBE_TCP ||
	    sc->ready.kind == PROBE_EXEC || sc->health.kind != PROBE_NONE;
}

/* The service's struct readiness, made when first needed. */
static struct readiness *
get(struct service *sv)
{
	struct readiness *rd;

	if (sv->rd != NULL || !wanted(sv->conf))
		return sv->rd;
	if ((rd = calloc(1, sizeof(*rd))) == NULL) {
		log_warnx("%s: out of memory for its checks", sv->conf->name);
		return NULL;
	}
	rd->sv = sv;
	rd->rfd = -1;
	rd->at_ms = -1;
	rd->next = rds;
	rds = rd;
	sv->rd = rd;
	return rd;
}

/* Stops what runs: the try in flight, the pipe, the next try. */
static void
quiet(struct readiness *rd)
{
	probe_cancel(rd->run);
	rd->run = NULL;
	if (rd->rfd >= 0) {
		loop_del(rd->rfd);
		close(rd->rfd);
		rd->rfd = -1;
	}
	rd->at_ms = -1;
}

void
ready_stop(struct service *sv)
{
	if (sv->rd != NULL)
		quiet(sv->rd);
	if (sv->ready_wfd >= 0) {
		close(sv->ready_wfd);
		sv->ready_wfd = -1;
	}
}

void
ready_free(struct service *sv)
{
	struct readiness **pp;

	ready_stop(sv);
	if (sv->rd == NULL)
		return;
	for (pp = &rds; *pp && *pp != sv->rd; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = sv->rd->next;
	free(sv->rd);
	sv->rd = NULL;
}

/* fd:N: a line on the pipe is readiness; its end without one, a failure. */
static void
fd_readable(int fd, short revents, void *arg)
{
	struct readiness *rd = arg;
	struct service *sv = rd->sv;
	char buf[512];
	ssize_t n;

	(void)revents;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (memchr(buf, '\n', (size_t)n) != NULL) {
			quiet(rd);
			on_event(sv, EV_READY);
			return;
		}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	snprintf(rd->why, sizeof(rd->why), "it closed descriptor %d without "
	    "writing a line to it", sv->conf->ready.fd);
	quiet(rd);
	free(sv->fail_why);
	sv->fail_why = strdup(rd->why);
	log_warnx("%s: start failed: %s", sv->conf->name, rd->why);
	on_event(sv, EV_START_FAILED);
}

/*
 * Before a start: for ready = fd:N, the pipe whose write end the child gets
 * as N (sv->ready_wfd); 0, or -1 if it cannot be made (logged).
 */
int
ready_prepare(struct service *sv)
{
	struct readiness *rd;
	int p[2];

	ready_stop(sv);
	if (sv->conf->ready.kind != PROBE_FD || (rd = get(sv)) == NULL)
		return 0;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		log_warn("%s: the readiness pipe", sv->conf->name);
		return -1;
	}
	rd->rfd = p[0];
	sv->ready_wfd = p[1];
	return 0;
}

/* The next readiness try, 10 ms after the last, doubling to 250 ms. */
static void
ready_later(struct readiness *rd, int64_t now)
{
	rd->at_ms = now + rd->delay_ms;
	rd->delay_ms *= 2;
	if (rd->delay_ms > READY_MAX_MS)
		rd->delay_ms = READY_MAX_MS;
}

/*
 * The process that is to become ready runs: after the fork of a simple
 * service, after its main process is known for a forking one. Starts
 * watching (fd:N) or trying (tcp:, exec:).
 */
void
ready_begin(struct service *sv)
{
	struct readiness *rd;

	if (sv->ready_wfd >= 0) {	/* the child has its own copy */
		close(sv->ready_wfd);
		sv->ready_wfd = -1;
	}
	if ((rd = get(sv)) == NULL)
		return;
	rd->why[0] = '\0';
	rd->health_fails = 0;
	switch (sv->conf->ready.kind) {
	case PROBE_FD:
		if (rd->rfd >= 0 && loop_add(rd->rfd, POLLIN, fd_readable,
		    rd) < 0)
			log_warn("%s: watching its readiness pipe",
			    sv->conf->name);
		break;
	case PROBE_TCP:
	case PROBE_EXEC:
		rd->delay_ms = READY_FIRST_MS;
		ready_later(rd, now_ms());
		break;
	default:
		/* up at once (none), or when it says so (notify): its health
		 * checks are due an interval after it is up */
		if (sv->conf->health.kind != PROBE_NONE)
			rd->at_ms = now_ms() + sv->conf->health_interval_ms;
		break;
	}
}

/* The service is up (ready): its health checks begin. */
void
ready_up(struct service *sv)
{
	struct readiness *rd;

	if (sv->conf->health.kind == PROBE_NONE || (rd = get(sv)) == NULL) {
		if (sv->rd != NULL)
			quiet(sv->rd);
		return;
	}
	quiet(rd);
	rd->health_fails = 0;
	rd->at_ms = now_ms() + sv->conf->health_interval_ms;
}

/* What the last failed readiness try, or health check, said ("" if none:
 * since it passed). */
const char *
ready_why(const struct service *sv)
{
	return sv->rd != NULL ? sv->rd->why : "";
}

/* Failed health checks in a row; -1 for a service without one. */
int
ready_health_fails(const struct service *sv)
{
	if (sv->conf->health.kind == PROBE_NONE)
		return -1;
	return sv->rd != NULL ? (int)sv->rd->health_fails : 0;
}

static void
ready_done(void *arg, bool ok, const char *why)
{
	struct readiness *rd = arg;

	rd->run = NULL;
	if (ok) {
		rd->why[0] = '\0';
		on_event(rd->sv, EV_READY);
		return;
	}
	snprintf(rd->why, sizeof(rd->why), "%s", why);
	log_debug("%s: not ready yet: %s", rd->sv->conf->name, why);
	ready_later(rd, now_ms());
}

static void
health_done(void *arg, bool ok, const char *why)
{
	struct readiness *rd = arg;
	struct service *sv = rd->sv;
	const struct svc_conf *sc = sv->conf;

	rd->run = NULL;
	rd->at_ms = now_ms() + sc->health_interval_ms;
	if (ok) {
		if (rd->health_fails > 0)
			log_info("%s: health check passed again: %s", sc->name,
			    why);
		rd->health_fails = 0;
		rd->why[0] = '\0';
		return;
	}
	rd->health_fails++;
	snprintf(rd->why, sizeof(rd->why), "%s", why);
	log_warnx("%s: health check %s failed (%u of %u in a row): %s",
	    sc->name, sc->health.text, rd->health_fails, sc->health_retries,
	    why);
	if (rd->health_fails < sc->health_retries)
		return;
	rd->at_ms = -1;
	free(sv->fail_why);
	if (asprintf(&sv->fail_why, "health check %s failed %u times in a "
	    "row: %s", sc->health.text, rd->health_fails, why) < 0)
		sv->fail_why = NULL;
	log_warnx("%s: unhealthy: %s", sc->name, sv->fail_why ? sv->fail_why :
	    why);
	on_event(sv, EV_UNHEALTHY);
}

/* A try that is due: readiness while starting, health while up. */
static void
tick(struct readiness *rd)
{
	struct service *sv = rd->sv;
	const struct svc_conf *sc = sv->conf;
	bool health = sv->state == SV_UP;
	const struct probe *p = health ? &sc->health : &sc->ready;
	char why[512];

	rd->at_ms = -1;
	if (rd->run != NULL || (sv->state != SV_STARTING && !health))
		return;
	if (!health && (sc->ready.kind == PROBE_NONE ||
	    sc->ready.kind == PROBE_NOTIFY)) {
		/* a health check waits for it to be up */
		rd->at_ms = now_ms() + sc->health_interval_ms;
		return;
	}
	rd->run = probe_try(sv, p, sc->health_timeout_ms,
	    health ? health_done : ready_done, rd, why, sizeof(why));
	if (rd->run == NULL)
		(health ? health_done : ready_done)(rd, false, why);
}

void
ready_timers(int64_t now)
{
	struct readiness *rd = rds;

	probe_timers(now);
	while (rd != NULL) {
		if (rd->at_ms >= 0 && now >= rd->at_ms) {
			tick(rd);
			rd = rds;	/* a tick may end in an event */
			continue;
		}
		rd = rd->next;
	}
}

int64_t
ready_next_deadline(void)
{
	int64_t next = probe_next_deadline();

	for (struct readiness *rd = rds; rd; rd = rd->next)
		next = deadline_min(next, rd->at_ms);
	return next;
}

/*
 * ACT_CHECK_START for a service whose readiness is awaited: EV_START_FAILED
 * once ready_timeout has passed (fail_why says why), else -1 with the
 * policy's timer at that end.
 */
int
ready_check_start(struct service *sv, int64_t now)
{
	char d[32];
	const char *last = ready_why(sv);

	if (now < sv->start_by_ms) {
		sv->deadline_ms = sv->start_by_ms;
		return -1;
	}
	free(sv->fail_why);
	if (asprintf(&sv->fail_why, "not ready within ready_timeout = %s%s%s%s",
	    fmt_duration(sv->conf->ready_timeout_ms, d, sizeof(d)),
	    last[0] ? " (" : "", last, last[0] ? ")" : "") < 0)
		sv->fail_why = NULL;
	log_warnx("%s: start failed: %s", sv->conf->name,
	    sv->fail_why ? sv->fail_why : "not ready in time");
	return EV_START_FAILED;
}
