/*
 * virt.c: which virtualization guardiand runs under, for
 * condition_virtualization: the names systemd-detect-virt prints, found
 * the way systemd's src/basic/virt.c finds them where that works without
 * systemd (container: pid 1's environment, /run/systemd/container,
 * /run/.containerenv, /.dockerenv, WSL's kernel release; VM: CPUID's
 * hypervisor leaf, DMI, /proc/xen). Looked up once per guardiand run.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__i386__) || defined(__x86_64__)
#include <cpuid.h>
#endif

#include "guardiand.h"

/* Where it looks, overridable for the tests (virt_set_root). */
static char virt_root[256];

/* systemd's virtualization names, the VMs' then the containers'. */
static const char *const vm_names[] = { "kvm", "amazon", "qemu", "bochs",
	"xen", "uml", "vmware", "oracle", "microsoft", "zvm", "parallels",
	"bhyve", "qnx", "acrn", "powervm", "apple", "sre", "google",
	"vm-other", NULL };
static const char *const container_names[] = { "systemd-nspawn", "lxc-libvirt",
	"lxc", "openvz", "docker", "podman", "rkt", "wsl", "proot", "pouch",
	"container-other", NULL };

static struct virt_info detected;
static bool detected_done;

static bool
in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* Whether s names a virtualization systemd knows (for the config check). */
bool
virt_known_name(const char *s)
{
	return in_list(vm_names, s) || in_list(container_names, s);
}

/* The first line of root/path, trimmed, into buf; false if none. */
static bool
read_line(const char *path, char *buf, size_t len)
{
	char p[512];
	FILE *f;
	bool ok;

	snprintf(p, sizeof(p), "%s%s", virt_root, path);
	if ((f = fopen(p, "re")) == NULL)
		return false;
	ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok;
}

static bool
exists(const char *path)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", virt_root, path);
	return access(p, F_OK) == 0;
}

/* container= of pid 1's environment, as systemd reads it; false if none
 * (or unreadable, as it is from inside some sandboxes). */
static bool
pid1_container(char *buf, size_t len)
{
	char p[512], env[8192];
	ssize_t n;
	int fd;

	snprintf(p, sizeof(p), "%s/proc/1/environ", virt_root);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, env, sizeof(env) - 1);
	close(fd);
	if (n <= 0)
		return false;
	env[n] = '\0';
	for (char *e = env; e < env + n; e += strlen(e) + 1)
		if (strncmp(e, "container=", 10) == 0) {
			snprintf(buf, len, "%s", e + 10);
			return true;
		}
	return false;
}

/* systemd's names for what container= says. */
static const char *
container_name(const char *v)
{
	if (strcmp(v, "oci") == 0)
		return "container-other";
	return in_list(container_names, v) ? v : "container-other";
}

static const char *
detect_container(void)
{
	static char v[64];
	char rel[256];

	if (read_line("/proc/sys/kernel/osrelease", rel, sizeof(rel)) &&
	    (strstr(rel, "Microsoft") || strstr(rel, "WSL")))
		return "wsl";
	if (exists("/proc/vz") && !exists("/proc/bc"))
		return "openvz";
	if ((read_line("/run/systemd/container", v, sizeof(v)) && v[0]) ||
	    pid1_container(v, sizeof(v)))
		return container_name(v);
	if (exists("/run/.containerenv"))
		return "podman";
	if (exists("/.dockerenv"))
		return "docker";
	return NULL;
}

/* DMI's vendors, as systemd's detect_vm_dmi matches them (by prefix). */
static const char *
detect_dmi(void)
{
	static const char *const files[] = { "product_name", "sys_vendor",
		"board_vendor", "bios_vendor", "product_version", NULL };
	static const struct { const char *prefix, *name; } vendors[] = {
		{ "KVM", "kvm" }, { "OpenStack", "kvm" }, { "KubeVirt", "kvm" },
		{ "Amazon EC2", "amazon" }, { "QEMU", "qemu" },
		{ "VMware", "vmware" }, { "VMW", "vmware" },
		{ "innotek GmbH", "oracle" }, { "VirtualBox", "oracle" },
		{ "Oracle Corporation", "oracle" }, { "Xen", "xen" },
		{ "Bochs", "bochs" }, { "Parallels", "parallels" },
		{ "BHYVE", "bhyve" }, { "Hyper-V", "microsoft" },
		{ "Apple Virtualization", "apple" },
		{ "Google Compute Engine", "google" },
	};
	char path[64], v[256];

	for (int i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "/sys/class/dmi/id/%s", files[i]);
		if (!read_line(path, v, sizeof(v)))
			continue;
		for (size_t j = 0; j < sizeof(vendors) / sizeof(vendors[0]); j++)
			if (strncmp(v, vendors[j].prefix,
			    strlen(vendors[j].prefix)) == 0)
				return vendors[j].name;
	}
	return NULL;
}

/* Whether /proc/cpuinfo's flags have "hypervisor" (CPUID.1:ECX bit 31). */
static bool
hypervisor_flag(void)
{
	char p[512], *line = NULL;
	size_t n = 0;
	bool found = false;
	FILE *f;

	snprintf(p, sizeof(p), "%s/proc/cpuinfo", virt_root);
	if ((f = fopen(p, "re")) == NULL)
		return false;
	while (!found && getline(&line, &n, f) > 0)
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor"))
			found = true;
	free(line);
	fclose(f);
	return found;
}

/* The hypervisor's CPUID vendor (leaf 0x40000000), as systemd maps it. */
static const char *
detect_cpuid(void)
{
#if defined(__i386__) || defined(__x86_64__)
	static const struct { const char *sig, *name; } sigs[] = {
		{ "XenVMMXenVMM", "xen" }, { "KVMKVMKVM", "kvm" },
		{ "Linux KVM Hv", "kvm" }, { "TCGTCGTCGTCG", "qemu" },
		{ "VMwareVMware", "vmware" }, { "Microsoft Hv", "microsoft" },
		{ "bhyve bhyve ", "bhyve" }, { "QNXQVMBSQG", "qnx" },
		{ "ACRNACRNACRN", "acrn" }, { "SRESRESRESRE", "sre" },
		{ "Apple VZ", "apple" },
	};
	unsigned a, b, c, d;
	char sig[13];

	if (virt_root[0] != '\0')	/* a test's tree: not this CPU */
		return NULL;
	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = '\0';
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (strcmp(sig, sigs[i].sig) == 0)
			return sigs[i].name;
#endif
	return NULL;
}

static const char *
detect_vm(void)
{
	const char *dmi = detect_dmi(), *cpu;
	char caps[256];

	/* systemd trusts DMI first for these: their CPUID says another */
	if (dmi && (strcmp(dmi, "oracle") == 0 || strcmp(dmi, "xen") == 0 ||
	    strcmp(dmi, "amazon") == 0))
		return dmi;
	if (hypervisor_flag()) {
		if ((cpu = detect_cpuid()) != NULL)
			return cpu;
		return dmi ? dmi : "vm-other";
	}
	if (dmi)
		return dmi;
	/* a Xen guest without the flag (PV); dom0 is the host, not a VM */
	if (exists("/proc/xen") && !(read_line("/proc/xen/capabilities", caps,
	    sizeof(caps)) && strstr(caps, "control_d")))
		return "xen";
	return NULL;
}

/* Looks again, under root (a test's tree; "" the real one). */
void
virt_set_root(const char *root)
{
	snprintf(virt_root, sizeof(virt_root), "%s", root ? root : "");
	detected_done = false;
}

/* The virtualization guardiand runs under, looked up once. */
const struct virt_info *
virt_get(void)
{
	if (!detected_done) {
		detected.vm = detect_vm();
		detected.container = detect_container();
		detected_done = true;
	}
	return &detected;
}

/*
 * Whether condition_virtualization = value (without ! or |) holds on vi,
 * as systemd's condition_test_virtualization: a boolean for any at all,
 * vm or container for the kind, else the name systemd-detect-virt would
 * print (the container's, if there is one).
 */
bool
virt_matches(const struct virt_info *vi, const char *value)
{
	int b = config_parse_bool(value);
	const char *name = vi->container ? vi->container : vi->vm;

	if (b >= 0)
		return (name != NULL) == (b == 1);
	if (strcmp(value, "vm") == 0)
		return vi->vm != NULL;
	if (strcmp(value, "container") == 0)
		return vi->container != NULL;
	return name != NULL && strcmp(name, value) == 0;
}
