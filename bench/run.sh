#!/usr/bin/env bash
# LocusFS side by side with the native disk and bindfs, on the same disk, in one run.
# Every case runs BENCH_RUNS times (default 3) per system; the median is reported, with ratios.
#
#   bench/run.sh                      # everything, 1 GiB sequential case
#   BENCH_RUNS=5 BENCH_DIR=/data/b bench/run.sh
#
# Needs: root (mounts, drop_caches), bindfs, python3, a build ('make build').
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
RUNS=${BENCH_RUNS:-3}
WORK=${BENCH_DIR:-/var/tmp/locusfs-bench}
SIZE_MB=${BENCH_SIZE_MB:-1024}
SMALL_FILES=${BENCH_SMALL_FILES:-5000}
FIO_SECONDS=${BENCH_FIO_SECONDS:-20}
SHM=/dev/shm/locusfs-bench
SYSTEMS=(native bindfs locusfs)

declare -A RESULTS
record() { RESULTS["$1/$2"]="${RESULTS["$1/$2"]:-} $3"; }
# The median of one case on one system.
median_of() { median <<<"${RESULTS["$1/$2"]:-}"; }
log() { echo "[bench] $*" >&2; }

dir_of() {
  case $1 in
    native) echo "$WORK/native" ;;
    bindfs) echo "$WORK/bindfs-mnt" ;;
    locusfs) echo "$WORK/locusfs-mnt" ;;
  esac
}

mount_all() {
  mountpoint -q "$WORK/bindfs-mnt" || bindfs "$WORK/bindfs-back" "$WORK/bindfs-mnt"
  mountpoint -q "$WORK/locusfs-mnt" || "$L" mount "$WORK/store" "$WORK/locusfs-mnt" >/dev/null
}

unmount_all() {
  mountpoint -q "$WORK/bindfs-mnt" && fusermount3 -u "$WORK/bindfs-mnt"
  mountpoint -q "$WORK/locusfs-mnt" && "$L" umount "$WORK/locusfs-mnt" >/dev/null
  return 0
}

# A cold cache: everything written is on disk, page cache dropped, FUSE mounts restarted.
cold() {
  sync
  echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || log "cannot drop caches; reads may be warm"
  unmount_all
  mount_all
}

cleanup() {
  unmount_all || true
  rm -rf "$WORK" "$SHM"
}
trap cleanup EXIT

command -v bindfs >/dev/null || { echo "bindfs is missing: apt-get install bindfs" >&2; exit 1; }
command -v fio >/dev/null || { echo "fio is missing: apt-get install fio" >&2; exit 1; }
[ -f "$ROOT/cli/target/locusfs.jar" ] || { echo "build first: make build" >&2; exit 1; }
rm -rf "$WORK" "$SHM"
mkdir -p "$WORK/native" "$WORK/bindfs-back" "$WORK/bindfs-mnt" "$WORK/locusfs-mnt" "$SHM"
"$L" init "$WORK/store" --location bench/local >/dev/null
mount_all

log "preparing ${SIZE_MB} MiB of random data and a source tarball in RAM"
head -c "${SIZE_MB}M" /dev/urandom > "$SHM/big"
tar -C /usr -cf "$SHM/tree.tar" include
TREE_FILES=$(tar -tf "$SHM/tree.tar" | wc -l)

# IOPS of a fio job on DIR's fio.dat (1 GiB, 4 KiB requests, one job, through the page cache).
fio_iops() { # dir rw [extra fio options...]
  fio --name=bench --directory="$1" --filename=fio.dat --size=1G --bs=4k --rw="$2" --ioengine=psync \
    --runtime="$FIO_SECONDS" --time_based --output-format=json "${@:3}" 2>/dev/null |
    python3 -c 'import json, sys; j = json.load(sys.stdin)["jobs"][0]; print(j["read"]["iops"] + j["write"]["iops"])'
}

cat > "$SHM/small.py" <<'PY'
import os, sys, time
d, n = sys.argv[1], int(sys.argv[2])
data = os.urandom(4096)
os.makedirs(d)
t0 = time.perf_counter()
for i in range(n):
    with open('%s/f%06d' % (d, i), 'wb') as f:
        f.write(data)
t1 = time.perf_counter()
for i in range(n):
    os.stat('%s/f%06d' % (d, i))
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
PY

for run in $(seq 1 "$RUNS"); do
  for sys in "${SYSTEMS[@]}"; do
    d=$(dir_of "$sys")
    log "run $run/$RUNS: $sys"
    cold
    t=$(seconds dd if="$SHM/big" of="$d/big" bs=1M conv=fsync status=none)
    record write "$sys" "$(echo "$SIZE_MB * 1.048576 / $t" | bc -l)"
    if [ "$sys" = locusfs ]; then
      pid=$(head -1 "$WORK/store/locusfs.pid")
      record rss "$sys" "$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$pid/status")"
    fi
    cold
    t=$(seconds dd if="$d/big" of=/dev/null bs=1M status=none)
    record read "$sys" "$(echo "$SIZE_MB * 1.048576 / $t" | bc -l)"
    # cp inside the file system (coreutils uses copy_file_range), then made durable.
    t=$(seconds bash -c "cp '$d/big' '$d/big.copy' && sync -f '$d/big.copy'")
    record cp "$sys" "$(echo "$SIZE_MB * 1.048576 / $t" | bc -l)"
    rm -f "$d/big" "$d/big.copy"

    read -r create stat < <(python3 "$SHM/small.py" "$d/small" "$SMALL_FILES")
    record create "$sys" "$create"
    record stat "$sys" "$stat"
    record rm "$sys" "$(seconds rm -rf "$d/small")"

    mkdir -p "$d/tree"
    record untar "$sys" "$(seconds tar -C "$d/tree" -xf "$SHM/tree.tar")"
    cold
    # Through a pipe: GNU tar skips reading file contents when its output is /dev/null itself.
    record tarc "$sys" "$(seconds bash -c "tar -C '$d/tree' -cf - . | cat > /dev/null")"
    rm -rf "$d/tree"

    # fio lays the file out first (written once, untimed), then each job runs FIO_SECONDS.
    fio --name=layout --directory="$d" --filename=fio.dat --size=1G --bs=1M --rw=write --end_fsync=1 >/dev/null 2>&1
    cold
    record randread "$sys" "$(fio_iops "$d" randread)"
    record randwrite "$sys" "$(fio_iops "$d" randwrite --fsync=32)"
    rm -f "$d/fio.dat"

    # git on a tree of $TREE_FILES files: add + commit, then status warm and after a remount.
    mkdir -p "$d/repo" && tar -C "$d/repo" -xf "$SHM/tree.tar"
    record gitcommit "$sys" "$(seconds bash -c "cd '$d/repo' && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm x")"
    (cd "$d/repo" && git status --porcelain >/dev/null)
    record gitstatus "$sys" "$(seconds bash -c "cd '$d/repo' && git status --porcelain")"
    cold
    record gitcold "$sys" "$(seconds bash -c "cd '$d/repo' && git status --porcelain")"
    rm -rf "$d/repo"
  done
  log "run $run/$RUNS: RocksDB ceiling"
  rm -rf "$WORK/ceiling"
  # With the same hardware CRC32C the daemon gives RocksDB (native/rocksdb-crc32c.c).
  read -r c block < <(java -Dlocusfs.native="$ROOT/native/build" -cp "$ROOT/bench/target/classes:$ROOT/cli/target/lib/*" io.locusfs.store.RocksCeiling \
    "$WORK/ceiling" $((SIZE_MB << 20)) | sed 's/ceiling_mb_s=//; s/block_kib=//')
  record ceiling rocksdb "$c"
  BLOCK_KIB=$block
  rm -rf "$WORK/ceiling"
done

ratio() { echo "$1 / $2" | bc -l | xargs printf '%.2f'; }
fmt() { printf '%.2f' "$1"; }
echo
echo "LocusFS benchmark: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, median of $RUNS runs, disk under $WORK"
echo
echo "| case | native | bindfs | LocusFS | LocusFS vs bindfs | LocusFS vs native | target |"
echo "|---|---|---|---|---|---|---|"
row() { # name unit key higher-is-better target-text
  local n b l; n=$(median_of "$3" native); b=$(median_of "$3" bindfs); l=$(median_of "$3" locusfs)
  if [ "$4" = higher ]; then
    echo "| $1 | $(fmt "$n") $2 | $(fmt "$b") $2 | $(fmt "$l") $2 | $(ratio "$l" "$b")× faster | $(ratio "$l" "$n")× | $5 |"
  else
    echo "| $1 | $(fmt "$n") $2 | $(fmt "$b") $2 | $(fmt "$l") $2 | $(ratio "$l" "$b")× the time | $(ratio "$l" "$n")× the time | $5 |"
  fi
}
row "sequential write ${SIZE_MB} MiB (dd bs=1M conv=fsync)" MB/s write higher "≥ 2× bindfs"
row "sequential read after a remount, cold cache (dd bs=1M)" MB/s read higher "≥ 1.0× bindfs"
row "cp of it inside the file system, then sync" MB/s cp higher "≥ 1.0× bindfs"
row "create + write $SMALL_FILES × 4 KiB, no fsync" s create lower "≤ 1.0× bindfs"
row "stat $SMALL_FILES files" s stat lower "≤ 2× bindfs"
row "rm -rf $SMALL_FILES files" s rm lower "≤ 2× bindfs"
row "tar x of /usr/include ($TREE_FILES entries)" s untar lower "≤ 2× bindfs"
row "tar c of it, cold cache" s tarc lower "≤ 2× bindfs"
row "4 KiB random reads of a 1 GiB file (fio, ${FIO_SECONDS} s)" IOPS randread higher "≥ 1.0× bindfs"
row "4 KiB random writes, fsync every 32 (fio, ${FIO_SECONDS} s)" IOPS randwrite higher "≥ 2× bindfs"
row "git add -A + commit of $TREE_FILES files" s gitcommit lower "≤ 1.0× bindfs"
row "git status, warm" s gitstatus lower "≤ 1.0× bindfs, ≤ 3× native"
row "git status after a remount, cold cache" s gitcold lower "≤ 1.0× bindfs"
c=$(median_of ceiling rocksdb); w=$(median_of write locusfs)
echo
echo "| design ceiling | value | LocusFS write as share of it | target |"
echo "|---|---|---|---|"
echo "| RocksDB put loop, ${SIZE_MB} MiB as ${BLOCK_KIB} KiB values, WAL on, synced at end | $(fmt "$c") MB/s | $(ratio "$w" "$c")× | ≥ 1.0× |"
echo "| peak RSS of the mount during the write | $(fmt "$(median_of rss locusfs)") MiB | | ≤ 512 MiB |"
