#!/usr/bin/env bash
# Export and import throughput of the tar translator against GNU tar on the same tree on native
# disk: 'locusfs export --format tar' (which also reads the archive back to verify it) against
# 'tar -cf' of the tree, and 'locusfs import' into an empty store against 'tar -xf' onto disk.
# Page cache dropped before every timed run; medians of BENCH_RUNS runs.
#   bench/translate.sh          (BENCH_DIR, BENCH_RUNS, BENCH_BIG_FILES, BENCH_SMALL_FILES to change the defaults)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-translate}
RUNS=${BENCH_RUNS:-3}
BIG=${BENCH_BIG_FILES:-1000}      # 1 MiB each
SMALL=${BENCH_SMALL_FILES:-20000} # 4 KiB each
rm -rf "$WORK"; mkdir -p "$WORK/src" "$WORK/m"
cleanup() { mountpoint -q "$WORK/m" && "$L" umount "$WORK/m" >/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

echo "[bench] a tree of $BIG files of 1 MiB and $SMALL of 4 KiB" >&2
python3 -c "
import os
for d in range(100):
    os.mkdir('$WORK/src/d%d' % d)
for i in range($BIG):
    with open('$WORK/src/d%d/big%d' % (i % 100, i), 'wb') as f: f.write(os.urandom(1 << 20))
for i in range($SMALL):
    with open('$WORK/src/d%d/small%d' % (i % 100, i), 'wb') as f: f.write(os.urandom(4096))
"
"$L" init "$WORK/store" --location bench/site >/dev/null
"$L" mount "$WORK/store" "$WORK/m" >/dev/null
cp -a "$WORK/src/." "$WORK/m/"
"$L" snapshot create "$WORK/store" s1 >/dev/null
"$L" umount "$WORK/m" >/dev/null
bytes=$(du -sb "$WORK/src" | cut -f1)

declare -a tar_c locus_e tar_x locus_i
for run in $(seq "$RUNS"); do
  rm -f "$WORK/native.tar" "$WORK/locus.tar"; rm -rf "$WORK/dst" "$WORK/store2"; mkdir -p "$WORK/dst"
  drop; tar_c+=("$(seconds tar -C "$WORK/src" -cf "$WORK/native.tar" .)")
  drop; locus_e+=("$(seconds "$L" export "$WORK/store" s1 --format tar --output "$WORK/locus.tar")")
  drop; tar_x+=("$(seconds tar -C "$WORK/dst" -xf "$WORK/native.tar")")
  "$L" init "$WORK/store2" --location bench/other >/dev/null
  drop; locus_i+=("$(seconds "$L" import "$WORK/store2" --format tar "$WORK/locus.tar")")
  echo "[bench] run $run: tar -c ${tar_c[-1]} s, export ${locus_e[-1]} s, tar -x ${tar_x[-1]} s, import ${locus_i[-1]} s" >&2
done
tc=$(echo "${tar_c[@]}" | median); le=$(echo "${locus_e[@]}" | median)
tx=$(echo "${tar_x[@]}" | median); li=$(echo "${locus_i[@]}" | median)
mbs() { echo "scale=0; $bytes / $1 / 1000000" | bc -l; }
printf '%-44s %10s %10s %8s\n' "tree: $((BIG + SMALL)) files, $((bytes / 1048576)) MiB" seconds "MB/s" ratio
printf '%-44s %10.2f %10s %8s\n' "GNU tar -cf (native disk)" "$tc" "$(mbs "$tc")" 1.00
printf '%-44s %10.2f %10s %8.2f\n' "locusfs export --format tar (incl. verify)" "$le" "$(mbs "$le")" "$(echo "$le / $tc" | bc -l)"
printf '%-44s %10.2f %10s %8s\n' "GNU tar -xf (native disk)" "$tx" "$(mbs "$tx")" 1.00
printf '%-44s %10.2f %10s %8.2f\n' "locusfs import --format tar (incl. checks)" "$li" "$(mbs "$li")" "$(echo "$li / $tx" | bc -l)"
echo "(ratio: LocusFS time / tar time; below 1 is faster)"
