/*
 * condition_* and assert_* (conditions.c) and the virtualization they test
 * (virt.c): each kind, ! and |, the config's checks of the values, and the
 * detection on fake /proc, /sys and container files, and on this machine
 * against what its /proc says.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "guardiand.h"
#include "t.h"

static char dir[] = "/tmp/test_conditions.XXXXXX";

static void
put_n(const char *rel, const char *text, size_t len, mode_t mode)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	for (char *s = p + strlen(dir) + 1; (s = strchr(s, '/')) != NULL; s++) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
	if ((f = fopen(p, "w")) == NULL) {
		perror(p);
		exit(2);
	}
	fwrite(text, 1, len, f);
	fclose(f);
	chmod(p, mode);
}

static void
put(const char *rel, const char *text, mode_t mode)
{
	put_n(rel, text, strlen(text), mode);
}

/* A service with these "key = value" lines; NULL-ended. */
static struct svc_conf *
svc(const char *const *lines)
{
	struct svc_conf *sc = config_svc_new("t");
	char err[256];

	for (; *lines; lines += 2)
		if (config_svc_set(sc, lines[0], lines[1], err, sizeof(err)) < 0) {
			printf("  %s = %s: %s\n", lines[0], lines[1], err);
			t_failed_here = 1;
		}
	return sc;
}

/* Whether the conditions of lines hold on vi; what failed in what. */
static int
holds(const struct virt_info *vi, char *what, size_t len,
    const char *const *lines)
{
	struct svc_conf *sc = svc(lines);
	int r;

	what[0] = '\0';
	r = cond_check(sc, false, vi, what, len);
	config_svc_free(sc);
	return r;
}

static char pbuf[8][PATH_MAX];
static int pi;

/* dir/rel, in one of 8 buffers used in turn. */
static const char *
P(const char *rel)
{
	char *b = pbuf[pi++ % 8];

	snprintf(b, sizeof(pbuf[0]), "%s/%s", dir, rel);
	return b;
}

static void
test_each_path_kind(void)
{
	static const struct virt_info none = { NULL, NULL };
	char what[PATH_MAX + 64], bang[PATH_MAX + 2];

	put("empty", "", 0644);
	put("full", "x\n", 0644);
	put("exe", "#!/bin/sh\n", 0755);
	put("sub/f", "x", 0644);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", P("empty"), NULL }), 1);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", P("nothing"), NULL }), 0);
	CHECK(strstr(what, "condition_path_exists=/") == what);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_is_directory", P("sub"), NULL }), 1);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_is_directory", P("full"), NULL }), 0);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_not_empty", P("full"), NULL }), 1);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_not_empty", P("empty"), NULL }), 0);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_not_empty", P("sub"), NULL }), 0);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_is_executable", P("exe"), NULL }), 1);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_is_executable", P("full"), NULL }), 0);
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_file_is_executable", P("sub"), NULL }), 0);
	snprintf(bang, sizeof(bang), "!%s", P("nothing"));
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", bang, NULL }), 1);
	snprintf(bang, sizeof(bang), "!%s", P("full"));
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", bang, NULL }), 0);
	CHECK(strstr(what, "=!/") != NULL);
}

static void
test_triggering_and_reset(void)
{
	static const struct virt_info none = { NULL, NULL };
	char what[PATH_MAX + 64], t1[PATH_MAX + 2], t2[PATH_MAX + 2];

	snprintf(t1, sizeof(t1), "|%s", P("nothing"));
	snprintf(t2, sizeof(t2), "|%s", P("full"));
	/* one triggering of two holds: enough */
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", t1, "condition_path_exists", t2, NULL }),
	    1);
	/* none of the triggering ones holds */
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", t1, NULL }), 0);
	CHECK(strstr(what, "condition_path_exists=|/") == what);
	/* a non-triggering one must hold whatever the triggering ones say */
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", t2, "condition_path_is_directory",
	    P("full"), NULL }), 0);
	/* |! : triggering and negated */
	snprintf(t1, sizeof(t1), "|!%s", P("nothing"));
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", t1, NULL }), 1);
	/* an empty value forgets the lines before */
	CHECK_INT(holds(&none, what, sizeof(what), (const char *[]){
	    "condition_path_exists", P("nothing"), "condition_path_exists", "",
	    NULL }), 1);
}

static void
test_asserts_apart(void)
{
	static const struct virt_info none = { NULL, NULL };
	struct svc_conf *sc = svc((const char *[]){ "assert_path_exists",
	    P("nothing"), "condition_path_exists", P("full"), NULL });
	char what[PATH_MAX + 64];

	CHECK_INT(cond_check(sc, false, &none, what, sizeof(what)), 1);
	CHECK_INT(cond_check(sc, true, &none, what, sizeof(what)), 0);
	CHECK(strstr(what, "assert_path_exists=/") == what);
	config_svc_free(sc);
}

static void
test_bad_values(void)
{
	struct svc_conf *sc = config_svc_new("t");
	char err[256];

	CHECK_INT(config_svc_set(sc, "condition_path_exists", "relative", err,
	    sizeof(err)), -1);
	CHECK(strstr(err, "not an absolute path") != NULL);
	CHECK_INT(config_svc_set(sc, "assert_file_not_empty", "!|/x", err,
	    sizeof(err)), -1);	/* systemd's order is |! */
	CHECK_INT(config_svc_set(sc, "condition_virtualization", "vmware-ish",
	    err, sizeof(err)), -1);
	CHECK_INT(config_svc_set(sc, "condition_virtualization", "|!docker",
	    err, sizeof(err)), 0);
	CHECK_INT(config_svc_set(sc, "condition_virtualization", "no", err,
	    sizeof(err)), 0);
	CHECK_INT(config_nwords(sc->conds[COND_VIRTUALIZATION]), 2);
	config_svc_free(sc);
}

static void
test_virtualization_values(void)
{
	static const struct virt_info none = { NULL, NULL };
	static const struct virt_info kvm = { "kvm", NULL };
	static const struct virt_info both = { "kvm", "docker" };

	CHECK(virt_matches(&none, "no") && !virt_matches(&none, "yes"));
	CHECK(!virt_matches(&none, "vm") && !virt_matches(&none, "container"));
	CHECK(virt_matches(&kvm, "yes") && virt_matches(&kvm, "vm"));
	CHECK(virt_matches(&kvm, "kvm") && !virt_matches(&kvm, "qemu"));
	CHECK(!virt_matches(&kvm, "container"));
	/* a container in a VM: both kinds; its name is the container's */
	CHECK(virt_matches(&both, "vm") && virt_matches(&both, "container"));
	CHECK(virt_matches(&both, "docker") && !virt_matches(&both, "kvm"));
}

/* Detection in a fake tree: one file each time. */
static void
fake_n(const char *rel, const char *text, size_t len, const char **vm,
    const char **ct)
{
	char cmd[PATH_MAX + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf %s/root", dir);
	if (system(cmd) != 0)
		t_failed_here = 1;
	if (rel) {
		char r[PATH_MAX];

		snprintf(r, sizeof(r), "root%s", rel);
		put_n(r, text, len, 0644);
	} else
		put("root/.keep", "", 0644);
	snprintf(cmd, sizeof(cmd), "%s/root", dir);
	virt_set_root(cmd);
	*vm = virt_get()->vm;
	*ct = virt_get()->container;
}

static void
fake(const char *rel, const char *text, const char **vm, const char **ct)
{
	fake_n(rel, text, strlen(text), vm, ct);
}

/* Whether a found name is the one wanted (NULL: none). */
static bool
same(const char *found, const char *want)
{
	return found == NULL || want == NULL ? found == want :
	    strcmp(found, want) == 0;
}
#define STR_OR_NULL(a, b)	CHECK(same((a), (b)))

static void
test_detection_in_a_tree(void)
{
	const char *vm, *ct;

	fake(NULL, "", &vm, &ct);
	STR_OR_NULL(vm, NULL);
	STR_OR_NULL(ct, NULL);
	fake("/.dockerenv", "", &vm, &ct);
	STR_OR_NULL(ct, "docker");
	fake("/run/.containerenv", "", &vm, &ct);
	STR_OR_NULL(ct, "podman");
	fake("/run/systemd/container", "lxc\n", &vm, &ct);
	STR_OR_NULL(ct, "lxc");
	fake("/run/systemd/container", "something-new\n", &vm, &ct);
	STR_OR_NULL(ct, "container-other");
	fake_n("/proc/1/environ", "PATH=/bin\0container=systemd-nspawn", 35,
	    &vm, &ct);
	STR_OR_NULL(ct, "systemd-nspawn");
	fake_n("/proc/1/environ", "PATH=/bin\0container=oci", 24, &vm, &ct);
	STR_OR_NULL(ct, "container-other");
	fake("/proc/sys/kernel/osrelease", "5.15.90.1-microsoft-standard-WSL2\n",
	    &vm, &ct);
	STR_OR_NULL(ct, "wsl");
	fake("/sys/class/dmi/id/sys_vendor", "QEMU\n", &vm, &ct);
	STR_OR_NULL(vm, "qemu");
	STR_OR_NULL(ct, NULL);
	fake("/sys/class/dmi/id/product_name", "VirtualBox\n", &vm, &ct);
	STR_OR_NULL(vm, "oracle");
	fake("/proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme hypervisor "
	    "lahf_lm\n", &vm, &ct);
	STR_OR_NULL(vm, "vm-other");
	fake("/proc/xen/capabilities", "\n", &vm, &ct);
	STR_OR_NULL(vm, "xen");
	fake("/proc/xen/capabilities", "control_d\n", &vm, &ct);
	STR_OR_NULL(vm, NULL);
	virt_set_root(NULL);
}

/* This machine: what its /proc and / say, found the same by virt.c. */
static void
test_detection_here(void)
{
	const struct virt_info *vi;
	bool flag = false, dockerenv = access("/.dockerenv", F_OK) == 0;
	char *line = NULL;
	size_t n = 0;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && getline(&line, &n, f) > 0)
		if (strncmp(line, "flags", 5) == 0 && strstr(line, " hypervisor"))
			flag = true;
	free(line);
	if (f)
		fclose(f);
	virt_set_root(NULL);
	vi = virt_get();
	printf("  here: vm %s, container %s\n", vi->vm ? vi->vm : "none",
	    vi->container ? vi->container : "none");
	if (flag)
		CHECK(vi->vm != NULL);
	if (dockerenv && access("/run/systemd/container", F_OK) < 0 &&
	    access("/run/.containerenv", F_OK) < 0)
		CHECK(vi->container != NULL);
	CHECK(virt_get() == vi);	/* once per run */
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	RUN(test_each_path_kind);
	RUN(test_triggering_and_reset);
	RUN(test_asserts_apart);
	RUN(test_bad_values);
	RUN(test_virtualization_values);
	RUN(test_detection_in_a_tree);
	RUN(test_detection_here);
	{
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			return 2;
	}
	T_END();
}
