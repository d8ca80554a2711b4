#!/usr/bin/env bash
# Two builds of LocusFS and bindfs side by side on 4 KiB random I/O of a 1 GiB file (fio, one job,
# through the page cache): random writes with an fsync every 32, then random reads after a
# remount with the page cache dropped. A fresh store per build and run, the order alternating.
# Also prints the bytes each LocusFS daemon wrote to disk per byte fio wrote (/proc/PID/io), the
# write amplification the data layout causes.
#   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && mvn -q -o package -DskipTests)
#   bench/random-io-ab.sh /tmp/old/packaging/bin/locusfs packaging/bin/locusfs   (BENCH_RUNS=3, BENCH_FIO_SECONDS=20, BENCH_DIR)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ab_setup 3 /var/tmp/locusfs-random-ab "$@"
SECS=${BENCH_FIO_SECONDS:-20}
command -v fio >/dev/null && command -v bindfs >/dev/null || { echo "needs fio and bindfs" >&2; exit 1; }
rm -rf "$W"; mkdir -p "$W/mnt" "$W/back"
unmount() { mountpoint -q "$W/mnt" && { "$A" umount "$W/mnt" >/dev/null 2>&1 || fusermount3 -u "$W/mnt"; }; return 0; }
trap 'unmount; rm -rf "$W"' EXIT

# IOPS of one fio job on $W/mnt/fio.dat; extra options follow the rw mode.
fio_iops() {
  fio --name=ab --directory="$W/mnt" --filename=fio.dat --size=1G --bs=4k --rw="$1" --ioengine=psync \
    --runtime="$SECS" --time_based --output-format=json "${@:2}" 2>/dev/null |
    python3 -c 'import json, sys; j = json.load(sys.stdin)["jobs"][0]; print(j["read"]["iops"] + j["write"]["iops"], j["write"]["io_bytes"])'
}
daemon_written() { awk '/^write_bytes/ {print $2}' "/proc/$(head -1 "$W/store/locusfs.pid")/io"; }
start() { # which
  case $1 in
    bindfs) rm -rf "$W/back"; mkdir -p "$W/back"; bindfs "$W/back" "$W/mnt" ;;
    *) rm -rf "$W/store"; "$2" init "$W/store" --location bench/local >/dev/null; "$2" mount "$W/store" "$W/mnt" >/dev/null ;;
  esac
}
remount_cold() { # which launcher
  sync
  if [ "$1" = bindfs ]; then fusermount3 -u "$W/mnt"; echo 3 > /proc/sys/vm/drop_caches; bindfs "$W/back" "$W/mnt"
  else "$2" umount "$W/mnt" >/dev/null; echo 3 > /proc/sys/vm/drop_caches; "$2" mount "$W/store" "$W/mnt" >/dev/null; fi
}
declare -A R
for run in $(seq 1 "$RUNS"); do
  order="a b bindfs"; [ $((run % 2)) = 1 ] || order="bindfs b a"
  for which in $order; do
    l=$([ "$which" = a ] && echo "$A" || echo "$B")
    start "$which" "$l"
    fio --name=layout --directory="$W/mnt" --filename=fio.dat --size=1G --bs=1M --rw=write --end_fsync=1 >/dev/null 2>&1
    before=$([ "$which" = bindfs ] && echo 0 || daemon_written)
    read -r w wbytes < <(fio_iops randwrite --fsync=32)
    amp=nan
    if [ "$which" != bindfs ]; then amp=$(echo "($(daemon_written) - $before) / $wbytes" | bc -l); fi
    remount_cold "$which" "$l"
    read -r r _ < <(fio_iops randread)
    unmount
    printf 'run %d %-6s randwrite %8.0f IOPS (%.1f bytes written per byte)  randread %8.0f IOPS\n' "$run" "$which" "$w" "$amp" "$r"
    ab_record R "$which" randwrite_iops="$w" randread_iops="$r" bytes_written_per_byte="$amp"
  done
done
ab_medians R randwrite_iops randread_iops bytes_written_per_byte
ab_ratio R randwrite_iops randwrite
ab_ratio R randread_iops randread
