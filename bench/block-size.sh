#!/usr/bin/env bash
# Sequential write and read through a LocusFS mount for several block sizes, one store each,
# against the same random data: the measurement behind the default in snapshotter/FORMAT.md.
#   bench/block-size.sh            # 512 MiB per size
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-blocksize}
SIZE_MB=${BENCH_SIZE_MB:-512}
rm -rf "$WORK"; mkdir -p "$WORK/mnt"
trap 'mountpoint -q "$WORK/mnt" && "$L" umount "$WORK/mnt" >/dev/null; rm -rf "$WORK"' EXIT
head -c "${SIZE_MB}M" /dev/urandom > /dev/shm/locusfs-blocksize
echo "| block size | write MB/s | read MB/s | 4 KiB random overwrites/s |"
echo "|---|---|---|---|"
for bs in 32K 64K 128K 256K 1M; do
  rm -rf "$WORK/store"
  "$L" init "$WORK/store" --location bench --block-size "$bs" >/dev/null
  "$L" mount "$WORK/store" "$WORK/mnt" >/dev/null
  w=$(seconds dd if=/dev/shm/locusfs-blocksize of="$WORK/mnt/f" bs=1M conv=fsync status=none)
  "$L" umount "$WORK/mnt" >/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
  "$L" mount "$WORK/store" "$WORK/mnt" >/dev/null
  r=$(seconds dd if="$WORK/mnt/f" of=/dev/null bs=1M status=none)
  rnd=$(python3 - "$WORK/mnt/f" "$SIZE_MB" <<'PY'
import os, random, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY); size = int(sys.argv[2]) << 20; data = os.urandom(4096)
random.seed(1); t = time.perf_counter(); n = 2000
for _ in range(n):
    os.pwrite(fd, data, random.randrange(0, size // 4096) * 4096)
os.fsync(fd); os.close(fd)
print(n / (time.perf_counter() - t))
PY
)
  "$L" umount "$WORK/mnt" >/dev/null
  printf '| %s | %.0f | %.0f | %.0f |\n' "$bs" "$(echo "$SIZE_MB * 1.048576 / $w" | bc -l)" "$(echo "$SIZE_MB * 1.048576 / $r" | bc -l)" "$rnd"
done
rm -f /dev/shm/locusfs-blocksize
