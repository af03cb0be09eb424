/*
 * env.c: environments as NULL-terminated lists of "KEY=VALUE" strings, where
 * a later KEY replaces an earlier one (the layers of a service's
 * environment).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* Sets KEY=VALUE in a NULL-terminated list, replacing the same KEY; the
 * string is copied. 0, or -1 out of memory. */
int
env_put(char ***envp, size_t *n, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	char *copy = strdup(kv), **ne;

	if (copy == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], kv, klen) == 0 && (*envp)[i][klen] == '=') {
			free((*envp)[i]);
			(*envp)[i] = copy;
			return 0;
		}
	}
	if ((ne = reallocarray(*envp, *n + 2, sizeof(char *))) == NULL) {
		free(copy);
		return -1;
	}
	*envp = ne;
	ne[(*n)++] = copy;
	ne[*n] = NULL;
	return 0;
}

/* Sets key=value, as env_put. */
int
env_putf(char ***envp, size_t *n, const char *key, const char *value)
{
	char *kv;
	int r;

	if (asprintf(&kv, "%s=%s", key, value) < 0)
		return -1;
	r = env_put(envp, n, kv);
	free(kv);
	return r;
}
