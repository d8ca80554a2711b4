# LocusFS: make run | make test | make bench | make build | make install
# Each target installs what it needs on a fresh Debian machine (as root, or with sudo).

SHELL := /bin/bash
MVN ?= mvn -B -q
STORE ?= var/store
MNT ?= mnt
LOCATION ?= local/dev
PREFIX ?= /usr/local
APT_PACKAGES := fuse3 libfuse3-3 gcc libc6-dev attr rsync git bindfs python3 bc psmisc openjdk-17-jdk-headless maven e2fsprogs sqlite3 libarchive-tools openssl curl restic fio asciidoctor lintian man-db bash-completion
# The object-store tests start a single-node Ceph cluster with the RADOS Gateway (tests/ceph/up.sh).
CEPH_PACKAGES := ceph-mon ceph-osd radosgw ceph-common
# A headless browser: the residency report's HTML page is rendered and screenshotted by the tests.
BROWSER_PACKAGES := chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: deps build native man deb test bench run stop install clean

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@missing=""; for p in $(CEPH_PACKAGES) $(BROWSER_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@test -e /dev/fuse || { echo "/dev/fuse is missing: load the fuse module (modprobe fuse)"; exit 1; }

# Maven prints colour codes even when quiet and not on a terminal: strip them.
build: deps native
	@set -o pipefail; $(MVN) -DskipTests package 2>&1 | sed 's/\x1b\[[0-9;]*m//g'

# The native helpers (native/): mount.locusfs, which mount(8) runs for 'mount -t locusfs', and
# on x86-64 the hardware CRC32C that RocksDB's own library lacks (native/rocksdb-crc32c.c).
NATIVE := native/build/mount.locusfs $(if $(filter x86_64,$(shell uname -m)),native/build/librocksdb-crc32c.so)
native: $(NATIVE)

native/build/mount.locusfs: native/mount.locusfs.c
	@mkdir -p native/build
	gcc -O2 -Wall -Wextra -Werror -o $@ $<

native/build/librocksdb-crc32c.so: native/rocksdb-crc32c.c
	@mkdir -p native/build
	gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o $@ $<

# Manual pages: locusfs(8) and one per command from the commands themselves, the configuration
# files' pages and mount.locusfs(8) from packaging/man/ (see packaging/man/build.sh).
man: build
	packaging/man/build.sh build/man

# The Debian package: build/locusfs_VERSION_ARCH.deb ('apt-get install ./build/locusfs_*.deb').
deb: man
	packaging/deb/build.sh build build/man

# Not quiet: Surefire's "Tests run: N, Failures: 0" lines are the record of what ran.
test: deps native
	mvn -B -ntp verify

bench: build
	bench/run.sh
	bench/location.sh
	bench/snapshot.sh
	bench/policy.sh
	bench/translate.sh
	bench/replicate.sh
	bench/objectstore.sh
	bench/residency.sh

run: build
	@mkdir -p $(MNT)
	@test -f $(STORE)/LOCUSFS || { packaging/bin/locusfs init $(STORE) --location $(LOCATION) >/dev/null \
	  && echo "created the store ./$(STORE) (location $(LOCATION))"; }
	@mountpoint -q $(MNT) || packaging/bin/locusfs mount $(STORE) $(MNT)
	@echo
	@echo "LocusFS is mounted at ./$(MNT) (store ./$(STORE), location $(LOCATION))."
	@echo "Use it like any directory:   cp -a ~/some/dir $(MNT)/ && ls -l $(MNT)"
	@echo "Stop it:                     make stop   (or: packaging/bin/locusfs umount $(MNT))"
	@echo "Check the store afterwards:  packaging/bin/locusfs fsck $(STORE)"

stop:
	packaging/bin/locusfs umount $(MNT)

install: man
	$(SUDO) install -d $(PREFIX)/lib/locusfs/lib $(PREFIX)/bin $(PREFIX)/share/man/man5 $(PREFIX)/share/man/man8 \
	  $(PREFIX)/share/bash-completion/completions
	$(SUDO) install -m 644 cli/target/locusfs.jar $(PREFIX)/lib/locusfs/
	$(SUDO) install -m 644 cli/target/lib/*.jar $(PREFIX)/lib/locusfs/lib/
	$(SUDO) install -m 755 packaging/bin/locusfs $(PREFIX)/bin/locusfs
	$(SUDO) install -m 755 packaging/bin/locusfs-tls $(PREFIX)/bin/locusfs-tls
	$(SUDO) install -m 755 native/build/mount.locusfs /sbin/mount.locusfs
	$(if $(wildcard native/build/librocksdb-crc32c.so),$(SUDO) install -m 644 native/build/librocksdb-crc32c.so $(PREFIX)/lib/locusfs/)
	$(SUDO) install -m 644 build/man/man5/*.gz $(PREFIX)/share/man/man5/
	$(SUDO) install -m 644 build/man/man8/*.gz $(PREFIX)/share/man/man8/
	$(SUDO) install -m 644 cli/target/locusfs.bash-completion $(PREFIX)/share/bash-completion/completions/locusfs
	@echo "installed $(PREFIX)/bin/locusfs"

clean:
	$(MVN) clean
	rm -rf native/build build
