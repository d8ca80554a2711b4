#!/usr/bin/env bash
# Object-store mirrors against restic, to the same Ceph RADOS Gateway (tests/ceph/up.sh, on
# 127.0.0.1, one OSD on memstore), in one run:
#   LocusFS: 'locusfs replicate --once' of a store to a [[mirror]] with type = "s3" (a cold process
#            each time: JVM start included); then 1% changes shipped by the daemon as it runs
#            (mount --replicate: mkdir .snapshots/NAME to the log line of the upload; the first
#            after the mount, and the median of BENCH_ROUNDS after BENCH_WARMUP); then
#            'locusfs restore' of the newest snapshot into a directory
#   restic:  'restic backup' to an S3 repository on the same gateway, then 'restic restore'
# First the whole tree (bench/tree.py), then a 1% change of it (bench/change.py), then a restore
# of the whole newest snapshot; page cache dropped before each run. Bytes uploaded are what the
# gateway says each bucket holds (radosgw-admin bucket stats), before and after.
#   bench/objectstore.sh   (BENCH_DIR, BENCH_FILES (default 20000), BENCH_BIG_FILES (default 200); BENCH_KEEP=1
#                           keeps the stores and the gateway running for profiling: tests/ceph/down.sh BENCH_DIR/ceph)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-objectstore}
FILES=${BENCH_FILES:-20000}
BIG=${BENCH_BIG_FILES:-200}
rm -rf "$WORK"; mkdir -p "$WORK/src" "$WORK/m"
cleanup() {
  mountpoint -q "$WORK/m" && "$L" umount "$WORK/m" >/dev/null
  [ -n "${BENCH_KEEP:-}" ] || { "$ROOT/tests/ceph/down.sh" "$WORK/ceph" >/dev/null 2>&1; rm -rf "$WORK"; }
}
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

port=$(free_port)
CEPH_MEMSTORE_MIB=$(( (BIG + FILES / 50) * 3 + 1024 )) "$ROOT/tests/ceph/up.sh" "$WORK/ceph" "$port" eu-central-1 >&2
set -a; . "$WORK/ceph/s3.env"; set +a
export CEPH_CONF="$WORK/ceph/ceph.conf" RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$WORK/restic-cache"
# bucket_bytes NAME: the bytes the gateway holds for bucket NAME.
bucket_bytes() { radosgw-admin bucket stats --bucket="$1" 2>/dev/null | python3 -c 'import json,sys; u=json.load(sys.stdin)["usage"]; print(sum(v["size"] for v in u.values()))'; }

echo "[bench] a tree of $BIG files of 1 MiB and $FILES of 1-20 KiB" >&2
python3 "$ROOT/bench/tree.py" "$WORK/src" "$BIG" "$FILES"
bytes=$(du -sb "$WORK/src" | cut -f1)
change() { python3 "$ROOT/bench/change.py" "$1" "$BIG" "$FILES" "${2:-2}"; }

# --- LocusFS: a store filled by a dir import, shipped by a cold 'replicate --once' ---
"$L" init "$WORK/origin" --location bench/origin >/dev/null
"$L" import "$WORK/origin" --format dir "$WORK/src" --snapshot s1 >/dev/null
"$L" mirror key "$WORK/bucket.key" >/dev/null
cat > "$WORK/replication.toml" <<TOML
[replication]
source = "$WORK/origin"
[[mirror]]
name = "bucket"
type = "s3"
endpoint = "$S3_ENDPOINT"
bucket = "locusfs-bench"
region = "$S3_REGION"
zone = "bench/bucket"
key = "$WORK/bucket.key"
TOML
once() { "$L" replicate --once --config "$WORK/replication.toml" 2>"$WORK/once.log" || { cat "$WORK/once.log" >&2; exit 1; }; }
drop; locus_initial=$(seconds once)
locus_initial_bytes=$(bucket_bytes locusfs-bench)

# --- restic: an S3 repository on the same gateway ---
REPO="s3:$S3_ENDPOINT/restic-bench"
restic -r "$REPO" init >/dev/null 2>&1
restic_backup() { restic -r "$REPO" backup --quiet "$WORK/src" >/dev/null; }
drop; restic_initial=$(seconds restic_backup)
restic_initial_bytes=$(bucket_bytes restic-bench)

# --- the 1% change: the same change through the mount and on the plain tree ---
"$L" mount "$WORK/origin" "$WORK/m" >/dev/null
changed=$(change "$WORK/m")
"$L" umount "$WORK/m" >/dev/null
change "$WORK/src" >/dev/null
"$L" snapshot create "$WORK/origin" s2 >/dev/null
drop; locus_inc=$(seconds once)
locus_inc_bytes=$(( $(bucket_bytes locusfs-bench) - locus_initial_bytes ))
grep -q "replicated snapshot s2 (since s1)" "$WORK/once.log" || { echo "s2 was not shipped as a change:"; cat "$WORK/once.log"; exit 1; }
drop; restic_inc=$(seconds restic_backup)
restic_inc_bytes=$(( $(bucket_bytes restic-bench) - restic_initial_bytes ))

# --- 1% changes shipped by the daemon as it runs (mount --replicate): snapshot -> upload done ---
# The first after the mount, then BENCH_WARMUP uncounted ones (the JIT compiles the paths), then
# the median of BENCH_ROUNDS more: the daemon's steady state. restic backs up the same changes.
"$L" mount "$WORK/origin" "$WORK/m" --replicate "$WORK/replication.toml" >/dev/null
until grep -q "mirror bucket .* is up" "$WORK/origin/locusfs.log" 2>/dev/null; do sleep 0.1; done
# daemon_round NAME SEED: the change through the mount, snapshot NAME; prints seconds to its upload.
daemon_round() {
  change "$WORK/m" "$2" >/dev/null
  drop; local start acked
  start=$(date +%s.%N)
  mkdir "$WORK/m/.snapshots/$1"
  until grep -q "replicated snapshot $1 " "$WORK/origin/locusfs.log"; do sleep 0.02; done
  acked=$(date -d "$(grep -m1 "replicated snapshot $1 " "$WORK/origin/locusfs.log" | cut -d' ' -f1)" +%s.%N)
  echo "$acked - $start" | bc -l
}
# restic_round SEED: the same change on the plain tree, then a backup; prints its seconds.
restic_round() { change "$WORK/src" "$1" >/dev/null; drop; seconds restic_backup; }
locus_daemon=$(daemon_round s3 3)
restic_inc2=$(restic_round 3)
last=s3
for r in $(seq 1 "${BENCH_WARMUP:-3}"); do daemon_round "w$r" $((30 + r)) >/dev/null; restic_round $((30 + r)) >/dev/null; last=w$r; done
steady=""; restic_steady=""
for r in $(seq 1 "${BENCH_ROUNDS:-5}"); do
  steady="$steady $(daemon_round "r$r" $((10 + r)))"
  restic_steady="$restic_steady $(restic_round $((10 + r)))"
  last=r$r
done
echo "[bench] daemon rounds:$steady; restic:$restic_steady" >&2
locus_steady=$(echo "$steady" | median)
restic_steady_median=$(echo "$restic_steady" | median)
"$L" umount "$WORK/m" >/dev/null

# --- restore of the whole newest snapshot ---
locus_restore() { "$L" restore --from bucket --replicate "$WORK/replication.toml" --zone bench/origin --quiet "$WORK/r-locus" 2>/dev/null; }
restic_restore() { restic -r "$REPO" restore latest --target "$WORK/r-restic" >/dev/null; }
drop; locus_rest=$(seconds locus_restore)
drop; restic_rest=$(seconds restic_restore)
# The same change through the mount and on the plain tree writes other random bytes: compare with the store's s2.
"$L" mount "$WORK/origin" "$WORK/m" >/dev/null
diff -r "$WORK/m/.snapshots/$last" "$WORK/r-locus" >/dev/null || { echo "the LocusFS restore differs from snapshot $last"; exit 1; }
"$L" umount "$WORK/m" >/dev/null

mb() { echo "scale=1; $1 / 1048576" | bc -l; }
mbs() { echo "scale=1; $bytes / $1 / 1000000" | bc -l; }
echo
printf 'tree: %d files, %d MiB; change: %s MiB of data\n' "$((BIG + FILES))" "$((bytes / 1048576))" "$(mb "$changed")"
printf '%-28s %9s %7s %10s | %8s %10s %9s | %9s %7s\n' "" "initial s" "MB/s" "stored MiB" "1% chg s" "added MiB" "added/chg" "restore s" "MB/s"
row() { printf '%-28s %9.2f %7s %10s | %8.2f %10s %9.2f | %9.2f %7s\n' "$1" "$2" "$(mbs "$2")" "$(mb "$3")" "$4" "$(mb "$5")" \
  "$(echo "$5 / $changed" | bc -l)" "$6" "$(mbs "$6")"; }
row "locusfs replicate --once" "$locus_initial" "$locus_initial_bytes" "$locus_inc" "$locus_inc_bytes" "$locus_rest"
row "restic backup (S3)" "$restic_initial" "$restic_initial_bytes" "$restic_inc" "$restic_inc_bytes" "$restic_rest"
printf 'initial upload throughput locusfs/restic: %.2f (target >= 1.0)\n' "$(echo "$restic_initial / $locus_initial" | bc -l)"
printf '%-28s %9s %7s %10s | %8.2f   (snapshot -> uploaded, first after the mount)\n' "locusfs daemon, a change" "" "" "" "$locus_daemon"
printf '%-28s %9s %7s %10s | %8.2f   (median of %s, after %s warm-up rounds)\n' "  steady state" "" "" "" "$locus_steady" "${BENCH_ROUNDS:-5}" "${BENCH_WARMUP:-3}"
printf '%-28s %9s %7s %10s | %8.2f   (the first; median of the rounds %.2f)\n' "restic backup, same changes" "" "" "" "$restic_inc2" "$restic_steady_median"
printf '1%% change: restic/locusfs %.1fx faster as a cold --once, %.1fx as the daemon first after its mount, %.1fx in its steady state (target >= 5)\n' \
  "$(echo "$restic_inc / $locus_inc" | bc -l)" "$(echo "$restic_inc2 / $locus_daemon" | bc -l)" "$(echo "$restic_steady_median / $locus_steady" | bc -l)"
printf 'bytes added for the change / change: %.2f (target <= 1.1)\n' "$(echo "$locus_inc_bytes / $changed" | bc -l)"
printf 'restore throughput locusfs/restic: %.2f (target >= 1.0)\n' "$(echo "$restic_rest / $locus_rest" | bc -l)"
