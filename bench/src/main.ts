/**
 * `pnpm bench [--backend memory|redis|mysql|mongo|mongo-java|postgres]... [--quick]`
 *
 * Measures our providers, the peer libraries and the raw-driver floor side by side against the
 * same servers, prints a table per scenario, and writes results/latest.{json,md,svg}.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { cpus, loadavg, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { BACKENDS, type Backend, type BackendUrls, implementations } from "./backends.js";
import { FULL, QUICK } from "./plan.js";
import { markdown, svg } from "./report.js";
import type { BackendResult, Results } from "./results.js";
import { computeRatios } from "./results.js";
import { log, runBackend } from "./run.js";
import { Servers } from "./servers.js";
import { summary } from "./summary.js";

const USAGE = `usage: pnpm bench [--backend memory|redis|mysql|mongo|mongo-java|postgres]... [--quick] [--out DIR]

  --backend  run only this backend (repeatable; default: all)
  --quick    a short smoke run (every code path, figures not meaningful)
  --out      where to write latest.json / latest.md / latest.svg (default: bench/results)
  --update-readme  also replace the summary between the markers in bench/README.md

Servers: LOCKS_REDIS_URL, LOCKS_REDIS_URLS (3 comma-separated, Redlock), LOCKS_MYSQL_URL,
LOCKS_MONGO_URL, LOCKS_POSTGRES_URL; otherwise local redis-server / mariadbd / ferretdb / postgres
on free loopback ports.`;

function options() {
  const args = process.argv.slice(2);
  if (args[0] === "--") args.shift(); // `pnpm bench -- --quick` passes the separator through
  const { values } = parseArgs({
    args,
    options: {
      backend: { type: "string", multiple: true },
      quick: { type: "boolean", default: false },
      out: { type: "string" },
      "update-readme": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    allowPositionals: false,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const backends = (values.backend ?? [...BACKENDS]).flatMap((b) => b.split(","));
  for (const b of backends) {
    if (!(BACKENDS as readonly string[]).includes(b)) {
      console.error(`unknown backend "${b}"\n${USAGE}`);
      process.exit(2);
    }
  }
  return {
    backends: backends as Backend[],
    quick: values.quick,
    out: values.out ?? fileURLToPath(new URL("../results/", import.meta.url)),
    updateReadme: values["update-readme"],
  };
}

async function main(): Promise<number> {
  const opts = options();
  const plan = opts.quick ? QUICK : FULL;
  const strict = process.env.CI === "true";
  const servers = new Servers();
  let stopping: Promise<void> | undefined;
  const stopServers = () => {
    stopping ??= servers.stop();
    return stopping;
  };
  // Never hang, never leave a server behind.
  const hardLimitS = opts.quick ? 300 : 3_600;
  const watchdog = setTimeout(() => {
    log(`bench: still running after ${hardLimitS} s; stopping servers and giving up`);
    void stopServers().finally(() => process.exit(1));
  }, hardLimitS * 1000);
  // A library that rejects or throws in the background (e.g. a peer whose connections have no
  // 'error' listener when the server stops) must not end the run and leave servers behind.
  process.on("unhandledRejection", (reason) => {
    log(`  ! unhandled rejection: ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  process.on("uncaughtException", (error) => {
    log(`  ! uncaught exception: ${error.stack ?? error.message}`);
  });
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      log(`bench: ${signal}; stopping servers`);
      void stopServers().finally(() => process.exit(130));
    });
  }

  const started = Date.now();
  const cpuList = cpus();
  const results: Results = {
    startedAt: new Date(started).toISOString(),
    durationS: 0,
    quick: opts.quick,
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? "unknown",
      node: process.version,
      os: `${platform()} ${release()}`,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      loadAtStart: loadavg()[0] ?? 0,
    },
    plan: { ...plan },
    backends: [],
  };
  let failed = false;

  try {
    for (const backend of opts.backends) {
      log(`bench: ${backend}`);
      const result: BackendResult = { backend, missing: [], scenarios: [] };
      results.backends.push(result);
      const urls: BackendUrls = {};
      try {
        if (backend === "redis") {
          const single = await servers.redis(1);
          urls.redis = single.urls;
          try {
            const three = await servers.redis(3);
            urls.redisRedlock = three.urls;
          } catch (error) {
            result.missing.push(`Redlock (3 servers): ${String(error)}`);
          }
          try {
            urls.redisCluster = (await servers.redisCluster()).urls;
          } catch (error) {
            result.missing.push(`Redis Cluster: ${String(error)}`);
          }
          result.servers = `${single.version} (${single.mode}${urls.redisRedlock ? "; Redlock: 3 more" : ""}${urls.redisCluster ? "; a Cluster of 3 masters" : ""})`;
        } else if (backend === "mysql") {
          const info = await servers.mysql();
          urls.mysql = info.urls[0]!;
          result.servers = `${info.version} (${info.mode})`;
        } else if (backend === "mongo") {
          const info = await servers.mongo();
          urls.mongo = info.urls[0]!;
          result.servers = `${info.version} (${info.mode})`;
        } else if (backend === "mongo-java") {
          const info = await servers.mongoJava();
          urls.mongoJava = info.urls[0]!;
          result.servers = `${info.version} (${info.mode})`;
        } else if (backend === "postgres") {
          const info = await servers.postgres();
          urls.postgres = info.urls[0]!;
          result.servers = `${info.version} (${info.mode})`;
        }
      } catch (error) {
        result.skipped = `no server: ${error instanceof Error ? error.message : String(error)}`;
        log(`  ! ${backend} skipped: ${result.skipped}`);
        if (strict) failed = true;
        continue;
      }
      if (result.servers) log(`  servers: ${result.servers}`);
      const { factories, missing } = await implementations(backend, urls);
      result.missing.push(...missing);
      for (const line of missing) log(`  ! ${line}`);
      if (strict && missing.length > 0) failed = true;
      try {
        await runBackend(backend, urls, factories, plan, result);
      } catch (error) {
        result.skipped = `run failed: ${error instanceof Error ? error.stack : String(error)}`;
        log(`  ! ${backend}: ${result.skipped}`);
        failed = true;
      }
      for (const scenario of result.scenarios) computeRatios(scenario);
      await stopServers();
      stopping = undefined;
    }
  } finally {
    await stopServers();
    clearTimeout(watchdog);
  }

  // Two holders at once in one of ours is a safety failure, not a figure: the run fails.
  for (const backend of results.backends) {
    for (const scenario of backend.scenarios) {
      for (const row of scenario.rows) {
        const overlaps = row.metrics.overlaps ?? 0;
        if (row.role === "ours" && overlaps > 0) {
          log(`bench: FAIL: ${row.impl} (${row.config ?? scenario.id}) had ${overlaps} overlaps`);
          failed = true;
        }
      }
    }
  }
  results.durationS = (Date.now() - started) / 1000;
  results.machine.loadAtEnd = loadavg()[0] ?? 0;
  await mkdir(opts.out, { recursive: true });
  const md = `${summary(results)}\n\n## All tables\n\n${markdown(results)}`;
  await writeFile(join(opts.out, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(opts.out, "latest.md"), md);
  await writeFile(join(opts.out, "latest.svg"), svg(results));
  if (opts.updateReadme) await updateReadme(summary(results));
  process.stdout.write(md);
  log(
    `bench: done in ${results.durationS.toFixed(0)} s; wrote ${join(opts.out, "latest")}.{json,md,svg}`,
  );
  return failed ? 1 : 0;
}

const START = "<!-- bench:summary:start -->";
const END = "<!-- bench:summary:end -->";

/** Replaces the generated summary in bench/README.md (between the two markers). */
async function updateReadme(text: string): Promise<void> {
  const path = fileURLToPath(new URL("../README.md", import.meta.url));
  const readme = await readFile(path, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) {
    log(`bench: ${path} has no summary markers; not updated`);
    return;
  }
  await writeFile(path, `${readme.slice(0, start + START.length)}\n${text}\n${readme.slice(end)}`);
  log(`bench: updated the summary in ${path}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
