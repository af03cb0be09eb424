/*
 * forward.c: carries what a service prints from its pipes to where its
 * config sends it (syslog, a file, nowhere), to its ring of recent
 * lines, and to whoever follows it (follow.c). A forwarder lives until
 * EOF, which may come long after the process it was made for was reaped
 * (a grandchild holds the pipe), so it copies what it needs from the
 * service and only points back while the service still wants it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "guardiand.h"

#define READ_CHUNK	65536
#define DRAIN_CHUNKS	4	/* at an exit, read this much even if syslog is full */

struct fwd {
	struct fwd *next;	/* every open forwarder, for reopen and resume */
	struct fwd **owner;	/* &sv->fwd[i] while the service points here */
	int fd;
	pid_t pid;
	int stream;		/* 1 stdout, 2 stderr */
	char *name, *tag;
	int facility;
	struct out_conf out;	/* file is our own copy */
	int file_fd;		/* OUT_FILE */
	bool paused;		/* not read while syslog is backed up */
	int64_t chunk_ms;	/* when the chunk being split was read */
	struct linebuf lb;
	struct outlog *log;
	unsigned follow_gen;	/* follow_line's cache: whether anyone */
	bool followed;		/* follows this service */
};

static struct fwd *fwds;
static bool any_paused;

/* What one read's lines bring to a file: written at once, one write per
 * chunk read rather than one per line. */
static char batch[READ_CHUNK];
static size_t batch_len;
static struct fwd *batch_fwd;

static void
batch_flush(void)
{
	struct fwd *f = batch_fwd;
	size_t done = 0;

	/* A short write (a full disk, a pipe or terminal named as the file)
	 * goes on with the rest; an error is said and the rest dropped. */
	while (f && f->file_fd >= 0 && done < batch_len) {
		ssize_t n = write(f->file_fd, batch + done, batch_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("%s: writing %s", f->name, f->out.file);
			break;
		}
		done += (size_t)n;
	}
	batch_len = 0;
	batch_fwd = NULL;
}

/* One line for f's file, with its newline. */
static void
batch_line(struct fwd *f, const char *text, size_t len)
{
	if (batch_fwd != f || batch_len + len + 1 > sizeof(batch))
		batch_flush();
	if (len + 1 > sizeof(batch)) {
		static char nl[] = "\n";
		struct iovec iov[2] = {
			{ (void *)(uintptr_t)text, len }, { nl, 1 }
		};

		if (f->file_fd >= 0 && writev(f->file_fd, iov, 2) < 0)
			log_warn("%s: writing %s", f->name, f->out.file);
		return;
	}
	batch_fwd = f;
	memcpy(batch + batch_len, text, len);
	batch[batch_len + len] = '\n';
	batch_len += len + 1;
}

static int
open_file(struct fwd *f)
{
	int fd = open(f->out.file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NOCTTY, 0640);

	if (fd < 0)
		log_warn("%s: cannot open %s", f->name, f->out.file);
	return fd;
}

/* One line: remembered, then sent where the config says. */
static void
line(void *arg, const char *text, size_t len)
{
	struct fwd *f = arg;

	outlog_add(f->log, f->chunk_ms, f->pid, f->stream, text, len);
	if (follow_active)
		follow_line(f->name, &f->follow_gen, &f->followed, f->pid,
		    f->stream, text, len);
	switch (f->out.dest) {
	case OUT_NULL:
		break;
	case OUT_SYSLOG:
		/* The syslog writer is open only when detached. */
		if (!slog_active())
			log_output(f->name, f->pid, f->stream, text, len);
		else
			slog_send(f->facility, f->out.priority, f->tag, f->pid,
			    text, len);
		break;
	case OUT_FILE:
		if (f->file_fd >= 0)
			batch_line(f, text, len);
		break;
	}
}

static void
fwd_free(struct fwd *f)
{
	struct fwd **pp;

	for (pp = &fwds; *pp && *pp != f; pp = &(*pp)->next)
		;
	if (*pp)
		*pp = f->next;
	if (f->owner)
		*f->owner = NULL;
	loop_del(f->fd);
	close(f->fd);
	if (f->file_fd >= 0)
		close(f->file_fd);
	linebuf_free(&f->lb);
	outlog_unref(f->log);
	free(f->out.file);
	free(f->name);
	free(f->tag);
	free(f);
}

/* Reads one chunk; at EOF passes on the last partial line and goes.
 * Unless forced, waits instead while syslog is backed up. Returns false
 * once nothing more can be read now (paused, empty, or gone). */
static bool
read_chunk(struct fwd *f, bool force)
{
	static char buf[READ_CHUNK];
	ssize_t n;

	if (f->out.dest == OUT_SYSLOG && slog_blocked() && !force) {
		/* Let the pipe fill and the service wait for syslog. */
		f->paused = any_paused = true;
		loop_events(f->fd, 0);
		return false;
	}
	n = read(f->fd, buf, sizeof(buf));
	f->chunk_ms = wall_ms();
	if (n > 0) {
		output_feed(&f->lb, buf, (size_t)n, line, f);
		batch_flush();
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	output_flush(&f->lb, line, f);
	batch_flush();
	fwd_free(f);
	return false;
}

static void
readable(int fd, short revents, void *arg)
{
	(void)fd;
	(void)revents;
	read_chunk(arg, false);
}

struct fwd *
fwd_start(struct service *sv, pid_t pid, int stream, int fd)
{
	const struct svc_conf *sc = sv->conf;
	struct fwd *f = calloc(1, sizeof(*f));

	if (f == NULL)
		goto fail;
	f->fd = fd;
	f->file_fd = -1;
	f->pid = pid;
	f->stream = stream;
	f->facility = sc->syslog_facility;
	f->out = sc->out[stream - 1];
	f->out.file = NULL;
	f->name = strdup(sc->name);
	f->tag = strdup(sc->syslog_tag ? sc->syslog_tag : sc->name);
	if (f->name == NULL || f->tag == NULL)
		goto fail;
	linebuf_init(&f->lb, sc->line_max);
	if (f->out.dest == OUT_FILE) {
		if ((f->out.file = strdup(sc->out[stream - 1].file)) == NULL)
			goto fail;
		f->file_fd = open_file(f);
	}
	if (loop_add(fd, POLLIN, readable, f) < 0)
		goto fail;
	f->log = outlog_ref(sv->log);
	f->owner = &sv->fwd[stream - 1];
	*f->owner = f;
	f->next = fwds;
	fwds = f;
	return f;
fail:
	log_warnx("%s: out of memory, output of pid %ld not forwarded",
	    sc->name, (long)pid);
	if (f) {
		linebuf_free(&f->lb);
		free(f->out.file);
		free(f->name);
		free(f->tag);
		if (f->file_fd >= 0)
			close(f->file_fd);
		free(f);
	}
	close(fd);
	return NULL;
}

void
fwd_forget(struct fwd *f)
{
	if (f && f->owner) {
		*f->owner = NULL;
		f->owner = NULL;
	}
}

/* Reads what the pipe holds right now (the process has exited, and its
 * last words should be logged before its exit is), even while syslog is
 * backed up: a pipe holds little (DRAIN_CHUNKS reads at most), and the
 * exit event waits in the same queue anyway. */
void
fwd_drain(struct fwd *f)
{
	for (int i = 0; f && i < DRAIN_CHUNKS && read_chunk(f, true); i++)
		;
}

/* Reopens file outputs (logrotate moved them): NULL for all services. */
int
fwd_reopen(const char *name)
{
	int n = 0;

	for (struct fwd *f = fwds; f; f = f->next) {
		if (f->out.dest != OUT_FILE || (name && strcmp(name, f->name)))
			continue;
		if (f->file_fd >= 0)
			close(f->file_fd);
		f->file_fd = open_file(f);
		n++;
	}
	return n;
}

/* After each turn of the loop: resume reading once syslog has drained. */
void
fwd_tick(void)
{
	if (!any_paused || slog_blocked())
		return;
	any_paused = false;
	for (struct fwd *f = fwds; f; f = f->next) {
		if (f->paused) {
			f->paused = false;
			loop_events(f->fd, POLLIN);
		}
	}
}

/* At exit: stops forwarding what grandchildren may still write. */
void
fwd_close_all(void)
{
	while (fwds) {
		fwds->chunk_ms = wall_ms();
		output_flush(&fwds->lb, line, fwds);
		batch_flush();
		fwd_free(fwds);
	}
}
