#!/usr/bin/env bash
# Replication over loopback against rsync and restic, on one machine:
#   LocusFS: the origin mounted with --replicate (the daemon as it runs; times from the mount or
#            'mkdir .snapshots/NAME' to the timestamp of the daemon's log line acknowledging it:
#            the first incremental after the mount, then after BENCH_WARMUP uncounted ones the
#            median of BENCH_ROUNDS more, the daemon's steady state), and
#            'locusfs replicate --once' (a cold process), to a 'locusfs mirror serve' on 127.0.0.1
#            (TLS 1.3, zstd)
#   rsync:   'rsync -a --delete' to an rsync daemon on 127.0.0.1 (a plain directory)
#   restic:  'restic backup' to a repository on local disk
# First the whole tree (initial), then a 1% change of it (files rewritten, added, removed), the
# same change on the native tree (rsync, restic) and through the mount (LocusFS). Times of rsync,
# restic and --once are whole commands; page cache dropped before each run; bytes are what went over the
# wire (LocusFS: stream bytes; rsync: --stats "Total bytes sent"; restic: data added to the repo).
#   bench/replicate.sh        (BENCH_DIR, BENCH_FILES, BENCH_BIG_FILES, BENCH_WARMUP, BENCH_ROUNDS to change the defaults;
#                              BENCH_KEEP=1 keeps the stores and logs in BENCH_DIR for profiling)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-replicate}
FILES=${BENCH_FILES:-100000}     # small files, 1-20 KiB
BIG=${BENCH_BIG_FILES:-1000}     # 1 MiB each
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$WORK/restic-cache"
rm -rf "$WORK"; mkdir -p "$WORK/src" "$WORK/m" "$WORK/rsync-dst"
mirror_pid=""; rsyncd_pid=""
cleanup() {
  [ -z "$mirror_pid" ] || kill "$mirror_pid" 2>/dev/null || true
  [ -z "$rsyncd_pid" ] || kill "$rsyncd_pid" 2>/dev/null || true
  mountpoint -q "$WORK/m" && "$L" umount "$WORK/m" >/dev/null
  sleep 1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }

echo "[bench] a tree of $BIG files of 1 MiB and $FILES of 1-20 KiB" >&2
python3 "$ROOT/bench/tree.py" "$WORK/src" "$BIG" "$FILES"
bytes=$(du -sb "$WORK/src" | cut -f1)
total=$((BIG + FILES))

# The 1% change, applied the same way (same seed) to a tree: rewrite, add and remove files.
# change TREE [SEED]: another seed makes another 1% change (other files, other new names).
change() { python3 "$ROOT/bench/change.py" "$1" "$BIG" "$FILES" "${2:-2}"; }

# --- LocusFS: origin store filled by a dir import, a mirror on loopback with TLS ---
start_mirror "$WORK"
"$L" import "$WORK/origin" --format dir "$WORK/src" --snapshot s1 >/dev/null
# The daemon as it runs: the origin mounted with --replicate ships s1 (imported) as soon as it is
# up, then s2 when it is taken; times from the daemon's log (snapshot to acknowledgement), so the
# JVM is as warm as in a daemon that has been running.
# ack_line NAME: the daemon's log line acknowledging snapshot NAME (none yet: nothing, status 1).
ack_line() { grep -m1 "replicated snapshot $1 " "$WORK/origin/locusfs.log" 2>/dev/null; }
log_has() { ack_line "$1" >/dev/null; }
wait_for() { until log_has "$1"; do sleep 0.02; done; }
# When the daemon logged the acknowledgement of snapshot $1, from its log line's timestamp (ms): the
# time a transfer ends, not the time this script's polling noticed it (up to a poll later).
acked_at() { date -d "$(ack_line "$1" | cut -d' ' -f1)" +%s.%N; }
# acked_since NAME START: seconds from START (date +%s.%N) to the acknowledgement of NAME.
acked_since() { echo "$(acked_at "$1") - $2" | bc -l; }
sent_bytes() { grep -o '[0-9]* bytes sent' "$1" | tail -1 | cut -d' ' -f1; }
# The transfer alone, as the replicator logs it: what a running daemon spends (no JVM start, store open or TLS setup).
transfer_seconds() { grep -o 'bytes sent in [0-9.]* s' "$1" | tail -1 | cut -d' ' -f4; }
# one_round NAME SEED: another 1% change through the mount, then snapshot NAME; prints snapshot->ack seconds.
one_round() {
  change "$WORK/m" "$2" >/dev/null
  drop; local start; start=$(date +%s.%N)
  mkdir "$WORK/m/.snapshots/$1"
  wait_for "$1"
  acked_since "$1" "$start"
}
drop; s=$(date +%s.%N)
"$L" mount "$WORK/origin" "$WORK/m" --replicate "$WORK/replication.toml" >/dev/null
wait_for s1
locus_initial=$(acked_since s1 "$s")
ack_line s1 > "$WORK/initial.log"
locus_initial_bytes=$(sent_bytes "$WORK/initial.log")
locus_initial_transfer=$(transfer_seconds "$WORK/initial.log")

# --- rsync: daemon on loopback ---
rport=$(free_port)
cat > "$WORK/rsyncd.conf" <<EOF
[dst]
path = $WORK/rsync-dst
read only = false
use chroot = false
uid = root
gid = root
EOF
rsync --daemon --no-detach --address=127.0.0.1 --port="$rport" --config="$WORK/rsyncd.conf" &
rsyncd_pid=$!
sleep 1
rsync_stats() { rsync -a --delete --stats "$WORK/src/" "rsync://127.0.0.1:$rport/dst/" > "$WORK/rsync.out"; }
drop; rsync_initial=$(seconds rsync_stats)
rsync_initial_bytes=$(grep 'Total bytes sent' "$WORK/rsync.out" | tr -dc '0-9')

# --- restic: local repository ---
restic init --repo "$WORK/restic" >/dev/null
restic_backup() { restic backup --repo "$WORK/restic" --json --quiet "$WORK/src" > "$WORK/restic.out"; }
drop; restic_initial=$(seconds restic_backup)
restic_initial_bytes=$(grep -o '"data_added":[0-9]*' "$WORK/restic.out" | tail -1 | cut -d: -f2)

# --- the 1% change ---
changed=$(change "$WORK/src")
# The snapshot is taken as root does on a mount: mkdir in .snapshots (no command to start).
locus_inc=$(one_round s2 2)
ack_line s2 > "$WORK/inc.log"
locus_inc_bytes=$(sent_bytes "$WORK/inc.log")
locus_inc_transfer=$(transfer_seconds "$WORK/inc.log")
# The daemon in its steady state (its code compiled, as after days of running): BENCH_WARMUP 1%
# changes first, not counted (the JIT compiles the incremental paths over the first ~10: their
# code runs a few thousand times a change), then BENCH_ROUNDS more, each another sample of
# files, page cache dropped before each snapshot; the median.
WARMUP=${BENCH_WARMUP:-5}
ROUNDS=${BENCH_ROUNDS:-7}
warmup=""; last=s2
for r in $(seq 1 "$WARMUP"); do
  warmup="$warmup $(one_round "w$r" $((30 + r)))"
  last=w$r
done
[ -z "$warmup" ] || echo "[bench] warm-up rounds (not counted), snapshot->ack:$warmup" >&2
steady=""; steady_transfer=""
for r in $(seq 1 "$ROUNDS"); do
  steady="$steady $(one_round "r$r" $((10 + r)))"
  steady_transfer="$steady_transfer $(transfer_seconds <(ack_line "r$r"))"
  last=r$r
done
echo "[bench] steady-state rounds, snapshot->ack:$steady; transfer:$steady_transfer" >&2
locus_steady=$(echo "$steady" | median)
locus_steady_transfer=$(echo "$steady_transfer" | median)
# The same again from cold, as cron would run it: a new process for an unmounted store.
change "$WORK/m" 9 >/dev/null
"$L" umount "$WORK/m" >/dev/null   # first, or the daemon ships s4 as soon as it is taken
"$L" snapshot create "$WORK/origin" s4 >/dev/null 2>&1
drop; locus_once=$(seconds "$L" replicate "$WORK/origin" --config "$WORK/replication.toml" --once 2>"$WORK/once.log")
locus_once_bytes=$(sent_bytes "$WORK/once.log")
drop; rsync_inc=$(seconds rsync_stats)
rsync_inc_bytes=$(grep 'Total bytes sent' "$WORK/rsync.out" | tr -dc '0-9')
drop; restic_inc=$(seconds restic_backup)
restic_inc_bytes=$(grep -o '"data_added":[0-9]*' "$WORK/restic.out" | tail -1 | cut -d: -f2)
grep -q "replicated snapshot s4 (since $last)" "$WORK/once.log" || { echo "the --once run did not replicate s4:"; cat "$WORK/once.log"; exit 1; }

mb() { echo "scale=1; $1 / 1048576" | bc -l; }
mbs() { echo "scale=0; $bytes / $1 / 1000000" | bc -l; }
echo
printf 'tree: %d files, %d MiB; change: %d files (1%%), %s MiB of data\n' "$total" "$((bytes / 1048576))" "$((total / 100))" "$(mb "$changed")"
printf '%-34s %9s %7s %12s | %9s %12s %11s\n' "" "initial s" "MB/s" "sent MiB" "1% chg s" "sent MiB" "sent/chg"
row() { printf '%-34s %9.2f %7s %12s | %9.2f %12s %11.2f\n' "$1" "$2" "$(mbs "$2")" "$(mb "$3")" "$4" "$(mb "$5")" "$(echo "$5 / $changed" | bc -l)"; }
row "locusfs daemon: start/snapshot->ack" "$locus_initial" "$locus_initial_bytes" "$locus_inc" "$locus_inc_bytes"
row "  of which the transfer (its log)" "$locus_initial_transfer" "$locus_initial_bytes" "$locus_inc_transfer" "$locus_inc_bytes"
printf '%-34s %9s %7s %12s | %9.2f\n' "  steady state, median of $ROUNDS" "" "" "" "$locus_steady"
printf '%-34s %9s %7s %12s | %9.2f\n' "    of which the transfer" "" "" "" "$locus_steady_transfer"
printf '%-34s %9s %7s %12s | %9.2f %12s\n' "locusfs replicate --once (cold)" "" "" "" "$locus_once" "$(mb "$locus_once_bytes")"
row "rsync -a --delete (daemon)" "$rsync_initial" "$rsync_initial_bytes" "$rsync_inc" "$rsync_inc_bytes"
row "restic backup (local repo)" "$restic_initial" "$restic_initial_bytes" "$restic_inc" "$restic_inc_bytes"
# ratios WHAT SECONDS TRANSFER_SECONDS: how many times faster than rsync and restic on the change.
ratios() {
  printf 'incremental, %s: rsync/locusfs %.1fx, restic/locusfs %.1fx (transfer alone: %.1fx, %.1fx)\n' "$1" \
    "$(echo "$rsync_inc / $2" | bc -l)" "$(echo "$restic_inc / $2" | bc -l)" \
    "$(echo "$rsync_inc / $3" | bc -l)" "$(echo "$restic_inc / $3" | bc -l)"
}
ratios "daemon snapshot->ack" "$locus_inc" "$locus_inc_transfer"
ratios "daemon in steady state (median)" "$locus_steady" "$locus_steady_transfer"
printf 'incremental, cold --once process: rsync/locusfs %.1fx, restic/locusfs %.1fx\n' \
  "$(echo "$rsync_inc / $locus_once" | bc -l)" "$(echo "$restic_inc / $locus_once" | bc -l)"
printf 'initial throughput locusfs/rsync: %.2f (mount to ack), %.2f (transfer)\n' \
  "$(echo "$rsync_initial / $locus_initial" | bc -l)" "$(echo "$rsync_initial / $locus_initial_transfer" | bc -l)"
