#!/usr/bin/env bash
# The cost of the location policy at the door: open+close of 10,000 files on a mount without a
# policy and on the same store mounted with a 1,000-rule policy (each file covered by one rule,
# which allows the caller by zone), side by side. Target: at most 1.2x the time.
#   bench/policy.sh            (BENCH_DIR, BENCH_RUNS to change the defaults)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
WORK=${BENCH_DIR:-/var/tmp/locusfs-policy}
RUNS=${BENCH_RUNS:-5}
rm -rf "$WORK"; mkdir -p "$WORK/mnt"
cleanup() { mountpoint -q "$WORK/mnt" && "$L" umount "$WORK/mnt" >/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

"$L" init "$WORK/store" --location bench/site-a >/dev/null
"$L" mount "$WORK/store" "$WORK/mnt" >/dev/null
python3 -c "
import os
for d in range(1000):
    os.mkdir('$WORK/mnt/p%d' % d)
    for i in range(10):
        open('$WORK/mnt/p%d/f%d' % (d, i), 'w').close()"
"$L" umount "$WORK/mnt" >/dev/null
for i in $(seq 0 999); do
  printf '[[access]]\nname = "r%d"\npaths = ["/p%d/**"]\ncaller_in = ["bench/**"]\n\n' "$i" "$i"
done > "$WORK/policy.toml"
cat > "$WORK/open.py" <<PY
import os, sys
root = sys.argv[1]
for d in range(1000):
    for i in range(10):
        os.close(os.open('%s/p%d/f%d' % (root, d, i), os.O_RDONLY))
PY

plain=""; ruled=""
for run in $(seq 1 "$RUNS"); do
  "$L" mount "$WORK/store" "$WORK/mnt" >/dev/null
  python3 "$WORK/open.py" "$WORK/mnt"   # warm the kernel's and the store's caches alike
  plain="$plain $(seconds python3 "$WORK/open.py" "$WORK/mnt")"
  "$L" umount "$WORK/mnt" >/dev/null
  "$L" mount "$WORK/store" "$WORK/mnt" --policy "$WORK/policy.toml" >/dev/null
  python3 "$WORK/open.py" "$WORK/mnt"
  ruled="$ruled $(seconds python3 "$WORK/open.py" "$WORK/mnt")"
  # The rules really decide: each open was allowed by the file's own rule.
  "$L" policy explain --user root "$WORK/mnt/p5/f1" | grep -q "read: allowed by rule 'r5'" \
    || { echo "the policy did not decide the opens" >&2; exit 1; }
  "$L" umount "$WORK/mnt" >/dev/null
done
p=$(median <<<"$plain"); r=$(median <<<"$ruled")
refused=$(wc -l < "$WORK/store/audit.log" 2>/dev/null || echo 0)

echo
echo "| open+close of 10,000 files (median of $RUNS) | no policy | 1,000-rule policy | ratio | target |"
echo "|---|---|---|---|---|"
printf '| LocusFS | %.3f s | %.3f s | %.2f× | ≤1.2× |\n' "$p" "$r" "$(echo "$r / $p" | bc -l)"
echo "(refusals audited during the run: $refused; every open was allowed by its rule)"
