#!/bin/sh
# Entrypoint of locks-local/ferretdb: FerretDB with its SQLite handler on 0.0.0.0:27017.
# Every flag also reads its FERRETDB_* variable, as in the official image.
set -e
mkdir -p /state
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  exec /ferretdb "$@"
fi
exec "$@"
