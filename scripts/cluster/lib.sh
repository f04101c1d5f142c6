# shellcheck shell=bash disable=SC2034  # variables used by the scripts that source this file
# Shared settings and helpers for the local control plane scripts (sourced, not run).
# Versions are pinned so a fresh CI machine builds exactly what was tested; override them through
# the environment to try another patch release.

FLEDGE_K8S_VERSION="${FLEDGE_K8S_VERSION:-v1.36.3}"
FLEDGE_ETCD_VERSION="${FLEDGE_ETCD_VERSION:-v3.6.16}"
FLEDGE_KWOK_VERSION="${FLEDGE_KWOK_VERSION:-v0.8.0}"
FLEDGE_HELM_VERSION="${FLEDGE_HELM_VERSION:-v3.22.0}"

FLEDGE_CACHE_DIR="${FLEDGE_CACHE_DIR:-$HOME/.cache/fledge}"
FLEDGE_CLUSTER_DIR="${FLEDGE_CLUSTER_DIR:-/tmp/fledge-cluster}"

K8S_BIN_DIR="$FLEDGE_CACHE_DIR/bin/kubernetes-$FLEDGE_K8S_VERSION"
ETCD_BIN_DIR="$FLEDGE_CACHE_DIR/bin/etcd-$FLEDGE_ETCD_VERSION"
KWOK_BIN_DIR="$FLEDGE_CACHE_DIR/bin/kwok-$FLEDGE_KWOK_VERSION"
HELM_BIN_DIR="$FLEDGE_CACHE_DIR/bin/helm-$FLEDGE_HELM_VERSION"

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then
  PATH="$PATH:/usr/local/go/bin"
fi
# Never fetch another Go toolchain: build with the one installed.
export GOTOOLCHAIN=local

SCRIPT_START_S=$(date +%s)

# log MESSAGE: one progress line with the wall-clock time and seconds since the script started.
log() {
  printf '[%s +%ss] %s\n' "$(date +%H:%M:%S)" "$(($(date +%s) - SCRIPT_START_S))" "$*" >&2
}

die() {
  log "ERROR: $*"
  exit 1
}

# lock_cluster_dir: hold an exclusive lock (fd 9) on FLEDGE_CLUSTER_DIR until the script exits.
# The lock file lives in the cache, so nothing is left beside the run directory.
lock_cluster_dir() {
  local lock_dir="$FLEDGE_CACHE_DIR/locks"
  mkdir -p "$lock_dir"
  exec 9>"$lock_dir/cluster-$(printf '%s' "$FLEDGE_CLUSTER_DIR" | sha256sum | cut -c1-16).lock"
  flock 9
}

# phase_start NAME / phase_end: print how long a phase took.
phase_start() {
  PHASE_NAME="$1"
  PHASE_START_S=$(date +%s)
  log "== $PHASE_NAME"
}
phase_end() {
  log "== $PHASE_NAME done in $(($(date +%s) - PHASE_START_S))s"
}
