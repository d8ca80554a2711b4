#!/usr/bin/env bash
# Two builds of LocusFS side by side on small files, alternating which goes first, a fresh store
# each run: 10,000 x 4 KiB files created, tar x of /usr/include, then after a remount with the page
# cache dropped tar c of that tree and cat of the small files. Prints each run and the medians.
# For a change to the store's layout or options, where the machine's noise (±25% here) needs
# many paired runs to see through.
#   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && mvn -q -o package -DskipTests)
#   bench/small-files-ab.sh /tmp/old/packaging/bin/locusfs packaging/bin/locusfs   (BENCH_RUNS=9, BENCH_DIR)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ab_setup 9 /var/tmp/locusfs-small-ab "$@"
rm -rf "$W"; mkdir -p "$W"
trap 'for l in "$A" "$B"; do mountpoint -q "$W/mnt" && "$l" umount "$W/mnt" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
tar -C /usr -cf "$W/tree.tar" include
cold() { "$1" umount "$W/mnt" >/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches; "$1" mount "$W/store" "$W/mnt" >/dev/null; }
declare -A R
for run in $(seq 1 "$RUNS"); do
  order="a b"; [ $((run % 2)) = 1 ] || order="b a"
  for which in $order; do
    l=$([ "$which" = a ] && echo "$A" || echo "$B")
    rm -rf "$W/store" "$W/mnt"; mkdir -p "$W/mnt"
    "$l" init "$W/store" --location bench/local >/dev/null
    "$l" mount "$W/store" "$W/mnt" >/dev/null
    c=$(seconds python3 -c 'import os,sys; d=sys.argv[1]; os.makedirs(d); b=os.urandom(4096)
for i in range(10000): open("%s/f%05d" % (d, i), "wb").write(b)' "$W/mnt/small")
    mkdir "$W/mnt/tree"
    x=$(seconds tar -C "$W/mnt/tree" -xf "$W/tree.tar")
    cold "$l"
    t=$(seconds bash -c "tar -C '$W/mnt/tree' -cf - . | cat > /dev/null")
    cold "$l"
    r=$(seconds bash -c "cat '$W/mnt/small'/* > /dev/null")
    "$l" umount "$W/mnt" >/dev/null
    printf 'run %d %s: create %.2f s, tar x %.2f s, tar c %.2f s, cat %.2f s\n' "$run" "$which" "$c" "$x" "$t" "$r"
    R[$which/create]="${R[$which/create]:-} $c"; R[$which/tarx]="${R[$which/tarx]:-} $x"
    R[$which/tarc]="${R[$which/tarc]:-} $t"; R[$which/cat]="${R[$which/cat]:-} $r"
  done
done
for case in create tarx tarc cat; do
  printf 'median %-6s A %.2f s  B %.2f s\n' "$case" "$(median <<<"${R[a/$case]}")" "$(median <<<"${R[b/$case]}")"
done
