#!/usr/bin/env bash
# Starts a local control plane for integration tests: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok (fake nodes whose pods become Running and Ready at once), all on free
# loopback ports, then installs the Fledge and third-party CRDs.
#
# State lives in ${FLEDGE_CLUSTER_DIR:-/tmp/fledge-cluster}: pids/, logs/, pki/, kubeconfig and
# cluster.env / cluster.json (server URL and credential paths). If a healthy control plane is
# already running for that directory it is reused; a broken one is stopped and started afresh.
# Stop it with scripts/cluster/down.sh.
#
# Environment: FLEDGE_CLUSTER_DIR, FLEDGE_CACHE_DIR, FLEDGE_CLUSTER_NODES (fake nodes, default 2),
# FLEDGE_SHARED_CRDS_DIR (default: shared/crds beside the repository), FLEDGE_CLUSTER_SMOKE=0 to
# skip the check that a Deployment becomes available.
set -euo pipefail
SCRIPT_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
# shellcheck source=lib.sh
source "$SCRIPT_DIR/lib.sh"
# shellcheck source=control-plane.sh
source "$SCRIPT_DIR/control-plane.sh"

NODE_COUNT="${FLEDGE_CLUSTER_NODES:-2}"
SHARED_CRDS_DIR="${FLEDGE_SHARED_CRDS_DIR:-$REPO_ROOT/../shared/crds}"
FLEDGE_CRDS_DIR="$REPO_ROOT/charts/fledge/crds"

mkdir -p "$(dirname "$FLEDGE_CLUSTER_DIR")"
lock_cluster_dir

[ -d "$FLEDGE_CRDS_DIR" ] || die "no Fledge CRDs at $FLEDGE_CRDS_DIR"
[ -d "$SHARED_CRDS_DIR" ] || die "no third-party CRDs at $SHARED_CRDS_DIR (set FLEDGE_SHARED_CRDS_DIR)"
SHARED_CRDS_DIR="$(cd "$SHARED_CRDS_DIR" && pwd)"

if cluster_is_healthy; then
  # A reused control plane gets the CRDs again only when their files changed since they were applied.
  if [ "$(crds_checksum "$FLEDGE_CRDS_DIR" "$SHARED_CRDS_DIR")" != "$(cat "$CRDS_CHECKSUM_FILE" 2>/dev/null)" ]; then
    log "CRD files changed since they were applied: applying them again"
    install_crds "$FLEDGE_CRDS_DIR" "$SHARED_CRDS_DIR"
  fi
  # A control plane started before helm was part of the build: record helm's path too.
  if ! grep -q '"helm"' "$STATE_JSON"; then
    sed -i "s|^  \"kubectl\": \"\(.*\)\"\$|  \"kubectl\": \"\1\",\n  \"helm\": \"$HELM_BIN_DIR/helm\"|" "$STATE_JSON"
  fi
  # A control plane started before the wider Service range existed: add it (a no-op otherwise).
  service_cidr_ready || ensure_service_cidr
  log "reusing the healthy control plane in $FLEDGE_CLUSTER_DIR ($(state_get FLEDGE_CLUSTER_SERVER))"
  exit 0
fi
if [ -e "$FLEDGE_CLUSTER_DIR" ]; then
  log "$FLEDGE_CLUSTER_DIR holds a control plane that is not healthy: stopping it first"
  stop_cluster
fi

command -v openssl >/dev/null 2>&1 || die "openssl is not installed (apt-get install -y openssl)"

phase_start "binaries"
bash "$SCRIPT_DIR/build.sh"
phase_end

# If anything below fails, leave no half-started processes behind; the logs stay for reading.
on_exit() {
  local rc=$?
  [ "$rc" -ne 0 ] || return 0
  log "start-up failed; last lines of each component log:"
  local f
  for f in "$LOG_DIR"/*.log; do
    [ -f "$f" ] || continue
    echo "----- $f" >&2
    tail -n 15 "$f" >&2
  done
  stop_processes
  log "processes stopped; logs kept in $LOG_DIR (scripts/cluster/down.sh removes them)"
}
trap on_exit EXIT

phase_start "certificates"
mkdir -p "$PKI_DIR" "$PID_DIR" "$LOG_DIR"
mkdir -m 700 "$FLEDGE_CLUSTER_DIR/etcd"
generate_pki
phase_end

ETCD_CLIENT_PORT=$(free_port)
ETCD_PEER_PORT=$(free_port "$ETCD_CLIENT_PORT")
APISERVER_PORT=$(free_port "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT")
SERVER="https://127.0.0.1:$APISERVER_PORT"
write_kubeconfig "$SERVER"
write_state "$SERVER" "$ETCD_CLIENT_PORT"

phase_start "etcd (127.0.0.1:$ETCD_CLIENT_PORT)"
start_etcd "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT"
wait_for "etcd health" 60 etcd_healthy "$ETCD_CLIENT_PORT"
phase_end

phase_start "kube-apiserver ($SERVER)"
start_apiserver "$APISERVER_PORT" "$ETCD_CLIENT_PORT"
wait_for "kube-apiserver /readyz" 120 apiserver_ready
phase_end

# The CRDs before the controller manager: its garbage collector then watches their kinds from its
# first sync. A kind it starts to watch later misses the deletion of an owner it had already seen
# (the owner stays in its graph), and the owner's dependents are never collected.
phase_start "CRDs"
install_crds "$FLEDGE_CRDS_DIR" "$SHARED_CRDS_DIR"
phase_end

phase_start "kube-controller-manager, kube-scheduler, kwok"
start_controller_manager
start_scheduler
start_kwok
create_nodes "$NODE_COUNT"
wait_for "$NODE_COUNT Ready node(s)" 90 nodes_ready "$NODE_COUNT"
wait_for "ServiceAccount default/default" 90 kctl get serviceaccount default --namespace default
phase_end

phase_start "ServiceCIDR $SERVICE_CIDR_NAME ($SERVICE_CIDR_RANGE)"
ensure_service_cidr
phase_end

if [ "${FLEDGE_CLUSTER_SMOKE:-1}" != "0" ]; then
  phase_start "smoke Deployment"
  smoke_deployment
  phase_end
fi

log "control plane ready in $(($(date +%s) - SCRIPT_START_S))s: server $SERVER, kubeconfig $KUBECONFIG_PATH"
