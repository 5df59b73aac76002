#!/bin/sh
# Entrypoint of locks-local/postgres: honours the variables of the official postgres image that
# tests pass (POSTGRES_DB; POSTGRES_USER must be "postgres", the superuser of the template).
# Authentication is trust, so POSTGRES_PASSWORD is accepted and ignored. /usr/bin/setpriv is
# util-linux's (busybox's applet of that name cannot change users). The data directory is
# copied from a template made at build time, so a container starts in well under a second.
set -e
PGDATA=/var/lib/postgresql/data
BIN=/usr/lib/postgresql/current/bin/postgres
as_postgres() { /usr/bin/setpriv --reuid=postgres --regid=postgres --clear-groups "$@"; }
if [ "${POSTGRES_USER:-postgres}" != postgres ]; then
  echo "locks-local/postgres: POSTGRES_USER must be postgres (got ${POSTGRES_USER})" >&2
  exit 1
fi
mkdir -p "$PGDATA" /var/run/postgresql
chown postgres:postgres "$PGDATA" /var/run/postgresql
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  cp -a /var/lib/postgresql/template/. "$PGDATA/"
  chmod 700 "$PGDATA"
  DB="${POSTGRES_DB:-postgres}"
  if [ "$DB" != postgres ]; then
    printf 'CREATE DATABASE "%s"\n' "$(printf '%s' "$DB" | sed 's/"/""/g')" |
      as_postgres "$BIN" --single -D "$PGDATA" postgres >/dev/null
  fi
fi
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ] || [ "$1" = "postgres" ]; then
  if [ "$1" = "postgres" ]; then shift; fi
  exec /usr/bin/setpriv --reuid=postgres --regid=postgres --clear-groups \
    "$BIN" -D "$PGDATA" -c listen_addresses='*' "$@"
fi
exec "$@"
