#!/usr/bin/env bash
# Stops what tests/ceph/up.sh DIR started (gateway, OSD, monitor) and removes DIR.
set -uo pipefail
DIR=${1:?usage: down.sh DIR}
[ -d "$DIR/run" ] || exit 0
for name in client.rgw osd.0 mon.a; do
  pidfile="$DIR/run/$name.pid"
  [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
done
for name in client.rgw osd.0 mon.a; do
  pidfile="$DIR/run/$name.pid"
  [ -f "$pidfile" ] || continue
  pid=$(cat "$pidfile")
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
done
rm -rf "$DIR"
