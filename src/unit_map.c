/*
 * unit_map.c: a systemd unit onto a struct svc_conf (DESIGN.md point 16).
 *
 * `unit = NAME.service` in a [service] section, or `units = enabled`: the
 * unit is read (unit_file.c), and each directive becomes the value of a
 * guardiand key, set through the key table as if written in the section
 * (config_key_set), so a unit-backed service is checked, compared at a
 * reload, shown and run exactly as any other. A key written in the section
 * wins over what the unit says. What the mapping does with each directive
 * is this file's table (umap[]); doc/units.md lists it for users.
 *
 * Said, never silent: every directive is mapped, accepted with a warning
 * (the sandboxing ones, in one line per unit), ignored on purpose
 * (Description=, [Install]...), or it refuses the unit with the reason.
 * `guardiand -t -v` prints each mapping as a debug line.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guardiand.h"
#include "unit_map.h"

/* What becomes of a directive. */
enum how {
	H_KEY,		/* its value, specifiers expanded, to key */
	H_DURATION,	/* a systemd time span to key (0 or infinity: 24h) */
	H_BOOL,		/* yes/no to key */
	H_CHOICE,	/* through the row's pairs to key */
	H_SNAKE,	/* to the key named like it, LimitNOFILE: limit_nofile;
			 * a list as the key reads one (KEY_REPEAT, KK_RELPATHS) */
	H_EXEC,		/* Exec lines: commands with prefixes, to key */
	H_SPECIAL,	/* a function of its own (fn) */
	H_LINK,		/* After=, Before=, Requires=...: between services */
	H_QUIET,	/* meaningless without systemd: ignored, said with -v */
	H_SANDBOX,	/* accepted, not applied: one warning per unit */
	H_REFUSE,	/* the unit cannot run as its author meant */
};

struct directive {
	const char *section;	/* NULL: any */
	const char *directive;	/* a trailing '*' matches a prefix */
	enum how how;
	const char *key;
	const char *const *pairs;	/* H_CHOICE: unit value, key value... */
	int (*fn)(struct map *, const struct unit_value *, const char *);
	unsigned flags;
};
#define F_JOIN	0x1	/* a list: its values (after a reset) as one, blank-separated */
#define F_EACH	0x2	/* a list: each value on its own, in order */
#define F_FIRST	0x4	/* read before the others (the environment, the user) */


static const char *const notify_pairs[] = {
	"main", "main", "all", "all", "exec", "all", "none", "main", NULL };

#define M(s, d, h, k, ...)	{ .section = s, .directive = d, .how = h, \
				  .key = k, __VA_ARGS__ }
#define S_	"Service"
#define U_	"Unit"
/*
 * Every directive guardiand knows, in the order systemd.service(5) and
 * systemd.exec(5) document them. Anything else is "not honoured".
 */
static const struct directive directives[] = {
	M(S_, "Type", H_SPECIAL, "type", .fn = umap_type),
	M(S_, "ExecStart", H_SPECIAL,
	    "command", .fn = umap_exec_start, .flags = F_EACH),
	M(S_, "ExecStartPre", H_EXEC, "start_pre", .flags = F_EACH),
	M(S_, "ExecStartPost", H_EXEC, "start_post", .flags = F_EACH),
	M(S_, "ExecReload", H_SPECIAL, "reload_command", .fn = umap_reload),
	M(S_, "ExecStop", H_EXEC, "stop_command", .flags = F_EACH),
	M(S_, "ExecStopPost", H_EXEC, "stop_post", .flags = F_EACH),
	M(S_, "Environment", H_SPECIAL,
	    "environment", .fn = umap_env, .flags = F_EACH | F_FIRST),
	M(S_, "EnvironmentFile", H_SPECIAL,
	    "environment_file", .fn = umap_envfile, .flags = F_JOIN | F_FIRST),
	M(S_, "User", H_KEY, "user", .flags = F_FIRST),
	M(S_, "Group", H_KEY, "group", .flags = F_FIRST),
	M(S_, "SupplementaryGroups", H_KEY,
	    "supplementary_groups", .flags = F_JOIN),
	M(S_, "WorkingDirectory", H_SPECIAL, "directory", .fn = umap_workdir),
	M(S_, "UMask", H_KEY, "umask"),
	M(S_, "Nice", H_KEY, "nice"),
	M(S_, "OOMScoreAdjust", H_KEY, "oom_score_adjust"),
	M(S_, "NoNewPrivileges", H_BOOL, "no_new_privileges"),
	M(S_, "AmbientCapabilities", H_KEY, "capabilities", .flags = F_JOIN),
	M(S_, "CapabilityBoundingSet", H_KEY,
	    "capability_bounding_set", .flags = F_JOIN),
	M(S_, "Restart", H_SPECIAL, "restart", .fn = umap_restart),
	M(S_, "RestartSec", H_DURATION, "backoff_initial"),
	M(S_, "RestartPreventExitStatus", H_SPECIAL,
	    "restart_prevent_exit_status", .fn = umap_restart_prevent,
	    .flags = F_JOIN),
	M(S_, "RestartForceExitStatus", H_KEY,
	    "restart_force_exit_status", .flags = F_JOIN),
	M(S_, "SuccessExitStatus", H_KEY,
	    "success_exit_status", .flags = F_JOIN),
	M(S_, "TimeoutStartSec", H_DURATION, "ready_timeout"),
	M(S_, "TimeoutStopSec", H_DURATION, "stop_timeout"),
	M(S_, "TimeoutSec", H_SPECIAL, NULL, .fn = umap_timeout),
	M(S_, "KillMode", H_KEY, "kill_mode"),
	M(S_, "KillSignal", H_KEY, "stop_signal"),
	M(S_, "SendSIGKILL", H_BOOL, "send_sigkill"),
	M(S_, "PIDFile", H_SPECIAL, "pidfile", .fn = umap_pidfile),
	M(S_, "NotifyAccess", H_CHOICE, "notify_access", .pairs = notify_pairs),
	M(S_, "WatchdogSec", H_DURATION, "watchdog"),
	M(S_, "RemainAfterExit", H_BOOL, "remain_after_exit"),
	M(S_, "SyslogIdentifier", H_KEY, "syslog_tag"),
	M(S_, "SyslogFacility", H_KEY, "syslog_facility"),
	M(S_, "SyslogLevel", H_KEY, "stdout_priority"),
	M(S_, "StandardOutput", H_SPECIAL, "stdout", .fn = umap_output),
	M(S_, "StandardError", H_SPECIAL, "stderr", .fn = umap_output),
	/* the key is the directive's name in snake case, if there is one */
	M(S_, "RuntimeDirectory*", H_SNAKE, NULL),
	M(S_, "StateDirectory*", H_SNAKE, NULL),
	M(S_, "CacheDirectory*", H_SNAKE, NULL),
	M(S_, "LogsDirectory*", H_SNAKE, NULL),
	M(S_, "ConfigurationDirectory*", H_SNAKE, NULL),
	M(S_, "Limit*", H_SNAKE, NULL),
	M(U_, "Condition*", H_SNAKE, NULL),
	M(U_, "Assert*", H_SNAKE, NULL),
	M(U_, "After", H_LINK, NULL),
	M(U_, "Before", H_LINK, NULL),
	M(U_, "Requires", H_LINK, NULL),
	M(U_, "BindsTo", H_LINK, NULL),
	M(U_, "Requisite", H_LINK, NULL),
	M(U_, "Wants", H_LINK, NULL),
	M(U_, "PartOf", H_LINK, NULL),
	M(U_, "Conflicts", H_SPECIAL, NULL, .fn = umap_note),
	M(U_, "StartLimitIntervalSec", H_SPECIAL, NULL, .fn = umap_start_limit),
	M(U_, "StartLimitBurst", H_SPECIAL, NULL, .fn = umap_start_limit),
	M(S_, "StartLimitInterval", H_SPECIAL, NULL, .fn = umap_start_limit),
	M(S_, "StartLimitBurst", H_SPECIAL, NULL, .fn = umap_start_limit),
	M(S_, "DynamicUser", H_SPECIAL, NULL, .fn = umap_refuse_yes),
	M(S_, "PrivateNetwork", H_SPECIAL, NULL, .fn = umap_refuse_yes),
};

/* Meaningless without systemd: ignored on purpose ("Section:Key"). */
static const char *const quiet_dirs[] = {
	"Unit:Description", "Unit:Documentation", "Unit:DefaultDependencies",
	"Unit:IgnoreOnIsolate", "Unit:AllowIsolate", "Unit:RefuseManualStop",
	"Unit:RequiresMountsFor", "Unit:OnFailure", "Unit:JoinsNamespaceOf",
	"Unit:StopWhenUnneeded", "Unit:SourcePath", "Unit:CollectMode",
	"Unit:Upholds", "Unit:PropagatesReloadTo",
	"Unit:ReloadPropagatedFrom",  "Service:GuessMainPID",
	"Service:StandardInput", "Service:Sockets", "Service:BusName",
	"Service:Slice", "Service:IgnoreSIGPIPE", "Service:RestartKillSignal",
	"Service:FinalKillSignal", "Service:UtmpIdentifier",
	"Service:UtmpMode", "Service:TTYPath", "Service:TTYReset",
	"Service:TTYVHangup", "Service:TTYVTDisallocate",
	NULL
};
/* Sandboxing and resource control: accepted, not applied, said once per
 * unit (an init script gives no sandbox either); a '*' ends a prefix. */
static const char *const sandbox_dirs[] = {
	"Protect*", "Private*", "Restrict*", "SystemCall*",
	"MemoryDenyWriteExecute", "LockPersonality", "ReadWritePaths",
	"ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths",
	"TemporaryFileSystem", "MountFlags", "DeviceAllow", "DevicePolicy",
	"IPAddress*", "IPAccounting", "Delegate", "TasksMax",
	"TasksAccounting", "Memory*", "CPU*", "IO*", "KeyringMode",
	"ProcSubset", "RemoveIPC", "SecureBits", "ReadOnlyDirectories",
	"ReadWriteDirectories", "InaccessibleDirectories", "SELinuxContext",
	"AppArmorProfile", "NetworkNamespacePath",
	"BindReadOnlyPaths",	/* haproxy's /dev/log in its chroot */
	NULL
};
/* A service that cannot run as its unit means without them. */
static const char *const refused_dirs[] = {
	"RootDirectory", "RootImage", "BindPaths",
	NULL
};

/* "Protect*" matches ProtectSystem; else the whole name. */
static bool
dir_match(const char *pattern, const char *name)
{
	size_t n = strlen(pattern);

	if (n > 0 && pattern[n - 1] == '*')
		return strncmp(pattern, name, n - 1) == 0;
	return strcmp(pattern, name) == 0;
}

static const struct directive *
directive_find(const char *section, const char *name)
{
	static const struct directive quiet = { .how = H_QUIET },
	    sandbox = { .how = H_SANDBOX }, refused = { .how = H_REFUSE };
	char full[UNIT_NAME_MAX];

	for (size_t i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (strcmp(directives[i].section, section) == 0 &&
		    dir_match(directives[i].directive, name))
			return &directives[i];
	snprintf(full, sizeof(full), "%s:%s", section, name);
	for (const char *const *q = quiet_dirs; *q; q++)
		if (strcmp(*q, full) == 0 || (strcmp(section, "Install") == 0))
			return &quiet;
	if (strcmp(section, "Service") != 0)
		return NULL;
	for (const char *const *q = sandbox_dirs; *q; q++)
		if (dir_match(*q, name))
			return &sandbox;
	for (const char *const *q = refused_dirs; *q; q++)
		if (strcmp(*q, name) == 0)
			return &refused;
	return NULL;
}

/* LimitNOFILE: limit_nofile, StateDirectoryMode: state_directory_mode. */
static void
snake_case(const char *name, char *out, size_t len)
{
	size_t o = 0;

	for (const char *c = name; *c && o + 2 < len; c++) {
		if (c > name && isupper((unsigned char)*c) &&
		    islower((unsigned char)c[-1]))
			out[o++] = '_';
		out[o++] = (char)tolower((unsigned char)*c);
	}
	out[o] = '\0';
}

/* One value of a directive, through its row. */
static void
map_value(struct map *m, const struct directive *d, const struct unit_value *v,
    const char *value)
{
	switch (d->how) {
	case H_KEY:
		umap_put(m, v, d->key, value);
		break;
	case H_DURATION:
		umap_put_duration(m, v, d->key, value);
		break;
	case H_BOOL:
		umap_put(m, v, d->key, config_parse_bool(value) == 1 ? "yes" : "no");
		break;
	case H_CHOICE: {
		const char *const *p = d->pairs;

		while (*p && strcmp(*p, value) != 0)
			p += 2;
		if (*p == NULL)
			umap_fail(m, v, "unknown value");
		else
			umap_put(m, v, d->key, p[1]);
		break;
	}
	case H_EXEC:
		umap_exec(m, v, d->key);
		break;
	case H_SPECIAL:
		d->fn(m, v, value);
		break;
	default:
		break;
	}
}

/* Applies one directive: its value, or its values (a list). */
static void
map_directive(struct map *m, const struct directive *d, const struct unit_value *v0)
{
	const struct unit_value *v, *last = NULL;
	char err[MAP_MSG_MAX], *value, key[64];
	struct buf joined = { 0 };
	struct directive snake;

	if (d->how == H_SNAKE) {
		const struct config_key *k;

		snake_case(v0->key, key, sizeof(key));
		snake = *d;
		snake.how = H_KEY;
		snake.key = key;
		if ((k = config_key_find(key, KEY_SERVICE)) != NULL &&
		    (k->flags & KEY_REPEAT))
			snake.flags |= F_EACH;
		else if (k != NULL && k->kind == KK_RELPATHS)
			snake.flags |= F_JOIN;
		d = &snake;
	}

	switch (d->how) {
	case H_QUIET:
	case H_LINK:
		return;
	case H_SANDBOX:
		if (buf_printf(&m->sandbox, "%s%s", m->sandbox.len ? ", " : "",
		    v0->key) == -1)
			umap_fail(m, v0, "out of memory");
		return;
	case H_REFUSE:
		if ((v = unit_get(m->u, v0->section, v0->key)) != NULL &&
		    v->value[0] != '\0')
			umap_fail(m, v, "not supported: the service would not "
			    "run as its unit means");
		return;
	default:
		break;
	}
	if (d->fn == umap_reload) {	/* takes the whole list itself */
		if ((v = unit_next(m->u, v0->section, v0->key, NULL)) != NULL)
			umap_reload(m, v, v->value);
		return;
	}
	for (v = (d->flags & (F_JOIN | F_EACH)) ?
	    unit_next(m->u, v0->section, v0->key, NULL) :
	    unit_get(m->u, v0->section, v0->key); v != NULL && !m->failed;
	    v = (d->flags & (F_JOIN | F_EACH)) ?
	    unit_next(m->u, v0->section, v0->key, v) : NULL) {
		if (v->value[0] == '\0')
			continue;	/* the default */
		if ((value = unit_value_specifiers(m->u, v, err,
		    sizeof(err))) == NULL) {
			if (!m->failed)
				snprintf(m->err, m->errlen, "%s", err);
			m->failed = true;
			break;
		}
		if (d->flags & F_JOIN) {
			if (buf_printf(&joined, "%s%s", joined.len ? " " : "",
			    value) == -1)
				umap_fail(m, v, "out of memory");
			last = v;
		} else
			map_value(m, d, v, value);
		free(value);
	}
	if (last != NULL && !m->failed)
		map_value(m, d, last, joined.s);
	free(joined.s);
}

/* Every directive of the unit, each once, the F_FIRST ones first. */
static void
map_values(struct map *m, bool first)
{
	for (size_t i = 0; i < m->u->nv && !m->failed; i++) {
		const struct unit_value *v = &m->u->v[i];
		const struct directive *d;
		size_t j;

		if (strcmp(v->section, "Unit") != 0 &&
		    strcmp(v->section, "Service") != 0 &&
		    strcmp(v->section, "Install") != 0)
			continue;	/* [X-...] and others: not ours */
		for (j = 0; j < i; j++)
			if (strcmp(m->u->v[j].key, v->key) == 0 &&
			    strcmp(m->u->v[j].section, v->section) == 0)
				break;
		if (j < i)
			continue;	/* done with its first */
		d = directive_find(v->section, v->key);
		if (d == NULL) {
			if (!first && buf_printf(&m->unknown, "%s%s",
			    m->unknown.len ? ", " : "", v->key) == -1)
				umap_fail(m, v, "out of memory");
			continue;
		}
		if (((d->flags & F_FIRST) != 0) == first)
			map_directive(m, d, v);
	}
}

static void
load_warn(void *arg, const char *msg)
{
	log_warnx("%s: %s", (const char *)arg, msg);
}

/*
 * Maps the unit u, loaded, onto sc: every key given[] (per config_keys
 * row, NULL: none) says the section did not set. 0, or -1 with err;
 * links gains the service's After= and the like.
 */
int
unit_map_unit(struct svc_conf *sc, struct unit *u, const int *given,
    struct unit_links **links, char *err, size_t errlen)
{
	const struct config_key *kc = config_key_find("command", KEY_SERVICE);
	char **dirs = umap_dirs();
	struct map m;

	memset(&m, 0, sizeof(m));
	m.u = u;
	m.sc = sc;
	m.given = given;
	m.err = err;
	m.errlen = errlen;
	m.links = *links;
	log_debug("%s: unit %s (%s)", sc->name, u->id, u->path);
	map_values(&m, true);
	map_values(&m, false);
	if (!m.failed && unit_get(u, "Service", "Restart") == NULL) {
		/* systemd's default, no, would leave a crashed daemon down */
		static char key[] = "Restart", value[] = "";
		struct unit_value none = { .section = "Service", .key = key,
		    .value = value, .file = u->path };

		umap_put(&m, &none, "restart", "on-failure");
	}
	if (!m.failed)
		umap_socket(&m, dirs);
	if (!m.failed)
		umap_tmpfiles(&m);
	if (!m.failed && sc->argv == NULL &&
	    (given == NULL || given[kc - config_keys] == 0))
		umap_fail(&m, NULL, "no ExecStart=");
	if (!m.failed)
		umap_keep_links(&m, given);
	if (!m.failed && m.sandbox.len > 0)
		log_warnx("%s: %s: not applied (no sandbox, as under an init "
		    "script): %s", sc->name, u->path, m.sandbox.s);
	if (!m.failed && m.unknown.len > 0)
		log_warnx("%s: %s: not honoured: %s", sc->name, u->path,
		    m.unknown.s);
	*links = m.links;
	free(m.sandbox.s);
	free(m.unknown.s);
	config_free_words(m.env);
	config_free_words(dirs);
	return m.failed ? -1 : 0;
}

/* unit_map_unit() for the unit sc->unit names, found and read. */
int
unit_map_service(struct svc_conf *sc, const int *given,
    struct unit_links **links, char *err, size_t errlen)
{
	char name[UNIT_NAME_MAX], lerr[MAP_MSG_MAX], **dirs = umap_dirs();
	struct unit *u;
	size_t l;
	int r;

	snprintf(name, sizeof(name), "%s%s", sc->unit,
	    strchr(sc->unit, '.') ? "" : ".service");
	u = unit_load(name, (const char *const *)dirs, load_warn, sc->name,
	    lerr, sizeof(lerr));
	config_free_words(dirs);
	if (u == NULL) {
		snprintf(err, errlen, "unit %s: %s", name, lerr);
		return -1;
	}
	l = strlen(u->id);
	if (l < 8 || strcmp(u->id + l - 8, ".service") != 0) {
		snprintf(err, errlen, "unit %s: only .service units are run "
		    "(timers, paths, mounts and user units are systemd's)", name);
		unit_free(u);
		return -1;
	}
	r = unit_map_unit(sc, u, given, links, err, errlen);
	unit_free(u);
	return r;
}

