#!/usr/bin/env bash
# Stops the local control plane started by up.sh for ${FLEDGE_CLUSTER_DIR:-/tmp/fledge-cluster}
# and removes that directory (data, certificates, logs). Safe to run when nothing is running.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=control-plane.sh
source "$SCRIPT_DIR/control-plane.sh"

lock_cluster_dir
if [ -e "$FLEDGE_CLUSTER_DIR" ]; then
  stop_cluster
  log "stopped the control plane and removed $FLEDGE_CLUSTER_DIR in $(($(date +%s) - SCRIPT_START_S))s"
else
  log "no control plane in $FLEDGE_CLUSTER_DIR"
fi
