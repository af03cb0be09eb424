/*
 * The state file (state.c) writes what it was handed (state_record) and
 * nothing else: the groups, in order, one "NAME PGID STARTTIME" line each,
 * replaced as a whole at each flush after a change.
 */
#include <stdlib.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

static char dir[] = "/tmp/guardiand-test-state.XXXXXX";

/* The file's contents, or NULL if there is none. */
static char *
slurp(const char *file)
{
	static char buf[4096];
	FILE *f = fopen(file, "r");
	size_t n;

	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static void
test_records_what_it_is_handed(void)
{
	char pidfile[128], statefile[128];
	struct state_group g[2] = {
		{ "api", 4242, 123456789012ULL },
		{ "web", 77, 0 },
	};

	snprintf(pidfile, sizeof(pidfile), "%s/guardiand.pid", dir);
	snprintf(statefile, sizeof(statefile), "%s/guardiand.state", dir);
	state_init(pidfile);
	state_flush();
	CHECK(slurp(statefile) == NULL);	/* nothing handed over yet */
	state_record(g, 2);
	CHECK(slurp(statefile) == NULL);	/* written at the flush */
	state_flush();
	CHECK_STR(slurp(statefile), "api 4242 123456789012\nweb 77 0\n");
	state_record(g + 1, 1);
	state_flush();
	CHECK_STR(slurp(statefile), "web 77 0\n");
	state_record(g, 0);
	state_flush();
	CHECK_STR(slurp(statefile), "");
	state_remove();
	CHECK(slurp(statefile) == NULL);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_records_what_it_is_handed);
	rmdir(dir);
	T_END();
}
