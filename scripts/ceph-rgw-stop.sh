#!/bin/bash
# Stop the daemons started by scripts/ceph-rgw-start.sh, by PID (radosgw, osd and mon).
#   scripts/ceph-rgw-stop.sh             stop everything
#   scripts/ceph-rgw-stop.sh --rgw-only  stop only radosgw (restart it with ceph-rgw-start.sh --rgw-only)
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
D=${CEPH_STATE_DIR:-$(dirname "$HERE")/.ceph-state}
t0=$(date +%s%N)
# Signals the named daemons, waits for them (bounded), then KILLs stragglers.
stop_group() {
  local pids=() labels=() n f pid daemon i
  for n in "$@"; do
    f=$D/run/$n.pid
    [ -f "$f" ] || continue
    pid=$(cat "$f")
    rm -f "$f"
    kill -0 "$pid" 2>/dev/null || continue
    # never signal a recycled PID: the process must still be the ceph daemon we started
    daemon=${n%%.*}; case $daemon in rgw) daemon=radosgw ;; *) daemon=ceph-$daemon ;; esac
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "$daemon" || continue
    kill "$pid"
    pids+=("$pid") labels+=("$n")
  done
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "${labels[$i]} ($pid) did not exit on TERM within 10 s, sending KILL"
      kill -9 "$pid"
    fi
    echo "stopped ${labels[$i]} (pid $pid) after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  done
}
# one at a time, in this order: each daemon talks to the next one while shutting down
# (radosgw to the osd, the osd to the mon) and waits out a timeout when it has gone.
stop_group rgw.a
[ "${1:-}" = "--rgw-only" ] && exit 0
rm -f "$D/s3-env.json"
stop_group osd.0
stop_group mon.a
