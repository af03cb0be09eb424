# shellcheck shell=bash
#
# Throw-away Debian chroots for the package suite (test_package.sh) and the
# fresh-machine check (tests/fresh/run). Both start from ONE base: a
# debootstrap minbase of the host's release plus build-essential, no apt
# lists, what Debian's build daemons start from. It is cached as a tarball
# under .cache/base/ (gitignored), named after what goes into it, and made
# again when missing (a clean clone, CI). What a chroot needs on top comes
# from apt inside it; apt's downloads (and, where a chroot wants them, its
# lists) are kept in .cache/apt/, bind-mounted into the chroot, so that a
# warm run downloads no package.
#
#   chroot_cache           make sure the cached base exists; sets CHROOT_TAR
#   chroot_create DIR      unpack the base into DIR, mount /proc, /dev/pts,
#                          apt's package cache; set up policy, resolv.conf
#   chroot_apt_lists       bind-mount the cached apt lists too
#   chroot_apt_install PKG...  apt-get install in the chroot: from the cached
#                          lists and packages alone when they suffice, else
#                          after an apt-get update
#   chroot_run CMD...      run CMD inside $CHROOT (bounded in time)
#   chroot_pids            pids of live processes whose root is in $CHROOT
#   chroot_destroy         stop those processes, unmount, remove $CHROOT
#
# Processes started in the chroot live on the host's process table: the
# teardown finds them by their root directory (/proc/PID/root), which only
# processes started in it can have, and stops them by pid.

PKG_TOP=${PKG_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
CACHE_ROOT=${GUARDIAND_CACHE_DIR:-$PKG_TOP/.cache}
CACHE_DIR=$CACHE_ROOT/base
APT_CACHE=$CACHE_ROOT/apt
# What the base holds on top of minbase: the build-essential set, as on a
# build daemon. Nothing else: each chroot installs the rest with apt.
CHROOT_INCLUDE=${CHROOT_INCLUDE:-build-essential}
CHROOT=

# The release and the Debian mirror the host itself uses.
chroot_suite() { . /etc/os-release && echo "${VERSION_CODENAME:-bookworm}"; }
chroot_mirror() {
	local m
	if [ -n "${GUARDIAND_MIRROR:-}" ]; then echo "$GUARDIAND_MIRROR"; return; fi
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
		/etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -v '^[[:space:]]*#' | grep -Eo 'https?://[^ ]+/debian/?( |$)' |
		grep -v security | head -n 1 | tr -d ' ')
	echo "${m:-http://deb.debian.org/debian}"
}

chroot_cache() {
	local suite key
	suite=$(chroot_suite)
	# The name says what is in it: release, architecture, packages, and the
	# recipe's version (bump v2 when chroot_cache_make changes).
	key=$(printf '%s %s minbase %s v2' "$suite" "$(dpkg --print-architecture)" "$CHROOT_INCLUDE" | md5sum | cut -c1-8)
	CHROOT_TAR=$CACHE_DIR/$suite-minbase-$key.tar.zst
	[ -s "$CHROOT_TAR" ] && return 0
	mkdir -p "$CACHE_DIR" || return 1
	# One maker at a time (make check may run in two clones' worth of
	# shells at once); the others wait for it and use its result.
	(
		flock -w 1800 9 || { echo "chroot_cache: cannot lock $CACHE_DIR/lock" >&2; exit 1; }
		[ -s "$CHROOT_TAR" ] && exit 0
		chroot_cache_make
	) 9>"$CACHE_DIR/lock"
}

chroot_cache_make() {
	local suite tmp rc
	suite=$(chroot_suite)
	# a run cut short may have left a half-made base, with mounts
	for tmp in "$CACHE_DIR"/build.*; do
		[ -d "$tmp" ] || continue
		chroot_umount_all "$tmp"
		rm -rf --one-file-system "$tmp"
	done
	tmp=$(mktemp -d "$CACHE_DIR/build.XXXXXX") || return 1
	echo "# making the chroot base $CHROOT_TAR (debootstrap $suite from $(chroot_mirror))"
	timeout 1800 debootstrap --variant=minbase --include="$CHROOT_INCLUDE" \
		"$suite" "$tmp/root" "$(chroot_mirror)" >"$tmp/debootstrap.log" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "debootstrap failed ($rc):" >&2
		tail -n 30 "$tmp/debootstrap.log" >&2
		chroot_umount_all "$tmp/root"
		rm -rf --one-file-system "$tmp"
		return 1
	fi
	chroot_umount_all "$tmp/root"
	# As on a fresh machine: no package lists, no downloaded packages.
	rm -f "$tmp"/root/var/cache/apt/archives/*.deb "$tmp"/root/var/cache/apt/*.bin
	find "$tmp/root/var/lib/apt/lists" -maxdepth 1 -type f -delete
	tar -C "$tmp/root" --numeric-owner -cf - . | zstd -q -T0 -3 >"$tmp/base.tar.zst" &&
		mv "$tmp/base.tar.zst" "$CHROOT_TAR"
	rc=$?
	rm -rf --one-file-system "$tmp"
	return "$rc"
}

# Unmounts everything mounted under DIR, deepest first.
chroot_umount_all() {
	local dir m
	dir=$(realpath -m "$1")
	for m in $(awk -v d="$dir" '$2 == d || index($2, d "/") == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
}

chroot_create() {
	CHROOT=$(realpath -m "$1")
	mkdir -p "$CHROOT" || return 1
	zstd -q -dc "$CHROOT_TAR" | tar -C "$CHROOT" --numeric-owner -xf - || return 1
	mount -t proc proc "$CHROOT/proc" || return 1
	# apt logs through a pty: a private devpts instance, not the host's.
	mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$CHROOT/dev/pts" || return 1
	# apt's downloads, kept across runs (APT_CACHE may be set to another
	# directory before this is called).
	mkdir -p "$APT_CACHE/archives/partial" || return 1
	mount --bind "$APT_CACHE/archives" "$CHROOT/var/cache/apt/archives" || return 1
	# Services may start: no systemd here, invoke-rc.d asks this policy,
	# which allows guardiand (no runlevel is known in a chroot), but not
	# the daemons the tests start by themselves (nginx would take port 80
	# of the host, redis 6379: a chroot shares its network).
	cat >"$CHROOT/usr/sbin/policy-rc.d" <<-'POLICY'
	#!/bin/sh
	while [ "${1#--}" != "$1" ]; do shift; done
	case "$1" in nginx|redis-server) exit 101 ;; esac
	exit 0
	POLICY
	chmod 755 "$CHROOT/usr/sbin/policy-rc.d"
	cp /etc/resolv.conf "$CHROOT/etc/resolv.conf" 2>/dev/null
	return 0
}

# chroot_apt_lists: the cached package lists as the chroot's, so that apt
# needs no `apt-get update` while they are good enough.
chroot_apt_lists() {
	mkdir -p "$APT_CACHE/lists/partial" || return 1
	mount --bind "$APT_CACHE/lists" "${CHROOT:?}/var/lib/apt/lists"
}

# chroot_apt_install PKG...: installs PKGs in the chroot (output in
# $CHROOT_APT_LOG if set). First from what is cached alone (no download at
# all); if that cannot be done (no lists yet, a package not downloaded, the
# archive moved on), after an apt-get update. One apt at a time per cache:
# its lock files are shared.
chroot_apt_install() {
	local log=${CHROOT_APT_LOG:-/dev/null}
	(
		flock -w 900 8 || { echo "chroot_apt_install: cannot lock $APT_CACHE/lock" >&2; exit 1; }
		if chroot_run apt-get install -y -q --no-install-recommends --no-download "$@" >>"$log" 2>&1; then
			exit 0
		fi
		chroot_run apt-get update -q >>"$log" 2>&1 &&
			chroot_run apt-get install -y -q --no-install-recommends "$@" >>"$log" 2>&1
	) 8>"$APT_CACHE/lock"
}

# chroot_run CMD...: runs CMD in the chroot with a clean environment.
chroot_run() {
	timeout -k 5 "${CHROOT_TIMEOUT:-300}" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		LC_ALL=C DEBIAN_FRONTEND=noninteractive TERM=dumb \
		chroot "$CHROOT" "$@" </dev/null
}

chroot_pids() {
	local d p r
	[ -n "$CHROOT" ] || return 0
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		r=$(readlink "$d/root" 2>/dev/null) || continue
		# in the chroot, or in a chroot made inside it
		if [ "$r" = "$CHROOT" ] || [ "${r#"$CHROOT"/}" != "$r" ]; then
			# zombies are gone already (pid 1 may not reap them)
			read -r s <"$d/stat" 2>/dev/null || continue
			s=${s##*) }
			case "$s" in Z* | X*) continue ;; esac
			echo "$p"
		fi
	done
}

chroot_destroy() {
	local p i
	[ -n "$CHROOT" ] && [ -d "$CHROOT" ] || return 0
	for p in $(chroot_pids); do kill -TERM "$p" 2>/dev/null; done
	for i in $(seq 100); do
		[ -z "$(chroot_pids)" ] && break
		sleep 0.05
	done
	for p in $(chroot_pids); do kill -KILL "$p" 2>/dev/null; done
	for i in $(seq 100); do
		[ -z "$(chroot_pids)" ] && break
		sleep 0.05
	done
	chroot_umount_all "$CHROOT"
	if awk -v d="$CHROOT" 'index($2, d) == 1 { f = 1 } END { exit !f }' /proc/self/mounts; then
		echo "chroot_destroy: something is still mounted under $CHROOT, leaving it" >&2
		return 1
	fi
	rm -rf --one-file-system "$CHROOT"
	CHROOT=
}

# ---- for test_package.sh: the package in the chroot ----

# crun CMD...: chroot_run with output in files; sets RC, OUT and ERR.
crun() {
	chroot_run "$@" >"$PKG_W/c.out" 2>"$PKG_W/c.err"
	RC=$?
	OUT=$(cat "$PKG_W/c.out")
	ERR=$(cat "$PKG_W/c.err")
}
# svc ACTION: `service guardiand ACTION` in the chroot, as a user types it.
svc() { crun service guardiand "$@"; }

# The daemon: pid from the chroot's pidfile; a pid is ours if it runs the
# chroot's /usr/sbin/guardiand.
dpid() { tr -d ' \n' 2>/dev/null <"${CHROOT:?}/run/guardiand.pid"; }
is_daemon() {
	[ -n "${1:-}" ] && is_alive "$1" &&
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "${CHROOT:?}/usr/sbin/guardiand" ]
}
daemon_running() { is_daemon "$(dpid)"; }
# guardiand processes in the chroot, whatever their pidfile says.
daemon_pids() {
	local p
	for p in $(chroot_pids); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "${CHROOT:?}/usr/sbin/guardiand" ] && echo "$p"
	done
	return 0
}
no_daemon() { [ -z "$(daemon_pids)" ]; }

pkg_status() { dpkg-query --admindir="${CHROOT:?}/var/lib/dpkg" -W -f='${db:Status-Abbrev}' guardiand 2>/dev/null | tr -d ' '; }
installed() { [ "$(pkg_status)" = ii ]; }

syslog_has() { grep -Eq -- "$1" "${CHROOT:?}/var/log/syslog" 2>/dev/null; }
wait_syslog() { wait_for "syslog line /$1/" "$WAIT" syslog_has "$1"; }

# dropin NAME [LINE...]: /etc/guardiand/conf.d/NAME.conf with a service that
# records its pid in the chroot's /tmp/NAME.pids, then sleeps.
dropin() {
	local name=$1
	shift
	{
		printf '[service %s]\n' "$name"
		printf "command = sh -c 'echo \$\$ >> /tmp/%s.pids; exec sleep 1000'\n" "$name"
		[ $# -gt 0 ] && printf '%s\n' "$@"
	} >"${CHROOT:?}/etc/guardiand/conf.d/$name.conf"
}
# dropin_raw NAME TEXT: a drop-in file as given.
dropin_raw() { printf '%s\n' "$2" >"${CHROOT:?}/etc/guardiand/conf.d/$1.conf"; }
pids_file() { echo "${CHROOT:?}/tmp/$1.pids"; }
svc_pid() { tail -n 1 "${CHROOT:?}/tmp/$1.pids" 2>/dev/null; }
svc_starts() { nlines "${CHROOT:?}/tmp/$1.pids"; }
svc_starts_ge() { [ "$(svc_starts "$1")" -ge "$2" ]; }
svc_running() { is_alive "$(svc_pid "$1")"; }
wait_svc() { wait_for "service $1 to run" "$WAIT" svc_running "$1"; }
# Removes the test drop-ins (every conf.d file) and their pid records.
clear_dropins() {
	rm -f "${CHROOT:?}"/etc/guardiand/conf.d/*.conf "${CHROOT:?}"/tmp/*.pids
}
