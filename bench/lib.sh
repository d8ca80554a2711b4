# Shared by the benchmark scripts: where things are, and how figures are taken.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
L="$ROOT/packaging/bin/locusfs"

# Wall-clock seconds a command takes (its output discarded).
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# The median of the numbers on standard input (whitespace-separated); nan when there are none.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# A free TCP port on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_mirror WORK: a CA and certificates in WORK/tls, an origin store WORK/origin and a mirror
# store WORK/mirror (zones bench/origin, bench/mirror), 'locusfs mirror serve' of the mirror on
# a free loopback port (its log WORK/mirror.log), and WORK/replication.toml naming it "bench".
# Sets mirror_pid and port.
start_mirror() {
  local work=$1
  "$L" init "$work/origin" --location bench/origin >/dev/null
  "$L" init "$work/mirror" --location bench/mirror >/dev/null
  "$ROOT/packaging/bin/locusfs-tls" init "$work/tls" >/dev/null
  "$ROOT/packaging/bin/locusfs-tls" issue "$work/tls" mirror >/dev/null
  "$ROOT/packaging/bin/locusfs-tls" issue "$work/tls" origin >/dev/null
  port=$(free_port)
  "$L" mirror serve "$work/mirror" --listen "127.0.0.1:$port" --tls-cert "$work/tls/mirror.crt" --tls-key "$work/tls/mirror.key" \
    --client-ca "$work/tls/ca.crt" 2>"$work/mirror.log" &
  mirror_pid=$!
  cat > "$work/replication.toml" <<EOF
[tls]
cert = "$work/tls/origin.crt"
key = "$work/tls/origin.key"
ca = "$work/tls/ca.crt"
[[mirror]]
name = "bench"
address = "127.0.0.1:$port"
EOF
  sleep 3
}
