/*
 * caps.c: capabilities = and capability_bounding_set = (systemd's
 * AmbientCapabilities= and CapabilityBoundingSet=): their names, and the
 * child's steps that give a service run as a user the capabilities it asks
 * for (caddy binding :80 as user caddy) and take away from it (and from
 * what it may ever gain) the ones outside its bounding set. The child's
 * steps are plain system calls: they run between fork and exec.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <linux/capability.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "guardiand.h"

/* By number, as linux/capability.h has them (CAP_LAST_CAP 40, Linux 5.9). */
static const char *const cap_names[] = {
	"CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID",
	"KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE",
	"NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
	"IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT",
	"SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
	"SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE",
	"AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE",
	"MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ",
	"PERFMON", "BPF", "CHECKPOINT_RESTORE",
};
#define NCAPS	((int)(sizeof(cap_names) / sizeof(cap_names[0])))

/* A capability's number from its name (CAP_NET_RAW, net_raw), or -1. */
static int
cap_number(const char *s)
{
	if (strncasecmp(s, "CAP_", 4) == 0)
		s += 4;
	for (int i = 0; i < NCAPS; i++)
		if (strcasecmp(s, cap_names[i]) == 0)
			return i;
	return -1;
}

/* One word of a capability set. */
static int
cap_word(const char *w, void *arg)
{
	int c = cap_number(w);

	if (c < 0)
		return -1;
	*(uint64_t *)arg |= 1ULL << c;
	return 0;
}

/*
 * A set of capabilities: names separated by blanks; "~" first means all
 * but those, as systemd writes CapabilityBoundingSet=~CAP_SYS_ADMIN. 0, or
 * -1 with the bad word in bad.
 */
int
caps_parse(const char *s, struct cap_set *out, char *bad, size_t badlen)
{
	uint64_t mask = 0;
	bool invert;

	s += strspn(s, " \t");
	if ((invert = *s == '~'))
		s++;
	if (config_each_word(s, cap_word, &mask, bad, badlen) < 0)
		return -1;
	out->mask = invert ? ~mask & ((1ULL << NCAPS) - 1) : mask;
	out->set = true;
	return 0;
}

/* The kernel's capabilities of this process: permitted, inheritable and
 * effective all set to mask. */
static int
capset_all(uint64_t mask)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	for (int i = 0; i < 2; i++) {
		uint32_t m = (uint32_t)(mask >> (32 * i));

		d[i].effective = d[i].permitted = d[i].inheritable = m;
	}
	return (int)syscall(SYS_capset, &h, d);
}

/* In the child, before it changes its user: the bounding set is cut, and
 * the capabilities asked for are kept across setuid. 0, or -1 (errno). */
int
caps_child_before(const struct svc_conf *sc)
{
	if (sc->bounding.set)
		for (int c = 0; c <= CAP_LAST_CAP && c < 64; c++)
			if (!(sc->bounding.mask & 1ULL << c) &&
			    prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 &&
			    errno != EINVAL)	/* one this kernel lacks */
				return -1;
	if (sc->ambient.set && sc->ambient.mask &&
	    prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -1;
	return 0;
}

/*
 * In the child, once it runs as its user: only the capabilities asked for
 * are left, and they are raised as ambient ones, so that the program it
 * executes has them though it is not root (keep-caps ends at exec).
 * Nothing for a service that asks for none. 0, or -1 (errno).
 */
int
caps_child_after(const struct svc_conf *sc)
{
	uint64_t m;

	if (!sc->ambient.set || sc->ambient.mask == 0)
		return 0;
	m = sc->ambient.mask & (sc->bounding.set ? sc->bounding.mask : ~0ULL);
	if (capset_all(m) < 0)
		return -1;
	for (int c = 0; c < 64; c++)
		if ((m & 1ULL << c) && prctl(PR_CAP_AMBIENT,
		    PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return -1;
	return 0;
}
