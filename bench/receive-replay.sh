#!/usr/bin/env bash
# The mirror's apply alone, reproducibly: BENCH_STREAMS (10) chained 1% changes are made on the
# origin kept by 'BENCH_KEEP=1 bench/replicate.sh' and saved as incremental streams (once; kept
# in BENCH_DIR/replay), then applied in one JVM to a fresh copy of the kept mirror, the page cache
# dropped before each. The same streams on the same store each run: two builds of the receiver
# compare without the network, the sender or the daemon's timing in the way (run it with each;
# the first streams warm the JIT, compare the later ones).
#   BENCH_KEEP=1 BENCH_DIR=/var/tmp/rb bench/replicate.sh; BENCH_DIR=/var/tmp/rb bench/receive-replay.sh
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-replicate}
N=${BENCH_STREAMS:-10}
[ -d "$WORK/origin" ] && [ -d "$WORK/mirror" ] || { echo "no kept bench in $WORK: run BENCH_KEEP=1 BENCH_DIR=$WORK bench/replicate.sh first" >&2; exit 2; }
newest() { "$L" snapshot list "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["snapshots"][-1]["name"])'; }
R="$WORK/replay"
if [ ! -f "$R/s$N" ]; then
  rm -rf "$R"; mkdir -p "$R"
  cp -a "$WORK/mirror" "$R/mirror0"   # the mirror as it was before the streams
  prev=$(newest "$WORK/mirror")
  [ "$prev" = "$(newest "$WORK/origin")" ] || { echo "the kept origin and mirror are at different snapshots" >&2; exit 2; }
  for i in $(seq 1 "$N"); do
    "$L" mount "$WORK/origin" "$WORK/m" >/dev/null
    python3 "$ROOT/bench/change.py" "$WORK/m" 1000 100000 $((1000 + i)) >/dev/null   # as bench/replicate.sh's change
    mkdir "$WORK/m/.snapshots/replay$i"
    "$L" umount "$WORK/m" >/dev/null
    "$L" send "$WORK/origin" "replay$i" --since "$prev" --quiet -o "$R/s$i"
    prev=replay$i
  done
fi
rm -rf "$R/mirror" && cp -a "$R/mirror0" "$R/mirror"
java -Xmx256m -cp "$ROOT/bench/target/classes:$ROOT/cli/target/locusfs.jar:$ROOT/cli/target/lib/*" io.locusfs.replicate.ReceiveReplay "$R/mirror" \
  $(for i in $(seq 1 "$N"); do echo "$R/s$i"; done) 2>"$R/replay.log"
