#!/usr/bin/env bash
# Runs the kubectl built by build.sh against the control plane of ${FLEDGE_CLUSTER_DIR:-/tmp/fledge-cluster}
# as its admin user, e.g. `bash scripts/cluster/kubectl.sh get pods -A`.
set -euo pipefail
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
[ -f "$FLEDGE_CLUSTER_DIR/kubeconfig" ] || die "no control plane in $FLEDGE_CLUSTER_DIR: run scripts/cluster/up.sh"
[ -x "$K8S_BIN_DIR/kubectl" ] || die "$K8S_BIN_DIR/kubectl is missing: run scripts/cluster/build.sh"
exec "$K8S_BIN_DIR/kubectl" --kubeconfig="$FLEDGE_CLUSTER_DIR/kubeconfig" "$@"
