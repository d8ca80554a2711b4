#!/usr/bin/env bash
# Two builds of LocusFS and bindfs side by side on sequential I/O of a 1 GiB file: fio writes it in
# 1 MiB blocks (random bytes) with an fsync at the end, then, after a remount with the page cache
# dropped, reads it back. A fresh store per build and run, the order alternating. Also prints the CPU seconds the
# LocusFS daemon spent per GiB read (/proc/PID/stat): on 2 cores the read is CPU-bound.
#   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && mvn -q -o package -DskipTests && make native)
#   bench/sequential-ab.sh /tmp/old/packaging/bin/locusfs packaging/bin/locusfs   (BENCH_RUNS=3, BENCH_DIR)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ab_setup 3 /var/tmp/locusfs-sequential-ab "$@"
command -v fio >/dev/null && command -v bindfs >/dev/null || { echo "needs fio and bindfs" >&2; exit 1; }
rm -rf "$W"; mkdir -p "$W/mnt" "$W/back"
unmount() { mountpoint -q "$W/mnt" && { "$A" umount "$W/mnt" >/dev/null 2>&1 || fusermount3 -u "$W/mnt"; }; return 0; }
trap 'unmount; rm -rf "$W"' EXIT
# MB/s of one fio job over $W/mnt/big; extra options follow the rw mode.
fio_mbs() {
  fio --name=seq --directory="$W/mnt" --filename=big --size=1G --bs=1M --rw="$1" --ioengine=psync \
    --output-format=json "${@:2}" 2>/dev/null |
    python3 -c 'import json, sys; j = json.load(sys.stdin)["jobs"][0]; print((j["read"]["bw_bytes"] + j["write"]["bw_bytes"]) / 1e6)'
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$(head -1 "$W/store/locusfs.pid")/stat"; }
declare -A R
for run in $(seq 1 "$RUNS"); do
  order="a b bindfs"; [ $((run % 2)) = 1 ] || order="bindfs b a"
  for which in $order; do
    l=$([ "$which" = a ] && echo "$A" || echo "$B")
    if [ "$which" = bindfs ]; then rm -rf "$W/back"; mkdir -p "$W/back"; bindfs "$W/back" "$W/mnt"
    else rm -rf "$W/store"; "$l" init "$W/store" --location bench/local >/dev/null; "$l" mount "$W/store" "$W/mnt" >/dev/null; fi
    w=$(fio_mbs write --end_fsync=1)
    sync
    if [ "$which" = bindfs ]; then fusermount3 -u "$W/mnt"; echo 3 > /proc/sys/vm/drop_caches; bindfs "$W/back" "$W/mnt"
    else "$l" umount "$W/mnt" >/dev/null; echo 3 > /proc/sys/vm/drop_caches; "$l" mount "$W/store" "$W/mnt" >/dev/null; fi
    before=$([ "$which" = bindfs ] && echo 0 || cpu_ticks)
    r=$(fio_mbs read)
    cpu=nan
    [ "$which" = bindfs ] || cpu=$(echo "($(cpu_ticks) - $before) / $(getconf CLK_TCK)" | bc -l)
    unmount
    printf 'run %d %-6s write %7.0f MB/s  cold read %7.0f MB/s  daemon CPU %.2f s per GiB read\n' "$run" "$which" "$w" "$r" "$cpu"
    ab_record R "$which" write_mb_s="$w" cold_read_mb_s="$r" daemon_cpu_s_per_gib_read="$cpu"
  done
done
ab_medians R write_mb_s cold_read_mb_s daemon_cpu_s_per_gib_read
ab_ratio R write_mb_s write
ab_ratio R cold_read_mb_s 'cold read'
