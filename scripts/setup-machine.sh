#!/usr/bin/env bash
# Prepares a Debian 12 (or Ubuntu) machine to run the @locks test suites against real servers.
#
# Idempotent and quick when everything is already in place:
#   - installs redis-server, mariadb-server, postgresql (the release's own major: 15 on Debian
#     12, 14 on Ubuntu 22.04, 16 on Ubuntu 24.04), docker.io (+ busybox-static for the local
#     images) with apt-get, running `apt-get update` only when a package is missing;
#   - stops and disables the distro services that apt may have auto-started (tests start
#     their own servers on free loopback ports; nothing may squat 6379/3306/5432);
#   - builds FerretDB v1.24.2 into $HOME/go/bin/ferretdb when it is missing or broken
#     (installs golang-go with apt-get when there is no `go`, and fetches the Go 1.24.3
#     toolchain module into $HOME/.cache/locks when that go is older than 1.21);
#   - fetches mongo-java-server (packages/testing/java/pom.xml) with Maven into
#     $HOME/.cache/locks/mongo-java-server-<version>/lib and compiles its launcher next to it
#     (installs a JDK 17 and Maven with apt-get when missing);
#   - starts dockerd in the background when `docker info` does not answer, and waits
#     (bounded) until it does.
#
# `--plan` prints this description and the packages a run would install, and changes nothing.
#
# Environment:
#   LOCKS_SETUP_SKIP_DOCKER=1     do not start dockerd
#   LOCKS_SETUP_SKIP_FERRETDB=1   do not build FerretDB
#   LOCKS_SETUP_SKIP_MONGO_JAVA=1 do not fetch mongo-java-server
#   LOCKS_MONGO_JAVA_HOME         where its jars and launcher go (default above)
#   LOCKS_DOCKERD_LOG             dockerd log file (default /var/log/locks-dockerd.log)
#   LOCKS_DOCKERD_WAIT            seconds to wait for dockerd (default 60)
set -euo pipefail

log() { printf '[setup-machine] %s\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

FERRETDB_VERSION="v1.24.2"
# The Go toolchain its go.mod names, fetched when the machine's go is older than 1.21.
GO_TOOLCHAIN_VERSION="1.24.3"
# `postgresql` depends on the release's current postgresql-NN, which puts postgres/initdb in
# /usr/lib/postgresql/NN/bin (the tests and build-images.sh take the newest there) and creates
# the unprivileged `postgres` user the tests run the server as when they run as root. Naming a
# major (postgresql-15) would exist on Debian 12 only.
PACKAGES=(redis-server redis-tools mariadb-server postgresql docker.io busybox-static ca-certificates)

# --- apt packages -------------------------------------------------------------------------
missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# --plan: say what a run would do (the header above) and which packages it would install,
# including those installed later only when a tool is missing (go for FerretDB; a JDK and Maven
# for mongo-java-server).
if [ "${1:-}" = "--plan" ]; then
  sed -n '2,${/^# `--plan`/q;/^set -euo/q;s/^# \{0,1\}//p;}' "$0"
  planned=("${missing[@]}")
  if [ "${LOCKS_SETUP_SKIP_FERRETDB:-0}" != 1 ] && ! [ -x "$HOME/go/bin/ferretdb" ] &&
    ! command -v go >/dev/null && ! [ -x /usr/local/go/bin/go ]; then
    planned+=(golang-go)
  fi
  if [ "${LOCKS_SETUP_SKIP_MONGO_JAVA:-0}" != 1 ] && { ! command -v javac >/dev/null || ! command -v mvn >/dev/null; }; then
    planned+=(openjdk-17-jdk-headless maven)
  fi
  echo "apt packages to install on this machine: ${planned[*]:-none, all present}"
  exit 0
fi
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  # policy-rc.d keeps apt from starting the services it installs.
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    policy_created=1
  fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$policy_created" = 1 ]; then $SUDO rm -f /usr/sbin/policy-rc.d; fi
else
  log "apt packages present: ${PACKAGES[*]}"
fi

# --- distro services: tests never use them ------------------------------------------------
have_systemd=0
if [ -d /run/systemd/system ]; then have_systemd=1; fi
for svc in redis-server mariadb postgresql; do
  if [ "$have_systemd" = 1 ]; then
    if systemctl is-active --quiet "$svc" 2>/dev/null || systemctl is-enabled --quiet "$svc" 2>/dev/null; then
      log "stopping and disabling distro service $svc"
      $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || true
    fi
  fi
done
# Without systemd a package's postinst may still have started a daemon through its init script:
# stop only the distro instances (their pid files), never servers started by test runs.
for pidfile in /run/redis/redis-server.pid /run/mysqld/mysqld.pid /run/postgresql/*.pid; do
  if [ -s "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping distro daemon pid $pid ($pidfile)"
      kill "$pid" 2>/dev/null || true
    fi
  fi
done

# --- FerretDB -------------------------------------------------------------------------------
ferretdb_ok() {
  [ -x "$1" ] && "$1" --version >/dev/null 2>&1
}
FERRETDB_BIN="${HOME}/go/bin/ferretdb"
if [ "${LOCKS_SETUP_SKIP_FERRETDB:-0}" != 1 ] && ! ferretdb_ok "$FERRETDB_BIN"; then
  GO="$(command -v go || true)"
  if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
  if [ -z "$GO" ]; then
    log "go not found: installing golang-go"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends golang-go >/dev/null
    GO=go
  fi
  # FerretDB's go.mod asks for Go 1.24. Go 1.21 and later fetch that toolchain by themselves;
  # older ones (Debian 12's golang-go is 1.19) cannot, so fetch it here the way they would: the
  # toolchain is the module golang.org/toolchain, downloaded and checksum-verified by
  # `go mod download`. Its zip keeps no file modes, hence the copy with executable bits.
  go_minor="$("$GO" env GOVERSION | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  if [ -z "$go_minor" ] || [ "$go_minor" -lt 21 ]; then
    toolchain="go${GO_TOOLCHAIN_VERSION}.$("$GO" env GOOS)-$("$GO" env GOARCH)"
    toolchain_dir="$HOME/.cache/locks/$toolchain"
    if ! [ -x "$toolchain_dir/bin/go" ]; then
      log "$GO is $("$GO" env GOVERSION), too old for FerretDB: fetching the Go toolchain $toolchain"
      tcdir="$("$GO" mod download -json "golang.org/toolchain@v0.0.1-$toolchain" |
        sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
      [ -n "$tcdir" ] && [ -f "$tcdir/bin/go" ] || { log "could not download the Go toolchain $toolchain"; exit 1; }
      rm -rf "$toolchain_dir.tmp"
      mkdir -p "$(dirname "$toolchain_dir")"
      cp -r "$tcdir" "$toolchain_dir.tmp"
      chmod -R u+w "$toolchain_dir.tmp"
      chmod +x "$toolchain_dir.tmp"/bin/* "$toolchain_dir.tmp"/pkg/tool/*/*
      rm -rf "$toolchain_dir"
      mv "$toolchain_dir.tmp" "$toolchain_dir"
    fi
    GO="$toolchain_dir/bin/go"
  fi
  log "building FerretDB ${FERRETDB_VERSION} into ${FERRETDB_BIN}"
  # `go install …/cmd/ferretdb@v` produces a binary that panics at start: the module zip lacks
  # the generated build/version/version.txt. Build from a copy of the module with that file.
  moddir="$("$GO" mod download -json "github.com/FerretDB/FerretDB@${FERRETDB_VERSION}" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  if [ -z "$moddir" ] || [ ! -d "$moddir" ]; then
    log "could not download the FerretDB module"; exit 1
  fi
  src="$(mktemp -d)"
  cp -r "$moddir/." "$src/"
  chmod -R u+w "$src"
  echo "${FERRETDB_VERSION}" >"$src/build/version/version.txt"
  echo "locks-setup" >"$src/build/version/package.txt"
  mkdir -p "$(dirname "$FERRETDB_BIN")"
  (cd "$src" && CGO_ENABLED=0 "$GO" build -trimpath -o "$FERRETDB_BIN.tmp" ./cmd/ferretdb)
  mv -f "$FERRETDB_BIN.tmp" "$FERRETDB_BIN"
  rm -rf "$src"
  ferretdb_ok "$FERRETDB_BIN" || { log "FerretDB build does not start"; exit 1; }
fi
if ferretdb_ok "$FERRETDB_BIN"; then
  log "ferretdb: $("$FERRETDB_BIN" --version 2>&1 | grep -m1 -i version || true)"
fi

# --- mongo-java-server ----------------------------------------------------------------------
# A MongoDB wire-protocol server written in Java for tests: the only server here with the
# document protocol's atomic upsert and change streams. The version is the pom's.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MONGO_JAVA_DIR="$repo_root/packages/testing/java"
MONGO_JAVA_VERSION="$(sed -n '/<artifactId>mongo-java-server<\/artifactId>/{n;s:.*<version>\(.*\)</version>.*:\1:p;}' "$MONGO_JAVA_DIR/pom.xml")"
MONGO_JAVA_HOME="${LOCKS_MONGO_JAVA_HOME:-$HOME/.cache/locks/mongo-java-server-${MONGO_JAVA_VERSION}}"
mongo_java_ok() {
  [ -f "$MONGO_JAVA_HOME/lib/mongo-java-server-core-${MONGO_JAVA_VERSION}.jar" ] &&
    [ -f "$MONGO_JAVA_HOME/classes/LocksMongoJavaServer.class" ] &&
    [ "$MONGO_JAVA_HOME/classes/LocksMongoJavaServer.class" -nt "$MONGO_JAVA_DIR/LocksMongoJavaServer.java" ] &&
    [ "$MONGO_JAVA_HOME/lib" -nt "$MONGO_JAVA_DIR/pom.xml" ]
}
if [ "${LOCKS_SETUP_SKIP_MONGO_JAVA:-0}" != 1 ] && ! mongo_java_ok; then
  if ! command -v javac >/dev/null || ! command -v mvn >/dev/null; then
    log "installing openjdk-17-jdk-headless and maven"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      openjdk-17-jdk-headless maven >/dev/null
  fi
  log "fetching mongo-java-server ${MONGO_JAVA_VERSION} into $MONGO_JAVA_HOME"
  rm -rf "$MONGO_JAVA_HOME.tmp"
  mkdir -p "$MONGO_JAVA_HOME.tmp/classes"
  # Maven keeps its own cache in ~/.m2: a second machine setup downloads nothing.
  mvn -B -q -f "$MONGO_JAVA_DIR/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$MONGO_JAVA_HOME.tmp/lib"
  javac -d "$MONGO_JAVA_HOME.tmp/classes" -cp "$MONGO_JAVA_HOME.tmp/lib/*" \
    "$MONGO_JAVA_DIR/LocksMongoJavaServer.java"
  rm -rf "$MONGO_JAVA_HOME"
  mv "$MONGO_JAVA_HOME.tmp" "$MONGO_JAVA_HOME"
  mongo_java_ok || { log "mongo-java-server setup is incomplete in $MONGO_JAVA_HOME"; exit 1; }
fi
if mongo_java_ok; then log "mongo-java-server ${MONGO_JAVA_VERSION}: $MONGO_JAVA_HOME"; fi

# --- dockerd --------------------------------------------------------------------------------
if [ "${LOCKS_SETUP_SKIP_DOCKER:-0}" != 1 ]; then
  if docker info >/dev/null 2>&1; then
    log "docker answers"
  else
    DOCKERD_LOG="${LOCKS_DOCKERD_LOG:-/var/log/locks-dockerd.log}"
    log "starting dockerd (log: $DOCKERD_LOG)"
    # --ip 127.0.0.1: published container ports bind loopback only.
    # setsid + nohup: dockerd survives the shell that started it.
    $SUDO setsid nohup dockerd --ip 127.0.0.1 >"$DOCKERD_LOG" 2>&1 </dev/null &
    wait_s="${LOCKS_DOCKERD_WAIT:-60}"
    deadline=$(($(date +%s) + wait_s))
    until docker info >/dev/null 2>&1; do
      if [ "$(date +%s)" -ge "$deadline" ]; then
        log "dockerd did not answer within ${wait_s}s; last log lines:"
        tail -n 20 "$DOCKERD_LOG" >&2 || true
        exit 1
      fi
      sleep 0.5
    done
    log "docker answers ($(docker version --format '{{.Server.Version}}' 2>/dev/null))"
  fi
fi
log "done"
