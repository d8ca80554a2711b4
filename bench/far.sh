#!/usr/bin/env bash
# Reading back from a mirror, side by side on one machine: 'locusfs mount --from' of a mirror's
# snapshot (a 'locusfs mirror serve' on 127.0.0.1, TLS 1.3) against 'restic mount' of the same
# tree from a local restic repository, and against a full 'rsync -a' of the tree back (from the
# mirror's store mounted read-only). Measured from the command's start, page cache dropped first:
#   - the first 'ls' of the root (mount --from: the metadata is fetched before it returns);
#   - the first byte of a 1 GiB file; then 'cat' of 1,000 small files;
#   - the 1 GiB file read whole, far (MB/s), as a share of the link (bench LinkThroughput: the
#     same file through the same TLS stack and protocol with nothing stored);
#   - the same file read again after dropping the page cache (now from the cache store), against
#     reading it from the native disk.
#   bench/far.sh      (BENCH_DIR, BENCH_FILES small files of 1-20 KiB; BENCH_KEEP=1 keeps BENCH_DIR)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-far}
FILES=${BENCH_FILES:-100000}
export RESTIC_PASSWORD=bench RESTIC_CACHE_DIR="$WORK/restic-cache"
rm -rf "$WORK"; mkdir -p "$WORK/src/small" "$WORK/far" "$WORK/restic-mnt" "$WORK/replica-mnt" "$WORK/rsync-dst"
mirror_pid=""; restic_pid=""
cleanup() {
  for m in "$WORK/far" "$WORK/replica-mnt"; do mountpoint -q "$m" && "$L" umount "$m" >/dev/null; done
  [ -z "$restic_pid" ] || { kill "$restic_pid" 2>/dev/null; wait "$restic_pid" 2>/dev/null; } || true
  mountpoint -q "$WORK/restic-mnt" && fusermount3 -u -z "$WORK/restic-mnt"
  [ -z "$mirror_pid" ] || kill "$mirror_pid" 2>/dev/null || true
  sleep 1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc -l; }

echo "[bench] a tree of one 1 GiB file and $FILES files of 1-20 KiB" >&2
head -c 1073741824 /dev/urandom > "$WORK/src/big.bin"
python3 - "$WORK/src/small" "$FILES" <<'PY'
import os, random, sys
root, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
for d in range(100):
    os.mkdir(os.path.join(root, 'd%d' % d))
for i in range(n):
    with open(os.path.join(root, 'd%d' % (i % 100), 'f%d' % i), 'wb') as f: f.write(os.urandom(rng.randint(1024, 20480)))
PY
# The 1,000 small files a reader cats: the first of the tree's directories, in name order.
python3 - "$WORK/src" > "$WORK/thousand" <<'PY'
import os, sys
root = sys.argv[1]
names = [os.path.join('small', d, f) for d in sorted(os.listdir(os.path.join(root, 'small')))
         for f in sorted(os.listdir(os.path.join(root, 'small', d)))]
print('\n'.join(names[:1000]))
PY

# --- the mirror: the tree imported on an origin, shipped once ---
start_mirror "$WORK"
"$L" import "$WORK/origin" --format dir "$WORK/src" --snapshot s1 >/dev/null
"$L" replicate "$WORK/origin" --config "$WORK/replication.toml" --once >/dev/null 2>&1

# --- restic: the same tree backed up to a local repository ---
restic init --repo "$WORK/restic" >/dev/null
(cd "$WORK/src" && restic --repo "$WORK/restic" backup --quiet . >/dev/null)

# first_reads MOUNTPOINT PREFIX START: seconds to the first ls, the first byte, then cat of 1,000 files
first_reads() {
  local mnt=$1 prefix=$2 start=$3 t_ls t_byte t_cat s
  until ls "$mnt$prefix" >/dev/null 2>&1 && [ -n "$(ls "$mnt$prefix")" ]; do sleep 0.05; done
  t_ls=$(since "$start")
  s=$(now); head -c 1 "$mnt$prefix/big.bin" >/dev/null; t_byte=$(since "$s")
  s=$(now); (cd "$mnt$prefix" && xargs -a "$WORK/thousand" cat >/dev/null); t_cat=$(since "$s")
  echo "$t_ls $t_byte $t_cat"
}

drop
start=$(now)
"$L" mount --from bench --replicate "$WORK/replication.toml" --cache "$WORK/cache" "$WORK/far" >/dev/null 2>&1
read -r far_ls far_byte far_cat < <(first_reads "$WORK/far" "" "$start")
drop
s=$(now); cat "$WORK/far/big.bin" >/dev/null; far_seq=$(since "$s")
read -r link_bytes link_s < <(java -cp "$ROOT/bench/target/classes:$ROOT/cli/target/locusfs.jar:$ROOT/cli/target/lib/*" \
  io.locusfs.replicate.LinkThroughput 127.0.0.1 "$port" "$WORK/tls/origin.crt" "$WORK/tls/origin.key" "$WORK/tls/ca.crt" s1 /big.bin)
drop
s=$(now); cat "$WORK/far/big.bin" >/dev/null; cached_seq=$(since "$s")
drop
s=$(now); cat "$WORK/src/big.bin" >/dev/null; native_seq=$(since "$s")
"$L" umount "$WORK/far" >/dev/null

drop
start=$(now)
restic --repo "$WORK/restic" mount "$WORK/restic-mnt" >/dev/null 2>&1 &
restic_pid=$!
read -r restic_ls restic_byte restic_cat < <(first_reads "$WORK/restic-mnt" "/snapshots/latest" "$start")
drop
s=$(now); cat "$WORK/restic-mnt/snapshots/latest/big.bin" >/dev/null; restic_seq=$(since "$s")
kill "$restic_pid"; wait "$restic_pid" 2>/dev/null || true; restic_pid=""
mountpoint -q "$WORK/restic-mnt" && fusermount3 -u -z "$WORK/restic-mnt"

kill "$mirror_pid"; wait "$mirror_pid" 2>/dev/null || true; mirror_pid=""
"$L" mount -o ro "$WORK/mirror" "$WORK/replica-mnt" >/dev/null
drop
rsync_s=$(seconds rsync -a "$WORK/replica-mnt/" "$WORK/rsync-dst/")
"$L" umount "$WORK/replica-mnt" >/dev/null

mb() { echo "scale=0; 1073741824 / 1000000 / $1" | bc -l; }
printf '\n%-44s %12s %12s %12s\n' "reading back (seconds unless said)" "mount --from" "restic mount" "rsync -a"
printf '%-44s %12.2f %12.2f %12s\n' "first ls of the root" "$far_ls" "$restic_ls" "-"
printf '%-44s %12.3f %12.3f %12s\n' "first byte of the 1 GiB file" "$far_byte" "$restic_byte" "-"
printf '%-44s %12.2f %12.2f %12s\n' "cat of 1,000 small files" "$far_cat" "$restic_cat" "-"
printf '%-44s %12s %12s %12s\n' "1 GiB file read whole, MB/s" "$(mb "$far_seq")" "$(mb "$restic_seq")" "-"
printf '%-44s %12.2f %12s %12.2f\n' "everything usable (rsync: the whole copy)" "$far_ls" "-" "$rsync_s"
echo
printf 'far sequential read: %s MB/s; the link (LinkThroughput, same TLS and protocol, nothing stored): %s MB/s; share %.2f\n' \
  "$(mb "$far_seq")" "$(mb "$link_s")" "$(echo "$link_s / $far_seq" | bc -l)"
printf 'cached re-read (page cache dropped): %s MB/s; native disk: %s MB/s; ratio %.2f\n' \
  "$(mb "$cached_seq")" "$(mb "$native_seq")" "$(echo "$native_seq / $cached_seq" | bc -l)"
