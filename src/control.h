/*
 * control.h: what control.c (the socket, its clients, their permissions and
 * deadlines), commands.c (what each command does) and follow.c (`logs`
 * and its followers) share; nothing else includes it.
 */
#ifndef GUARDIAND_CONTROL_H
#define GUARDIAND_CONTROL_H

#include "guardiand.h"
#include "proto.h"

#define REPLY_TIMEOUT_MS	10000	/* to read the whole reply */
#define MAX_GROUPS		256

struct client {
	int fd;
	uid_t uid;
	gid_t groups[MAX_GROUPS + 1];
	int ngroups;
	char in[PROTO_MAX_REQUEST];
	size_t inlen;
	struct buf out;
	size_t outoff;
	bool draining;		/* reply sent, reading to EOF before closing */
	bool readonly;		/* may not control: counted in nreadonly */
	int64_t deadline;
	/* a start/stop/restart/wait that answers once the services settle */
	enum wait_kind wait;
	char *wait_names[PROTO_MAX_NAMES];
	unsigned wait_base[PROTO_MAX_NAMES];
	int nwait;
	struct follower *follow;	/* logs --follow: follow.c's, no deadline */
	struct client *next;
};

/* One request, checked against its row: arguments and options. */
struct request {
	enum proto_cmd_id id;
	const struct proto_cmd *pc;
	char **args;
	int nargs;
	bool nowait;		/* --no-wait */
	bool all;		/* --all: every process of the service */
	bool follow;		/* --follow */
	long lines;		/* --lines=N, -1 all */
	int64_t timeout;	/* --timeout=MS */
};

/* Starts the reply ("OK ..." or "ERR CODE ..."); nothing more is read
 * from the client after this. */
void commands_reply(struct client *cl, int code, const char *fmt, ...);

/* The name of a command that has no handler, or NULL. */
const char *commands_missing(void);
/* Runs the row's handler. */
void commands_run(struct client *cl, const struct request *rq);
/* Answers a waiting client once every service it waits for has settled,
 * or when timed_out. */
void commands_check_wait(struct client *cl, bool timed_out);

/* ---- follow.c ---- */

/* Makes the client follow the services named; NULL, or why not. */
const char *follow_add(struct client *cl, const char **names, int n);
/* The remembered lines of the services, merged by time. */
void follow_put_stored(struct buf *b, struct outlog **logs,
    const char **names, int n, long lines, bool tagged);
/* A follower's socket is ready (or hung up); -1: close the client. */
int follow_io(struct client *cl, short revents);
void follow_end(struct client *cl);	/* before the client is freed */

#endif
