#!/usr/bin/env bash
# Proves the README's quick start on a machine that looks fresh: no server binaries, no Docker.
#
#   bash scripts/first-hour.sh [--all-servers-summary FILE]
#   bash scripts/first-hour.sh --print-all-servers-command
#
# Clones the current checkout (its last commit) into a temp dir and runs the quick-start
# commands, the first ```sh block under "## Quick start" in the clone's README.md, line by
# line and in order, in an environment a new user would have:
#   - an empty HOME (so nothing in ~/go/bin, ~/.m2 …) and no GOPATH, CI or LOCKS_* variables;
#   - a PATH of the machine's tools without any server binary (redis, MariaDB/MySQL, MongoDB,
#     FerretDB, PostgreSQL, Java) or container tool (docker, podman …);
#   - DOCKER_HOST=unix:///nonexistent, which @locks/testing takes as "no container runtime";
#   - npm's global prefix in the temp dir, so `npm install -g pnpm` installs there.
# pnpm's store, npm's cache and the network settings (proxies, CA certificates) are the
# machine's, which only saves downloads.
# It requires every command to succeed, `pnpm test` to have skipped at least one backend for
# want of a server, and its closing summary to name every skipped backend with the command
# that runs it.
#
# The README's second ```sh block is the all-servers command (`pnpm test:all`); running it
# here would repeat CI's longest leg, so CI's local-servers leg runs that command instead
# (--print-all-servers-command prints it), and --all-servers-summary FILE checks the summary
# that run wrote (.tmp/test-summary.json) with scripts/check-all-servers.mjs: it passed, skipped
# no backend, every package reported its tests, and every skipped test has a reason from the
# list the README gives after that command. The same check must reject that summary with one
# unlisted skip added, or it proves nothing.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
log() { printf '[first-hour] %s\n' "$*" >&2; }
fail() {
  log "FAILED: $*"
  exit 1
}

# The Nth ```sh block (1-based) after "## Quick start" in a README, a command per line.
readme_block() { # readme n
  node "$repo/scripts/quick-start.mjs" block "$2" "$1"
}

summary_file=""
case "${1:-}" in
--print-all-servers-command)
  readme_block "$repo/README.md" 2
  exit 0
  ;;
--all-servers-summary) summary_file="${2:?--all-servers-summary needs a file}" ;;
"") ;;
*) fail "unknown argument $1" ;;
esac

# --- the all-servers run (done by CI's local-servers leg) -----------------------------------
if [ -n "$summary_file" ]; then
  [ -s "$summary_file" ] || fail "no all-servers summary at $summary_file"
  node "$repo/scripts/check-all-servers.mjs" "$summary_file" "$repo" ||
    fail "the all-servers run does not keep the README's promise (above)"
  doctored="$(mktemp "${TMPDIR:-/tmp}/locks-all-servers-doctored-XXXXXX.json")"
  node -e '
    const fs = require("node:fs");
    const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
    s.skippedTests = [...(s.skippedTests ?? []), { reason: "a reason the README does not list", count: 1, packages: ["x"], tests: ["x/test.ts > t"] }];
    fs.writeFileSync(process.argv[2], JSON.stringify(s));
  ' "$summary_file" "$doctored"
  if node "$repo/scripts/check-all-servers.mjs" "$doctored" "$repo" 2>/dev/null; then
    rm -f "$doctored"
    fail "the all-servers check accepted a skip the README does not list"
  fi
  rm -f "$doctored"
fi

# --- a fresh clone on a machine without servers ----------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/locks-first-hour-XXXXXX")"
trap 'rm -rf "$work"' EXIT
git clone --quiet "$repo" "$work/locks"
mkdir -p "$work/home" "$work/npm-global/bin" "$work/tools"

# Every executable on PATH except servers and container tools, as links in one directory. The
# directory does not end in /bin, so @locks/testing does not search a sibling sbin either.
IFS=: read -r -a path_dirs <<<"$PATH"
for dir in "${path_dirs[@]}"; do
  [ -d "$dir" ] || continue
  for file in "$dir"/*; do
    name="${file##*/}"
    [ -f "$file" ] && [ -x "$file" ] || continue
    case "$name" in
    redis-* | valkey-* | keydb-* | mariadb* | mysql* | mongo* | ferretdb* | postgres* | postmaster | \
      pg_* | initdb | java | javac | docker* | dockerd* | containerd* | podman* | runc | nerdctl)
      continue
      ;;
    esac
    [ -e "$work/tools/$name" ] || ln -s "$file" "$work/tools/$name"
  done
done

# pnpm's global config in the fresh HOME points at the machine's store (`pnpm store path`
# names its versioned subdirectory).
store="$(pnpm store path 2>/dev/null || true)"
if [ -n "$store" ]; then
  mkdir -p "$work/home/.config/pnpm"
  printf 'storeDir: %s\n' "${store%/v[0-9]*}" >"$work/home/.config/pnpm/config.yaml"
fi
npm_cache="$(npm config get cache 2>/dev/null || true)"
# The machine's network settings (proxies, extra CA certificates) are kept: installing needs
# the registry.
network_env=()
while IFS= read -r name; do
  network_env+=("$name=${!name}")
done < <(compgen -e | grep -iE '^((https?|no|all)_proxy|NODE_EXTRA_CA_CERTS|SSL_CERT_(FILE|DIR))$' || true)
fresh_env=(
  env -i
  "${network_env[@]}"
  "HOME=$work/home"
  "PATH=$work/npm-global/bin:$work/tools"
  "TMPDIR=${TMPDIR:-/tmp}"
  "LANG=${LANG:-C.UTF-8}"
  "TERM=dumb"
  "DOCKER_HOST=unix:///nonexistent"
  "npm_config_prefix=$work/npm-global"
  ${npm_cache:+"npm_config_cache=$npm_cache"}
  "TURBO_TELEMETRY_DISABLED=1"
  "DO_NOT_TRACK=1"
)
for server in redis-server mariadbd mysqld mongod ferretdb postgres docker; do
  if found="$("${fresh_env[@]}" bash -c "command -v $server")"; then
    fail "$server is still reachable on the fresh PATH ($found)"
  fi
done

mapfile -t commands < <(readme_block "$work/locks/README.md" 1)
[ "${#commands[@]}" -ge 2 ] || fail "README.md has no quick start block with at least two commands"
log "quick start from README.md, in $work/locks (no server binaries, no Docker):"
printf '    %s\n' "${commands[@]}" >&2
summary="$work/test-summary.json"
for cmd in "${commands[@]}"; do
  log "\$ $cmd"
  t0=$(date +%s)
  (cd "$work/locks" && "${fresh_env[@]}" "LOCKS_TEST_SUMMARY_OUT=$summary" bash -c "$cmd") ||
    fail "'$cmd' failed on a machine without servers"
  log "ok: '$cmd' ($(($(date +%s) - t0)) s)"
done

[ -s "$summary" ] || fail "pnpm test wrote no summary ($summary)"
node -e '
  const s = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  if (s.skipped.length === 0) {
    console.error("no backend was skipped: the servers were not hidden, so this proves nothing");
    process.exit(1);
  }
  // The command each skipped backend names is the all-servers command of the README, word for word.
  const command = process.argv[3];
  const bad = s.skipped.filter((b) => b.command !== command || b.reasons.length === 0 || b.failedUnderCi);
  if (bad.length > 0) {
    console.error(`skipped without a reason or without the all-servers command of the README (${command}): ${bad.map((b) => `${b.backend} (${b.command})`).join(", ")}`);
    process.exit(1);
  }
  // Every backend the all-servers run had a server for needs one: here it must be named.
  if (process.argv[2]) {
    const all = JSON.parse(require("node:fs").readFileSync(process.argv[2], "utf8"));
    const named = new Set([...s.skipped, ...s.served].map((b) => b.backend));
    const unnamed = all.served.map((b) => b.backend).filter((b) => !named.has(b));
    if (unnamed.length > 0) {
      console.error(`backends the all-servers run used but this summary does not name: ${unnamed.join(", ")}`);
      process.exit(1);
    }
  }
  console.error(`[first-hour] pnpm test passed, skipping: ${s.skipped.map((b) => `${b.backend} (run with: ${b.command})`).join(", ")}`);
  if (s.served.length > 0)
    console.error(`[first-hour] found without PATH or Docker: ${s.served.map((b) => b.backend).join(", ")}`);
' "$summary" "$summary_file" "$(readme_block "$work/locks/README.md" 2)" || fail "pnpm test did not skip and name the missing backends"
log "the quick start works on a machine without servers"
