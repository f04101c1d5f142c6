#!/usr/bin/env bash
# Installs Debian packages without ever starting the services they ship, for test servers that
# the tests start themselves on free loopback ports.
#
# Usage: apt-install-no-start.sh SERVICE PACKAGE...
#   SERVICE  the service unit / init script the packages ship (stopped and disabled if it started)
#
# Non-interactive, for CI (root or passwordless sudo, no TTY). A policy-rc.d that denies every
# start is in place while the packages install (and restored afterwards); a service that started
# anyway is stopped and disabled.
set -euo pipefail

if [ "$#" -lt 2 ]; then
  echo "usage: $0 SERVICE PACKAGE..." >&2
  exit 2
fi
SERVICE="$1"
shift

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "apt-install-no-start.sh: must run as root (or with passwordless sudo) to install: $*" >&2
    exit 1
  fi
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "apt-install-no-start.sh: apt-get not found; install these packages by other means: $*" >&2
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

"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" >/dev/null

# Belt and braces: if a service manager started the packaged service anyway, stop and disable it.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  "${SUDO[@]}" systemctl stop "$SERVICE.service" >/dev/null 2>&1 || true
  "${SUDO[@]}" systemctl disable "$SERVICE.service" >/dev/null 2>&1 || true
elif [ -x "/etc/init.d/$SERVICE" ]; then
  "${SUDO[@]}" "/etc/init.d/$SERVICE" stop >/dev/null 2>&1 || true
  if command -v update-rc.d >/dev/null 2>&1; then
    "${SUDO[@]}" update-rc.d "$SERVICE" disable >/dev/null 2>&1 || true
  fi
fi
