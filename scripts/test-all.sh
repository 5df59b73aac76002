#!/usr/bin/env bash
# `pnpm test:all`: every test against real servers, in one command, on a fresh machine.
#
#   Debian/Ubuntu as root or with sudo: prepares the machine with scripts/setup-machine.sh
#     (apt packages, FerretDB, dockerd), printing what it will install first, builds the local
#     container images (scripts/build-images.sh), then runs `pnpm test` with
#     LOCKS_TEST_MODE=local and CI=true: every backend from a local binary, the container tests
#     on the local images, and a backend that still has no server fails the run.
#   Elsewhere, when Docker answers: runs `pnpm test` with every server in a container (official
#     images, pulled on first use); the tests of locally started servers are skipped, and the
#     closing summary names them.
#
# From a terminal it asks once before installing anything; it never asks when stdin is not a
# terminal or with --yes. CI's local-servers leg runs exactly this command.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[test:all] %s\n' "$*" >&2; }
assume_yes=0
if [ "${1:-}" = "--yes" ]; then assume_yes=1; fi

can_install() {
  command -v apt-get >/dev/null && command -v dpkg-query >/dev/null || return 1
  [ "$(id -u)" -eq 0 ] && return 0
  command -v sudo >/dev/null || return 1
  # Without a terminal sudo must not ask for a password.
  sudo -n true 2>/dev/null || [ -t 0 ]
}

if can_install; then
  log "preparing this machine with scripts/setup-machine.sh:"
  bash scripts/setup-machine.sh --plan | sed 's/^/    /' >&2
  if [ "$assume_yes" = 0 ] && [ -t 0 ]; then
    read -r -p "[test:all] go ahead? [Y/n] " answer
    case "$answer" in [nN]*) log "nothing installed"; exit 1 ;; esac
  fi
  bash scripts/setup-machine.sh
  bash scripts/build-images.sh >/dev/null
  # shellcheck disable=SC1091
  source .tmp/images.env
  export LOCKS_TEST_MODE=local CI=true
elif docker info >/dev/null 2>&1; then
  log "no apt-get with root here, but Docker answers: every server runs in a container"
  export LOCKS_TEST_MODE=container
  export LOCKS_REDIS_IMAGE="${LOCKS_REDIS_IMAGE:-redis:7}"
  export LOCKS_MYSQL_IMAGE="${LOCKS_MYSQL_IMAGE:-mysql:8.4}"
  export LOCKS_MONGO_IMAGE="${LOCKS_MONGO_IMAGE:-mongo:7}"
  export LOCKS_POSTGRES_IMAGE="${LOCKS_POSTGRES_IMAGE:-postgres:16}"
else
  log "cannot get servers here: this is not Debian/Ubuntu with root or sudo, and Docker does not answer."
  log "Start Docker (or run on Debian/Ubuntu) and run pnpm test:all again, or point the tests at"
  log "your own servers with LOCKS_*_URL variables (CONTRIBUTING.md)."
  exit 1
fi

pnpm install --frozen-lockfile --prefer-offline
pnpm test
