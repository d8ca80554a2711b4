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
    python3 - "$WORK/m" "replay$i" <<'PY'
import os, random, sys
root, tag = sys.argv[1], sys.argv[2]
rng = random.Random(tag)
for i in rng.sample(range(100000), 400):       # as bench/replicate.sh's change: rewrite, add, remove
    p = os.path.join(root, 'd%d' % (i % 200), 'small%d' % i)
    if os.path.exists(p):
        with open(p, 'wb') as f: f.write(os.urandom(rng.randint(1024, 20480)))
for i in rng.sample(range(1000), 10):
    with open(os.path.join(root, 'd%d' % (i % 200), 'big%d' % i), 'wb') as f: f.write(os.urandom(1 << 20))
for i in range(300):
    with open(os.path.join(root, 'd%d' % (i % 200), '%s-%d' % (tag, i)), 'wb') as f: f.write(os.urandom(rng.randint(1024, 20480)))
for i in rng.sample(range(100000), 300):
    p = os.path.join(root, 'd%d' % (i % 200), 'small%d' % i)
    if os.path.exists(p): os.remove(p)
PY
    mkdir "$WORK/m/.snapshots/replay$i"
    "$L" umount "$WORK/m" >/dev/null
    "$L" send "$WORK/origin" "replay$i" --since "$prev" --quiet -o "$R/s$i"
    prev=replay$i
  done
fi
rm -rf "$R/mirror" && cp -a "$R/mirror0" "$R/mirror"
java -Xmx256m -cp "$ROOT/bench/target/classes:$ROOT/fusefs/target/locusfs.jar:$ROOT/fusefs/target/lib/*" io.locusfs.replicate.ReceiveReplay "$R/mirror" \
  $(for i in $(seq 1 "$N"); do echo "$R/s$i"; done) 2>"$R/replay.log"
