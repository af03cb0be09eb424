/*
 * The addresses of listen_stream and listen_datagram (listen.c), and the
 * keys that hold them (keys.c): each form read into the socket address it
 * names, bad ones refused with why, lines adding up, an empty value
 * emptying, the fd:N clash refused by config_svc_check.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdlib.h>

#include "guardiand.h"
#include "t.h"

static void
test_unix_forms(void)
{
	struct listen_addr la;
	const struct sockaddr_un *un = (const struct sockaddr_un *)&la.sa;
	char err[256];

	CHECK_INT(listen_parse("/run/docker.sock", &la, err, sizeof(err)), 0);
	CHECK_INT(la.family, AF_UNIX);
	CHECK(la.file);
	CHECK_STR(un->sun_path, "/run/docker.sock");
	CHECK_INT(listen_parse("@dbus", &la, err, sizeof(err)), 0);
	CHECK(!la.file);
	CHECK_INT(un->sun_path[0], 0);
	CHECK(memcmp(un->sun_path + 1, "dbus", 4) == 0);
	CHECK_INT(la.len, offsetof(struct sockaddr_un, sun_path) + 5);
}

static void
test_inet_forms(void)
{
	struct listen_addr la;
	const struct sockaddr_in *in4 = (const struct sockaddr_in *)&la.sa;
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&la.sa;
	char err[256], a[INET6_ADDRSTRLEN];

	CHECK_INT(listen_parse("2375", &la, err, sizeof(err)), 0);
	CHECK_INT(la.family, AF_INET6);
	CHECK(la.any);
	CHECK_INT(ntohs(in6->sin6_port), 2375);
	CHECK(memcmp(&in6->sin6_addr, &in6addr_any, sizeof(in6addr_any)) == 0);
	CHECK_INT(listen_parse("127.0.0.1:631", &la, err, sizeof(err)), 0);
	CHECK_INT(la.family, AF_INET);
	CHECK(!la.any);
	CHECK_INT(ntohs(in4->sin_port), 631);
	CHECK_STR(inet_ntop(AF_INET, &in4->sin_addr, a, sizeof(a)), "127.0.0.1");
	CHECK_INT(listen_parse("[::1]:53", &la, err, sizeof(err)), 0);
	CHECK_INT(la.family, AF_INET6);
	CHECK(!la.any);
	CHECK_INT(ntohs(in6->sin6_port), 53);
	CHECK_STR(inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof(a)), "::1");
}

static void
test_bad_forms(void)
{
	static const char *const bad[] = { "", "run/x.sock", "/", "@",
	    "/run/../x", "/run//x", "/run/x/", "0", "65536", "localhost:80",
	    "1.2.3.4", "1.2.3.4:", "1.2.3.4:0", "[::1]", "[::1]80", "[x]:80",
	    "::1:80", NULL };
	char err[256], longpath[200];
	struct listen_addr la;

	for (int i = 0; bad[i] != NULL; i++) {
		err[0] = '\0';
		if (listen_parse(bad[i], &la, err, sizeof(err)) != -1) {
			printf("  \"%s\" accepted\n", bad[i]);
			t_failed_here = 1;
		}
		CHECK(err[0] != '\0');
	}
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	longpath[sizeof(longpath) - 1] = '\0';
	CHECK_INT(listen_parse(longpath, &la, err, sizeof(err)), -1);
	CHECK(strstr(err, "2 to 107 characters") != NULL);
}

/* Each value adds to the list (a unit's lines one by one), an empty one
 * empties it; twice the same address is an error. */
static void
test_key_adds_and_resets(void)
{
	struct svc_conf *sc = config_svc_new("api");
	char err[256];

	CHECK_INT(config_svc_set(sc, "listen_stream", "/run/a.sock 80", err,
	    sizeof(err)), 0);
	CHECK_INT(config_svc_set(sc, "listen_stream", "[::1]:81", err,
	    sizeof(err)), 0);
	CHECK_INT(config_nwords(sc->listen_stream), 3);
	CHECK_STR(sc->listen_stream[2], "[::1]:81");
	CHECK_INT(config_svc_set(sc, "listen_stream", "80", err, sizeof(err)),
	    -1);
	CHECK_STR(err, "listen_stream: \"80\" is named twice");
	CHECK_INT(config_nwords(sc->listen_stream), 3);
	CHECK_INT(config_svc_set(sc, "listen_stream", "x", err, sizeof(err)),
	    -1);
	CHECK(strncmp(err, "invalid listen_stream \"x\" is not an address",
	    40) == 0);
	CHECK_INT(config_svc_set(sc, "listen_stream", "", err, sizeof(err)), 0);
	CHECK(sc->listen_stream == NULL);
	CHECK_INT(sc->socket_mode, 0666);
	CHECK_INT(sc->socket_backlog, SOMAXCONN);
	config_svc_free(sc);
}

static void
test_ready_fd_clash(void)
{
	struct svc_conf *sc = config_svc_new("api");
	char err[256];

	CHECK_INT(config_svc_set(sc, "command", "/bin/true", err, sizeof(err)),
	    0);
	CHECK_INT(config_svc_set(sc, "listen_stream", "/run/a.sock", err,
	    sizeof(err)), 0);
	CHECK_INT(config_svc_set(sc, "listen_datagram", "53", err,
	    sizeof(err)), 0);
	CHECK_INT(config_svc_set(sc, "ready", "fd:5", err, sizeof(err)), 0);
	CHECK_INT(config_svc_check(sc, err, sizeof(err)), 0);
	CHECK_INT(config_svc_set(sc, "ready", "fd:4", err, sizeof(err)), 0);
	CHECK_INT(config_svc_check(sc, err, sizeof(err)), -1);
	CHECK_STR(err, "service \"api\": ready = fd:4 is one of the "
	    "descriptors of its listen_stream/listen_datagram sockets (3 to 4)");
	config_svc_free(sc);
}

int
main(void)
{
	RUN(test_unix_forms);
	RUN(test_inet_forms);
	RUN(test_bad_forms);
	RUN(test_key_adds_and_resets);
	RUN(test_ready_fd_clash);
	T_END();
}
