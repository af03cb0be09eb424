/*
 * Environment lists (env.c): a later KEY replaces an earlier one in place,
 * the order of first appearance is kept, the list stays NULL-terminated.
 */
#include <stdlib.h>

#include "guardiand.h"
#include "t.h"

static void
free_list(char **envp)
{
	for (char **e = envp; e && *e; e++)
		free(*e);
	free(envp);
}

static void
test_put_replaces_the_same_key(void)
{
	char **envp = calloc(1, sizeof(char *));
	size_t n = 0;

	CHECK(envp != NULL);
	CHECK_INT(env_put(&envp, &n, "PATH=/bin"), 0);
	CHECK_INT(env_put(&envp, &n, "PAT=x"), 0);
	CHECK_INT(env_putf(&envp, &n, "HOME", "/root"), 0);
	CHECK_INT(env_put(&envp, &n, "PATH=/usr/bin:/bin"), 0);
	CHECK_INT(env_put(&envp, &n, "EMPTY="), 0);
	CHECK_INT(env_putf(&envp, &n, "PAT", "y=z"), 0);
	CHECK_INT(n, 4);
	CHECK_STR(envp[0], "PATH=/usr/bin:/bin");
	CHECK_STR(envp[1], "PAT=y=z");
	CHECK_STR(envp[2], "HOME=/root");
	CHECK_STR(envp[3], "EMPTY=");
	CHECK(envp[4] == NULL);
	free_list(envp);
}

int
main(void)
{
	RUN(test_put_replaces_the_same_key);
	T_END();
}
