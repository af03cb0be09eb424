/*
 * guardianctl: see and steer guardiand through its control socket.
 *
 * Exit codes (proto.h): 0 ok, 1 the daemon answered with an error, 2 usage,
 * 3 not running (the daemon, or with status/wait the named service),
 * 4 no such service.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "proto.h"

/* Beyond the server-side timeout, how long to wait for its answer. */
#define SLACK_MS	10000

static const char *sock;
static const char *prog = "guardianctl";

#define HELP_COLUMN	29	/* the command's synopsis, then its doc */

/* The commands' lines of the help, from proto_cmds[]: rows in a row with
 * the same doc and synopsis share a line ("start|stop|restart ..."). */
static void
usage_commands(FILE *f)
{
	for (int i = 0; i < PCMD_COUNT;) {
		const struct proto_cmd *pc = &proto_cmds[i];
		char syn[256];
		size_t len = 0;
		int j;

		for (j = i; j < PCMD_COUNT && proto_cmds[j].doc == pc->doc &&
		    strcmp(proto_cmds[j].synopsis, pc->synopsis) == 0; j++)
			len += (size_t)snprintf(syn + len, sizeof(syn) - len,
			    "%s%s", j > i ? "|" : "", proto_cmds[j].name);
		if (pc->synopsis[0])
			snprintf(syn + len, sizeof(syn) - len, " %s", pc->synopsis);
		if (strlen(syn) > HELP_COLUMN)
			fprintf(f, "  %s\n  %*s %s\n", syn, HELP_COLUMN, "", pc->doc);
		else
			fprintf(f, "  %-*s %s\n", HELP_COLUMN, syn, pc->doc);
		i = j;
	}
}

static void __attribute__((noreturn))
usage(int code)
{
	FILE *f = code ? stderr : stdout;

	fprintf(f, "usage: guardianctl [-s socket | -n name] command [args]\n\n");
	usage_commands(f);
	fprintf(f,
"\n"
"  -s, --socket PATH   control socket (default /run/guardiand/control.sock)\n"
"  -n, --name NAME     the socket of `guardiand --name NAME -- command`\n"
"\n"
"Control characters and invalid UTF-8 in what is shown are escaped (\\xHH).\n"
"\n"
"exit codes: 0 ok, 1 error, 2 usage, 3 not running, 4 no such service\n");
	exit(code);
}

/* Prints text line by line, each made safe for a terminal (fmt_text). */
static void
print_text(FILE *f, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");

		fmt_text(f, text, n);
		fputc('\n', f);
		text += n;
		if (*text)
			text++;
	}
}

/* The message may echo what the user typed: it is escaped like all output. */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: ", prog);
	fmt_text(stderr, msg, strlen(msg));
	fputc('\n', stderr);
	exit(code);
}

/* Connects and sends one request; returns the connected socket. */
static int
send_request(const char *req)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t reqlen = strlen(req);
	int fd;

	if (strlen(sock) >= sizeof(sa.sun_path))
		die(CTL_USAGE, "socket path too long: %s", sock);
	strcpy(sa.sun_path, sock);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		die(CTL_ERROR, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			die(CTL_NOT_RUNNING, "guardiand is not running (no one "
			    "listens on %s)", sock);
		die(CTL_ERROR, "cannot connect to %s: %s", sock, strerror(errno));
	}
	for (size_t off = 0; off < reqlen;) {
		ssize_t n = send(fd, req + off, reqlen - off, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Closed before reading us (busy): read its answer. */
			if (errno == EPIPE || errno == ECONNRESET)
				break;
			die(CTL_ERROR, "write to %s: %s", sock, strerror(errno));
		}
		off += (size_t)n;
	}
	return fd;
}

/* Sends one request and returns the whole reply (NUL-terminated). */
static char *
request(const char *req, int64_t timeout_ms)
{
	size_t len = 0, cap = 4096;
	int64_t deadline = now_ms() + timeout_ms;
	int fd = send_request(req);
	char *out;

	if ((out = malloc(cap)) == NULL)
		die(CTL_ERROR, "out of memory");
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0)
			die(CTL_ERROR, "no answer from guardiand within %lld s",
			    (long long)(timeout_ms / 1000));
		if (poll(&pfd, 1, left > 60000 ? 60000 : (int)left) < 0) {
			if (errno == EINTR)
				continue;
			die(CTL_ERROR, "poll: %s", strerror(errno));
		}
		if (pfd.revents == 0)
			continue;
		if (len + 1 >= cap) {
			char *np = realloc(out, cap * 2);
			if (np == NULL)
				die(CTL_ERROR, "out of memory");
			out = np;
			cap *= 2;
		}
		n = read(fd, out + len, cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* An answer, then a reset (the daemon closed with our
			 * request unread, as when it is busy): the answer counts. */
			if (errno == ECONNRESET && len > 0)
				break;
			die(CTL_ERROR, "read from %s: %s", sock, strerror(errno));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	out[len] = '\0';
	return out;
}

/* Splits the reply's first line off; returns the code it carries. */
static int
reply_code(char *reply, char **msg, char **body)
{
	char *nl = strchr(reply, '\n');
	int code;

	if (nl == NULL)
		die(CTL_ERROR, "guardiand closed the connection without an answer");
	*nl = '\0';
	*body = nl + 1;
	if (strncmp(reply, "OK", 2) == 0) {
		*msg = reply[2] == ' ' ? reply + 3 : reply + 2;
		return CTL_OK;
	}
	if (sscanf(reply, "ERR %d", &code) != 1)
		die(CTL_ERROR, "unexpected answer: %s", reply);
	*msg = strchr(reply + 4, ' ');
	*msg = *msg ? *msg + 1 : reply + strlen(reply);	/* "" */
	return code;
}

/* The protocol's %XX escapes undone in place: ctl_logs.c. */
#define unescape(s)	ctl_unescape(s)

/* The value of key in a status line ("key=value ..."), copied into buf. */
static const char *
field(const char *line, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	const char *p = line;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " ");
			if (n >= len)
				n = len - 1;
			memcpy(buf, p + klen + 1, n);
			buf[n] = '\0';
			return buf;
		}
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	buf[0] = '\0';
	return buf;
}

/* Numbers of the status line, and their names in the JSON. */
static const char *const numeric_keys[][2] = {
	{ "pid", "pid" }, { "uptime_ms", "uptime_ms" }, { "starts", "starts" },
	{ "restarts", "restarts" }, { "fails", "fails" },
	{ "last_exit_ago_ms", "last_exit_ago_ms" },
	{ "next_start_ms", "next_start_ms" }, { "procs", "processes" },
	{ "mem_bytes", "memory_bytes" }, { "cpu_usec", "cpu_usec" },
	{ "health_fails", "health_fails" }, { NULL, NULL }
};

/* A status field as a JSON string; escaped fields are unescaped first. */
static void
json_field(const char *line, const char *key, char *v, size_t len, bool escaped)
{
	size_t n;

	field(line, key, v, len);
	n = escaped ? unescape(v) : strlen(v);
	fmt_json_string(stdout, v, n);
}

static void
print_json(char *body)
{
	bool first = true;

	printf("[");
	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
		size_t len = strlen(line) + 1;
		char *v = malloc(len);

		if (v == NULL)
			die(CTL_ERROR, "out of memory");
		printf("%s\n  {", first ? "" : ",");
		first = false;
		printf("\"name\": ");
		json_field(line, "name", v, len, false);
		printf(", \"state\": ");
		json_field(line, "state", v, len, false);
		printf(", \"want\": ");
		json_field(line, "want", v, len, false);
		for (int i = 0; numeric_keys[i][0]; i++) {
			field(line, numeric_keys[i][0], v, len);
			printf(", \"%s\": %lld", numeric_keys[i][1], atoll(v));
		}
		printf(", \"tracking\": ");
		json_field(line, "tracking", v, len, false);
		printf(", \"last_exit\": ");
		json_field(line, "last_exit", v, len, true);
		printf(", \"health\": ");
		json_field(line, "health", v, len, false);
		printf(", \"notify\": ");
		json_field(line, "notify", v, len, false);
		printf(", \"status_text\": ");
		json_field(line, "text", v, len, true);
		printf(", \"why\": ");
		json_field(line, "why", v, len, true);
		printf(", \"command\": ");
		json_field(line, "cmd", v, len, true);
		printf("}");
		free(v);
	}
	printf("%s]\n", first ? "" : "\n");
}

/* One row of the status table, as printed (before escaping). */
struct row {
	char name[128], state[32], pid[32], up[32], restarts[32];
	char procs[32], mem[32], cpu[32], last[300], next[32], info[1100];
};

/*
 * The INFO column: what the service said (sd_notify's RELOADING, STOPPING,
 * STATUS= text), then why it is not ready, is failing its health checks,
 * or failed its last run; "-" if nothing.
 */
static void
info_of(const char *line, char *info, size_t len)
{
	char notify[32], text[512], why[512], fails[16], st[32];
	size_t n = 0;

	field(line, "notify", notify, sizeof(notify));
	field(line, "text", text, sizeof(text));
	field(line, "why", why, sizeof(why));
	unescape(text);
	unescape(why);
	field(line, "health_fails", fails, sizeof(fails));
	field(line, "state", st, sizeof(st));
	info[0] = '\0';
	if (notify[0] && strcmp(notify, "none") != 0)
		n += (size_t)snprintf(info + n, len - n, "%s", notify);
	if (text[0] && n < len)
		n += (size_t)snprintf(info + n, len - n, "%s%s", n ? "; " : "",
		    text);
	if (why[0] && n < len)
		snprintf(info + n, len - n, "%s%s%s%s%s", n ? "; " : "",
		    atoi(fails) > 0 ? "health check failed " : strcmp(st,
		    proto_state_name(PROTO_STATE_STARTING)) == 0 ?
		    "not ready: " : "", atoi(fails) > 0 ? fails : "",
		    atoi(fails) > 0 ? "x: " : "", why);
	if (info[0] == '\0')
		snprintf(info, len, "-");
}

/* Bytes for the table: 512B, 4.0K, 12.3M, 1.5G. */
static void
fmt_bytes(unsigned long long b, char *buf, size_t len)
{
	static const char units[] = "KMGTP";
	double v = (double)b;
	int u = -1;

	if (b < 1024) {
		snprintf(buf, len, "%lluB", b);
		return;
	}
	while (v >= 1024 && u < (int)sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f%c", v, units[u]);
}

/* CPU time for the table: 1.52s, and past a minute as durations are: 3m07s. */
static void
fmt_cpu(unsigned long long usec, char *buf, size_t len)
{
	if (usec < 60000000ULL)
		snprintf(buf, len, "%.2fs", (double)usec / 1e6);
	else
		fmt_duration((int64_t)(usec / 1000), buf, len);
}

/* Prints s escaped in a column of width w, left- or right-aligned. */
static void
cell(const char *s, size_t w, bool right, const char *sep)
{
	size_t cols = fmt_text(NULL, s, strlen(s));

	if (right)
		printf("%*s", (int)(w > cols ? w - cols : 0), "");
	fmt_text(stdout, s, strlen(s));
	if (!right && sep[0] != '\n')
		printf("%*s", (int)(w > cols ? w - cols : 0), "");
	fputs(sep, stdout);
}

#define NCOLS 11

/*
 * The status table. Each column is as wide as its longest entry (at least
 * as wide as its usual entries), so that long names or exit texts never
 * break the alignment.
 */
static void
print_table(char *body)
{
	static const char *const head[NCOLS] = { "NAME", "STATE", "PID",
	    "UPTIME", "RESTARTS", "PROCS", "MEM", "CPU", "LAST EXIT",
	    "NEXT START", "INFO" };
	static const bool right[NCOLS] = { false, false, true, true, true,
	    true, true, true, false, false, false };
	static const char *const sep[NCOLS] = { " ", " ", " ", " ", " ", " ",
	    " ", "  ", " ", " ", "\n" };
	size_t width[NCOLS] = { 20, 9, 7, 9, 8, 5, 6, 6, 24, 10, 0 };
	struct row *rows = NULL;
	size_t nrows = 0, cap = 0;

	for (char *line = strtok(body, "\n"); line; line = strtok(NULL, "\n")) {
		char le[256], ago[32], v[32], h[32];
		struct row *r;

		/* doubling: a row a realloc copied 1000 rows of a kilobyte
		 * each 1000 times (20 s under ASan) */
		if (nrows == cap) {
			cap = cap ? 2 * cap : 64;
			if ((r = reallocarray(rows, cap, sizeof(*rows))) == NULL)
				die(CTL_ERROR, "out of memory");
			rows = r;
		}
		r = &rows[nrows++];
		field(line, "name", r->name, sizeof(r->name));
		field(line, "state", r->state, sizeof(r->state));
		field(line, "pid", r->pid, sizeof(r->pid));
		field(line, "restarts", r->restarts, sizeof(r->restarts));
		field(line, "procs", r->procs, sizeof(r->procs));
		if (atoll(r->procs) > 0) {
			fmt_bytes(strtoull(field(line, "mem_bytes", v, sizeof(v)),
			    NULL, 10), r->mem, sizeof(r->mem));
			fmt_cpu(strtoull(field(line, "cpu_usec", v, sizeof(v)),
			    NULL, 10), r->cpu, sizeof(r->cpu));
		} else {
			snprintf(r->mem, sizeof(r->mem), "-");
			snprintf(r->cpu, sizeof(r->cpu), "-");
		}
		field(line, "last_exit", le, sizeof(le));
		field(line, "last_exit_ago_ms", ago, sizeof(ago));
		unescape(le);
		for (char *c = le; *c; c++)
			if (*c == ':')
				*c = ' ';
		if (strcmp(le, "none") == 0)
			snprintf(r->last, sizeof(r->last), "-");
		else
			snprintf(r->last, sizeof(r->last), "%s, %s ago", le,
			    fmt_duration(atoll(ago), h, sizeof(h)));
		if (strcmp(r->pid, "0") == 0) {
			snprintf(r->pid, sizeof(r->pid), "-");
			snprintf(r->up, sizeof(r->up), "-");
		} else
			fmt_duration(atoll(field(line, "uptime_ms", v, sizeof(v))),
			    r->up, sizeof(r->up));
		fmt_duration(atoll(field(line, "next_start_ms", v, sizeof(v))),
		    r->next, sizeof(r->next));
		info_of(line, r->info, sizeof(r->info));
	}
	for (size_t i = 0; i < nrows; i++) {
		const char *c[NCOLS] = { rows[i].name, rows[i].state,
		    rows[i].pid, rows[i].up, rows[i].restarts, rows[i].procs,
		    rows[i].mem, rows[i].cpu, rows[i].last, rows[i].next,
		    rows[i].info };

		for (int k = 0; k < NCOLS; k++) {
			size_t w = fmt_text(NULL, c[k], strlen(c[k]));

			if (w > width[k])
				width[k] = w;
		}
	}
	for (int k = 0; k < NCOLS; k++)
		cell(head[k], width[k], right[k], sep[k]);
	for (size_t i = 0; i < nrows; i++) {
		const char *c[NCOLS] = { rows[i].name, rows[i].state,
		    rows[i].pid, rows[i].up, rows[i].restarts, rows[i].procs,
		    rows[i].mem, rows[i].cpu, rows[i].last, rows[i].next,
		    rows[i].info };

		for (int k = 0; k < NCOLS; k++)
			cell(c[k], width[k], right[k], sep[k]);
	}
	free(rows);
}

/* Seconds as given on the command line, to milliseconds. */
static long long
parse_seconds(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || !(v >= 0 && v <= 86400))	/* NaN fails too */
		die(CTL_USAGE, "invalid timeout \"%s\" (seconds)", s);
	return (long long)(v * 1000);
}

/* A line count as given to logs -n or --lines. */
static long long
parse_lines(const char *s)
{
	char *end;
	long long v = strtoll(s, &end, 10);

	if (end == s || *end || v < 0)
		die(CTL_USAGE, "invalid line count \"%s\"", s);
	return v;
}

static bool
valid_arg(const char *s)
{
	if (*s == '\0' || strlen(s) > 256)
		return false;
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
			return false;
	return true;
}

/*
 * For the bash completion's test (tests/shell/test_completion.sh), not
 * documented: each command with the options the completion offers for it.
 */
static void __attribute__((noreturn))
list_commands(void)
{
	for (int i = 0; i < PCMD_COUNT; i++) {
		unsigned o = proto_cmds[i].opts;

		printf("%s%s%s%s%s%s%s%s\n", proto_cmds[i].name,
		    o & PROTO_OPT_ALL ? " --all" : "",
		    o & PROTO_OPT_NO_WAIT ? " --no-wait" : "",
		    o & PROTO_OPT_TIMEOUT ? " --timeout" : "",
		    o & PROTO_OPT_LINES ? " --lines" : "",
		    o & PROTO_OPT_JSON ? " --json" : "",
		    o & PROTO_OPT_FOLLOW ? " --follow" : "",
		    o & PROTO_OPT_READY ? " --ready" : "");
	}
	exit(0);
}

/* Whether the command (NULL if unknown) takes the option. */
static bool
takes(const struct proto_cmd *pc, unsigned opt)
{
	return pc && (pc->opts & opt);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ "list-commands", no_argument, NULL, 1000 },
		{ NULL, 0, NULL, 0 }
	};
	const char *cmd, *name = NULL;
	const struct proto_cmd *pc;
	char req[PROTO_MAX_REQUEST], *reply, *msg, *body;
	bool json = false, nowait = false, all = false, follow = false;
	long long timeout = PROTO_DEFAULT_TIMEOUT_MS, lines = -1;
	char *args[PROTO_MAX_NAMES];
	int nargs = 0, code, c;
	size_t len;

	while ((c = getopt_long(argc, argv, "+s:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 's': sock = optarg; break;
		case 'n': name = optarg; break;
		case 'h': usage(0);
		case 1000: list_commands();
		default: usage(CTL_USAGE);
		}
	}
	if (sock && name)
		die(CTL_USAGE, "-s and -n both name a socket: give one");
	if (optind >= argc)
		usage(CTL_USAGE);
	cmd = argv[optind++];
	pc = proto_command(cmd);
	/* Options of the command may come before or after its arguments.
	 * --timeout bounds the wait for an answer to any command. */
	for (int i = optind; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--json") == 0 && takes(pc, PROTO_OPT_JSON))
			json = true;
		else if (strcmp(a, "--no-wait") == 0 && takes(pc, PROTO_OPT_NO_WAIT))
			nowait = true;
		else if (strcmp(a, "--ready") == 0 && takes(pc, PROTO_OPT_READY))
			;	/* what wait waits for: up is ready */
		else if (strcmp(a, "--all") == 0 && takes(pc, PROTO_OPT_ALL))
			all = true;
		else if ((strcmp(a, "-f") == 0 || strcmp(a, "--follow") == 0) &&
		    takes(pc, PROTO_OPT_FOLLOW))
			follow = true;
		else if (strcmp(a, "--timeout") == 0 && i + 1 < argc)
			timeout = parse_seconds(argv[++i]);
		else if (strncmp(a, "--timeout=", 10) == 0)
			timeout = parse_seconds(a + 10);
		else if (strncmp(a, "--lines=", 8) == 0 && takes(pc, PROTO_OPT_LINES))
			lines = parse_lines(a + 8);
		else if ((strcmp(a, "-n") == 0 || strcmp(a, "--lines") == 0) &&
		    i + 1 < argc && takes(pc, PROTO_OPT_LINES))
			lines = parse_lines(argv[++i]);
		else if (a[0] == '-')
			die(CTL_USAGE, "unknown option %s for %s", a, cmd);
		else if (nargs == PROTO_MAX_NAMES)
			die(CTL_USAGE, "too many arguments");
		else if (!valid_arg(a))
			die(CTL_USAGE, "invalid argument \"%s\"", a);
		else
			args[nargs++] = argv[i];
	}
	if (sock == NULL) {
		char *p = paths_socket(name);
		if (p == NULL)
			die(CTL_ERROR, "out of memory");
		sock = p;
	}

	if (pc == NULL)
		die(CTL_USAGE, "unknown command \"%s\" (see --help)", cmd);
	if (!proto_args_ok(pc, nargs)) {
		char msg_usage[128];

		proto_usage(pc, msg_usage, sizeof(msg_usage));
		die(CTL_USAGE, "%s", msg_usage);
	}
	if (pc->opts & PROTO_OPT_FOLLOW && !follow && nargs > 1)
		die(CTL_USAGE, "usage: %s NAME (several names with -f)", cmd);

	len = (size_t)snprintf(req, sizeof(req), "%s", cmd);
	if (nowait)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " --no-wait");
	if (all)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " --all");
	if (follow)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " --follow");
	/* The daemon's wait is bounded by the same timeout as ours. */
	if (!nowait && (pc->opts & PROTO_OPT_TIMEOUT))
		len += (size_t)snprintf(req + len, sizeof(req) - len,
		    " --timeout=%lld", timeout);
	if (lines >= 0)
		len += (size_t)snprintf(req + len, sizeof(req) - len,
		    " --lines=%lld", lines);
	for (int i = 0; i < nargs && len < sizeof(req); i++)
		len += (size_t)snprintf(req + len, sizeof(req) - len, " %s", args[i]);
	if (len + 2 > sizeof(req))
		die(CTL_USAGE, "request too long");
	strcat(req, "\n");

	if (follow)
		return ctl_logs_follow(send_request(req), json,
		    now_ms() + timeout + SLACK_MS);
	reply = request(req, timeout + SLACK_MS);
	code = reply_code(reply, &msg, &body);
	if (code != CTL_OK) {
		fprintf(stderr, "%s: ", prog);
		fmt_text(stderr, msg, strlen(msg));
		fputc('\n', stderr);
		print_text(stderr, body);
		free(reply);
		return code;
	}
	if (pc == &proto_cmds[PCMD_STATUS]) {
		char state[32];
		int rc = CTL_OK;

		/* LSB: status NAME is 3 unless every named service is up. */
		for (char *l = body; nargs && *l; l = strchr(l, '\n') + 1) {
			field(l, "state", state, sizeof(state));
			if (strcmp(state, proto_state_name(PROTO_STATE_UP)) != 0)
				rc = CTL_NOT_RUNNING;
			if (strchr(l, '\n') == NULL)
				break;
		}
		if (json)
			print_json(body);
		else
			print_table(body);
		free(reply);
		return rc;
	}
	if (pc == &proto_cmds[PCMD_LOGS])
		ctl_logs_print(body, args[0], json);
	else
		print_text(stdout, body);
	free(reply);
	return CTL_OK;
}
