#!/usr/bin/env bash
# Two builds of LocusFS side by side on 'git status' after a remount with the page cache dropped:
# each run makes a fresh store holding a commit of /usr/include, then times two cold 'git status'.
# Alternates which build goes first. Prints one line per measurement ("A 0.83" / "B 0.90").
#   git worktree add /tmp/old HEAD~1 && (cd /tmp/old && mvn -q -o package -DskipTests)
#   BENCH_RUNS=7 bench/git-cold-ab.sh /tmp/old/packaging/bin/locusfs packaging/bin/locusfs
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
ab_setup 7 /var/tmp/locusfs-gitcold "$@"
rm -rf "$W"; mkdir -p "$W"
trap 'for l in "$A" "$B"; do mountpoint -q "$W/mnt" && "$l" umount "$W/mnt" >/dev/null 2>&1; done; rm -rf "$W"' EXIT
for run in $(seq "$RUNS"); do
  order="A B"; [ $((run % 2)) = 1 ] || order="B A"
  for which in $order; do
    l=$([ "$which" = A ] && echo "$A" || echo "$B")
    rm -rf "$W/store" "$W/mnt"; mkdir -p "$W/mnt"
    "$l" init "$W/store" --location bench/local >/dev/null
    "$l" mount "$W/store" "$W/mnt" >/dev/null
    mkdir "$W/mnt/repo" && tar -C /usr -cf - include | tar -C "$W/mnt/repo" -xf -
    (cd "$W/mnt/repo" && git init -q && git add -A && git -c user.name=b -c user.email=b@b commit -qm x)
    for _ in 1 2; do
      "$l" umount "$W/mnt" >/dev/null; sync; echo 3 > /proc/sys/vm/drop_caches
      "$l" mount "$W/store" "$W/mnt" >/dev/null
      s=$(date +%s.%N); (cd "$W/mnt/repo" && git status --porcelain >/dev/null); e=$(date +%s.%N)
      echo "$which $(echo "$e - $s" | bc)"
    done
    "$l" umount "$W/mnt" >/dev/null
  done
done
