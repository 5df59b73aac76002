import { setTimeout as sleep } from "node:timers/promises";
import { type LockProvider, LockTimeoutError } from "@locks/core";
import { parseDemoArgs } from "./args.js";
import { DemoError, resolveBackend } from "./backends.js";
import { percentile, table } from "./stats.js";

const args = parseDemoArgs(process.argv.slice(2));
const key = `demo:${process.pid}:${Date.now()}`;

interface Observations {
  acquisitions: number;
  inside: number;
  maxInside: number;
  lastToken: bigint | undefined;
  tokensIncreasing: boolean;
  fencing: boolean;
  timeouts: number;
  lost: number;
  waits: number[];
  perWorker: number[];
}

async function main(): Promise<number> {
  const backend = await resolveBackend(args.backend);
  const providers: LockProvider[] = [];
  for (let i = 0; i < args.workers; i++) providers.push(await backend.create());
  const seen: Observations = {
    acquisitions: 0,
    inside: 0,
    maxInside: 0,
    lastToken: undefined,
    tokensIncreasing: true,
    fencing: providers[0]!.capabilities.fencing,
    timeouts: 0,
    lost: 0,
    waits: [],
    perWorker: providers.map(() => 0),
  };
  console.log(
    `${args.workers} workers contend for lock "${key}" on ${backend.label} for ${args.duration / 1000} s (hold ${args.hold} ms, think ${args.think} ms)`,
  );
  const started = performance.now();
  const deadline = started + args.duration;
  const progress = startProgress(seen, started);
  try {
    await Promise.all(providers.map((provider, index) => worker(provider, index, deadline, seen)));
  } finally {
    progress.stop();
    await Promise.allSettled(providers.map((p) => p.close()));
  }
  const elapsed = (performance.now() - started) / 1000;
  const waits = [...seen.waits].sort((a, b) => a - b);
  const ok = seen.maxInside === 1 && seen.tokensIncreasing && seen.acquisitions > 0;
  console.log(
    table([
      ["backend", backend.label],
      ["workers", String(args.workers)],
      ["acquisitions", `${seen.acquisitions} (${(seen.acquisitions / elapsed).toFixed(1)}/s)`],
      [
        "max holders at once",
        `${seen.maxInside}${seen.maxInside === 1 ? " (ok)" : " (VIOLATION)"}`,
      ],
      [
        "fencing tokens",
        seen.fencing
          ? seen.tokensIncreasing
            ? `strictly increasing (last ${seen.lastToken})`
            : "NOT strictly increasing (VIOLATION)"
          : "not offered by this backend",
      ],
      [
        "wait p50 / p99",
        `${percentile(waits, 50).toFixed(2)} ms / ${percentile(waits, 99).toFixed(2)} ms`,
      ],
      ["per-worker acquisitions", seen.perWorker.join(" ")],
      ["timeouts / lost locks", `${seen.timeouts} / ${seen.lost}`],
      ["result", ok ? "PASS" : "FAIL"],
    ]),
  );
  return ok ? 0 : 1;
}

async function worker(provider: LockProvider, index: number, deadline: number, seen: Observations) {
  const lock = provider.getLock(key, { ttl: 10_000 });
  while (performance.now() < deadline) {
    const asked = performance.now();
    let handle: Awaited<ReturnType<typeof lock.acquire>>;
    try {
      handle = await lock.acquire({ timeout: Math.max(1, deadline - asked + 1_000) });
    } catch (error) {
      if (error instanceof LockTimeoutError) {
        seen.timeouts++;
        continue;
      }
      throw error;
    }
    seen.waits.push(performance.now() - asked);
    try {
      seen.inside++;
      seen.maxInside = Math.max(seen.maxInside, seen.inside);
      seen.acquisitions++;
      seen.perWorker[index]!++;
      const token = handle.fencingToken;
      if (seen.fencing) {
        if (token === undefined || (seen.lastToken !== undefined && token <= seen.lastToken)) {
          seen.tokensIncreasing = false;
        }
        seen.lastToken = token;
      }
      if (args.hold > 0) await sleep(args.hold);
      if (handle.lost) seen.lost++;
    } finally {
      seen.inside--;
      await handle.release();
    }
    if (args.think > 0) await sleep(args.think);
  }
}

function startProgress(seen: Observations, started: number) {
  const tty = process.stdout.isTTY;
  let last = 0;
  const timer = setInterval(
    () => {
      const elapsed = (performance.now() - started) / 1000;
      const rate = (seen.acquisitions - last) / (tty ? 0.25 : 1);
      last = seen.acquisitions;
      const line = `  ${elapsed.toFixed(1).padStart(5)} s  acquisitions ${String(seen.acquisitions).padStart(7)}  ${rate.toFixed(0).padStart(6)}/s  max holders ${seen.maxInside}  token ${seen.lastToken ?? "-"}`;
      if (tty) process.stdout.write(`\r${line}`);
      else console.log(line);
    },
    tty ? 250 : 1_000,
  );
  return {
    stop() {
      clearInterval(timer);
      if (tty) process.stdout.write("\n");
    },
  };
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof DemoError ? error.message : error);
    process.exitCode = 2;
  },
);
