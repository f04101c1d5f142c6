#!/usr/bin/env bash
# Installs a Redis server binary for the integration tests (test/support/redis.ts starts its own
# instance on a free loopback port). Uses Debian's `redis-server` package.
#
# Idempotent: does nothing when `redis-server` is already on PATH. Non-interactive, for CI (root,
# no TTY). The package's own service is never started (see scripts/lib/apt-install-no-start.sh).
set -euo pipefail

if command -v redis-server >/dev/null 2>&1; then
  echo "redis-server already installed: $(command -v redis-server)"
  exit 0
fi

bash "$(dirname "$0")/lib/apt-install-no-start.sh" redis-server redis-server

if ! command -v redis-server >/dev/null 2>&1; then
  echo "install-redis.sh: the redis-server package installed but 'redis-server' is not on PATH" >&2
  exit 1
fi
echo "redis-server installed: $(redis-server --version 2>&1 | head -n 1)"
