/*
 * log.c: guardiand's own messages, over libdaemon's daemon_log.
 *
 * Messages are formatted here into one buffer and handed to daemon_log as
 * "%s": daemon_logv reuses its va_list for syslog and stderr without
 * va_copy (notes/libdaemon.md, trap 4), so it must never see our varargs.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include <libdaemon/dlog.h>

#include "guardiand.h"

static bool log_verbose;
static bool log_foreground;
static log_sink_fn sink;

/* Sets where messages go: stderr only in the foreground, else stderr until
 * daemon_fork and syslog (facility daemon, ident guardiand) after it. */
void
log_init(bool foreground, bool verbose)
{
	log_foreground = foreground;
	log_verbose = verbose;
	daemon_log_ident = "guardiand";
	daemon_log_use = foreground ? DAEMON_LOG_STDERR :
	    (DAEMON_LOG_AUTO | DAEMON_LOG_STDERR);
	/* Only LOG_DEBUG avoids libdaemon's bogus range error (trap 2). */
	if (verbose)
		daemon_set_verbosity(LOG_DEBUG);
}

/* Detached and with the syslog writer set up, messages go through it, in
 * order with the services' lines; before that (and in the foreground)
 * through daemon_log. log.c knows nothing of the writer: it registers
 * itself, so that the writer's own dependencies (the loop) may log. */
void
log_set_sink(log_sink_fn fn)
{
	sink = fn;
}

static void
vlog(int prio, const char *fmt, va_list ap, const char *err)
{
	char buf[1024];
	int n;

	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", err);
	if (sink)	/* the syslog writer, opened only when detached */
		sink(prio, buf, strlen(buf));
	else {
		/* A terminal may be reading: names and values from configs
		 * and services reach it escaped. */
		char safe[4 * sizeof(buf)];

		log_escape(safe, sizeof(safe), buf, strlen(buf));
		daemon_log(prio, "%s", safe);
	}
}

/* s (n bytes) as fmt_text escapes it, NUL-terminated in out (cut short if
 * out is too small). */
void
log_escape(char *out, size_t len, const char *s, size_t n)
{
	FILE *f = fmemopen(out, len, "w");

	if (f == NULL) {
		snprintf(out, len, "(out of memory)");
		return;
	}
	setvbuf(f, NULL, _IONBF, 0);
	fmt_text(f, s, n);
	fclose(f);
	out[len - 1] = '\0';
}

/* A message for a terminal: escaped, one line. */
void
log_print(FILE *f, const char *s)
{
	fmt_text(f, s, strlen(s));
	fputc('\n', f);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_INFO, fmt, ap, NULL);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_verbose)
		return;
	va_start(ap, fmt);
	vlog(LOG_DEBUG, fmt, ap, NULL);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, strerror(saved));
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_WARNING, fmt, ap, NULL);
	va_end(ap);
}

/* A line a service printed, in the foreground: to stderr. */
void
log_output(const char *name, pid_t pid, int stream, const char *line, size_t len)
{
	int n = len > INT32_MAX ? INT32_MAX : (int)len;

	if (log_foreground) {
		fprintf(stderr, "%s[%ld]: ", name, (long)pid);
		fmt_text(stderr, line, len);
		fputc('\n', stderr);
		return;
	}
	daemon_log(stream == 2 ? LOG_WARNING : LOG_INFO, "%s[%ld]: %.*s",
	    name, (long)pid, n, line);
}
