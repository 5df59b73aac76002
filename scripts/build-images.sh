#!/usr/bin/env bash
# Builds local container images for the test servers from this machine's own binaries, for
# machines without access to an image registry:
#
#   locks-local/redis:<major.minor>      from /usr/bin/redis-server (Debian redis-server)
#   locks-local/mariadb:<major.minor>    from /usr/sbin/mariadbd    (Debian mariadb-server)
#   locks-local/ferretdb:<version>       from $HOME/go/bin/ferretdb (scripts/setup-machine.sh)
#   locks-local/mongo-java-server:<version>  a jlink'ed Java runtime of this machine's JDK and the
#                                        jars + launcher scripts/setup-machine.sh fetched
#   locks-local/postgres:<major>         from /usr/lib/postgresql/<major>/bin (Debian postgresql-NN)
#
# Each image is a root filesystem assembled from the binary, the shared libraries `ldd`
# lists, busybox (a shell and the tools Testcontainers' port checks run) and an entrypoint
# that behaves like the official image's, then loaded with `docker import` (no pulls).
# Images are labelled with a hash of their inputs; a run whose inputs did not change skips
# the build. Log lines go to stderr; stdout gets only the exports (also written to
# .tmp/images.env at the repo root), so either of
#   eval "$(bash scripts/build-images.sh)"
#   bash scripts/build-images.sh && source .tmp/images.env
# sets LOCKS_REDIS_IMAGE, LOCKS_MYSQL_IMAGE, LOCKS_MONGO_IMAGE (and LOCKS_MONGO_FLAVOR),
# LOCKS_MONGO_JAVA_IMAGE and LOCKS_POSTGRES_IMAGE.
#
# Options: --force rebuilds every image.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
images_dir="$here/images"
force=0
if [ "${1:-}" = "--force" ]; then force=1; fi

log() { printf '[build-images] %s\n' "$*" >&2; }
fail() {
  log "error: $*"
  exit 1
}

command -v docker >/dev/null || fail "docker CLI not found (run scripts/setup-machine.sh)"
docker info >/dev/null 2>&1 || fail "docker daemon does not answer (run scripts/setup-machine.sh)"
BUSYBOX="$(command -v busybox || true)"
[ -n "$BUSYBOX" ] || fail "busybox not found (apt-get install busybox-static)"

REDIS_SERVER=/usr/bin/redis-server
REDIS_CLI=/usr/bin/redis-cli
MARIADBD=/usr/sbin/mariadbd
INSTALL_DB="$(command -v mariadb-install-db || true)"
FERRETDB="${LOCKS_FERRETDB_BIN:-$HOME/go/bin/ferretdb}"
MONGO_JAVA_VERSION="$(sed -n '/<artifactId>mongo-java-server<\/artifactId>/{n;s:.*<version>\(.*\)</version>.*:\1:p;}' "$(dirname "$here")/packages/testing/java/pom.xml")"
MONGO_JAVA_HOME="${LOCKS_MONGO_JAVA_HOME:-$HOME/.cache/locks/mongo-java-server-${MONGO_JAVA_VERSION}}"
JAVA="$(readlink -f "$(command -v java || echo /nonexistent)")"
# Debian's newest installed PostgreSQL server (postgresql-NN puts it outside PATH).
PG_BINDIR="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin 2>/dev/null | sort -V | tail -n 1)"
SETPRIV="$(command -v setpriv || true)"

# Files copied into a root filesystem, with the libraries they load.
copy_file() { # root path [mode]
  local root="$1" path="$2" mode="${3:-755}"
  [ -e "$root$path" ] && return 0
  install -D -m "$mode" "$(readlink -f "$path")" "$root$path"
}
copy_with_libs() { # root binary...
  local root="$1"
  shift
  local bin lib
  for bin in "$@"; do
    copy_file "$root" "$bin"
    while read -r lib; do
      [ -n "$lib" ] && copy_file "$root" "$lib" 755
    done < <(ldd "$bin" 2>/dev/null | awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]+ \(/{print $1}')
  done
}
base_rootfs() { # root
  local root="$1" applet
  mkdir -p "$root"/{bin,sbin,etc,tmp,run,data,usr/bin,usr/sbin,usr/local/bin,var/lib,proc,sys,dev}
  chmod 1777 "$root/tmp"
  install -m 755 "$BUSYBOX" "$root/bin/busybox"
  for applet in $("$BUSYBOX" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  mkdir -p "$root/root"
}

# Hash of everything that goes into an image: binaries, entrypoint, this script.
inputs_hash() { # files...
  {
    sha256sum "$@" "${BASH_SOURCE[0]}" | awk '{print $1}'
    "$BUSYBOX" --list | sha256sum
  } | sha256sum | cut -c1-16
}

current_hash() { # image
  docker image inspect --format '{{ index .Config.Labels "org.locks.inputs" }}' "$1" 2>/dev/null || true
}

import_rootfs() { # root image hash changes...
  local root="$1" image="$2" hash="$3"
  shift 3
  local args=(--change "LABEL org.locks.inputs=$hash"
    --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
  local c
  for c in "$@"; do args+=(--change "$c"); done
  tar -C "$root" --numeric-owner -cf - . | docker import "${args[@]}" - "$image" >/dev/null
}

build() { # name image builder-function inputs...
  local name="$1" image="$2" fn="$3"
  shift 3
  local hash started root
  hash="$(inputs_hash "$@")"
  if [ "$force" = 0 ] && [ "$(current_hash "$image")" = "$hash" ]; then
    log "$image up to date (inputs $hash)"
    return 0
  fi
  started=$(date +%s%N)
  root="$(mktemp -d)"
  # shellcheck disable=SC2064
  trap "rm -rf '$root'" RETURN
  "$fn" "$root" "$image" "$hash"
  log "$image built in $(((($(date +%s%N) - started)) / 1000000)) ms (inputs $hash)"
}

build_redis() { # root image hash
  local root="$1"
  base_rootfs "$root"
  copy_with_libs "$root" "$REDIS_SERVER" "$REDIS_CLI"
  install -m 755 "$images_dir/redis-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$root" "$2" "$3" \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["redis-server"]' \
    'EXPOSE 6379' 'WORKDIR /data'
}

build_mariadb() { # root image hash
  local root="$1" lib
  base_rootfs "$root"
  copy_with_libs "$root" "$MARIADBD"
  # Loaded with dlopen at run time, so ldd does not list it.
  for lib in /lib/x86_64-linux-gnu/libgcc_s.so.1 /usr/lib/x86_64-linux-gnu/libgcc_s.so.1; do
    if [ -e "$lib" ]; then copy_file "$root" "$lib"; fi
  done
  mkdir -p "$root/usr/share/mysql"
  cp -a /usr/share/mysql/charsets /usr/share/mysql/english "$root/usr/share/mysql/"
  # A ready-made datadir: the entrypoint copies it, so a container starts in well under a second.
  "$INSTALL_DB" --no-defaults --user=root --datadir="$root/var/lib/mysql-template" \
    --auth-root-authentication-method=normal --skip-test-db --skip-name-resolve \
    --innodb-log-file-size=8M >"$root/install-db.log" 2>&1 ||
    {
      cat "$root/install-db.log" >&2
      fail "mariadb-install-db failed"
    }
  rm -f "$root/install-db.log"
  mkdir -p "$root/var/lib/mysql"
  install -m 755 "$images_dir/mariadb-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$root" "$2" "$3" \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["mariadbd"]' \
    'EXPOSE 3306' 'VOLUME /var/lib/mysql'
}

build_ferretdb() { # root image hash
  local root="$1"
  base_rootfs "$root"
  copy_with_libs "$root" "$FERRETDB"
  mv "$root$FERRETDB" "$root/ferretdb"
  install -m 755 "$images_dir/ferretdb-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$root" "$2" "$3" \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'EXPOSE 27017' 'WORKDIR /' \
    'ENV FERRETDB_LISTEN_ADDR=:27017' 'ENV FERRETDB_HANDLER=sqlite' \
    'ENV FERRETDB_SQLITE_URL=file:/state/' 'ENV FERRETDB_STATE_DIR=/state' \
    'ENV FERRETDB_TELEMETRY=disable' 'ENV FERRETDB_DEBUG_ADDR=-'
}

build_mongo_java() { # root image hash
  local root="$1" lib
  base_rootfs "$root"
  # Only the modules the server and netty use (jdeps): about 50 MB instead of the whole JDK.
  jlink --add-modules java.base,java.logging,java.management,jdk.unsupported \
    --strip-debug --no-header-files --no-man-pages --output "$root/opt/java"
  while read -r lib; do
    [ -n "$lib" ] && copy_file "$root" "$lib" 755
  done < <(find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) -exec ldd {} \; 2>/dev/null |
    awk '/=> \//{print $3} /^[[:space:]]*\/[^ ]+ \(/{print $1}' | sort -u)
  mkdir -p "$root/opt/mongo-java-server"
  cp -a "$MONGO_JAVA_HOME/lib" "$MONGO_JAVA_HOME/classes" "$root/opt/mongo-java-server/"
  install -m 755 "$images_dir/mongo-java-server-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$root" "$2" "$3" \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'EXPOSE 27017' 'WORKDIR /'
}

build_postgres() { # root image hash
  local root="$1" major template
  major="$(basename "$(dirname "$PG_BINDIR")")"
  base_rootfs "$root"
  printf 'postgres:x:999:999:postgres:/var/lib/postgresql:/bin/sh\n' >>"$root/etc/passwd"
  printf 'postgres:x:999:\n' >>"$root/etc/group"
  copy_with_libs "$root" "$PG_BINDIR/postgres" "$SETPRIV"
  # The server finds its share and lib dirs relative to its own path; keep Debian's layout.
  ln -s "$major" "$root/usr/lib/postgresql/current"
  # The server requires its lib dir; PL/pgSQL is the one module a plain database may load.
  copy_file "$root" "/usr/lib/postgresql/$major/lib/plpgsql.so"
  mkdir -p "$root/usr/share/postgresql"
  cp -a "/usr/share/postgresql/$major" "$root/usr/share/postgresql/"
  rm -rf "$root/usr/share/postgresql/$major/man"
  cp -a /usr/share/zoneinfo "$root/usr/share/"
  # A ready-made cluster (trust authentication from anywhere), owned by the image's postgres user.
  template="$root/var/lib/postgresql/template"
  chmod 755 "$root"
  mkdir -p "$template"
  chown "$(id -u postgres 2>/dev/null || echo 65534)" "$template"
  setpriv --reuid="$(id -u postgres 2>/dev/null || echo 65534)" --regid="$(id -g postgres 2>/dev/null || echo 65534)" --clear-groups \
    "$PG_BINDIR/initdb" --pgdata="$template" --username=postgres --auth=trust --encoding=UTF8 \
    --locale=C --no-sync >"$root/initdb.log" 2>&1 ||
    {
      cat "$root/initdb.log" >&2
      fail "initdb failed"
    }
  rm -f "$root/initdb.log"
  echo "host all all all trust" >>"$template/pg_hba.conf"
  chown -R 999:999 "$template"
  mkdir -p "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  chown 999:999 "$root/var/lib/postgresql/data" "$root/var/run/postgresql"
  install -m 755 "$images_dir/postgres-entrypoint.sh" "$root/usr/local/bin/docker-entrypoint.sh"
  import_rootfs "$root" "$2" "$3" \
    'ENTRYPOINT ["/usr/local/bin/docker-entrypoint.sh"]' 'CMD ["postgres"]' \
    'EXPOSE 5432' 'ENV PGDATA=/var/lib/postgresql/data' 'ENV LC_ALL=C'
}

total_started=$(date +%s%N)
exports=()

if [ -x "$REDIS_SERVER" ] && [ -x "$REDIS_CLI" ]; then
  redis_version="$("$REDIS_SERVER" --version | sed -n 's/.*v=\([0-9]*\.[0-9]*\).*/\1/p')"
  redis_image="locks-local/redis:${redis_version}"
  build redis "$redis_image" build_redis "$REDIS_SERVER" "$REDIS_CLI" "$images_dir/redis-entrypoint.sh"
  exports+=("export LOCKS_REDIS_IMAGE=$redis_image")
else
  log "skipping redis: $REDIS_SERVER or $REDIS_CLI missing"
fi

if [ -x "$MARIADBD" ] && [ -n "$INSTALL_DB" ]; then
  mariadb_version="$("$MARIADBD" --version | sed -n 's/.*Ver \([0-9]*\.[0-9]*\).*/\1/p')"
  mariadb_image="locks-local/mariadb:${mariadb_version}"
  build mariadb "$mariadb_image" build_mariadb "$MARIADBD" "$images_dir/mariadb-entrypoint.sh"
  exports+=("export LOCKS_MYSQL_IMAGE=$mariadb_image")
else
  log "skipping mariadb: $MARIADBD or mariadb-install-db missing"
fi

if [ -x "$FERRETDB" ] && "$FERRETDB" --version >/dev/null 2>&1; then
  ferretdb_version="$("$FERRETDB" --version | sed -n 's/^version: v\{0,1\}\(.*\)$/\1/p')"
  ferretdb_image="locks-local/ferretdb:${ferretdb_version}"
  build ferretdb "$ferretdb_image" build_ferretdb "$FERRETDB" "$images_dir/ferretdb-entrypoint.sh"
  exports+=("export LOCKS_MONGO_IMAGE=$ferretdb_image" "export LOCKS_MONGO_FLAVOR=ferretdb")
else
  log "skipping ferretdb: $FERRETDB missing or broken (run scripts/setup-machine.sh)"
fi

if [ -x "$JAVA" ] && command -v jlink >/dev/null &&
  [ -f "$MONGO_JAVA_HOME/classes/LocksMongoJavaServer.class" ]; then
  mongo_java_image="locks-local/mongo-java-server:${MONGO_JAVA_VERSION}"
  build mongo-java-server "$mongo_java_image" build_mongo_java "$JAVA" \
    "$MONGO_JAVA_HOME"/lib/*.jar "$MONGO_JAVA_HOME/classes/LocksMongoJavaServer.class" \
    "$images_dir/mongo-java-server-entrypoint.sh"
  exports+=("export LOCKS_MONGO_JAVA_IMAGE=$mongo_java_image")
else
  log "skipping mongo-java-server: java/jlink or $MONGO_JAVA_HOME missing (run scripts/setup-machine.sh)"
fi
if [ -n "$PG_BINDIR" ] && [ -x "$PG_BINDIR/postgres" ] && [ -x "$PG_BINDIR/initdb" ] && [ -n "$SETPRIV" ]; then
  postgres_major="$(basename "$(dirname "$PG_BINDIR")")"
  postgres_image="locks-local/postgres:${postgres_major}"
  build postgres "$postgres_image" build_postgres "$PG_BINDIR/postgres" "$images_dir/postgres-entrypoint.sh"
  exports+=("export LOCKS_POSTGRES_IMAGE=$postgres_image")
else
  log "skipping postgres: no /usr/lib/postgresql/*/bin with postgres and initdb, or no setpriv (run scripts/setup-machine.sh)"
fi

# The same exports, for `source .tmp/images.env` (override the path with LOCKS_IMAGES_ENV).
env_file="${LOCKS_IMAGES_ENV:-$(dirname "$here")/.tmp/images.env}"
mkdir -p "$(dirname "$env_file")"
printf '%s\n' "${exports[@]}" >"$env_file"
log "done in $((($(date +%s%N) - total_started) / 1000000)) ms; exports written to $env_file"
printf '%s\n' "${exports[@]}"
