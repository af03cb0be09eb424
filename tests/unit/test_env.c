/*
 * Environment lists (env.c): a later KEY replaces an earlier one in place,
 * the order of first appearance is kept, the list stays NULL-terminated;
 * environment files read as systemd's EnvironmentFile= reads them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

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

/* Reads text as an environment file: the list, or NULL with err. */
static char **
read_text(const char *text, char *err, size_t errlen)
{
	char path[] = "/tmp/test_env.XXXXXX";
	int fd = mkstemp(path);
	char **env;

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text)) {
		perror("test_env");
		exit(2);
	}
	close(fd);
	env = config_read_env_file(path, err, errlen);
	unlink(path);
	return env;
}

/* systemd's rules, a superset of one sh word a line (env-file.c). */
static void
test_file_as_systemd_reads_it(void)
{
	char err[256], **env;

	env = read_text("# comment\n; comment too\n\n"
	    "A=plain\nB=\"double quoted\" and 'single'  \n"
	    "export C='it''s'\n  D = spaced key\nE=a\\ b\\$c\n"
	    "F=\"q\\\"x\\n\"\nG=\nA=again\nH=trailing\\ \n",
	    err, sizeof(err));
	CHECK(env != NULL);
	if (env == NULL) {
		printf("  %s\n", err);
		return;
	}
	CHECK_STR(env[0], "A=again");	/* a later one wins, in place */
	CHECK_STR(env[1], "B=double quoted and single");
	CHECK_STR(env[2], "C=its");
	CHECK_STR(env[3], "D=spaced key");
	CHECK_STR(env[4], "E=a b$c");
	CHECK_STR(env[5], "F=q\"x\\n");
	CHECK_STR(env[6], "G=");
	CHECK_STR(env[7], "H=trailing ");
	CHECK(env[8] == NULL);
	free_list(env);

	CHECK(read_text("A=\"open\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, ":1: unterminated quote") != NULL);
	CHECK(read_text("OK=1\nnot an assignment\n", err, sizeof(err)) == NULL);
	CHECK(strstr(err, ":2: expected KEY=VALUE") != NULL);
	CHECK(read_text("1X=2\n", err, sizeof(err)) == NULL);
	/* nothing endless, nothing that blocks */
	CHECK(config_read_env_file("/dev/zero", err, sizeof(err)) == NULL);
	CHECK_STR(err, "/dev/zero: not a regular file");
}

int
main(void)
{
	RUN(test_put_replaces_the_same_key);
	RUN(test_file_as_systemd_reads_it);
	T_END();
}
