/*
 * proto.h: the control protocol, shared by guardiand and guardianctl.
 *
 * One request per connection, so it works with socat:
 *
 *     echo status | socat - UNIX-CONNECT:/run/guardiand/control.sock
 *
 * The client sends one line of words separated by blanks: a command, its
 * options (words starting with "--"), then its arguments. The daemon answers
 * with a first line "OK" or "ERR CODE message", where CODE is the exit code
 * guardianctl should use, then body lines, and closes the connection.
 * Bytes that would break a line into words or lines are %XX-escaped in the
 * body; anything else is passed as it is, and escaping it for a terminal
 * is the client's task. A client that may not control (a status_group
 * member) is answered "ERR 1 busy: ..." at once, and disconnected, when
 * the daemon serves as many such clients as it will (control.c).
 *
 * Commands:
 *     status [NAME...]            one line per service, "key=value" words
 *     list                        service names, one per line
 *     start|stop|restart [--no-wait] [--timeout=MS] NAME...
 *                                 without --no-wait, answers once each named
 *                                 service is up (or failed) / down
 *     signal NAME SIG             to the service's main process
 *     wait [--timeout=MS] NAME    answers once NAME is up
 *     logs [--lines=N] NAME       the remembered output lines
 *     reload                      re-reads the config; body: what changed or the errors
 *     reopen [NAME...]            reopens file outputs (after logrotate moved them)
 *
 * Status keys: name state want pid uptime_ms starts restarts fails
 * last_exit (none | exited:N | signal:NAME | exec-failed:ERRNO-TEXT-WITHOUT-BLANKS)
 * last_exit_ago_ms next_start_ms (in backoff) cmd (the command, %-escaped).
 */
#ifndef GUARDIAND_PROTO_H
#define GUARDIAND_PROTO_H

#define PROTO_MAX_REQUEST	4096	/* bytes, newline included */
#define PROTO_DEFAULT_TIMEOUT_MS 60000

/* guardianctl exit codes, used as CODE in "ERR CODE message". */
enum {
	CTL_OK = 0,
	CTL_ERROR = 1,		/* the daemon answered with an error */
	CTL_USAGE = 2,
	CTL_NOT_RUNNING = 3,	/* daemon, or the named service, not running */
	CTL_NO_SUCH = 4,	/* no such service */
};

#endif
