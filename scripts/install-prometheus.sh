#!/usr/bin/env bash
# Installs a Prometheus server binary for the integration tests (test/support/prometheus.ts starts
# its own instance on a free loopback port). Uses Debian's `prometheus` package.
#
# Idempotent: does nothing when `prometheus` is already on PATH. Non-interactive, for CI (root, no
# TTY). The package's own service is never started: a policy-rc.d that denies every start is in
# place while the package installs, and any service that started anyway is stopped and disabled.
set -euo pipefail

if command -v prometheus >/dev/null 2>&1; then
  echo "prometheus already installed: $(command -v prometheus)"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "install-prometheus.sh: must run as root (or with passwordless sudo) to install the prometheus package" >&2
    exit 1
  fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-prometheus.sh: apt-get not found; install a Prometheus 2.x server so that 'prometheus' is on PATH" >&2
  exit 1
fi

POLICY=/usr/sbin/policy-rc.d
BACKUP=""
restore_policy() {
  if [ -n "$BACKUP" ]; then
    "${SUDO[@]}" mv -f "$BACKUP" "$POLICY"
  else
    "${SUDO[@]}" rm -f "$POLICY"
  fi
}
if [ -e "$POLICY" ]; then
  BACKUP="$(mktemp /tmp/policy-rc.d.XXXXXX)"
  "${SUDO[@]}" cp -p "$POLICY" "$BACKUP"
fi
trap restore_policy EXIT
# Exit status 101 tells invoke-rc.d and deb-systemd-invoke that starting services is forbidden.
printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
"${SUDO[@]}" chmod 0755 "$POLICY"

export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold prometheus >/dev/null

# Belt and braces: if a service manager started the packaged service anyway, stop and disable it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${SUDO[@]}" systemctl stop prometheus.service >/dev/null 2>&1 || true
  "${SUDO[@]}" systemctl disable prometheus.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/prometheus ]; then
  "${SUDO[@]}" /etc/init.d/prometheus stop >/dev/null 2>&1 || true
  if command -v update-rc.d >/dev/null 2>&1; then
    "${SUDO[@]}" update-rc.d prometheus disable >/dev/null 2>&1 || true
  fi
fi

if ! command -v prometheus >/dev/null 2>&1; then
  echo "install-prometheus.sh: the prometheus package installed but 'prometheus' is not on PATH" >&2
  exit 1
fi
echo "prometheus installed: $(prometheus --version 2>&1 | head -n 1)"
