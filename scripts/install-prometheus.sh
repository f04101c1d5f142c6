#!/usr/bin/env bash
# Installs a Prometheus server binary for the integration tests (test/support/prometheus.ts starts
# its own instance on a free loopback port). Uses Debian's `prometheus` package.
#
# Idempotent: does nothing when `prometheus` is already on PATH. Non-interactive, for CI (root, no
# TTY). The package's own service is never started (see scripts/lib/apt-install-no-start.sh).
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus already installed: $(command -v prometheus)"
  exit 0
fi

bash "$(dirname "$0")/lib/apt-install-no-start.sh" prometheus prometheus

if ! command -v prometheus >/dev/null 2>&1; then
  echo "install-prometheus.sh: the prometheus package installed but 'prometheus' is not on PATH" >&2
  exit 1
fi
echo "prometheus installed: $(prometheus --version 2>&1 | head -n 1)"
