#!/usr/bin/env bash
# Installs and starts everything the test suites need on a Debian machine, then exits:
#   - npm packages (npm ci)
#   - Debian chromium (browser tests of the dashboard)
#   - Ceph (radosgw, ceph-mon, ceph-osd) and a single-node RADOS Gateway on 127.0.0.1:7480 (S3 suites)
# The gateway's address and test credentials are written to .ceph-state/s3-env.json, which the
# S3 suites read when RUNTRAIL_S3_ENDPOINT is not set.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
log() { echo "[setup-tests +$(( $(date +%s) - t0 ))s] $*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else log "not root and no sudo: skipping Debian packages"; fi
fi
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
command -v radosgw >/dev/null 2>&1 || need+=(radosgw ceph-mon ceph-osd)
command -v uuidgen >/dev/null 2>&1 || need+=(uuid-runtime)
command -v curl >/dev/null 2>&1 || need+=(curl)
if [ ${#need[@]} -gt 0 ] && { [ "$(id -u)" -eq 0 ] || [ -n "$SUDO" ]; }; then
  log "apt-get install ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# onnxruntime-node's install script would download CUDA libraries; its CPU binaries ship in the
# package. .npmrc says so too, but npm is dropping unknown project config keys.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  log "npm ci"
  npm ci --no-audit --no-fund
fi

if command -v radosgw >/dev/null 2>&1; then
  log "starting the Ceph RADOS Gateway"
  bash scripts/ceph-rgw-start.sh
fi
log "done"
