/*
 * listen.c: the addresses of listen_stream = and listen_datagram =
 * (systemd.socket(5)'s ListenStream= and ListenDatagram=), read into a
 * socket address: an absolute path (AF_UNIX), @name (abstract), PORT
 * ([::]:PORT, dual-stack), ADDR:PORT (IPv4) or [V6ADDR]:PORT. Pure, so that
 * the config check and the daemon that binds agree.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guardiand.h"

/* A port number, 1 to 65535, all digits. */
static int
parse_port(const char *s, in_port_t *out)
{
	unsigned long long n;

	if (config_parse_uint(s, 1, 65535, &n) < 0)
		return -1;
	*out = htons((in_port_t)n);
	return 0;
}

/*
 * Reads one address as listen_stream = or listen_datagram = take it. 0 with
 * the address in *la, or -1 with why in err (without the key's name).
 */
int
listen_parse(const char *s, struct listen_addr *la, char *err, size_t errlen)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&la->sa;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&la->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&la->sa;
	const char *colon;
	char host[INET6_ADDRSTRLEN + 2];
	size_t n = strlen(s);

	memset(la, 0, sizeof(*la));
	if (s[0] == '/' || s[0] == '@') {
		/* the kernel's limit; a path needs its NUL too */
		if (n < 2 || n > sizeof(un->sun_path) - (s[0] == '/')) {
			fmt_err(err, errlen, "\"%s\": a socket path is 2 to %zu "
			    "characters", s, sizeof(un->sun_path) - 1);
			return -1;
		}
		if (s[0] == '/' && (strstr(s, "/../") || strstr(s, "/./") ||
		    strstr(s, "//") || s[n - 1] == '/')) {
			fmt_err(err, errlen, "\"%s\": not a plain absolute path", s);
			return -1;
		}
		un->sun_family = AF_UNIX;
		memcpy(un->sun_path, s, n);
		if (s[0] == '@') {	/* abstract: a NUL first, no NUL after */
			un->sun_path[0] = '\0';
			la->len = (socklen_t)(offsetof(struct sockaddr_un,
			    sun_path) + n);
		} else {
			la->len = (socklen_t)sizeof(*un);
			la->file = true;
		}
		la->family = AF_UNIX;
		return 0;
	}
	if (s[0] >= '0' && s[0] <= '9' && strchr(s, ':') == NULL &&
	    strchr(s, '.') == NULL) {
		if (parse_port(s, &in6->sin6_port) < 0)
			goto bad_port;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		la->family = AF_INET6;
		la->len = sizeof(*in6);
		la->any = true;		/* IPv4 0.0.0.0:PORT without IPv6 */
		return 0;
	}
	if (s[0] == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >=
		    sizeof(host))
			goto bad;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		if (inet_pton(AF_INET6, host, &in6->sin6_addr) != 1)
			goto bad;
		if (parse_port(end + 2, &in6->sin6_port) < 0)
			goto bad_port;
		in6->sin6_family = AF_INET6;
		la->family = AF_INET6;
		la->len = sizeof(*in6);
		return 0;
	}
	if ((colon = strrchr(s, ':')) == NULL || (size_t)(colon - s) >=
	    sizeof(host))
		goto bad;
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (inet_pton(AF_INET, host, &in4->sin_addr) != 1)
		goto bad;
	if (parse_port(colon + 1, &in4->sin_port) < 0)
		goto bad_port;
	in4->sin_family = AF_INET;
	la->family = AF_INET;
	la->len = sizeof(*in4);
	return 0;
bad_port:
	fmt_err(err, errlen, "\"%s\": the port is 1 to 65535", s);
	return -1;
bad:
	fmt_err(err, errlen, "\"%s\" is not an address (/path, @name, PORT, "
	    "IPV4:PORT or [IPV6]:PORT)", s);
	return -1;
}
