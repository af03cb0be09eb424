/*
 * fuzz_control.c: libFuzzer target for the control protocol.
 *
 * Each input is what one client sends on a connection before EOF; it goes
 * through control_fuzz_request() (src/control.c, built with
 * -DGUARDIAND_FUZZ): the same newline/NUL/length checks as client_io(),
 * then handle() with its option parsing and every command, as root. No
 * service is configured, so the commands that name one answer "no such
 * service"; status, list, reopen and reload answer in full.
 *
 * The binary links the daemon's objects except main.c, and hands
 * control.c the real reload (reload.c's reload_run) as main.c does, on a
 * config of its own in a private temporary directory: a [guardiand]
 * section and no service, so that a reload reads, checks and applies it
 * without forking. No stub stands in for anything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <libdaemon/dlog.h>

#include "guardiand.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[] = "/tmp/fuzz_control.XXXXXX";
static char conf[sizeof(dir) + 32];

static void
remove_conf(void)
{
	unlink(conf);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(true, false);
	daemon_log_use = 0;	/* log_* go nowhere: neither syslog nor stderr */
	loop_init();
	if (mkdtemp(dir) == NULL) {
		perror("fuzz_control: mkdtemp");
		exit(1);
	}
	snprintf(conf, sizeof(conf), "%s/guardiand.conf", dir);
	FILE *f = fopen(conf, "w");
	if (f == NULL || fputs("[guardiand]\n", f) == EOF || fclose(f) != 0) {
		perror(conf);
		exit(1);
	}
	atexit(remove_conf);
	reload_setup(conf, false);
	control_set_reload(reload_run);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	control_fuzz_request((const char *)data, size);
	return 0;
}
