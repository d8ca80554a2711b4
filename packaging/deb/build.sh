#!/bin/bash
# Jars go to /usr/share/locusfs (where the launcher looks after its own tree).
# Builds the Debian package locusfs_VERSION_ARCH.deb into OUTDIR from a finished build ('make
# build', 'make man'): the jars, the launchers, mount.locusfs, the systemd units, the manual pages
# and the bash completion. Architecture-specific: mount.locusfs is compiled, and the jars carry
# RocksDB's and jnr's native libraries for this machine.
# usage: packaging/deb/build.sh OUTDIR MANDIR
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: build.sh OUTDIR MANDIR}
man=${2:?usage: build.sh OUTDIR MANDIR}
version=$(sed -n 's/^version=//p' "$root/cli/target/classes/locusfs-version.properties")
arch=$(dpkg --print-architecture)
pkg=$(mktemp -d)
trap 'rm -rf "$pkg"' EXIT
umask 022

install -d "$pkg/usr/share/locusfs/lib" "$pkg/usr/bin" "$pkg/sbin" "$pkg/lib/systemd/system" \
  "$pkg/usr/share/man/man5" "$pkg/usr/share/man/man8" "$pkg/usr/share/bash-completion/completions" \
  "$pkg/usr/share/doc/locusfs" "$pkg/DEBIAN"
install -m 644 "$root/cli/target/locusfs.jar" "$pkg/usr/share/locusfs/"
install -m 644 "$root"/cli/target/lib/*.jar "$pkg/usr/share/locusfs/lib/"
install -m 755 "$root/packaging/bin/locusfs" "$root/packaging/bin/locusfs-tls" "$pkg/usr/bin/"
install -m 755 -s "$root/native/build/mount.locusfs" "$pkg/sbin/"
if [ -f "$root/native/build/librocksdb-crc32c.so" ]; then
  install -d "$pkg/usr/lib/locusfs"
  install -m 644 -s "$root/native/build/librocksdb-crc32c.so" "$pkg/usr/lib/locusfs/"
fi
install -m 644 "$root"/packaging/systemd/*.service "$pkg/lib/systemd/system/"
install -m 644 "$man"/man5/*.5.gz "$pkg/usr/share/man/man5/"
install -m 644 "$man"/man8/*.8.gz "$pkg/usr/share/man/man8/"
# Sourced, not run: without picocli's hashbang line.
sed '1{/^#!/d}' "$root/cli/target/locusfs.bash-completion" > "$pkg/usr/share/bash-completion/completions/locusfs"
chmod 644 "$pkg/usr/share/bash-completion/completions/locusfs"
cat > "$pkg/usr/share/doc/locusfs/copyright" <<COPYRIGHT
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: locusfs
Source: the LocusFS repository

Files: *
Copyright: 2026 the LocusFS authors
License: Apache-2.0

License: Apache-2.0
 On Debian systems, the full text of the Apache License version 2.0 can be
 found in the file '/usr/share/common-licenses/Apache-2.0'.
COPYRIGHT
{
  echo "locusfs ($version) unstable; urgency=medium"
  echo
  echo "  * Built from $(git -C "$root" describe --always --dirty 2>/dev/null || echo 'a source tree')."
  echo
  echo " -- LocusFS <team@locusfs.dev>  $(date -R -d "@$(git -C "$root" log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n > "$pkg/usr/share/doc/locusfs/changelog.gz"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: locusfs
Version: $version
Architecture: $arch
Maintainer: LocusFS <team@locusfs.dev>
Installed-Size: $size
Depends: fuse3, openjdk-17-jre-headless | java17-runtime-headless, libc6
Recommends: openssl, bash-completion
Section: admin
Priority: optional
Homepage: https://locusfs.dev/
Description: location-aware filesystem with snapshots and replication
 LocusFS is a FUSE filesystem stored in RocksDB in which every file knows
 where it physically lives: a signed location that only the filesystem
 writes, location policy enforced at open, copy-on-write snapshots, and
 replication of snapshot differences to mirrors over TLS.
 .
 This package has the locusfs command, mount.locusfs for mount(8) and
 /etc/fstab, systemd units for mirrors and replication, manual pages and
 bash completion.
CONTROL
mkdir -p "$out"
deb="$out/locusfs_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
echo "$deb"
