# ftpsd: one binary, plus unit tests under tests/unit.
PKGS     := openssl libcap libseccomp
PREFIX   ?= /usr/local
SBINDIR  ?= $(PREFIX)/sbin
MANDIR   ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR  ?=

CC       ?= cc
# Debian's interpreter: the tests use its python3-pytest, whatever else is on PATH.
PYTHON   ?= /usr/bin/python3
# CFLAGS/LDFLAGS from the command line (make asan) add to these, never
# replace them: the warnings and hardening always apply.
CFLAGS   ?= -O2 -g
override CFLAGS += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
            -Wformat=2 -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE -I.
override CFLAGS += $(shell pkg-config --cflags $(PKGS))
override LDFLAGS += -pie -Wl,-z,relro,-z,now
# libcrypt is linked and crypt_r exported so that PAM modules call the
# monitor's crypt_r, which hashes a password once where pam_unix asks twice
# (monitor/crypt_once.h); mmap is exported so that the hash's memory is on
# huge pages (monitor/hash_memory.h).
LDLIBS   += $(shell pkg-config --libs $(PKGS)) -lpam \
	-Wl,--push-state,--no-as-needed -lcrypt -Wl,--pop-state \
	-Wl,--export-dynamic-symbol=crypt_r \
	-Wl,--export-dynamic-symbol=mmap $(EXTRA_LDLIBS)

# One directory per layer, lowest first; an include may only point to the
# same or an earlier one (tests/check_layers.py, run by `make check`).
LAYERS   := common config privsep sandbox tls engine relay keys natmap monitor zygote master
LIB_SRCS := $(filter-out master/main.c,$(wildcard $(addsuffix /*.c,$(LAYERS))))
LIB_OBJS := $(LIB_SRCS:.c=.o)
UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:.c=)
# libFuzzer harnesses (tests/fuzz/README.md): each built twice, as a
# clang fuzzer (make fuzz) and as a replayer of its seeds and regression
# inputs with the normal compiler (part of make unit).
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS := $(addprefix tests/fuzz/fuzz_,$(FUZZ_NAMES))
REPLAY_BINS := $(addprefix tests/fuzz/replay_,$(FUZZ_NAMES))
FUZZ_CC  ?= clang-14
FUZZ_SECONDS ?= 60
FUZZ_RUNS ?= -1
FUZZ_SAN := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wshadow \
	-Wno-missing-field-initializers -I. \
	$(shell pkg-config --cflags $(PKGS)) $(FUZZ_SAN)
FUZZ_OBJS := $(addprefix tests/fuzz/obj/,$(LIB_OBJS))

.PHONY: all clean install check layers format-check format unit integration nat deps asan demo bench deb deb-test fuzz fuzz-build soak

all: ftpsd

ftpsd: master/main.o libftpsd.a
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

libftpsd.a: $(LIB_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

# Each object depends on the headers it includes, as the compiler lists
# them (-MMD: a .d file beside the object; -MP: a header that is gone
# breaks nothing). An object made before its .d existed is made again
# when the Makefile changes.
DEPFLAGS := -MMD -MP

%.o: %.c Makefile
	$(CC) $(CFLAGS) $(DEPFLAGS) -c -o $@ $<

tests/unit/test_%: tests/unit/test_%.c libftpsd.a
	$(CC) $(CFLAGS) $(DEPFLAGS) $(LDFLAGS) -o $@ $< libftpsd.a $(LDLIBS) -lcmocka

# The test build: the same daemon plus the XSBX sandbox-violation command
# (engine/testhooks.c). Only `make check` builds it; never installed.
tests/ftpsd-testhooks: master/main.o libftpsd.a engine/commands.c engine/testhooks.c
	$(CC) $(CFLAGS) $(DEPFLAGS) -MT $@ -DFTPSD_TEST_HOOKS -c -o tests/commands-hooks.o engine/commands.c
	$(CC) $(CFLAGS) $(DEPFLAGS) -MT $@ -DFTPSD_TEST_HOOKS -c -o tests/testhooks.o engine/testhooks.c
	$(CC) $(LDFLAGS) -o $@ master/main.o tests/commands-hooks.o tests/testhooks.o libftpsd.a $(LDLIBS)

tests/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c libftpsd.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c libftpsd.a $(LDLIBS)
	$(CC) $(CFLAGS) -MM -MP -MT $@ $< > $@.d

# The unit tests, then every fuzz harness on its seeds and regressions.
unit: $(UNIT_BINS) $(REPLAY_BINS)
	@failed=""; for t in $(UNIT_BINS); do echo "== $$t"; ./$$t || failed="$$failed $$t"; done; \
	for n in $(FUZZ_NAMES); do echo "== tests/fuzz/replay_$$n"; \
		r=tests/fuzz/regressions/$$n; [ -d $$r ] || r=; \
		./tests/fuzz/replay_$$n tests/fuzz/seeds/$$n $$r || \
			failed="$$failed tests/fuzz/replay_$$n"; done; \
	if [ -n "$$failed" ]; then echo "unit tests failed:$$failed"; exit 1; fi

# libFuzzer builds: the library again with clang, ASan, UBSan and
# coverage, in tests/fuzz/obj (apart from the normal objects).
tests/fuzz/obj/%.o: %.c Makefile
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(DEPFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

tests/fuzz/libftpsd-fuzz.a: $(FUZZ_OBJS)
	rm -f $@
	$(AR) rcs $@ $^

tests/fuzz/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/libftpsd-fuzz.a
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< tests/fuzz/libftpsd-fuzz.a $(LDLIBS)

fuzz-build: $(FUZZ_BINS)

# Each harness for FUZZ_SECONDS (default 60; FUZZ_RUNS caps executions) on its seeds, its
# regressions and the growing corpus in tests/fuzz/corpus/NAME (not kept
# in git). A crash stops the run and leaves the input in
# tests/fuzz/artifacts/; fix it, then keep it in tests/fuzz/regressions/NAME.
fuzz: fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) sh tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_NAMES)

integration: ftpsd tests/ftpsd-testhooks
	cd tests/integration && $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The soak and fault test at length (tests/integration/test_soak.py; make
# integration runs it for 15 s with 16 sessions). Needs root, like
# integration; SOAK_SEED=N repeats a run.
SOAK_SECONDS ?= 300
SOAK_SESSIONS ?= 200
soak: ftpsd tests/ftpsd-testhooks
	cd tests/integration && SOAK_SECONDS=$(SOAK_SECONDS) SOAK_SESSIONS=$(SOAK_SESSIONS) \
		$(PYTHON) -m pytest -q -s -p no:cacheprovider test_soak.py $(PYTEST_ARGS)

# The NAT lab (tests/nat/lab.sh): namespaces, a bridge and nftables DNAT;
# needs root. The lab is deleted at the end, also after failures.
nat: ftpsd
	cd tests/nat && $(PYTHON) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# Installs missing Debian packages, builds, runs every test: layers, unit
# (with the fuzz seeds and regressions), integration, NAT, each fuzz
# harness for CHECK_FUZZ_SECONDS, then unit and integration again under
# ASan/UBSan. What .ci/run runs; about 20 minutes on 2 cores.
CHECK_FUZZ_SECONDS ?= 30
check: deps
	$(MAKE) layers format-check
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) integration
	$(MAKE) nat
	$(MAKE) fuzz FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS)
	$(MAKE) asan

deps:
	@sh tests/install-deps.sh

# Includes run one way: lower layers never include higher ones. The
# engine's file-system calls are made in engine/fsops.c only, and each is
# in its seccomp allowlist (tests/check_fsops.py). And the engine's FTP
# state is the engine's: no other role's code names it.
OWNER_DIRS := $(filter-out engine,$(LAYERS))
layers:
	$(PYTHON) tests/check_layers.py $(LAYERS)
	$(PYTHON) tests/check_fsops.py
	$(PYTHON) tests/check_owners.py $(OWNER_DIRS)

# The tree follows .clang-format (STYLE.md). The version is pinned: another
# clang-format formats some constructs differently. `make format` applies it.
CLANG_FORMAT ?= clang-format-14
FORMAT_SRCS = $(wildcard $(addsuffix /*.[ch],$(LAYERS)) tests/*/*.[ch])
format-check:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SRCS)

format:
	$(CLANG_FORMAT) -i $(FORMAT_SRCS)

# The same suites against an ASan/UBSan build.
# Sandboxed processes end with _exit and may not clone (LeakSanitizer's
# stop-the-world would): leaks are checked in the unit tests only.
# -lcrypt: ASan's crypt_r interceptor needs libcrypt loaded at start, not
# dlopen'ed later by pam_unix, or it calls a NULL "real" crypt_r.
ASAN_FLAGS := CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	LDFLAGS="-fsanitize=address,undefined" EXTRA_LDLIBS="-Wl,--no-as-needed -lcrypt -Wl,--as-needed"
# The objects are rebuilt in place, so it ends with a clean normal build
# (also after a failure): an ASan ftpsd is never left for `make install`.
asan:
	$(MAKE) clean
	@rc=0; $(MAKE) $(ASAN_FLAGS) all tests/ftpsd-testhooks unit && \
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 $(MAKE) $(ASAN_FLAGS) integration || rc=1; \
	$(MAKE) clean >/dev/null && $(MAKE) all >/dev/null || rc=1; \
	if [ $$rc -ne 0 ]; then echo "make asan FAILED"; fi; exit $$rc

install: ftpsd
	install -D -m 0755 ftpsd $(DESTDIR)$(SBINDIR)/ftpsd
	install -D -m 0644 man/ftpsd.8 $(DESTDIR)$(MANDIR)/man8/ftpsd.8
	install -D -m 0644 man/ftpsd.conf.5 $(DESTDIR)$(MANDIR)/man5/ftpsd.conf.5
	test -e $(DESTDIR)$(SYSCONFDIR)/ftpsd.conf || \
		install -D -m 0644 etc/ftpsd.conf $(DESTDIR)$(SYSCONFDIR)/ftpsd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/pam.d/ftpsd || \
		install -D -m 0644 etc/pam.d/ftpsd $(DESTDIR)$(SYSCONFDIR)/pam.d/ftpsd
	@# The anonymous account (ftp_username) and secure_chroot_dir, named
	@# by the installed config; not when staging into DESTDIR, where the
	@# package's own scripts make them (debian/ftpsd.postinst).
	if [ -z "$(DESTDIR)" ]; then \
		key() { sed -n "s/^[[:space:]]*$$1[[:space:]]*=[[:space:]]*//p" \
			$(SYSCONFDIR)/ftpsd.conf | tail -1; }; \
		u=$$(key ftp_username); d=$$(key secure_chroot_dir); \
		sh etc/install-accounts.sh "$${u:-ftp}" /srv/ftp "$${d:-/run/ftpsd/empty}"; \
	fi

# The Debian package (debian/), built from a copy of this tree in build/deb
# so that dpkg-buildpackage's output does not land beside the checkout:
# build/deb/ftpsd_VERSION_ARCH.deb.
DEB_VERSION = $(shell dpkg-parsechangelog -S Version 2>/dev/null)
deb:
	rm -rf build/deb
	mkdir -p build/deb/ftpsd-$(DEB_VERSION)
	tar --exclude=./build --exclude=./.git --exclude='*.o' --exclude='*.d' --exclude=./ftpsd \
		--exclude=./libftpsd.a -cf - . | tar -xf - -C build/deb/ftpsd-$(DEB_VERSION)
	cd build/deb/ftpsd-$(DEB_VERSION) && dpkg-buildpackage -us -uc -b
	@ls -1 build/deb/*.deb

# An installed .deb, started from its installed files on a loopback test
# port, FTPS login, purge (tests/deb/test_deb.py; changes the machine, see
# there). Opt-in: not part of `check`.
deb-test: deb
	cd tests/integration && FTPSD_DEB=$$(ls $(CURDIR)/build/deb/ftpsd_*.deb) \
		$(PYTHON) -m pytest -q -p no:cacheprovider test_deb.py $(PYTEST_ARGS)

-include $(LIB_OBJS:.o=.d) master/main.d $(FUZZ_OBJS:.o=.d) \
	$(addsuffix .d,$(UNIT_BINS) $(REPLAY_BINS)) tests/commands-hooks.d tests/testhooks.d

clean:
	rm -rf build tests/fuzz/obj
	rm -f ftpsd tests/ftpsd-testhooks tests/*.o libftpsd.a $(addsuffix /*.o,$(LAYERS)) \
		$(addsuffix /*.d,$(LAYERS)) tests/*.d tests/unit/*.d tests/fuzz/*.d $(UNIT_BINS) \
		$(FUZZ_BINS) $(REPLAY_BINS) tests/fuzz/libftpsd-fuzz.a

# README's first command: a demo server on 127.0.0.1:2121 (needs root).
demo:
	sh etc/demo.sh

# Side-by-side benchmarks against Debian's vsftpd, ProFTPD and Pure-FTPd
# (bench/README.md); never part of `check`: timed results do not gate tests.
bench: ftpsd
	bench/run.sh
