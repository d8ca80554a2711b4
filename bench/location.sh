#!/usr/bin/env bash
# Location at scale: relabelling a store of 100,000 files against one of 1,000 (O(1): the
# ratio should be ~1), and 'locusfs where --zone' over 100,000 files (target: under a second).
#   bench/location.sh
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-location}
RUNS=${BENCH_RUNS:-3}
rm -rf "$WORK"; mkdir -p "$WORK"
cleanup() { for m in "$WORK"/m*; do mountpoint -q "$m" && "$L" umount "$m" >/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

declare -A relabel
for n in 1000 100000; do
  mkdir -p "$WORK/m$n"
  "$L" init "$WORK/s$n" --location bench/site-a >/dev/null
  "$L" mount "$WORK/s$n" "$WORK/m$n" >/dev/null
  echo "[bench] creating $n files" >&2
  python3 -c "
import os
for d in range(100):
    os.mkdir('$WORK/m$n/d%03d' % d)
for i in range($n):
    open('$WORK/m$n/d%03d/f%06d' % (i % 100, i), 'w').close()"
  times=""
  for run in $(seq 1 "$RUNS"); do
    times="$times $(seconds "$L" location set "$WORK/m$n" "bench/site-$run")"
  done
  relabel[$n]=$(median <<<"$times")
done
count=$("$L" where --zone 'bench/**' "$WORK/m100000" | wc -l)
times=""
for run in $(seq 1 "$RUNS"); do
  times="$times $(seconds "$L" where --zone 'bench/**' "$WORK/m100000")"
done
zone=$(median <<<"$times")
times=""
for run in $(seq 1 "$RUNS"); do
  times="$times $(seconds find "$WORK/m100000" -xdev)"
done
walk=$(median <<<"$times")

echo
echo "| location case | 1,000 files | 100,000 files | ratio | target |"
echo "|---|---|---|---|---|"
printf '| locusfs location set (relabel a mounted store, whole command) | %.3f s | %.3f s | %.2f× | O(1): ~1× |\n' \
  "${relabel[1000]}" "${relabel[100000]}" "$(echo "${relabel[100000]} / ${relabel[1000]}" | bc -l)"
echo
echo "| query over 100,000 files | time | entries | vs find(1) walking the mount |"
echo "|---|---|---|---|"
printf "| locusfs where --zone 'bench/**' (whole command) | %.3f s | %d | %.2f× the time of find (%.3f s) |\n" \
  "$zone" "$count" "$(echo "$zone / $walk" | bc -l)" "$walk"
