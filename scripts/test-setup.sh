#!/usr/bin/env bash
# Installs what the test suite needs beyond npm packages (run by `npm test`; idempotent and quiet
# when everything is already there). Each service is started by the tests themselves on a free
# loopback port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-prometheus.sh
bash scripts/install-redis.sh
# The local control plane (kube-apiserver, etcd, controller-manager, scheduler, kwok), built from Go
# modules into a cache outside the repository: minutes when cold, under a second when cached.
bash scripts/cluster/build.sh
