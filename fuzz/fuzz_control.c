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
 * The binary links the daemon's objects except main.c, so the one thing
 * main.c provides to them, guardiand_reload(), is a stub here.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <libdaemon/dlog.h>

#include "guardiand.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Stands in for main.c's: alternately fails with one error line and
 * succeeds, so both of cmd_reload()'s answers are covered; never forks. */
int
guardiand_reload(config_err_fn err, void *arg, char *summary, size_t len)
{
	static unsigned calls;

	if (calls++ % 2 == 0) {
		err(arg, "fuzz.conf:1: reload is a stub in the fuzzer");
		snprintf(summary, len, "configuration has errors, keeping the "
		    "running one");
		return -1;
	}
	snprintf(summary, len, "0 added, 0 removed, 0 changed, 0 unchanged");
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init(true, false);
	daemon_log_use = 0;	/* log_* go nowhere: neither syslog nor stderr */
	loop_init();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	control_fuzz_request((const char *)data, size);
	return 0;
}
