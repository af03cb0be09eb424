/*
 * ctl_logs.c: guardianctl's `logs`, printed from the daemon's answer, and
 * `logs -f`, which keeps reading the answer as it grows until Ctrl-C.
 * Whatever a service printed is escaped for the terminal (fmt_text) or
 * encoded as JSON, never passed through raw.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guardiand.h"
#include "proto.h"

#define FOLLOW_READ	65536

static volatile sig_atomic_t interrupted;

/* Undoes the protocol's %XX escapes in place; returns the length. */
size_t
ctl_unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		unsigned v;

		if (r[0] == '%' && r[1] && r[2] && sscanf(r + 1, "%2x", &v) == 1) {
			*w++ = (char)v;
			r += 2;
		} else
			*w++ = *r;
	}
	*w = '\0';
	return (size_t)(w - s);
}

static void __attribute__((noreturn))
fail(int code, const char *what)
{
	fflush(stdout);
	fprintf(stderr, "guardianctl: %s\n", what);
	exit(code);
}

/* stdout is gone (a pager quit, `| head`): the reader has had enough. */
static void
check_stdout(void)
{
	if (ferror(stdout) || fflush(stdout) == EOF) {
		if (errno == EPIPE)
			exit(CTL_OK);
		fail(CTL_ERROR, "cannot write the output");
	}
}

/* One line of output as people read it: "TIME NAME[PID] stderr: TEXT". The
 * time is formatted again only when its second changes. */
static void
print_text_line(const char *name, long long when, long pid, int stream,
    const char *text, size_t n)
{
	static time_t last = (time_t)-1;
	static char ts[32];
	time_t t = (time_t)(when / 1000);

	if (t != last) {
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
		last = t;
	}
	fputs(ts, stdout);
	putchar(' ');
	fmt_text(stdout, name, strlen(name));
	printf("[%ld]%s: ", pid, stream == 2 ? " stderr" : "");
	fmt_text(stdout, text, n);
	putchar('\n');
}

/*
 * The remembered output: "TIME NAME[PID]: TEXT" with the text escaped for
 * the terminal, or with json a JSON array of objects.
 */
void
ctl_logs_print(char *body, const char *name, bool json)
{
	bool first = true;

	if (json)
		printf("[");
	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
		long long when;
		long pid;
		int stream, off = 0;
		size_t n;

		if (sscanf(line, "%lld %ld %d %n", &when, &pid, &stream, &off) < 3)
			continue;
		n = ctl_unescape(line + off);
		if (json) {
			printf("%s\n  {\"time_ms\": %lld, \"pid\": %ld, "
			    "\"stream\": \"%s\", \"text\": ", first ? "" : ",",
			    when, pid, stream == 2 ? "stderr" : "stdout");
			fmt_json_string(stdout, line + off, n);
			printf("}");
			first = false;
			continue;
		}
		print_text_line(name, when, pid, stream, line + off, n);
	}
	if (json)
		printf("%s]\n", first ? "" : "\n");
}

/* One message of guardianctl's own about the stream, on stderr, after
 * what was printed before it: "guardianctl: NAME" then what. */
static void
note(const char *name, const char *what)
{
	check_stdout();
	fprintf(stderr, "guardianctl: ");
	fmt_text(stderr, name, strlen(name));
	fprintf(stderr, "%s\n", what);
}

/*
 * One line of a follow answer: "line NAME WHEN PID STREAM TEXT", "missed
 * NAME N", "gone NAME", "end" (proto.h). Returns false at "end".
 */
static bool
print_follow_line(char *line, bool json)
{
	char name[257];
	long long when;
	long pid;
	unsigned long n;
	int stream, off = 0;

	if (sscanf(line, "line %256s %lld %ld %d %n", name, &when, &pid,
	    &stream, &off) == 4 && off > 0) {
		size_t len = ctl_unescape(line + off);

		if (!json) {
			print_text_line(name, when, pid, stream, line + off, len);
			return true;
		}
		printf("{\"service\": ");
		fmt_json_string(stdout, name, strlen(name));
		printf(", \"time_ms\": %lld, \"pid\": %ld, \"stream\": \"%s\", "
		    "\"text\": ", when, pid, stream == 2 ? "stderr" : "stdout");
		fmt_json_string(stdout, line + off, len);
		printf("}\n");
	} else if (sscanf(line, "missed %256s %lu", name, &n) == 2) {
		check_stdout();
		fprintf(stderr, "guardianctl: %lu lines of ", n);
		fmt_text(stderr, name, strlen(name));
		fprintf(stderr, " missed (the reader was too slow)\n");
	} else if (sscanf(line, "gone %256s", name) == 1)
		note(name, " was removed from the configuration, no longer "
		    "followed");
	else if (strcmp(line, "end") == 0)
		return false;
	return true;
}

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/*
 * `logs -f`: the answer on fd, printed as it comes, until Ctrl-C (exit 0),
 * the end of what there was to follow (0), or until guardiand goes away
 * (1). An error answer is printed as guardianctl prints any, and its code
 * returned. The answer's first line must come by deadline (monotonic ms).
 */
int
ctl_logs_follow(int fd, bool json, int64_t deadline)
{
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigset_t block, waiting;
	size_t len = 0, cap = 2 * FOLLOW_READ;
	char *in = malloc(cap);
	int code = -1;		/* until the first line: unknown */
	bool ended = false;

	if (in == NULL)
		fail(CTL_ERROR, "out of memory");
	/* Ctrl-C is let in only while waiting for more (ppoll), so that it
	 * cannot come between the check of interrupted and the wait. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &waiting);
	sigdelset(&waiting, SIGINT);
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = code < 0 ? deadline - now_ms() : -1;
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		char *p, *nl;
		ssize_t n;

		if (interrupted)
			break;
		if (code < 0 && left <= 0)
			fail(CTL_ERROR, "no answer from guardiand in time");
		if (ppoll(&pfd, 1, left < 0 ? NULL : &ts, &waiting) < 0) {
			if (errno == EINTR)
				continue;
			fail(CTL_ERROR, "poll failed");
		}
		if (pfd.revents == 0)
			continue;
		if (cap - len < FOLLOW_READ) {
			char *np = realloc(in, cap * 2);

			if (np == NULL)
				fail(CTL_ERROR, "out of memory");
			in = np;
			cap *= 2;
		}
		n = read(fd, in + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0 && errno != ECONNRESET)
				fail(CTL_ERROR, "cannot read from guardiand");
			break;
		}
		len += (size_t)n;
		in[len] = '\0';
		for (p = in; (nl = memchr(p, '\n', len - (size_t)(p - in)));
		    p = nl + 1) {
			*nl = '\0';
			if (code < 0) {
				if (strncmp(p, "OK", 2) == 0)
					code = CTL_OK;
				else if (sscanf(p, "ERR %d", &code) == 1) {
					char *m = strchr(p + 4, ' ');

					m = m ? m + 1 : p + strlen(p);
					fprintf(stderr, "guardianctl: ");
					fmt_text(stderr, m, strlen(m));
					fputc('\n', stderr);
				} else
					fail(CTL_ERROR, "unexpected answer from "
					    "guardiand");
			} else if (code != CTL_OK) {
				fmt_text(stderr, p, strlen(p));
				fputc('\n', stderr);
			} else if (!print_follow_line(p, json))
				ended = true;
		}
		len -= (size_t)(p - in);
		memmove(in, p, len);
		check_stdout();
	}
	free(in);
	close(fd);
	check_stdout();
	if (interrupted)
		return CTL_OK;
	if (code < 0)
		fail(CTL_ERROR, "guardiand closed the connection without an "
		    "answer");
	if (code != CTL_OK || ended)
		return code;
	fail(CTL_ERROR, "guardiand closed the connection (it stopped?); "
	    "no longer following");
}
