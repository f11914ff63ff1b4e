# gpu-sriov-exporter. `make run` and `make test` are the two commands a fresh Debian 12 machine
# needs: both first install (as root) or name (otherwise) the Debian packages they use.

CC ?= gcc
BUILD ?= build
PREFIX ?= /usr/local

VERSION := $(shell cat VERSION)
REVISION := $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BRANCH := $(shell git symbolic-ref --short HEAD 2>/dev/null || echo unknown)
BUILD_DATE := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)

# Debian packages: what building needs, and what the test suites add.
DEB_BUILD := gcc make pkg-config libmicrohttpd-dev libsystemd-dev zlib1g-dev libpci-dev \
	libdrm-dev libudev-dev libgnutls28-dev libcrypt-dev
DEB_TEST := libcmocka-dev prometheus prometheus-alertmanager curl systemd python3 clang dkms qemu-system-x86 busybox-static kmod \
	cpio valgrind cppcheck clang-tidy openssl apache2-utils chromium man-db groff-base
# make bench (and bench-smoke in make test) adds a load generator, strace and node_exporter.
DEB_BENCH := wrk strace prometheus-node-exporter dkms curl python3

PKGS := libmicrohttpd libsystemd zlib libpci libdrm libudev gnutls libcrypt
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)

WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
	-Wcast-qual -Wwrite-strings -Wformat=2 -Wimplicit-fallthrough -Wundef -Wvla -Wsign-compare
# Warnings are errors in CI only: a newer compiler must not break users' builds.
WERROR ?= $(if $(CI),-Werror,)
SANITIZE ?=
SANFLAGS := $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer,)

# OPT is the optimisation level; CFLAGS and LDFLAGS from the command line are added last.
OPT ?= -O2 -g
ALL_CFLAGS = $(OPT) -std=c11 -D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -MMD -MP \
	$(WARN) $(WERROR) $(SANFLAGS) $(PKG_CFLAGS) $(CFLAGS) \
	$(EXTRA_CFLAGS)
ALL_LDFLAGS = $(SANFLAGS) $(LDFLAGS)
LDLIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm

LIB_SRC := $(filter-out exporter/main.c exporter/helper_main.c,$(wildcard exporter/*.c)) \
	$(wildcard collectors/*.c)
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
BIN := $(BUILD)/gpu_sriov_exporter
# The privileged helper links only what it uses, and of the libraries only libsystemd.
HELPER := $(BUILD)/gpu_sriov_helper
HELPER_LDLIBS := $(shell pkg-config --libs libsystemd 2>/dev/null)

UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all deps deps-build run test unit test-unit test-asan build-clang golden update-golden watchdog-test \
	http-test gpu-test hostile-test watchdog-test systemd-check checksrc fixtures-check docs-check readme-metrics \
	clean

all: $(BIN) $(HELPER)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/obj/exporter/version.o: EXTRA_CFLAGS = -DVERSION='"$(VERSION)"' -DREVISION='"$(REVISION)"' \
	-DBRANCH='"$(BRANCH)"' -DBUILD_DATE='"$(BUILD_DATE)"'
# version.o carries the git revision: rebuild it whenever HEAD moves.
$(BUILD)/obj/exporter/version.o: $(wildcard .git/HEAD .git/index) VERSION

$(BUILD)/libexporter.a: $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(BIN): $(BUILD)/obj/exporter/main.o $(BUILD)/libexporter.a
	$(CC) $(ALL_LDFLAGS) $^ $(LDLIBS) -o $@

$(HELPER): $(BUILD)/obj/exporter/helper_main.o $(BUILD)/libexporter.a
	$(CC) $(ALL_LDFLAGS) $^ $(HELPER_LDLIBS) -o $@

# Helpers every unit test links (tests/unit/testlib.h).
$(BUILD)/tests/testlib.o: tests/unit/testlib.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iexporter -Icollectors -c $< -o $@

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/tests/testlib.o $(BUILD)/libexporter.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iexporter -Icollectors -DTEST_DATA_DIR='"$(CURDIR)/tests/fixtures"' \
		$(ALL_LDFLAGS) $< $(BUILD)/tests/testlib.o $(BUILD)/libexporter.a $(LDLIBS) -lcmocka \
		-o $@

# These tests replace one function at link time to control timing or state.
$(BUILD)/tests/test_http: ALL_LDFLAGS += -Wl,--wrap=scraper_request -Wl,--wrap=scraper_take \
	-Wl,--wrap=scrape_result_put -Wl,--wrap=scraper_take_view -Wl,--wrap=scraper_healthy
$(BUILD)/tests/test_health: ALL_LDFLAGS += -Wl,--wrap=scraper_healthy
# Moves the clock past the bound on remembered PCI facts.
$(BUILD)/tests/test_pci: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_sriov: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
# Counts reads on kept attribute descriptors and injects ENODEV (a removed sysfs node).
$(BUILD)/tests/test_attr: ALL_LDFLAGS += -Wl,--wrap=pread
# A fake clock for the caches' bounds (DKMS, kernel, IOMMU, modules, kmsg's GPU list, VM configs).
$(BUILD)/tests/test_dkms: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_module: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_kernel: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_iommu: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_kmsg: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
$(BUILD)/tests/test_fdinfo: ALL_LDFLAGS += -Wl,--wrap=monotonic_ns
# Counts whole-file reads: a load of unchanged VM configs reads none.
$(BUILD)/tests/test_pve: ALL_LDFLAGS += -Wl,--wrap=sysfs_read_file -Wl,--wrap=monotonic_ns
# Numbers and holds collections, counts requests waiting for one, and fakes the clock (test_scrape.c).
$(BUILD)/tests/test_scrape: ALL_LDFLAGS += -Wl,--wrap=registry_collect -Wl,--wrap=pthread_cond_wait \
	-Wl,--wrap=monotonic_ns
# Records the helper's sysfs writes and plays the kernel's part in the fixture copy.
$(BUILD)/tests/test_helper: ALL_LDFLAGS += -Wl,--wrap=write
# Makes chosen files vanish between readdir and open (glibc's fortified openat calls __openat_2).
$(BUILD)/tests/test_vanish: ALL_LDFLAGS += -Wl,--wrap=openat -Wl,--wrap=__openat_2
# Counts bcrypt runs: the cache and the unknown-user rule are seen without timing anything.
$(BUILD)/tests/test_auth: ALL_LDFLAGS += -Wl,--wrap=crypt_r
# A password check that waits for the test: the queue's bounds and stopping are seen as they are.
$(BUILD)/tests/test_auth_queue: ALL_LDFLAGS += -Wl,--wrap=auth_verify
$(BUILD)/tests/test_http_auth: ALL_LDFLAGS += -Wl,--wrap=crypt_r -Wl,--wrap=scraper_request \
	-Wl,--wrap=scraper_take -Wl,--wrap=scrape_result_put

deps-build:
	@sh tests/tools/deps.sh $(DEB_BUILD)

deps:
	@sh tests/tools/deps.sh $(DEB_BUILD) $(DEB_TEST) $(DEB_BENCH)

# Runs against this machine's real /sys and /proc on the default port. ARGS adds flags.
run: deps-build
	@$(MAKE) --no-print-directory all
	./$(BIN) $(ARGS)

# make install / make uninstall. GNU directory variables, each overridable; DESTDIR goes in front
# of every path (staged installs, packages). The helper is a daemon only root runs: SBINDIR and
# section 8; the exporter also runs by hand (--once, --check) without privileges: BINDIR and
# section 1. The units get the chosen paths at install time (UNIT_SED). SYSCONFDIR is /etc
# whatever the prefix, because the units are read by the system's systemd and the docs name
# /etc/default; what goes there is configuration: installed only when absent, removed only when
# unchanged. The udev rule changes who may write sysfs, so it goes to UDEVRULESDIR only with
# INSTALL_UDEV_RULE=1 (an example copy is always installed).
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
DATADIR ?= $(PREFIX)/share
MANDIR ?= $(DATADIR)/man
DOCDIR ?= $(DATADIR)/doc/gpu-sriov-exporter
SYSCONFDIR ?= /etc
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
UDEVRULESDIR ?= $(SYSCONFDIR)/udev/rules.d
INSTALL_UDEV_RULE ?=
INSTALL ?= install
PKGDATADIR = $(DATADIR)/gpu-sriov-exporter

UNITS := exporter/gpu-sriov-exporter.service exporter/gpu-sriov-exporter.socket \
	exporter/gpu-sriov-helper.service
# The checked-in units name /usr/local/bin and /etc/default.
UNIT_SED = sed -e 's|/usr/local/bin/gpu_sriov_exporter|$(BINDIR)/gpu_sriov_exporter|g' \
	-e 's|/usr/local/bin/gpu_sriov_helper|$(SBINDIR)/gpu_sriov_helper|g' \
	-e 's|/etc/default/|$(SYSCONFDIR)/default/|g'
ALERT_FILES := alerts/gpu-sriov.rules.yml alerts/alertmanager.example.yml alerts/README.md
RUNBOOKS := $(wildcard alerts/runbooks/*.md)
EXAMPLES := exporter/web-config.example.yml exporter/70-gpu-sriov-helper.rules
# Configuration: "source destination" pairs below DESTDIR.
CONFIGS = exporter/gpu-sriov-exporter.default:$(SYSCONFDIR)/default/gpu-sriov-exporter \
	exporter/gpu-sriov-helper.default:$(SYSCONFDIR)/default/gpu-sriov-helper \
	$(if $(INSTALL_UDEV_RULE),exporter/70-gpu-sriov-helper.rules:$(UDEVRULESDIR)/70-gpu-sriov-helper.rules)
UNINSTALL_CONFIGS = $(CONFIGS) \
	exporter/70-gpu-sriov-helper.rules:$(UDEVRULESDIR)/70-gpu-sriov-helper.rules

.PHONY: install uninstall
install: all
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSTEMDUNITDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(DOCDIR) \
		$(DESTDIR)$(PKGDATADIR)/alerts/runbooks $(DESTDIR)$(PKGDATADIR)/dashboards \
		$(DESTDIR)$(PKGDATADIR)/examples $(DESTDIR)$(PKGDATADIR)/systemd
	$(INSTALL) -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/gpu_sriov_exporter
	$(INSTALL) -m 0755 $(HELPER) $(DESTDIR)$(SBINDIR)/gpu_sriov_helper
	for u in $(UNITS); do \
		$(UNIT_SED) "$$u" >"$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}" && \
		chmod 0644 "$(DESTDIR)$(SYSTEMDUNITDIR)/$${u##*/}" || exit 1; \
	done
	$(UNIT_SED) exporter/gpu-sriov-exporter-socket.conf \
		>$(DESTDIR)$(PKGDATADIR)/systemd/gpu-sriov-exporter-socket.conf
	chmod 0644 $(DESTDIR)$(PKGDATADIR)/systemd/gpu-sriov-exporter-socket.conf
	$(INSTALL) -m 0644 man/gpu_sriov_exporter.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 man/gpu_sriov_helper.8 $(DESTDIR)$(MANDIR)/man8/
	$(INSTALL) -m 0644 README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 $(ALERT_FILES) $(DESTDIR)$(PKGDATADIR)/alerts/
	$(INSTALL) -m 0644 $(RUNBOOKS) $(DESTDIR)$(PKGDATADIR)/alerts/runbooks/
	$(INSTALL) -m 0644 dashboards/gpu-sriov.json $(DESTDIR)$(PKGDATADIR)/dashboards/
	$(INSTALL) -m 0644 $(EXAMPLES) $(DESTDIR)$(PKGDATADIR)/examples/
	@for c in $(CONFIGS); do \
		src=$${c%%:*}; dst="$(DESTDIR)$${c#*:}"; \
		if [ -e "$$dst" ]; then echo "keeping $$dst (exists; the shipped one is $$src)"; \
		else echo "$(INSTALL) -D -m 0644 $$src $$dst"; $(INSTALL) -D -m 0644 "$$src" "$$dst" || exit 1; fi; \
	done

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/gpu_sriov_exporter $(DESTDIR)$(SBINDIR)/gpu_sriov_helper \
		$(UNITS:exporter/%=$(DESTDIR)$(SYSTEMDUNITDIR)/%) \
		$(DESTDIR)$(PKGDATADIR)/systemd/gpu-sriov-exporter-socket.conf \
		$(DESTDIR)$(MANDIR)/man1/gpu_sriov_exporter.1 $(DESTDIR)$(MANDIR)/man8/gpu_sriov_helper.8 \
		$(DESTDIR)$(DOCDIR)/README.md \
		$(ALERT_FILES:alerts/%=$(DESTDIR)$(PKGDATADIR)/alerts/%) \
		$(RUNBOOKS:alerts/%=$(DESTDIR)$(PKGDATADIR)/alerts/%) \
		$(DESTDIR)$(PKGDATADIR)/dashboards/gpu-sriov.json \
		$(EXAMPLES:exporter/%=$(DESTDIR)$(PKGDATADIR)/examples/%)
	@for c in $(UNINSTALL_CONFIGS); do \
		src=$${c%%:*}; dst="$(DESTDIR)$${c#*:}"; \
		if [ ! -e "$$dst" ]; then :; \
		elif cmp -s "$$src" "$$dst"; then echo "rm -f $$dst"; rm -f "$$dst"; \
		else echo "keeping $$dst (changed since install)"; fi; \
	done
	@for d in $(PKGDATADIR)/alerts/runbooks $(PKGDATADIR)/alerts $(PKGDATADIR)/dashboards \
		$(PKGDATADIR)/examples $(PKGDATADIR)/systemd $(PKGDATADIR) $(DOCDIR); do \
		[ ! -d "$(DESTDIR)$$d" ] || rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; \
	done

unit: $(UNIT_BIN)

test-unit: unit
	@sh tests/tools/run-unit.sh $(UNIT_BIN)

# The unit tests and the --once golden runs again, built with AddressSanitizer and UBSan.
test-asan:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/asan SANITIZE=address,undefined OPT='-O1 -g' WERROR=-Werror \
		test-unit all
	@sh tests/e2e/golden.sh --once-only $(BUILD)/asan/gpu_sriov_exporter

# The same code built with clang, warnings as errors: a second compiler finds other mistakes.
build-clang:
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/clang CC=clang WERROR=-Werror all unit

golden: $(BIN)
	@sh tests/e2e/golden.sh $(BIN)

update-golden: $(BIN)
	@sh tests/e2e/golden.sh --update $(BIN)

http-test: $(BIN)
	@bash tests/e2e/http.sh $(BIN)

gpu-test: $(BIN)
	@sh tests/e2e/gpu.sh $(BIN)

watchdog-test: $(BIN) $(HELPER)
	@sh tests/e2e/watchdog.sh $(BIN) $(HELPER)

# The web config (TLS, client certificates, basic auth, headers, rate limit, reload) and the
# connection limits, with curl, openssl and htpasswd.
.PHONY: web-test
web-test: $(BIN)
	@bash tests/e2e/web.sh $(BIN)

# make install and make uninstall into temporary directories with two prefixes: the installed
# files against tests/e2e/install.manifest, the units' paths, systemd-analyze verify, the example
# web config with promtool and the installed exporter, rules with promtool (tests/e2e/install.sh).
.PHONY: install-test man-check
install-test: all
	@sh tests/e2e/install.sh "$(MAKE) --no-print-directory BUILD=$(BUILD)" $(BUILD)

# The man pages render without a groff warning, and their OPTIONS equal each binary's --help.
man-check: all
	@sh tests/tools/man-check.sh $(BIN) $(HELPER)

hostile-test: $(BIN)
	@sh tests/e2e/hostile.sh $(BIN)
	@sh tests/e2e/hostile_gpu.sh $(BIN)

# --check on every fixture scenario against tests/fixtures/<scenario>/check.txt, exit statuses, the
# JSON report, colour on a pseudo-terminal only, hostile VM names, usage errors.
.PHONY: check-test update-check-golden
check-test: $(BIN)
	@sh tests/e2e/check.sh $(BIN)

# Rewrites the check.txt golden files from the current binary: read every verdict before committing.
update-check-golden: $(BIN)
	@sh tests/e2e/check.sh --update $(BIN)

# The status page at / in headless Chromium (JavaScript off) on fixture exporters, checked against
# the golden files; screenshots kept in $(BUILD)/artefacts/status-<scenario>.png.
.PHONY: status-page-test
status-page-test: $(BIN)
	@bash tests/e2e/status_page.sh $(BIN) $(BUILD)/artefacts

systemd-check: $(BIN)
	@sh tests/e2e/systemd.sh $(BIN)

.PHONY: helper-test
helper-test: $(HELPER)
	@sh tests/e2e/helper.sh $(HELPER)

# A real kernel (Debian's linux-image, cached in build/vm/) under QEMU/TCG with an Intel IOMMU, two
# SR-IOV NVMe PFs and a virtio-gpu, running the exporter, the watchdog and the helper (tests/vm/).
.PHONY: test-vm
test-vm: $(BIN) $(HELPER)
	@sh tests/vm/run.sh $(BIN) $(HELPER)

# The real `dkms status` against every DKMS fixture, compared with what the dkms collector reads.
dkms-compare: $(BUILD)/libexporter.a
	@mkdir -p $(BUILD)/tests
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) tests/tools/dkms_compare.c $(BUILD)/libexporter.a \
		$(LDLIBS) -o $(BUILD)/tests/dkms_compare
	@sh tests/e2e/dkms_compare.sh $(BUILD)/tests/dkms_compare

# The real `promtool check web-config` and our parser (web_config_load() through
# tests/tools/webconfig_check.c) on every tests/fixtures/webconfig/ file: both accept *.good.yml,
# both reject *.bad.yml; the pinned differences (*.newer.yml, *.stricter.yml) are listed with their
# reasons in tests/e2e/webconfig_parity.sh. The exporter must refuse every rejected file.
.PHONY: webconfig-parity
$(BUILD)/tests/webconfig_check: tests/tools/webconfig_check.c exporter/webconfig.h \
		$(BUILD)/libexporter.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $< $(BUILD)/libexporter.a $(LDLIBS) -o $@

webconfig-parity: $(BUILD)/tests/webconfig_check $(BIN)
	@sh tests/e2e/webconfig_parity.sh $(BUILD)/tests/webconfig_check $(BIN)

# The host fixtures are generated: regenerating them must give the checked-in trees.
fixtures-check:
	@sh tests/tools/fixtures-check.sh

# The README's metric reference is generated from the golden files' HELP text.
readme-metrics:
	@python3 tests/tools/readme-metrics.py

docs-check:
	@sh tests/tools/metrics-doc.sh --check README.md
	@sh tests/tools/readme-alerts.sh README.md alerts/gpu-sriov.rules.yml

checksrc:
	@sh tests/tools/checksrc.sh
	@sh tests/tools/check-headers.sh $(CC) "$(ALL_CFLAGS)"

# The Grafana dashboard: the conventions' lint rules and promtool, then every panel query against a
# real Prometheus scraping three real exporters on fixture copies.
.PHONY: dashboard-check
dashboard-check: $(BIN)
	@python3 tests/tools/dashboard-lint.py dashboards/gpu-sriov.json
	@sh tests/e2e/dashboard.sh $(BIN) dashboards/gpu-sriov.json

# The alert rules: promtool check/test rules, runbooks, example Alertmanager config (alerts/).
.PHONY: alerts-check alerts-e2e
alerts-check:
	@sh tests/e2e/alerts-check.sh

# The alert path with the real exporter, Prometheus, Alertmanager and a webhook receiver.
alerts-e2e: $(BIN)
	@sh tests/e2e/alerts-e2e.sh $(BIN)

# Valgrind memcheck: 100 scrapes, --once on every fixture and the helper; no errors, no definite or
# indirect leak, no descriptor left open (tests/tools/valgrind-check.sh).
.PHONY: valgrind-check static-check
valgrind-check: all
	@sh tests/tools/valgrind-check.sh $(BUILD)

# cppcheck and clang-tidy on exporter/ and collectors/, cppcheck also on tests/ (cmocka modelled by
# tests/tools/cmocka.cfg), with the checked-in configuration (tests/tools/cppcheck-suppressions.txt,
# .clang-tidy); any finding fails.
static-check:
	@sh tests/tools/static-check.sh

# libFuzzer targets (tests/fuzz/), one per text parser, built with clang, ASan and UBSan in
# $(BUILD)/fuzz. Fuzz builds define FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION and the targets call only
# pure parsers (the watchdog state one reads a file, the DKMS tree one walks a tree, each in its own
# mkdtemp() directory): nothing writes to real system files. `fuzz` runs each target FUZZ_SECONDS,
# `fuzz-smoke` (in `make test`) 2 s; both first run
# each over its seed corpus tests/fuzz/fuzz_<target>_corpus/. A crash fails and prints the
# reproducer path.
FUZZ_SECONDS ?= 60
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN = $(FUZZ_SRC:tests/fuzz/%.c=$(BUILD)/fuzzers/%)
FUZZ_MAKE = $(MAKE) --no-print-directory BUILD=$(BUILD)/fuzz CC=clang OPT='-O1 -g' \
	SANITIZE=address,undefined,fuzzer-no-link CFLAGS=-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION

$(BUILD)/fuzzers/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(BUILD)/libexporter.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Iexporter -Icollectors -fsanitize=fuzzer $(ALL_LDFLAGS) $< \
		$(BUILD)/libexporter.a $(LDLIBS) -o $@

.PHONY: fuzz-bins fuzz fuzz-smoke
fuzz-bins: $(FUZZ_BIN)

fuzz:
	@$(FUZZ_MAKE) fuzz-bins
	@sh tests/fuzz/run.sh $(BUILD)/fuzz/fuzzers $(BUILD)/fuzz/work $(FUZZ_SECONDS)

fuzz-smoke:
	@$(FUZZ_MAKE) fuzz-bins
	@sh tests/fuzz/run.sh $(BUILD)/fuzz/fuzzers $(BUILD)/fuzz/work 2

# The benchmark (a report, never a verdict: it exits 0 whatever the figures): an optimised build
# without sanitizers in $(BUILD)/bench, then tests/bench/bench.sh (latency, scrapes/s, system calls,
# files read, RSS and CPU per scrape on host_n150, guest_vf and a generated large host, against
# node_exporter and a shell textfile script; idle CPU; the VM's watchdog reaction). The table goes
# to stdout and $(BUILD)/bench.txt. About 3 minutes; run as root (mknod).
.PHONY: bench bench-smoke
bench:
	@sh tests/tools/deps.sh $(DEB_BUILD) $(DEB_BENCH)
	@$(MAKE) --no-print-directory BUILD=$(BUILD)/bench OPT='-O2 -DNDEBUG' SANITIZE= all
	@sh tests/bench/bench.sh $(BUILD)/bench/gpu_sriov_exporter $(BUILD)/bench $(BUILD)/bench.txt

# The same harness for seconds per figure on the normal build: proves the table comes out complete
# (fails only when a figure could not be measured), never judges the figures.
bench-smoke: $(BIN)
	@BENCH_QUICK=1 sh tests/bench/bench.sh $(BIN) $(BUILD)/bench-smoke $(BUILD)/bench-smoke.txt

# Every suite, each reported as one line, then a "suites: N passed, N failed" summary.
test: deps
	@$(MAKE) --no-print-directory all unit
	@sh tests/tools/suites.sh "$(MAKE) --no-print-directory" checksrc fixtures-check docs-check \
		build-clang test-unit golden check-test http-test status-page-test web-test gpu-test hostile-test \
		watchdog-test \
		systemd-check helper-test dkms-compare webconfig-parity test-asan test-vm dashboard-check \
		alerts-check alerts-e2e valgrind-check static-check fuzz-smoke bench-smoke install-test \
		man-check

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
