# Shared by the benchmark scripts: where things are, and how figures are taken.
# shellcheck shell=bash
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
L="$ROOT/packaging/bin/locusfs"

# Wall-clock seconds a command takes (its output discarded).
seconds() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc -l; }

# The median of the numbers on standard input (whitespace-separated); nan when there are none.
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# For the A/B scripts (two builds side by side): checks the arguments and sets A and B to the two
# launchers, RUNS to BENCH_RUNS or $1, W to BENCH_DIR or $2.
ab_setup() { # default_runs default_dir launcher_a launcher_b
  [ $# -eq 4 ] || { echo "usage: $0 LAUNCHER_A LAUNCHER_B" >&2; exit 2; }
  A=$(readlink -f "$3"); B=$(readlink -f "$4")
  RUNS=${BENCH_RUNS:-$1}
  W=${BENCH_DIR:-$2}
}

# ab_record RESULTS WHICH KEY=VALUE...: appends each value to RESULTS[WHICH/KEY] (an associative array's name).
ab_record() {
  local -n results=$1
  local which=$2 pair
  shift 2
  for pair in "$@"; do results[$which/${pair%%=*}]="${results[$which/${pair%%=*}]:-} ${pair#*=}"; done
}

# ab_medians RESULTS KEY...: one line per build (a, b, bindfs) with the median of each key.
ab_medians() {
  local -n results=$1
  local which key line
  shift
  for which in a b bindfs; do
    line=$(printf 'median %-6s' "$which")
    for key in "$@"; do line+="  $key $(median <<<"${results[$which/$key]}")"; done
    echo "$line"
  done
}

# ab_ratio RESULTS KEY LABEL: "ratio LABEL: A/bindfs, B/bindfs, B/A" from the medians of the
# associative array named RESULTS (keys a/KEY, b/KEY and bindfs/KEY, values space-separated).
ab_ratio() {
  local -n results=$1
  local a b x
  a=$(median <<<"${results[a/$2]}"); b=$(median <<<"${results[b/$2]}"); x=$(median <<<"${results[bindfs/$2]}")
  printf 'ratio %s: A/bindfs %.2f  B/bindfs %.2f  B/A %.2f\n' "$3" \
    "$(echo "$a / $x" | bc -l)" "$(echo "$b / $x" | bc -l)" "$(echo "$b / $a" | bc -l)"
}

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
