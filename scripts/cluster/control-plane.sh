# shellcheck shell=bash
# Functions that start, check and stop the local control plane (sourced by up.sh and down.sh after
# lib.sh; not run on its own).

PKI_DIR="$FLEDGE_CLUSTER_DIR/pki"
PID_DIR="$FLEDGE_CLUSTER_DIR/pids"
LOG_DIR="$FLEDGE_CLUSTER_DIR/logs"
STATE_ENV="$FLEDGE_CLUSTER_DIR/cluster.env"
STATE_JSON="$FLEDGE_CLUSTER_DIR/cluster.json"
KUBECONFIG_PATH="$FLEDGE_CLUSTER_DIR/kubeconfig"
CRDS_CHECKSUM_FILE="$FLEDGE_CLUSTER_DIR/crds.sha256"
KUBECTL="$K8S_BIN_DIR/kubectl"

# Stopped in this order: clients first, storage last.
COMPONENTS=(kwok kube-scheduler kube-controller-manager kube-apiserver etcd)

# kctl ARGS...: kubectl against this control plane as the admin user.
kctl() {
  "$KUBECTL" --kubeconfig="$KUBECONFIG_PATH" "$@"
}

# state_get KEY: a value from cluster.env, empty when unknown.
state_get() {
  [ -f "$STATE_ENV" ] || return 0
  sed -n "s/^$1=//p" "$STATE_ENV"
}

# owned_pid NAME: print the pid of component NAME if that process is alive and was started for
# this run directory (its command line names the directory), so a reused pid is never signalled.
owned_pid() {
  local file="$PID_DIR/$1.pid" pid
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$FLEDGE_CLUSTER_DIR/" || return 1
  echo "$pid"
}

cluster_is_healthy() {
  [ -f "$STATE_ENV" ] && [ -x "$KUBECTL" ] || return 1
  local name
  for name in "${COMPONENTS[@]}"; do
    owned_pid "$name" >/dev/null || return 1
  done
  [ "$(kctl --request-timeout=5s get --raw /readyz 2>/dev/null)" = "ok" ]
}

# stop_processes: SIGTERM every component, SIGKILL what is still there after 15 s.
stop_processes() {
  local name pid pids=() waited=0
  for name in "${COMPONENTS[@]}"; do
    if pid=$(owned_pid "$name"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
  done
  [ "${#pids[@]}" -gt 0 ] || return 0
  while [ "$waited" -lt 150 ]; do
    local alive=0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 1 ] || return 0
    sleep 0.1
    waited=$((waited + 1))
  done
  for pid in "${pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      log "pid $pid did not stop after SIGTERM: sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
}

stop_cluster() {
  stop_processes
  rm -rf "$FLEDGE_CLUSTER_DIR"
}

# free_port [EXCLUDED...]: a loopback TCP port nobody listens on, below the ephemeral range so
# outgoing connections do not take it between this check and the bind.
free_port() {
  local port tries=0
  while [ "$tries" -lt 200 ]; do
    port=$((20000 + RANDOM % 12000))
    tries=$((tries + 1))
    case " $* " in *" $port "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port"
      return 0
    fi
  done
  die "found no free loopback port"
}

# http_get_local PORT PATH: body of a plain HTTP GET to 127.0.0.1:PORT (no curl needed).
http_get_local() {
  local port="$1" path="$2"
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$path" >&3
  timeout 5 cat <&3
  exec 3<&-
}

# new_key FILE: an ECDSA P-256 private key (fast to make, accepted by every component).
new_key() {
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
}

# sign_cert NAME SUBJECT EXTENSIONS: PKI_DIR/NAME.{key,crt} signed by the test CA.
sign_cert() {
  local name="$1" subject="$2" extensions="$3"
  new_key "$PKI_DIR/$name.key"
  openssl req -new -key "$PKI_DIR/$name.key" -subj "$subject" -out "$PKI_DIR/$name.csr"
  printf '%s\n' "$extensions" >"$PKI_DIR/$name.ext"
  openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/ca.crt" -CAkey "$PKI_DIR/ca.key" \
    -set_serial "0x$(openssl rand -hex 16)" -days 3650 -sha256 -extfile "$PKI_DIR/$name.ext" \
    -out "$PKI_DIR/$name.crt" 2>/dev/null
  rm -f "$PKI_DIR/$name.csr" "$PKI_DIR/$name.ext"
}

generate_pki() {
  new_key "$PKI_DIR/ca.key"
  openssl req -x509 -new -key "$PKI_DIR/ca.key" -subj "/CN=fledge-test-ca" -days 3650 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
    -out "$PKI_DIR/ca.crt"
  sign_cert apiserver "/CN=kube-apiserver" "$(printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=serverAuth' \
    'subjectAltName=IP:127.0.0.1,IP:10.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local')"
  sign_cert admin "/O=system:masters/CN=fledge-admin" "$(printf '%s\n' \
    'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' \
    'extendedKeyUsage=clientAuth')"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$PKI_DIR/sa.key" 2>/dev/null
  openssl pkey -in "$PKI_DIR/sa.key" -pubout -out "$PKI_DIR/sa.pub"
  chmod 600 "$PKI_DIR"/*.key
}

write_kubeconfig() {
  local server="$1"
  cat >"$KUBECONFIG_PATH" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fledge-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 "$PKI_DIR/ca.crt")
users:
- name: fledge-admin
  user:
    client-certificate-data: $(base64 -w0 "$PKI_DIR/admin.crt")
    client-key-data: $(base64 -w0 "$PKI_DIR/admin.key")
contexts:
- name: fledge-test
  context:
    cluster: fledge-test
    user: fledge-admin
current-context: fledge-test
EOF
  chmod 600 "$KUBECONFIG_PATH"
}

# write_state SERVER ETCD_PORT: cluster.env for scripts and cluster.json for the test helpers.
write_state() {
  local server="$1" etcd_port="$2"
  cat >"$STATE_ENV" <<EOF
FLEDGE_CLUSTER_SERVER=$server
FLEDGE_CLUSTER_KUBECONFIG=$KUBECONFIG_PATH
FLEDGE_CLUSTER_CA_FILE=$PKI_DIR/ca.crt
FLEDGE_CLUSTER_CERT_FILE=$PKI_DIR/admin.crt
FLEDGE_CLUSTER_KEY_FILE=$PKI_DIR/admin.key
FLEDGE_CLUSTER_ETCD=http://127.0.0.1:$etcd_port
FLEDGE_CLUSTER_KUBECTL=$KUBECTL
FLEDGE_CLUSTER_HELM=$HELM_BIN_DIR/helm
EOF
  cat >"$STATE_JSON" <<EOF
{
  "id": "$(date +%s)-$$-$RANDOM",
  "server": "$server",
  "kubeconfigPath": "$KUBECONFIG_PATH",
  "caFile": "$PKI_DIR/ca.crt",
  "certFile": "$PKI_DIR/admin.crt",
  "keyFile": "$PKI_DIR/admin.key",
  "etcd": "http://127.0.0.1:$etcd_port",
  "kubectl": "$KUBECTL",
  "helm": "$HELM_BIN_DIR/helm"
}
EOF
}

# start_component NAME BINARY ARGS...: run detached from this shell's session, output to logs/NAME.log.
start_component() {
  local name="$1" binary="$2"
  shift 2
  [ -x "$binary" ] || die "$binary is missing: run scripts/cluster/build.sh"
  # fd 9 is up.sh's lock: a component that kept it open would block every later up.sh and down.sh.
  setsid "$binary" "$@" </dev/null >"$LOG_DIR/$name.log" 2>&1 9>&- &
  echo "$!" >"$PID_DIR/$name.pid"
  log "$name started (pid $!, log $LOG_DIR/$name.log)"
}

# check_components_alive: fail at once, naming the component, when a started one has exited.
check_components_alive() {
  local name
  for name in "${COMPONENTS[@]}"; do
    [ -f "$PID_DIR/$name.pid" ] || continue
    owned_pid "$name" >/dev/null || die "$name exited; see $LOG_DIR/$name.log"
  done
}

# wait_for DESCRIPTION TIMEOUT_S COMMAND...: retry COMMAND until it succeeds.
wait_for() {
  local description="$1" timeout_s="$2"
  shift 2
  local deadline=$(($(date +%s) + timeout_s)) output=""
  while true; do
    if output=$("$@" 2>&1); then
      return 0
    fi
    check_components_alive
    [ "$(date +%s)" -lt "$deadline" ] || die "timed out after ${timeout_s}s waiting for $description; last output: $output"
    sleep 0.5
  done
}

# --watch-progress-notify-interval: progress notifications let the apiserver's watch cache advance
# in quiet periods (kubeadm sets this flag too).
start_etcd() {
  local client_port="$1" peer_port="$2"
  start_component etcd "$ETCD_BIN_DIR/etcd" \
    --name=fledge \
    --data-dir="$FLEDGE_CLUSTER_DIR/etcd" \
    --listen-client-urls="http://127.0.0.1:$client_port" \
    --advertise-client-urls="http://127.0.0.1:$client_port" \
    --listen-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-advertise-peer-urls="http://127.0.0.1:$peer_port" \
    --initial-cluster="fledge=http://127.0.0.1:$peer_port" \
    --unsafe-no-fsync \
    --auto-compaction-retention=1 \
    --watch-progress-notify-interval=1s \
    --log-level=warn
}

etcd_healthy() {
  http_get_local "$1" /health | grep -q '"health":"true"'
}

start_apiserver() {
  local port="$1" etcd_port="$2"
  # The endpoint reconciler is off: it would publish 127.0.0.1 as the `kubernetes` Service's
  # endpoint, which endpoint validation rejects as a loopback address.
  start_component kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
    --bind-address=127.0.0.1 \
    --advertise-address=127.0.0.1 \
    --secure-port="$port" \
    --cert-dir="$PKI_DIR/generated" \
    --tls-cert-file="$PKI_DIR/apiserver.crt" \
    --tls-private-key-file="$PKI_DIR/apiserver.key" \
    --client-ca-file="$PKI_DIR/ca.crt" \
    --etcd-servers="http://127.0.0.1:$etcd_port" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI_DIR/sa.pub" \
    --service-account-signing-key-file="$PKI_DIR/sa.key" \
    --service-cluster-ip-range=10.0.0.0/24 \
    --authorization-mode=Node,RBAC \
    --allow-privileged=true \
    --endpoint-reconciler-type=none \
    --profiling=false
}

apiserver_ready() {
  [ "$(kctl --request-timeout=5s get --raw /readyz)" = "ok" ]
}

start_controller_manager() {
  start_component kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
    --kubeconfig="$KUBECONFIG_PATH" \
    --secure-port=0 \
    --leader-elect=false \
    --controllers='*' \
    --use-service-account-credentials=false \
    --service-account-private-key-file="$PKI_DIR/sa.key" \
    --root-ca-file="$PKI_DIR/ca.crt" \
    --cluster-signing-cert-file="$PKI_DIR/ca.crt" \
    --cluster-signing-key-file="$PKI_DIR/ca.key" \
    --kube-api-qps=100 \
    --kube-api-burst=200 \
    --profiling=false
}

start_scheduler() {
  start_component kube-scheduler "$K8S_BIN_DIR/kube-scheduler" \
    --kubeconfig="$KUBECONFIG_PATH" \
    --secure-port=0 \
    --leader-elect=false \
    --profiling=false
}

# kwok plays the kubelet for Nodes annotated kwok.x-k8s.io/node=fake. Node and pod IPs are
# loopback/unused ranges so that nothing is ever sent to another address if a kubelet URL is used.
# The heartbeat-with-lease stage only works when kwok renews node Leases
# (--node-lease-duration-seconds, as kwokctl sets it): without them the node controller marks the
# nodes NotReady after its grace period, and every pod with them.
start_kwok() {
  start_component kwok "$KWOK_BIN_DIR/kwok" \
    --kubeconfig="$KUBECONFIG_PATH" \
    --config="$KWOK_BIN_DIR/stages.yaml" \
    --node-lease-duration-seconds=40 \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 \
    --cidr=10.244.0.0/16
}

# create_nodes COUNT: fake nodes kwok-node-0..COUNT-1 (kwok fills in their status).
create_nodes() {
  local count="$1" i manifest=""
  for ((i = 0; i < count; i++)); do
    manifest+="---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations:
    kwok.x-k8s.io/node: fake
    node.alpha.kubernetes.io/ttl: \"0\"
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable: {cpu: \"32\", memory: 256Gi, pods: \"110\"}
  capacity: {cpu: \"32\", memory: 256Gi, pods: \"110\"}
"
  done
  printf '%s' "$manifest" | kctl apply --server-side --field-manager=fledge-cluster-up -f - >/dev/null
}

nodes_ready() {
  local want="$1" ready
  ready=$(kctl get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c '^True$' || true)
  [ "$ready" -ge "$want" ] || {
    echo "$ready of $want nodes Ready"
    return 1
  }
}

# crds_checksum DIR...: one checksum over the CRD files that install_crds applies.
crds_checksum() {
  local dir
  for dir in "$@"; do
    find "$dir" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) | sort
  done | xargs cat | sha256sum | cut -d' ' -f1
}

# install_crds DIR...: server-side apply every *.yaml in each DIR, then wait for Established.
install_crds() {
  local dir files=()
  for dir in "$@"; do
    files+=(-f "$dir")
  done
  kctl apply --server-side --force-conflicts --field-manager=fledge-cluster-up "${files[@]}" |
    sed 's/^/  /' >&2
  wait_for "CRDs Established" 60 kctl wait --for=condition=Established --timeout=30s crd --all
  crds_checksum "$@" >"$CRDS_CHECKSUM_FILE"
}

# A ServiceCIDR of 65,534 addresses beside the apiserver's own range: --service-cluster-ip-range
# (a /24, 254 addresses) stays as it was, so a control plane started before this existed keeps its
# flags and its Services, and gets the room by re-running up.sh (server-side apply is idempotent).
# A few hundred canaries need three Services each. The name and range match bench/local-cluster.ts.
SERVICE_CIDR_NAME=fledge-services
SERVICE_CIDR_RANGE=10.96.0.0/16

service_cidr_ready() {
  [ "$(kctl get servicecidr "$SERVICE_CIDR_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = "True" ]
}

# ensure_service_cidr: apply the ServiceCIDR and wait until the allocator uses it (Ready).
ensure_service_cidr() {
  printf '%s\n' \
    'apiVersion: networking.k8s.io/v1' \
    'kind: ServiceCIDR' \
    'metadata:' \
    "  name: $SERVICE_CIDR_NAME" \
    'spec:' \
    "  cidrs: [\"$SERVICE_CIDR_RANGE\"]" |
    kctl apply --server-side --field-manager=fledge-cluster-up -f - >/dev/null
  wait_for "ServiceCIDR $SERVICE_CIDR_NAME Ready" 60 service_cidr_ready
}

# smoke_deployment: one Deployment must become available, proving the controller-manager,
# scheduler and kwok work together.
smoke_deployment() {
  kctl create deployment fledge-up-check --namespace=default --image=example.com/pause:1 >/dev/null
  if ! kctl rollout status deployment/fledge-up-check --namespace=default --timeout=90s >/dev/null; then
    kctl get deployment,replicaset,pod --namespace=default -o wide >&2 || true
    die "Deployment default/fledge-up-check did not become available in 90s"
  fi
  kctl delete deployment fledge-up-check --namespace=default --wait=false >/dev/null
}
