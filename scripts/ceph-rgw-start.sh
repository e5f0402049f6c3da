#!/bin/bash
# Start a throw-away single-node Ceph cluster + RADOS Gateway (S3) on 127.0.0.1 for runtrail's S3 tests.
#   1 mon (127.0.0.1:3300/6789), 1 memstore OSD, radosgw beast on 127.0.0.1:7480. No mgr.
# State (config, keyring, logs, pid files) lives under $CEPH_STATE_DIR (default <repo>/.ceph-state);
# the OSD is in memory, so every full start begins from an empty cluster.
# Installs the Debian packages (radosgw ceph-mon ceph-osd uuid-runtime curl) when missing.
#
# Usage:
#   scripts/ceph-rgw-start.sh             stop whatever a previous start left running, start everything
#   scripts/ceph-rgw-start.sh --rgw-only  (re)start only radosgw against the running mon + osd
# The endpoint and test keys are written to $CEPH_STATE_DIR/s3-env.json (read by the S3 suites), or
# export RUNTRAIL_S3_ENDPOINT=http://127.0.0.1:7480 AWS_ACCESS_KEY_ID=RUNTRAILTESTKEY \
#              AWS_SECRET_ACCESS_KEY=runtrailTestSecret0123456789 AWS_REGION=us-east-1
# Stop with scripts/ceph-rgw-stop.sh (by PID).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(dirname "$HERE")
D=${CEPH_STATE_DIR:-$REPO/.ceph-state}
C=$D/ceph.conf
PORT=7480
ACCESS_KEY=RUNTRAILTESTKEY
SECRET_KEY=runtrailTestSecret0123456789
t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

# Waits (bounded) until "$@" succeeds; $1 is a label for the error, $2 the number of 0.2 s tries.
wait_for() {
  local what=$1 tries=$2; shift 2
  for _ in $(seq 1 "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  echo "ceph-rgw-start: timed out waiting for $what; see $D/log/" >&2
  exit 1
}

start_rgw() {
  setsid radosgw -c "$C" -n client.rgw.a -f > "$D/log/rgw.a.stdout" 2>&1 < /dev/null &
  echo $! > "$D/run/rgw.a.pid"
  wait_for "radosgw on 127.0.0.1:$PORT" 300 curl -s -o /dev/null "http://127.0.0.1:$PORT/"
  echo "radosgw answering on 127.0.0.1:$PORT after $(ms) ms (pid $(cat "$D/run/rgw.a.pid"))"
}

if [ "${1:-}" = "--rgw-only" ]; then
  [ -f "$C" ] || { echo "ceph-rgw-start: no cluster under $D; run scripts/ceph-rgw-start.sh first" >&2; exit 1; }
  "$HERE/ceph-rgw-stop.sh" --rgw-only
  start_rgw
  exit 0
fi

need=()
for bin in radosgw radosgw-admin ceph-mon ceph-osd ceph ceph-authtool monmaptool uuidgen curl; do
  command -v "$bin" >/dev/null 2>&1 || need+=("$bin")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "installing Debian packages (missing: ${need[*]})"
  export DEBIAN_FRONTEND=noninteractive
  # other installs may hold the apt/dpkg locks: wait for them (bounded) instead of failing
  for try in $(seq 1 60); do apt-get -o DPkg::Lock::Timeout=600 update -qq && break; [ "$try" = 60 ] && exit 1; sleep 5; done
  apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
    radosgw ceph-mon ceph-osd uuid-runtime curl >/dev/null
  echo "packages installed after $(ms) ms"
  t0=$(date +%s%N)
fi

"$HERE/ceph-rgw-stop.sh"
t0=$(date +%s%N)
rm -rf "$D"
mkdir -p "$D"/{mon/a,osd/0,run,log,rgw/a,crash}
FSID=$(uuidgen)
cat > "$C" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300,v1:127.0.0.1:6789
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
keyring = $D/keyring
run dir = $D/run
crash dir = $D/crash
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.daemon.pid
log file = $D/log/\$name.log
mon cluster log file = default=$D/log/ceph.\$channel.log cluster=$D/log/ceph.log audit=$D/log/ceph.audit.log
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
[mon.a]
mon data = $D/mon/a
# test-only: commit paxos proposals faster (default 1 s), so pool creation takes milliseconds
paxos propose interval = 0.05
paxos min wait = 0.01
[osd.0]
osd data = $D/osd/0
osd objectstore = memstore
memstore device bytes = 4294967296
osd memory target = 1073741824
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $D/rgw/a
rgw dns name = localhost
# test-only: the OSD keeps objects in RAM, so reclaim deleted objects within seconds (default: after 2 h)
rgw gc obj min wait = 1
rgw gc processor period = 5
rgw gc processor max time = 5
CONF
K=$D/keyring
ceph-authtool --create-keyring "$K" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$K" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' --cap mgr 'allow profile osd' >/dev/null
ceph-authtool "$K" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' "$D/monmap" >/dev/null
ceph-mon -c "$C" --mkfs -i a --monmap "$D/monmap" --keyring "$K"
setsid ceph-mon -c "$C" -i a -f > "$D/log/mon.a.stdout" 2>&1 < /dev/null &
echo $! > "$D/run/mon.a.pid"
wait_for "ceph-mon" 150 ceph -c "$C" --connect-timeout 2 mon stat
echo "mon up after $(ms) ms (pid $(cat "$D/run/mon.a.pid"))"

OSD_UUID=$(uuidgen)
OSD_ID=$(ceph -c "$C" osd new "$OSD_UUID")
ceph-osd -c "$C" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" > "$D/log/osd.mkfs.log" 2>&1
setsid ceph-osd -c "$C" -i "$OSD_ID" -f > "$D/log/osd.$OSD_ID.stdout" 2>&1 < /dev/null &
echo $! > "$D/run/osd.$OSD_ID.pid"
osd_up() { ceph -c "$C" osd stat 2>/dev/null | grep -q "1 up"; }
wait_for "ceph-osd" 300 osd_up
echo "osd.$OSD_ID up after $(ms) ms (pid $(cat "$D/run/osd.$OSD_ID.pid"))"

# Pre-create the RGW pools in one ceph CLI session, so the first S3 requests don't wait for lazy creation.
printf '%s\n' .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index \
    default.rgw.buckets.data default.rgw.buckets.non-ec \
  | awk '{print "osd pool create " $1 " 8 8"; print "osd pool application enable " $1 " rgw"}' \
  | ceph -c "$C" >/dev/null 2>&1
echo "pools created after $(ms) ms"

start_rgw
radosgw-admin -c "$C" user create --uid=runtrail-tester --display-name="runtrail tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
echo "S3 user created after $(ms) ms (access key $ACCESS_KEY)"
# test-only keys; the S3 suites read this file when RUNTRAIL_S3_ENDPOINT is not set
cat > "$D/s3-env.json" <<JSON
{"endpoint": "http://127.0.0.1:$PORT", "accessKeyId": "$ACCESS_KEY", "secretAccessKey": "$SECRET_KEY", "region": "us-east-1"}
JSON
echo "export RUNTRAIL_S3_ENDPOINT=http://127.0.0.1:$PORT AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY AWS_REGION=us-east-1"
