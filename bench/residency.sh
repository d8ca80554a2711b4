#!/usr/bin/env bash
# Residency reports at scale: 'locusfs residency report' over 100,000 files replicated to two
# mirrors (real 'locusfs mirror serve' processes, TLS on loopback), and 'residency verify' of it;
# time and peak memory of each, beside find(1) walking the same mount. Targets: the report under
# 10 s and 512 MiB; streaming (memory flat in the number of files).
#   bench/residency.sh            (BENCH_FILES=100000, BENCH_DIR=/var/tmp/locusfs-residency)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-residency}
FILES=${BENCH_FILES:-100000}
TLS="$ROOT/packaging/bin/locusfs-tls"
rm -rf "$WORK"; mkdir -p "$WORK/mnt"
pids=()
cleanup() {
  mountpoint -q "$WORK/mnt" && "$L" umount "$WORK/mnt" >/dev/null
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

"$L" init "$WORK/origin" --location eu/de/fra --coords 50.11,8.68 >/dev/null
"$TLS" init "$WORK/tls" >/dev/null
"$TLS" issue "$WORK/tls" origin >/dev/null
cat > "$WORK/replication.toml" <<EOF
[replication]
heartbeat = "1s"
[tls]
cert = "$WORK/tls/origin.crt"
key = "$WORK/tls/origin.key"
ca = "$WORK/tls/ca.crt"
EOF
for m in paris nyc; do
  zone=$([ $m = paris ] && echo "eu/fr/par" || echo "us/east/nyc")
  coords=$([ $m = paris ] && echo "48.86,2.35" || echo "40.71,-74.01")
  "$L" init "$WORK/$m" --location "$zone" --coords "$coords" >/dev/null
  "$TLS" issue "$WORK/tls" "$m" >/dev/null
  port=$(free_port)
  "$L" mirror serve "$WORK/$m" --listen "127.0.0.1:$port" --tls-cert "$WORK/tls/$m.crt" --tls-key "$WORK/tls/$m.key" \
    --client-ca "$WORK/tls/ca.crt" 2>"$WORK/$m.log" &
  pids+=($!)
  printf '[[mirror]]\nname = "%s"\naddress = "127.0.0.1:%s"\nevery = "0"\n' "$m" "$port" >> "$WORK/replication.toml"
done
sleep 3
"$L" mount "$WORK/origin" "$WORK/mnt" --replicate "$WORK/replication.toml" >/dev/null
echo "[bench] creating $FILES files" >&2
python3 -c "
import os
for d in range(100):
    os.mkdir('$WORK/mnt/d%03d' % d)
for i in range($FILES):
    with open('$WORK/mnt/d%03d/f%06d' % (i % 100, i), 'w') as f:
        f.write('x' * (i % 4096))"
"$L" snapshot create "$WORK/origin" s1 >/dev/null
echo "[bench] replicating to paris and nyc" >&2
for _ in $(seq 1 900); do
  acked=$("$L" status "$WORK/origin" --json | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(sum(1 for m in s.get("mirrors", []) if m.get("last_snapshot") == "s1"))')
  [ "$acked" = 2 ] && break
  sleep 1
done
[ "$acked" = 2 ] || { echo "the mirrors did not acknowledge s1" >&2; "$L" status "$WORK/origin" >&2; exit 1; }
"$L" location set "$WORK/mnt" eu/de/ber --coords 52.52,13.40 >/dev/null

# peak_rss COMMAND...: runs it, prints "SECONDS MIB" (wall time, peak resident set of the process).
peak_rss() {
  /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>&1
  awk '{printf "%s %.0f\n", $1, $2 / 1024}' "$WORK/time.txt"
}
daemon=$(pgrep -f "mount.*$WORK/origin" | head -1 || true)
rss_before=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$daemon/status" 2>/dev/null || echo 0)
mounted=$(seconds "$L" residency report "$WORK/mnt" -o "$WORK/mounted.json" --quiet)
rss_after=$(awk '/VmRSS/ {print int($2/1024)}' "/proc/$daemon/status" 2>/dev/null || echo 0)
walk=$(seconds find "$WORK/mnt" -xdev)
"$L" umount "$WORK/mnt" >/dev/null
read -r offline offline_mib < <(peak_rss "$L" residency report "$WORK/origin" -o "$WORK/report.json" --quiet)
read -r html html_mib < <(peak_rss "$L" residency report "$WORK/origin" -o "$WORK/report.html" --format html --quiet)
mkdir -p "$WORK/trusted"
for s in origin paris nyc; do cp "$WORK/$s/node.pub" "$WORK/trusted/$s.pub"; done
read -r verify verify_mib < <(peak_rss "$L" residency verify "$WORK/report.json" --trust "$WORK/trusted")
"$L" residency verify "$WORK/report.json" --trust "$WORK/trusted" >&2
summary=$(tail -c 4096 "$WORK/report.json" | grep -o '"summary":{"files":[0-9]*,"directories":[0-9]*,"bytes":[0-9]*,"copies":[0-9]*')
size=$(stat -c %s "$WORK/report.json")

echo
echo "| residency over $FILES files, 2 mirrors ($summary) | time | peak memory | target |"
echo "|---|---|---|---|"
printf '| report by the mount daemon (whole command), JSON | %.2f s (%.2f× find walking the mount, %.2f s) | daemon RSS %s → %s MiB | < 10 s, < 512 MiB |\n' \
  "$mounted" "$(echo "$mounted / $walk" | bc -l)" "$walk" "$rss_before" "$rss_after"
printf '| report of the unmounted store (whole command), JSON, %d MiB | %.2f s | %s MiB | < 10 s, < 512 MiB |\n' "$((size / 1048576))" "$offline" "$offline_mib"
printf '| the same as an HTML page | %.2f s | %s MiB | |\n' "$html" "$html_mib"
printf '| verify it with the three public keys | %.2f s | %s MiB | |\n' "$verify" "$verify_mib"
