#!/usr/bin/env bash
# Starts a throw-away single-node Ceph cluster with the RADOS Gateway (S3) on 127.0.0.1, from
# Debian's packages, without systemd, for the object-store tests and benchmarks:
#   tests/ceph/up.sh DIR [PORT] [REGION]
# One monitor, one OSD on memstore (objects live in RAM, capped at CEPH_MEMSTORE_MIB, default
# 2048), pool size 1, no authentication inside the cluster (it listens on loopback only), the
# gateway's beast frontend on 127.0.0.1:PORT (default 7480) with the zonegroup's S3 region name
# REGION (default eu-central-1), so a bucket reports it as its location constraint. An S3 user
# is created; DIR/s3.env holds its endpoint, region and keys as shell assignments
# (S3_ENDPOINT, S3_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), and DIR/s3.credentials its
# keys as a [[mirror]]'s 'credentials' file reads them (access_key, secret_key). Stop it with
# tests/ceph/down.sh DIR. Takes a few seconds; prints where the logs are if a daemon fails.
set -euo pipefail
DIR=${1:?usage: up.sh DIR [PORT] [REGION]}
PORT=${2:-7480}
REGION=${3:-eu-central-1}
MEM=${CEPH_MEMSTORE_MIB:-2048}
for cmd in ceph-mon ceph-osd radosgw radosgw-admin monmaptool ceph; do
  command -v "$cmd" >/dev/null || { echo "up.sh: $cmd is missing: apt-get install --no-install-recommends ceph-mon ceph-osd radosgw ceph-common" >&2; exit 1; }
done
"$(dirname "$0")/down.sh" "$DIR" >/dev/null 2>&1 || true
rm -rf "$DIR"; mkdir -p "$DIR"/{mon,osd,run,log,rgw}
DIR=$(cd "$DIR" && pwd)
# The monitor's port: the gateway's port + 1 (v1 protocol only, so one port).
MON_PORT=$((PORT + 1))
FSID=$(cat /proc/sys/kernel/random/uuid)
CONF=$DIR/ceph.conf
cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = v1:127.0.0.1:$MON_PORT
public addr = 127.0.0.1
ms bind msgr2 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
osd crush chooseleaf type = 0
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
keyring = $DIR/keyring
# A quick start: the default 1 s between monitor proposals makes it take ~14 s.
paxos propose interval = 0.01
# The monitor refuses to run below 5% free disk by default; objects live in RAM here.
mon data avail crit = 1
mon data avail warn = 2
[mon]
mon data = $DIR/mon
[osd]
osd data = $DIR/osd
osd objectstore = memstore
memstore device bytes = $((MEM * 1024 * 1024))
osd max object size = 134217728
[client]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $DIR/rgw
# Deleted objects are collected after minutes, not the default 2 hours (memstore is RAM).
rgw gc obj min wait = 60
rgw gc processor period = 60
rgw dns name = 127.0.0.1
CONF
export CEPH_CONF=$CONF
touch "$DIR/keyring"
monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$FSID" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" -c "$CONF" >"$DIR/log/mkfs.log" 2>&1
ceph-mon -i a -c "$CONF" 2>>"$DIR/log/start.log"
fail() { echo "up.sh: $1 (logs in $DIR/log)" >&2; exit 1; }
ceph -c "$CONF" --connect-timeout 20 osd create >/dev/null || fail "the monitor did not answer"
ceph-osd -i 0 --mkfs -c "$CONF" >"$DIR/log/osd-mkfs.log" 2>&1 || fail "the OSD could not be made"
# Ceph 16's OSD may send its first command before it has the monitor map (fsid 0, refused as
# 'wrong fsid') and stop; seen when a cluster starts right after another one stopped. Again, it starts.
started=""
for _ in 1 2 3; do
  if ceph-osd -i 0 -c "$CONF" 2>>"$DIR/log/start.log"; then started=1; break; fi
  sleep 1
done
[ -n "$started" ] || fail "the OSD did not start"
# answers: the gateway answers HTTP on PORT (waits up to 30 s).
answers() {
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$PORT/" && return 0; sleep 0.1; done
  return 1
}
# The default zonegroup exists once the gateway has started; it then gets REGION as its S3 name,
# which the gateway reads when it starts again.
radosgw -n client.rgw -c "$CONF"
answers || fail "the gateway did not answer on 127.0.0.1:$PORT"
radosgw-admin -c "$CONF" zonegroup modify --rgw-zonegroup=default --api-name="$REGION" >/dev/null 2>"$DIR/log/zonegroup.log" \
  || fail "could not name the region"
# It must be gone before the next one starts, which otherwise finds the pid file locked and stops
# (seen under load, when the first took more than 5 s to stop): 30 s to stop, then it is killed.
pid=$(cat "$DIR/run/client.rgw.pid"); kill "$pid"
for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then
  kill -9 "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
fi
radosgw -n client.rgw -c "$CONF"
KEY=locusfs-test-$(head -c 6 /dev/urandom | od -An -tx1 | tr -d ' \n')
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
radosgw-admin -c "$CONF" user create --uid=locusfs --display-name=LocusFS --access-key="$KEY" --secret-key="$SECRET" >/dev/null \
  || fail "could not create the S3 user"
answers || fail "the gateway did not answer on 127.0.0.1:$PORT"
cat > "$DIR/s3.env" <<ENV
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_REGION=$REGION
AWS_ACCESS_KEY_ID=$KEY
AWS_SECRET_ACCESS_KEY=$SECRET
ENV
( umask 077; printf 'access_key = "%s"\nsecret_key = "%s"\n' "$KEY" "$SECRET" > "$DIR/s3.credentials" )
echo "RADOS Gateway on http://127.0.0.1:$PORT (region $REGION); credentials in $DIR/s3.env"
