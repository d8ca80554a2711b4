#!/usr/bin/env bash
# Snapshots at scale: creating a snapshot and diffing a 1 MiB change on a small filesystem (1,000
# files) and a large one (100,000 files and several GiB): both should cost the same (ratio ~1).
# Then the price of copy-on-write: overwriting 1 GiB in place with and without a snapshot held.
# Operations are timed at the control socket (bench/control.py), without the CLI's JVM start-up.
#   bench/snapshot.sh            (BENCH_DIR, BENCH_RUNS, BENCH_LARGE_GIB to change the defaults)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-snapshot}
RUNS=${BENCH_RUNS:-5}
LARGE_GIB=${BENCH_LARGE_GIB:-3}
CONTROL="python3 $ROOT/bench/control.py"
rm -rf "$WORK"; mkdir -p "$WORK"
cleanup() { for m in "$WORK"/m*; do mountpoint -q "$m" && "$L" umount "$m" >/dev/null; done; rm -rf "$WORK"; }
trap cleanup EXIT

# A 1 MiB change: 8 blocks of 128 KiB rewritten in 8 files spread over the tree.
change() {
  local m=$1 n=$2
  for k in 0 1 2 3 4 5 6 7; do
    local i=$(( (RANDOM * 32768 + RANDOM + k * 997) % n ))
    dd if=/dev/urandom of="$m/d$((i % 100))/f$i" bs=128K count=1 conv=notrunc status=none
  done
}

declare -A create diff size
for n in 1000 100000; do
  m="$WORK/m$n"; s="$WORK/s$n"
  mkdir -p "$m"
  "$L" init "$s" --location bench/site >/dev/null
  "$L" mount "$s" "$m" >/dev/null
  echo "[bench] creating $n files of 4 KiB" >&2
  python3 -c "
import os
block = os.urandom(4096)
for d in range(100):
    os.mkdir('$m/d%d' % d)
for i in range($n):
    with open('$m/d%d/f%d' % (i % 100, i), 'wb') as f:
        f.write(block)"
  if [ "$n" = 100000 ]; then
    echo "[bench] adding $LARGE_GIB GiB of data" >&2
    for g in $(seq 1 "$LARGE_GIB"); do dd if=/dev/urandom of="$m/big$g" bs=1M count=1024 status=none; done
  fi
  $CONTROL "$s" snapshot-create name=base manual=true hooks=false >/dev/null
  ct=""; dt=""
  for run in $(seq 1 "$RUNS"); do
    change "$m" "$n"
    ct="$ct $($CONTROL "$s" snapshot-create name="r$run" manual=true hooks=false | cut -d' ' -f1)"
    prev=$([ "$run" = 1 ] && echo base || echo "r$((run - 1))")
    out=$($CONTROL "$s" snapshot-diff from="$prev" to="r$run")
    lines=${out#* }
    [ "$lines" -ge 8 ] || { echo "diff of a 1 MiB change listed only $lines paths" >&2; exit 1; }
    dt="$dt ${out%% *}"
  done
  create[$n]=$(median <<<"$ct")
  diff[$n]=$(median <<<"$dt")
  size[$n]=$(du -sh "$s/db" | cut -f1)
done

echo "[bench] copy-on-write: overwriting 1 GiB in place" >&2
m="$WORK/mcow"; s="$WORK/scow"; mkdir -p "$m"
"$L" init "$s" --location bench/site >/dev/null
"$L" mount "$s" "$m" >/dev/null
dd if=/dev/urandom of="$WORK/random.bin" bs=1M count=1024 status=none
cp "$WORK/random.bin" "$m/file"; sync
plain=""; held=""
for run in $(seq 1 "$RUNS"); do
  # Without a snapshot: every block was born in the current epoch and is overwritten in place.
  plain="$plain $(seconds dd if="$WORK/random.bin" of="$m/file" bs=1M conv=notrunc,fsync status=none)"
  # With one held: every block is older than the snapshot, so each write makes a new version.
  $CONTROL "$s" snapshot-create name="cow$run" manual=true hooks=false >/dev/null
  held="$held $(seconds dd if="$WORK/random.bin" of="$m/file" bs=1M conv=notrunc,fsync status=none)"
  $CONTROL "$s" snapshot-delete name="cow$run" >/dev/null
done
p=$(median <<<"$plain"); h=$(median <<<"$held")

echo
echo "| snapshot case (median of $RUNS, at the control socket) | 1,000 files (${size[1000]}) | 100,000 files + $LARGE_GIB GiB (${size[100000]}) | large / small | target |"
echo "|---|---|---|---|---|"
printf '| snapshot create | %.1f ms | %.1f ms | %.2f× | ~1× |\n' "$(echo "${create[1000]} * 1000" | bc -l)" \
  "$(echo "${create[100000]} * 1000" | bc -l)" "$(echo "${create[100000]} / ${create[1000]}" | bc -l)"
printf '| snapshot diff of a 1 MiB change | %.1f ms | %.1f ms | %.2f× | ~1× |\n' "$(echo "${diff[1000]} * 1000" | bc -l)" \
  "$(echo "${diff[100000]} * 1000" | bc -l)" "$(echo "${diff[100000]} / ${diff[1000]}" | bc -l)"
echo
echo "| overwrite 1 GiB in place, dd bs=1M conv=notrunc,fsync | no snapshot | snapshot held | ratio |"
echo "|---|---|---|---|"
printf '| LocusFS | %.2f s (%.0f MB/s) | %.2f s (%.0f MB/s) | %.2f× the time |\n' "$p" "$(echo "1073.741824 / $p" | bc -l)" \
  "$h" "$(echo "1073.741824 / $h" | bc -l)" "$(echo "$h / $p" | bc -l)"
