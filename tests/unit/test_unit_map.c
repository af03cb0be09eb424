/*
 * test_unit_map: systemd units mapped onto services (unit_map.c and its
 * files): the real Debian 12 units of tests/unit/units/ as guardiand keys,
 * a section's keys winning, $VAR and specifiers, links between units,
 * units = enabled, and the errors, with file and line.
 */
#include <sys/stat.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../src/guardiand.h"
#include "t.h"

static char t_dir[64], t_units[128], t_fixtures[PATH_MAX];
static char t_msgs[16384];

static void
collect(void *arg, const char *msg)
{
	size_t len = strlen(t_msgs);

	(void)arg;
	snprintf(t_msgs + len, sizeof(t_msgs) - len, "%s\n", msg);
}

static void
put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(2);
	}
	fputs(text, fp);
	fclose(fp);
}

/* Loads text as the config, the units of dir (NULL: the fixtures). */
static struct conf *
load(const char *text, const char *dir)
{
	char path[PATH_MAX];

	setenv("SYSTEMD_UNIT_PATH", dir ? dir : t_fixtures, 1);
	snprintf(path, sizeof(path), "%s/main.conf", t_dir);
	put(path, text);
	t_msgs[0] = '\0';
	return config_load(path, collect, NULL);
}

static struct svc_conf *
load_one(struct conf **c, const char *text, const char *dir)
{
	*c = load(text, dir);
	if (*c == NULL) {
		printf("  config_load failed:\n%s", t_msgs);
		t_failed_here = 1;
		return NULL;
	}
	return (*c)->services;
}

/* The words of argv, blank-separated, for comparisons. */
static const char *
joined(char **argv)
{
	static char buf[4096];

	buf[0] = '\0';
	for (char **a = argv; a && *a; a++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
		    a == argv ? "" : " ", *a);
	return buf;
}

static bool
env_has(char **env, const char *kv)
{
	for (char **e = env; e && *e; e++)
		if (strcmp(*e, kv) == 0)
			return true;
	return false;
}

static void
test_redis_as_debian_ships_it(void)
{
	struct conf *c;
	struct svc_conf *sc = load_one(&c, "[service redis]\n"
	    "unit = redis-server\n", NULL);

	if (sc == NULL)
		return;
	CHECK_STR(sc->unit, "redis-server");
	CHECK_STR(joined(sc->argv), "/usr/bin/redis-server /etc/redis/redis.conf "
	    "--supervised systemd --daemonize no");
	CHECK_STR(sc->user, "redis");
	CHECK_STR(sc->group, "redis");
	CHECK_INT(sc->type, TYPE_SIMPLE);
	CHECK_INT(sc->ready.kind, PROBE_NOTIFY);
	CHECK_STR(joined(sc->runtime_dirs), "redis");
	CHECK_INT(sc->runtime_dir_mode, 02755);
	CHECK_INT(sc->umask, 007);
	CHECK(sc->limits[LIM_NOFILE].set);
	CHECK_INT(sc->limits[LIM_NOFILE].soft, 65535);
	CHECK_INT(sc->stop_timeout_ms, 24LL * 3600 * 1000);	/* 0: none */
	CHECK_INT(sc->restart, RESTART_ALWAYS);
	CHECK(sc->no_new_privileges);
	CHECK(sc->pidfile == NULL);	/* notify: the pid is known */
	config_free(c);
}

/* $VAR split into words, ${VAR} one word, from Environment=; two
 * ExecReload lines under sh, $MAINPID expanded when it runs. */
static void
test_haproxy_variables_and_reload(void)
{
	struct conf *c;
	struct svc_conf *sc = load_one(&c, "[service haproxy]\n"
	    "unit = haproxy.service\n", NULL);

	if (sc == NULL)
		return;
	CHECK_STR(joined(sc->argv), "/usr/sbin/haproxy -Ws -f "
	    "/etc/haproxy/haproxy.cfg -p /run/haproxy.pid -S "
	    "/run/haproxy-master.sock");
	CHECK_STR(sc->reload_command, "/bin/sh -c '/usr/sbin/haproxy -Ws -f "
	    "/etc/haproxy/haproxy.cfg -c -q -S /run/haproxy-master.sock && "
	    "/bin/kill -USR2 \"$MAINPID\"'");
	CHECK(env_has(sc->env, "CONFIG=/etc/haproxy/haproxy.cfg"));
	CHECK(env_has(sc->env, "EXTRAOPTS=-S /run/haproxy-master.sock"));
	CHECK_STR(joined(sc->env_files), "-/etc/default/haproxy "
	    "-/etc/sysconfig/haproxy");
	CHECK(sc->success_status.codes[143 / 32] & (1u << (143 % 32)));
	CHECK_INT(sc->ready.kind, PROBE_NOTIFY);
	config_free(c);
}

static void
test_nginx_forking_and_a_section_key_wins(void)
{
	struct conf *c;
	struct svc_conf *sc = load_one(&c, "[service web]\n"
	    "unit = nginx.service\nstop_timeout = 3s\n", NULL);

	if (sc == NULL)
		return;
	CHECK_INT(sc->type, TYPE_FORKING);
	CHECK_STR(sc->pidfile, "/run/nginx.pid");
	CHECK_STR(sc->reload_command, "/usr/sbin/nginx -g 'daemon on; "
	    "master_process on;' -s reload");
	CHECK_INT(sc->stop_timeout_ms, 3000);	/* TimeoutStopSec=5 lost */
	CHECK_INT(sc->restart, RESTART_ON_FAILURE);	/* no Restart= */
	CHECK_INT(sc->start_pre.n, 1);
	if (sc->start_pre.n == 1)
		CHECK_STR(joined(sc->start_pre.v[0].argv), "/usr/sbin/nginx -t -q "
		    "-g daemon on; master_process on;");
	CHECK_INT(sc->stop_cmds.n, 1);
	if (sc->stop_cmds.n == 1) {
		CHECK(sc->stop_cmds.v[0].flags & CMD_IGNORE);	/* "-" */
		CHECK_STR(joined(sc->stop_cmds.v[0].argv), "/sbin/start-stop-daemon "
		    "--quiet --stop --retry QUIT/5 --pidfile /run/nginx.pid");
	}
	CHECK_INT(sc->kill_mode, KILL_MIXED);
	config_free(c);
}

/* kill -HUP $MAINPID, the commonest ExecReload, is reload_signal. */
static void
test_ssh_two_reload_lines_and_rsyslog_signal(void)
{
	struct conf *c;
	struct svc_conf *sc = load_one(&c, "[service ssh]\nunit = ssh\n"
	    "[service rsyslog]\nunit = rsyslog\n", NULL);

	if (sc == NULL)
		return;
	CHECK_STR(sc->reload_command, "/bin/sh -c '/usr/sbin/sshd -t && "
	    "/bin/kill -HUP \"$MAINPID\"'");
	CHECK_STR(joined(sc->argv), "/usr/sbin/sshd -D");	/* $SSHD_OPTS: "" */
	CHECK(sc->restart_prevent.codes[255 / 32] & (1u << (255 % 32)));
	CHECK_INT(sc->restart, RESTART_ON_FAILURE);
	CHECK_INT(sc->kill_mode, KILL_PROCESS);	/* sessions outlive sshd */
	CHECK_STR(joined(sc->conds[COND_PATH_EXISTS]),
	    "!/etc/ssh/sshd_not_to_be_run");
	CHECK(sc->next != NULL && sc->next->reload_signal == 0);
	config_free(c);
}

static void
test_template_instance(void)
{
	struct conf *c;
	struct svc_conf *sc = load_one(&c, "[service sync]\n"
	    "unit = syncthing@alice.service\n", NULL);

	if (sc == NULL)
		return;
	CHECK_STR(sc->user, "alice");
	CHECK_INT(sc->backoff_initial_ms, 1000);
	CHECK_INT(sc->give_up_after, 4);	/* StartLimitBurst=4 */
	CHECK_INT(sc->restart, RESTART_ON_FAILURE);
	config_free(c);
}

/* A unit of our own: the rest of the table. */
static void
test_own_unit_values(void)
{
	char path[PATH_MAX];
	struct conf *c;
	struct svc_conf *sc;

	snprintf(path, sizeof(path), "%s/demo@.service", t_units);
	put(path, "[Unit]\nDescription=demo %i\nFooBar=1\n[Service]\n"
	    "Environment=\"GREETING=hello world\" NAME=%i\n"
	    "Environment=OPTS=--a\\x20b\n"
	    "ExecStart=/bin/echo $OPTS ${GREETING} $GREETING %I '$NAME'\n"
	    "ExecReload=/bin/kill -s USR1 $MAINPID\n"
	    "TimeoutSec=1min 30s\nRestartSec=250ms\nKillSignal=SIGINT\n"
	    "StandardOutput=null\nStandardError=append:/var/log/d.log\n"
	    "SyslogIdentifier=dd\nWorkingDirectory=-/nonexistent\n"
	    "Restart=on-abnormal\nNice=5\nLimitCORE=infinity\n"
	    "ProtectSystem=full\nPrivateTmp=yes\n");
	sc = load_one(&c, "[service d]\nunit = demo@x-y\n", t_units);
	if (sc == NULL)
		return;
	CHECK_STR(joined(sc->argv), "/bin/echo --a b hello world hello world "
	    "x/y x-y");
	CHECK(env_has(sc->env, "NAME=x-y"));
	CHECK_INT(sc->reload_signal, SIGUSR1);
	CHECK_INT(sc->ready_timeout_ms, 90000);
	CHECK_INT(sc->stop_timeout_ms, 90000);
	CHECK_INT(sc->backoff_initial_ms, 250);
	CHECK_INT(sc->stop_signal, SIGINT);
	CHECK_INT(sc->out[0].dest, OUT_NULL);
	CHECK_INT(sc->out[1].dest, OUT_FILE);
	CHECK_STR(sc->out[1].file, "/var/log/d.log");
	CHECK_STR(sc->syslog_tag, "dd");
	CHECK(sc->directory == NULL);	/* "-": missing, "/" */
	/* on-abnormal: after a signal, a timeout, never an exit code */
	CHECK_INT(sc->restart, RESTART_ON_FAILURE);
	CHECK((sc->restart_prevent.codes[0] & 1u) == 0);
	CHECK(sc->restart_prevent.codes[0] & 2u);
	CHECK(sc->restart_prevent.codes[7] & (1u << 31));
	CHECK(sc->restart_prevent.sigs == 0);
	CHECK(sc->nice_set && sc->nice == 5);
	CHECK(sc->limits[LIM_CORE].soft == UINT64_MAX);
	config_free(c);
}

/* Restart=on-success: always, but neither after an exit code but 0 nor
 * after an unclean signal; the unit's own RestartPreventExitStatus= too.
 * StartLimitIntervalSec=0: never give up. */
static void
test_restart_on_success(void)
{
	char path[PATH_MAX];
	struct conf *c;
	struct svc_conf *sc;

	snprintf(path, sizeof(path), "%s/succ.service", t_units);
	put(path, "[Unit]\nStartLimitIntervalSec=0\nStartLimitBurst=7\n"
	    "[Service]\n"
	    "ExecStart=/bin/true\nRestart=on-success\n"
	    "RestartPreventExitStatus=SIGTERM\n");
	sc = load_one(&c, "[service s]\nunit = succ\ngive_up_after = 3\n",
	    t_units);
	if (sc == NULL)
		return;
	CHECK_INT(sc->restart, RESTART_ALWAYS);
	CHECK(sc->restart_prevent.codes[0] & 2u);
	CHECK(sc->restart_prevent.sigs & (1ULL << (SIGKILL - 1)));
	CHECK(sc->restart_prevent.sigs & (1ULL << (SIGSEGV - 1)));
	CHECK(sc->restart_prevent.sigs & (1ULL << (SIGTERM - 1)));	/* its own */
	CHECK((sc->restart_prevent.sigs & (1ULL << (SIGHUP - 1))) == 0);
	CHECK_INT(sc->give_up_after, 3);	/* the section's wins */
	config_free(c);
	sc = load_one(&c, "[service s]\nunit = succ\n", t_units);
	CHECK(sc != NULL && sc->give_up_after == 0);	/* not 7: no limit */
	config_free(c);
}

/* Refused, missing, masked, bad: errors at the unit = line, with the
 * unit's own file and line where there is one. */
static void
test_errors(void)
{
	char path[PATH_MAX], want[PATH_MAX * 2];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/dyn.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\nDynamicUser=yes\n");
	c = load("[service a]\ncommand = /bin/true\n[service d]\nunit = dyn\n",
	    t_units);
	CHECK(c == NULL);
	snprintf(want, sizeof(want), "%s/main.conf:4: %s:3: DynamicUser=yes: "
	    "a user made up at each start is systemd's alone; give the service "
	    "a User=\n", t_dir, path);
	CHECK_STR(t_msgs, want);

	c = load("[service n]\nunit = nope.service\n", t_units);
	CHECK(c == NULL);
	CHECK(strstr(t_msgs, "main.conf:2: unit nope.service: ") != NULL);

	snprintf(path, sizeof(path), "%s/t.timer", t_units);
	put(path, "[Timer]\nOnCalendar=daily\n");
	c = load("[service n]\nunit = t.timer\n", t_units);
	CHECK(c == NULL);
	CHECK(strstr(t_msgs, "main.conf:2: unit t.timer: only .service units "
	    "are run") != NULL);

	snprintf(path, sizeof(path), "%s/noexec.service", t_units);
	put(path, "[Unit]\nDescription=x\n");
	c = load("[service n]\nunit = noexec\n", t_units);
	CHECK(c == NULL);
	CHECK(strstr(t_msgs, "main.conf:2: ") != NULL &&
	    strstr(t_msgs, "noexec.service: no ExecStart=") != NULL);

	snprintf(path, sizeof(path), "%s/nr.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\nType=notify-reload\n");
	c = load("[service n]\nunit = nr\n", t_units);
	CHECK(c == NULL);
	CHECK(strstr(t_msgs, "nr.service:3: Type=notify-reload: ") != NULL);
}

/* After=, Before=, Requires= between the services guardiand runs;
 * targets and units not run count as there. */
static void
test_links(void)
{
	char path[PATH_MAX];
	struct conf *c;
	struct svc_conf *a, *b, *h;

	snprintf(path, sizeof(path), "%s/la.service", t_units);
	put(path, "[Unit]\nBefore=lb.service\nAfter=network.target "
	    "other.service\n[Service]\nExecStart=/bin/true\n");
	snprintf(path, sizeof(path), "%s/lb.service", t_units);
	put(path, "[Unit]\nRequires=la.service hand.service\n"
	    "PartOf=la.service other.service\n"
	    "[Service]\nExecStart=/bin/true\n");
	c = load("[service hand]\ncommand = /bin/true\n"
	    "[service a]\nunit = la\n[service b]\nunit = lb\n", t_units);
	CHECK(c != NULL);
	if (c == NULL) {
		printf("%s", t_msgs);
		return;
	}
	h = config_find(c, "hand");
	a = config_find(c, "a");
	b = config_find(c, "b");
	CHECK(h != NULL && a != NULL && b != NULL);
	if (a && b && h) {
		CHECK(a->after == NULL || a->after[0] == NULL);
		CHECK_STR(joined(b->after), "a");	/* a's Before= */
		CHECK_STR(joined(b->requires), "a hand");
		CHECK_STR(joined(b->part_of), "a");	/* other: not run */
		CHECK(h->after == NULL);
	}
	config_free(c);

	/* a section's own after = wins over the unit's */
	c = load("[service a]\nunit = la\n[service b]\nunit = lb\nafter =\n",
	    t_units);
	CHECK(c != NULL);
	if (c != NULL) {
		b = config_find(c, "b");
		CHECK(b != NULL && (b->after == NULL || b->after[0] == NULL));
	}
	config_free(c);
}

/* units = enabled: the wants of multi-user.target and the targets it
 * pulls in; systemd's own and the ones a section runs are passed over. */
static void
test_units_enabled(void)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 64];
	struct conf *c;

	snprintf(path, sizeof(path), "%s/en1.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\n");
	snprintf(path, sizeof(path), "%s/en2.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\n");
	snprintf(path, sizeof(path), "%s/en3.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\nDynamicUser=yes\n");
	snprintf(path, sizeof(path), "%s/extra.target", t_units);
	put(path, "[Unit]\nDescription=x\n");
	snprintf(path, sizeof(path), "%s/multi-user.target", t_units);
	put(path, "[Unit]\nWants=extra.target\n");
	snprintf(path, sizeof(path), "%s/systemd-foo.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\n");
	snprintf(dir, sizeof(dir), "%s/multi-user.target.wants", t_units);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/en1.service", dir);
	CHECK(symlink("../en1.service", path) == 0);
	snprintf(path, sizeof(path), "%s/en3.service", dir);
	CHECK(symlink("../en3.service", path) == 0);
	snprintf(path, sizeof(path), "%s/systemd-foo.service", dir);
	CHECK(symlink("../systemd-foo.service", path) == 0);
	snprintf(path, sizeof(path), "%s/la.service", dir);
	CHECK(symlink("../la.service", path) == 0);
	snprintf(dir, sizeof(dir), "%s/extra.target.wants", t_units);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/en2.service", dir);
	CHECK(symlink("../en2.service", path) == 0);

	c = load("[guardiand]\nunits = enabled\n[service mine]\nunit = la\n",
	    t_units);
	CHECK(c != NULL);
	if (c == NULL) {
		printf("%s", t_msgs);
		return;
	}
	CHECK(config_find(c, "en1") != NULL);
	CHECK(config_find(c, "en2") != NULL);	/* pulled in by a target */
	CHECK(config_find(c, "en3") == NULL);	/* cannot run: passed over */
	CHECK(config_find(c, "systemd-foo") == NULL);
	CHECK(config_find(c, "la") == NULL);	/* a section runs it */
	CHECK_INT(c->nservices, 3);
	config_free(c);
}

/* The sockets of an enabled .socket unit (Accept=no) go to its service,
 * named as systemd names them; Accept=yes named by Sockets= is refused. */
static void
test_socket_unit(void)
{
	char path[PATH_MAX + 32], dir[PATH_MAX];
	struct conf *c;
	struct svc_conf *sc;

	snprintf(path, sizeof(path), "%s/sa.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\n");
	snprintf(path, sizeof(path), "%s/sa.socket", t_units);
	put(path, "[Socket]\nListenStream=/run/sa.sock\nListenStream=8080\n"
	    "ListenDatagram=127.0.0.1:5353\nSocketMode=0600\n"
	    "[Install]\nWantedBy=sockets.target\n");
	/* not enabled: systemd would not have it open */
	sc = load_one(&c, "[service sa]\nunit = sa\n", t_units);
	CHECK(sc != NULL && sc->listen_stream == NULL);
	config_free(c);
	snprintf(dir, sizeof(dir), "%s/sockets.target.wants", t_units);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/sa.socket", dir);
	CHECK(symlink("../sa.socket", path) == 0);
	sc = load_one(&c, "[service sa]\nunit = sa\n", t_units);
	if (sc == NULL)
		return;
	CHECK_STR(joined(sc->listen_stream), "/run/sa.sock 8080");
	CHECK_STR(joined(sc->listen_datagram), "127.0.0.1:5353");
	CHECK_INT(sc->socket_mode, 0600);
	CHECK_STR(sc->socket_fdname, "sa.socket");
	config_free(c);

	snprintf(path, sizeof(path), "%s/acc.socket", t_units);
	put(path, "[Socket]\nListenStream=22\nAccept=yes\n");
	snprintf(path, sizeof(path), "%s/acc.service", t_units);
	put(path, "[Service]\nExecStart=/bin/true\nSockets=acc.socket\n");
	c = load("[service a]\nunit = acc\n", t_units);
	CHECK(c == NULL);
	CHECK(strstr(t_msgs, "acc.socket:3: Accept=yes: Accept=yes (a process "
	    "per connection) is not supported") != NULL);
}

static void
rm_tree(const char *dir)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", dir);
}

int
main(void)
{
	config_check_host = false;
	if (realpath("tests/unit/units", t_fixtures) == NULL) {
		perror("tests/unit/units");
		return 2;
	}
	strcpy(t_dir, "/tmp/test_unit_map.XXXXXX");
	if (mkdtemp(t_dir) == NULL)
		return 2;
	snprintf(t_units, sizeof(t_units), "%s/units", t_dir);
	mkdir(t_units, 0755);
	RUN(test_redis_as_debian_ships_it);
	RUN(test_haproxy_variables_and_reload);
	RUN(test_nginx_forking_and_a_section_key_wins);
	RUN(test_ssh_two_reload_lines_and_rsyslog_signal);
	RUN(test_template_instance);
	RUN(test_own_unit_values);
	RUN(test_restart_on_success);
	RUN(test_errors);
	RUN(test_links);
	RUN(test_units_enabled);
	RUN(test_socket_unit);
	rm_tree(t_dir);
	T_END();
}
