#!/usr/bin/env bash
# fsync latency with a synchronous mirror, side by side in one run: fio writes 4 KiB and fsyncs
# after each write (256 of them) on the native disk, on a LocusFS mount that replicates to nobody,
# and on the same mount with a mirror of mode = "sync" ('locusfs mirror serve' on 127.0.0.1, TLS
# 1.3, the same disk). The target is the local fsync + 2 round trips + the mirror's fsync; the
# mirror's fsync is taken as LocusFS's local one (its log sync through the same store code), and
# the round trip is a TCP ping-pong on loopback.
#   bench/sync.sh      (BENCH_DIR; BENCH_WRITES fsync'd writes per run, default 256)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-sync}
WRITES=${BENCH_WRITES:-256}
rm -rf "$WORK"; mkdir -p "$WORK/native" "$WORK/mnt"
mirror_pid=""
cleanup() {
  mountpoint -q "$WORK/mnt" && "$L" umount "$WORK/mnt" >/dev/null
  [ -z "$mirror_pid" ] || kill "$mirror_pid" 2>/dev/null || true
  sleep 1; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT

# fsync_ms DIR NAME: mean and 99th percentile of fio's fsync latency in DIR, in ms ("mean p99").
fsync_ms() {
  fio --name="$2" --directory="$1" --filename="$2" --rw=write --bs=4k --size=$((WRITES * 4))k --fsync=1 \
      --ioengine=psync --output-format=json > "$WORK/$2.json"
  python3 - "$WORK/$2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))['jobs'][0]['sync']['lat_ns']
p = s.get('percentile', {})
p99 = next((v for k, v in p.items() if k.startswith('99.00')), s['max'])
print('%.3f %.3f' % (s['mean'] / 1e6, p99 / 1e6))
PY
}

rtt_ms() {
  python3 - <<'PY'
import socket, threading, time
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
def echo():
    c, _ = srv.accept(); c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    while (b := c.recv(64)):
        c.sendall(b)
threading.Thread(target=echo, daemon=True).start()
s = socket.create_connection(srv.getsockname()); s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(200): s.sendall(b'x'); s.recv(64)
t = time.perf_counter(); n = 2000
for _ in range(n): s.sendall(b'x'); s.recv(64)
print('%.3f' % ((time.perf_counter() - t) / n * 1e3))
PY
}

start_mirror "$WORK"
cat >> "$WORK/replication.toml" <<EOF_CONF
mode = "sync"
EOF_CONF

echo "[bench] $WRITES writes of 4 KiB, each followed by fsync" >&2
read -r native native99 < <(fsync_ms "$WORK/native" native)
"$L" mount "$WORK/origin" "$WORK/mnt" >/dev/null
read -r local local99 < <(fsync_ms "$WORK/mnt" local)
"$L" umount "$WORK/mnt" >/dev/null
"$L" mount "$WORK/origin" "$WORK/mnt" --replicate "$WORK/replication.toml" >/dev/null
# The first sync point is a full stream; the figures are of the ones after it.
fio --name=warm --directory="$WORK/mnt" --filename=warm --rw=write --bs=4k --size=64k --fsync=1 --ioengine=psync >/dev/null
read -r sync sync99 < <(fsync_ms "$WORK/mnt" sync)
sleep 2 # the status file is written every second
rounds=$("$L" status "$WORK/origin" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mirrors"][0]["sync_rounds"])')
"$L" umount "$WORK/mnt" >/dev/null
rtt=$(rtt_ms)
target=$(echo "2 * $local + 2 * $rtt" | bc -l)

printf '%-48s %10s %10s\n' "fsync after a 4 KiB write" "mean ms" "p99 ms"
printf '%-48s %10.3f %10.3f\n' "native disk" "$native" "$native99"
printf '%-48s %10.3f %10.3f\n' "LocusFS, no mirror" "$local" "$local99"
printf '%-48s %10.3f %10.3f\n' "LocusFS, synchronous mirror on loopback" "$sync" "$sync99"
printf '%-48s %10.3f\n' "loopback round trip (TCP)" "$rtt"
printf '%-48s %10.3f\n' "target: local + mirror's fsync + 2 round trips" "$target"
printf 'ratios: sync / no mirror %.1fx, sync / target %.2fx; sync points acknowledged: %s\n' \
  "$(echo "$sync / $local" | bc -l)" "$(echo "$sync / $target" | bc -l)" "$rounds"
