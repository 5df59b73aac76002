#!/bin/sh
# Entrypoint of locks-local/mariadb: honours the variables of the official mariadb/mysql
# images that Testcontainers' MySQL module passes (MARIADB_* or MYSQL_* ROOT_PASSWORD,
# DATABASE, USER, PASSWORD). The datadir is copied from a template made at build time, and an
# init file (run by mariadbd before it serves clients) sets users and the database.
set -e
DATADIR=/var/lib/mysql
ROOT_PW="${MARIADB_ROOT_PASSWORD:-${MYSQL_ROOT_PASSWORD:-}}"
DB="${MARIADB_DATABASE:-${MYSQL_DATABASE:-}}"
APP_USER="${MARIADB_USER:-${MYSQL_USER:-}}"
APP_PW="${MARIADB_PASSWORD:-${MYSQL_PASSWORD:-}}"
mkdir -p "$DATADIR" /run/mysqld
if [ ! -d "$DATADIR/mysql" ]; then
  cp -a /var/lib/mysql-template/. "$DATADIR/"
fi
esc() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e "s/'/''/g"; }
{
  echo "CREATE USER IF NOT EXISTS 'root'@'%' IDENTIFIED BY '$(esc "$ROOT_PW")';"
  echo "ALTER USER 'root'@'%' IDENTIFIED BY '$(esc "$ROOT_PW")';"
  echo "GRANT ALL PRIVILEGES ON *.* TO 'root'@'%' WITH GRANT OPTION;"
  echo "ALTER USER 'root'@'localhost' IDENTIFIED BY '$(esc "$ROOT_PW")';"
  if [ -n "$DB" ]; then
    echo "CREATE DATABASE IF NOT EXISTS \`$(printf '%s' "$DB" | sed 's/`/``/g')\`;"
  fi
  if [ -n "$APP_USER" ] && [ "$APP_USER" != "root" ]; then
    echo "CREATE USER IF NOT EXISTS '$(esc "$APP_USER")'@'%' IDENTIFIED BY '$(esc "$APP_PW")';"
    if [ -n "$DB" ]; then
      echo "GRANT ALL PRIVILEGES ON \`$(printf '%s' "$DB" | sed 's/`/``/g')\`.* TO '$(esc "$APP_USER")'@'%';"
    fi
  fi
} >/run/mysqld/init.sql
if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ] || [ "$1" = "mariadbd" ] || [ "$1" = "mysqld" ]; then
  if [ "$1" = "mariadbd" ] || [ "$1" = "mysqld" ]; then shift; fi
  exec /usr/sbin/mariadbd --no-defaults --user=root --datadir="$DATADIR" \
    --port=3306 --bind-address=0.0.0.0 --skip-name-resolve --skip-log-bin \
    --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid \
    --lc-messages-dir=/usr/share/mysql --character-sets-dir=/usr/share/mysql/charsets \
    --innodb-buffer-pool-size=64M --innodb-log-file-size=8M --max-connections=500 \
    --init-file=/run/mysqld/init.sql "$@"
fi
exec "$@"
