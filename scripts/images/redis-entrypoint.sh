#!/bin/sh
# Entrypoint of locks-local/redis: behaves like the official image's for `redis-server …`.
set -e
if [ "${1#-}" != "$1" ]; then set -- redis-server "$@"; fi
if [ "$1" = "redis-server" ]; then
  shift
  # Defaults first: later arguments (e.g. --bind 127.0.0.1 on the host network) override them.
  exec /usr/bin/redis-server --protected-mode no --bind 0.0.0.0 --port 6379 --dir /data "$@"
fi
exec "$@"
