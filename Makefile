# guardiand: a process supervisor built on libdaemon.
#
#   make            build guardiand (and guardianctl)
#   make run        install what is missing, build, run the demo in the foreground
#   make check      install what is missing, build, run every test
#   make check-asan the same tests against an ASan/UBSan build
#   make check-units real Debian units, guardiand vs Debian's systemctl
#   make install    DESTDIR, PREFIX as usual
#   make deb        the Debian package, into dist/

PREFIX   ?= /usr
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MAN5     = $(wildcard man/*.5)
MAN8     = $(wildcard man/*.8)
DEB_OUT  ?= $(CURDIR)/dist
DEB_WORK ?= $(CURDIR)/dist/work

CC       ?= cc
CFLAGS   ?= -O2 -g
# Kept apart from CFLAGS, so that CFLAGS given on the command line (as
# check-asan does) keeps them.
WARN      = -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
            -Wcast-qual -Wwrite-strings -Wredundant-decls
CPPFLAGS += -D_GNU_SOURCE
PKGS      = libdaemon inih
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -ldaemon -linih)

B ?= build

DAEMON_SRC = src/main.c src/log.c src/loop.c src/service.c src/service_policy.c \
             src/config.c src/conffile.c src/keys.c src/values.c src/output.c \
             src/control.c src/paths.c src/slog.c \
             src/forward.c src/state.c src/proctree.c src/fmt.c src/check.c \
             src/oneshot.c src/buf.c src/clock.c src/reload.c src/commands.c \
             src/proto.c src/spawn.c src/env.c src/service_cg.c src/service_pg.c \
             src/track.c src/track_usage.c src/mainpid.c src/service_fork.c src/usage.c \
             src/pidfile.c src/svdirs.c src/service_all.c src/caps.c \
             src/service_reload.c src/service_ctl.c src/service_kill.c \
             src/spawn_id.c \
             src/probe_conf.c src/svc_conf.c \
             src/probe.c src/ready.c src/service_log.c src/notify.c \
             src/order.c src/service_order.c src/confline.c src/follow.c \
             src/unit_file.c src/unit_parse.c src/unit_spec.c src/unit_exec.c \
             src/unit_map.c src/unit_map_values.c src/unit_map_exec.c \
             src/unit_links.c src/unit_map_put.c src/unit_enable.c \
             src/conditions.c src/virt.c src/svcond.c src/tmpfiles.c \
             src/tmpfiles_run.c \
             src/listen.c src/sockets.c
CTL_SRC    = src/guardianctl.c src/ctl_logs.c src/paths.c src/fmt.c src/clock.c \
             src/proto.c
LIB_SRC    = src/config.c src/conffile.c src/keys.c src/values.c src/check.c \
             src/output.c src/service_policy.c src/fmt.c src/buf.c src/clock.c \
             src/proto.c src/track.c src/track_usage.c src/mainpid.c src/log.c src/env.c \
             src/proctree.c src/state.c src/probe_conf.c src/svc_conf.c \
             src/order.c src/confline.c src/caps.c src/conditions.c src/virt.c \
             src/tmpfiles.c src/tmpfiles_run.c \
             src/listen.c
UNIT_SRC   = $(wildcard tests/unit/test_*.c)
UNITS      = $(patsubst tests/unit/%.c,$(B)/%,$(UNIT_SRC))
# systemd units (doc/units.md): found, read and mapped onto the key table.
LIB_SRC   += src/unit_file.c src/unit_parse.c src/unit_spec.c src/unit_exec.c \
             src/unit_map.c src/unit_map_values.c src/unit_map_exec.c \
             src/unit_links.c src/unit_map_put.c src/unit_enable.c

all: $(B)/guardiand $(B)/guardianctl

$(B)/%.o: src/%.c src/guardiand.h src/config.h src/track.h src/service.h src/proto.h src/control.h src/unit.h src/unit_map.h | $(B)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -c -o $@ $<

$(B):
	mkdir -p $(B)

$(B)/guardiand: $(patsubst src/%.c,$(B)/%.o,$(DAEMON_SRC))
	$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(B)/guardianctl: $(patsubst src/%.c,$(B)/%.o,$(CTL_SRC))
	$(CC) $(WARN) $(CFLAGS) $(LDFLAGS) -o $@ $^

# Unit tests link the modules they test as they are, without stubs.
$(B)/test_%: tests/unit/test_%.c $(wildcard tests/unit/*.h) $(patsubst src/%.c,$(B)/%.o,$(LIB_SRC)) | $(B)
	$(CC) $(CPPFLAGS) $(PKG_CFLAGS) $(WARN) $(CFLAGS) -Isrc -o $@ $< $(patsubst src/%.c,$(B)/%.o,$(LIB_SRC)) $(PKG_LIBS)

deps:
	@scripts/deps

units: $(UNITS)

check: deps
	$(MAKE) all units
	B=$(B) tests/run

check-asan: deps
	$(MAKE) B=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" LDFLAGS="-fsanitize=address,undefined" all units
	@# The package suite builds and tests the .deb, not this build: not twice.
	@# ASan keeps 256 MiB of freed memory in quarantine by default, which a
	@# test of bounded memory would take for growth: 8 MiB is plenty here.
	@# Time bounds of the tests that measure answers under load scale by 3.
	ASAN_OPTIONS=$${ASAN_OPTIONS:-quarantine_size_mb=8} GUARDIAND_TEST_SLOW=3 \
		GUARDIAND_NO_PACKAGE_TESTS=1 B=build-asan tests/run

# The shunit2 suites against guardiand under valgrind's memcheck (see
# tests/valgrind/README); fails on any memcheck error or definite/indirect
# leak, and prints how many guardiand processes were checked.
VALGRIND_SUITES ?= test_daemon test_supervise test_reload test_ctl test_syslog test_oneshot \
                   test_forking test_ready test_notify test_order test_dirs test_units

check-valgrind: deps
	$(MAKE) all
	B=$(B) tests/valgrind/run $(VALGRIND_SUITES)

.PHONY: check-valgrind

# Debian 12's daemons run from their own systemd units by guardiand and by
# Debian's `systemctl`, side by side, in a chroot (tests/units/run, as
# root; doc/units.md "Real units, side by side").
check-units: deps
	tests/units/run

.PHONY: check-units

run:
	@scripts/deps --build
	$(MAKE) all
	@echo "guardiand in the foreground on examples/demo.conf; Ctrl-C stops it and its services."
	$(B)/guardiand -F -f examples/demo.conf -p $(CURDIR)/$(B)/demo.pid \
		-s $(CURDIR)/$(B)/demo.sock

# The conffile is installed only where none is (a package manager owns it
# in a package; make install never overwrites an admin's edits).
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/guardiand/conf.d \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(B)/guardiand $(DESTDIR)$(SBINDIR)/guardiand
	install -m 0755 $(B)/guardianctl $(DESTDIR)$(SBINDIR)/guardianctl
	install -d $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 completions/guardianctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/guardianctl
	install -m 0644 $(MAN5) $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 $(MAN8) $(DESTDIR)$(MANDIR)/man8/
	test -e $(DESTDIR)$(SYSCONFDIR)/guardiand/guardiand.conf || \
		install -m 0644 examples/guardiand.conf $(DESTDIR)$(SYSCONFDIR)/guardiand/guardiand.conf

# The Debian package, built (dpkg-buildpackage -us -uc -b) in a copy of the
# tree under $(DEB_WORK), so that neither this tree's build/ nor its parent
# directory is touched; the results (.deb, .buildinfo, .changes) land in
# $(DEB_OUT). DEB_BUILD_OPTIONS=nocheck skips make check in the build.
deb:
	rm -rf $(DEB_WORK)
	mkdir -p $(DEB_WORK)/src $(DEB_OUT)
	tar -cf - --exclude-vcs --exclude=./build --exclude=./build-asan \
		--exclude=./dist --exclude=./.cache --exclude=./debian/guardiand \
		--exclude=./build-fuzz \
		--exclude=./debian/.debhelper . | tar -C $(DEB_WORK)/src -xf -
	cd $(DEB_WORK)/src && dpkg-buildpackage -us -uc -b
	rm -f $(DEB_OUT)/guardiand*_*
	mv $(DEB_WORK)/guardiand*_* $(DEB_OUT)/
	rm -rf $(DEB_WORK)
	@ls -1 $(DEB_OUT)/guardiand*.deb

clean:
	rm -rf build build-asan build-fuzz

# Side by side with the peers (bench/README.md): as root, about 15 minutes;
# make bench QUICK=1 for a 3-minute try.  Results in bench/out/.
bench:
	bench/run

.PHONY: bench

.PHONY: all deps units check check-asan run install deb clean

# Fuzzing (fuzz/README.md): libFuzzer targets for the config parser, the
# control protocol and the systemd unit reader, built with clang and
# ASan/UBSan into $(FUZZ_B), each run
# for FUZZ_SECONDS on a copy of its seed corpus; fails if one finds a
# crash, which is left in $(FUZZ_B)/crashes/NAME/. `make -j2 fuzz` runs two
# at once.
FUZZ_B       ?= build-fuzz
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
FUZZ_SAN      = -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_WARN     = $(WARN)
FUZZ_ARGS    ?= -timeout=10 -rss_limit_mb=2048
FUZZ_ARGS_config  = -max_len=16384	# past libinih's line limit
FUZZ_ARGS_control = -max_len=8192	# past PROTO_MAX_REQUEST
FUZZ_ARGS_unit    = -max_len=40000	# past UNIT_LINE_MAX
FUZZ_ARGS_tmpfiles = -max_len=16384
FUZZ_OBJ      = $(patsubst src/%.c,$(FUZZ_B)/obj/%.o,$(filter-out src/main.c,$(DAEMON_SRC)))
FUZZ_ENV      = ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

$(FUZZ_B)/obj/%.o: src/%.c src/guardiand.h src/config.h src/track.h src/service.h src/proto.h src/control.h src/unit.h
	@mkdir -p $(FUZZ_B)/obj
	$(FUZZ_CC) $(CPPFLAGS) -DGUARDIAND_FUZZ $(PKG_CFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		$(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

# config.c, conffile.c, keys.c, svc_conf.c, values.c, probe_conf.c, caps.c (and
# check.c, its host checks);
# glob() is wrapped to keep include= inside a temp dir.
FUZZ_CONFIG_OBJ = $(patsubst %,$(FUZZ_B)/obj/%.o,config conffile confline keys svc_conf values probe_conf order check buf clock env fmt caps conditions virt \
	unit_file unit_parse unit_spec unit_exec unit_map unit_map_values unit_map_exec unit_links unit_map_put unit_enable log tmpfiles tmpfiles_run listen)
$(FUZZ_B)/fuzz_config: fuzz/fuzz_config.c $(FUZZ_CONFIG_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -DGUARDIAND_FUZZ $(PKG_CFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		$(FUZZ_SAN) -fsanitize=fuzzer -Isrc -Wl,--wrap=glob -o $@ $^ $(PKG_LIBS)

# The daemon's objects but main.c; the target hands control.c reload.c's
# reload_run() as main.c does, on an empty config of its own.
$(FUZZ_B)/fuzz_control: fuzz/fuzz_control.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -DGUARDIAND_FUZZ $(PKG_CFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		$(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $^ $(PKG_LIBS)

# The unit reader and the mapping onto a service (unit_map*.c,
# unit_links.c, with the config's objects); unit_load() only in a private
# directory of the target's.
FUZZ_UNIT_OBJ = $(patsubst %,$(FUZZ_B)/obj/%.o,unit_file unit_parse unit_spec unit_exec buf fmt \
	unit_map unit_map_values unit_map_exec unit_links unit_map_put unit_enable config conffile confline keys \
	svc_conf values probe_conf order check clock env caps log conditions virt tmpfiles tmpfiles_run listen)
$(FUZZ_B)/fuzz_unit: fuzz/fuzz_unit.c $(FUZZ_UNIT_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -DGUARDIAND_FUZZ $(PKG_CFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		$(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $^ $(PKG_LIBS)

# The tmpfiles.d line reader alone: tmpfiles.c.
FUZZ_TMPFILES_OBJ = $(patsubst %,$(FUZZ_B)/obj/%.o,tmpfiles values env buf fmt)
$(FUZZ_B)/fuzz_tmpfiles: fuzz/fuzz_tmpfiles.c $(FUZZ_TMPFILES_OBJ)
	$(FUZZ_CC) $(CPPFLAGS) -DGUARDIAND_FUZZ $(PKG_CFLAGS) $(FUZZ_WARN) $(FUZZ_CFLAGS) \
		$(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $^ $(PKG_LIBS)

fuzz-build: $(FUZZ_B)/fuzz_config $(FUZZ_B)/fuzz_control $(FUZZ_B)/fuzz_unit \
	$(FUZZ_B)/fuzz_tmpfiles

# fuzz-run-NAME: NAME's target on a fresh copy of fuzz/corpus/NAME (the
# committed corpus is never written), output in $(FUZZ_B)/NAME.log.
fuzz-run-%: $(FUZZ_B)/fuzz_%
	@rm -rf $(FUZZ_B)/corpus/$* $(FUZZ_B)/crashes/$*
	@mkdir -p $(FUZZ_B)/corpus $(FUZZ_B)/crashes/$*
	@cp -R fuzz/corpus/$* $(FUZZ_B)/corpus/$*
	@echo "fuzz: $* for $(FUZZ_SECONDS)s, log in $(FUZZ_B)/$*.log"
	@$(FUZZ_ENV) $(FUZZ_B)/fuzz_$* -max_total_time=$(FUZZ_SECONDS) \
		-print_final_stats=1 $(FUZZ_ARGS) $(FUZZ_ARGS_$*) -dict=fuzz/$*.dict \
		-artifact_prefix=$(FUZZ_B)/crashes/$*/ $(FUZZ_B)/corpus/$* \
		>$(FUZZ_B)/$*.log 2>&1; rc=$$?; \
	execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FUZZ_B)/$*.log); \
	echo "fuzz: $*: $${execs:-?} executions in $(FUZZ_SECONDS)s, exit status $$rc"; \
	if [ $$rc -ne 0 ] || [ -n "$$(ls -A $(FUZZ_B)/crashes/$*)" ]; then \
		tail -n 60 $(FUZZ_B)/$*.log; \
		echo "fuzz: $*: FAILED, reproducer(s):"; ls -1 $(FUZZ_B)/crashes/$*/*; \
		exit 1; \
	fi

fuzz: deps
	$(MAKE) fuzz-run-config fuzz-run-control fuzz-run-unit fuzz-run-tmpfiles

fuzz-clean:
	rm -rf $(FUZZ_B)

.PHONY: fuzz fuzz-build fuzz-clean
