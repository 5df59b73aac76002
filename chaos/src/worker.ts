/**
 * A worker process: runs its workers (each a loop over its own provider: one node) until told to
 * stop, records every critical section on the machine-wide monotonic clock, writes each
 * section's fencing token to the fenced register, and carries out the faults the coordinator
 * asks of it. Started by the coordinator with `fork()`; not meant to be run by hand.
 */
import type { LockHandle } from "@locks/core";
import { BACKENDS } from "./backends/index.js";
import type { WorkerBackend } from "./backends/types.js";
import { now, sleep } from "./clock.js";
import type { FaultEvent, Section } from "./history.js";
import type { ErrorCounts, FromWorker, ToWorker, WorkerConfig } from "./protocol.js";
import { RegisterClient } from "./register-client.js";
import { startWatchdog } from "./watchdog.js";

/** Sends to the coordinator while it is there (a send without it would throw in a later tick). */
const send = (message: FromWorker) => {
  if (process.connected) process.send?.(message);
};
const errors: ErrorCounts = {};
const count = (what: string) => {
  errors[what] = (errors[what] ?? 0) + 1;
};
/** An error's class, its cause's class and a driver's error code: few distinct values to count by. */
const errorName = (error: unknown): string => {
  if (!(error instanceof Error)) return typeof error;
  const cause = error.cause instanceof Error ? error.cause : undefined;
  const code = (cause ?? error) as { code?: unknown };
  return `${error.name}${cause ? ` ← ${cause.name}` : ""}${typeof code.code === "string" ? ` ${code.code}` : ""}`;
};

let sections: Section[] = [];
let faults: FaultEvent[] = [];
const flush = () => {
  if (sections.length === 0 && faults.length === 0) return;
  send({ type: "batch", sections, faults });
  sections = [];
  faults = [];
};

/** An error's stack (or message), for a report that must say where a worker died. */
const stackOf = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

// A worker must never die of a fault; count what would otherwise go unnoticed.
process.on("unhandledRejection", (reason) => count(`unhandled rejection: ${errorName(reason)}`));
// One that does anyway says why in the report, not only on stderr.
process.on("uncaughtExceptionMonitor", (error) =>
  send({
    type: "fatal",
    message: `uncaught exception: ${stackOf(error)}`,
  }),
);

const stopping = new AbortController();
/** What each worker is doing, to say where a worker that does not stop is stuck. */
const stages = new Map<number, string>();
let overrunPending = false;

/** Blocks the event loop without burning CPU, like a long GC pause. */
function block(duration: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, duration);
}

/** Records gaps in the event loop: pauses nobody injected (load, GC) explain overlaps too. */
function watchStalls(config: WorkerConfig, proc: number): NodeJS.Timeout {
  const every = 20;
  let last = now();
  return setInterval(() => {
    const at = now();
    const gap = Number(at - last) / 1e6 - every;
    if (gap > config.stallThreshold)
      faults.push({ kind: "observed-stall", proc, start: last, end: at });
    last = at;
  }, every);
}

async function hold(
  config: WorkerConfig,
  backend: WorkerBackend,
  register: RegisterClient,
  worker: number,
): Promise<void> {
  const key = config.keys[Math.floor(Math.random() * config.keys.length)]!;
  const overrun = overrunPending;
  overrunPending = false;
  const lock = backend.provider.getLock(key, { ttl: config.ttl, autoExtend: !overrun });
  const acquireStart = now();
  stages.set(worker, "acquire");
  let handle: LockHandle;
  try {
    handle = await lock.acquire({ timeout: config.acquireTimeout, signal: stopping.signal });
  } catch (error) {
    if (stopping.signal.aborted) return;
    count(`acquire: ${errorName(error)}`);
    await sleep(5);
    return;
  }
  const enter = now();
  let lostAt: bigint | undefined = handle.signal.aborted || handle.lost ? enter : undefined;
  const onLost = () => {
    lostAt ??= now();
  };
  handle.signal.addEventListener("abort", onLost, { once: true });
  stages.set(worker, "hold");
  try {
    await sleep(overrun ? config.ttl * (2 + Math.random()) : Math.random() * config.hold);
    const token = handle.fencingToken;
    const write = token === undefined ? "unfenced" : await register.write(key, token);
    if (handle.lost) onLost();
    const exit = now();
    sections.push({
      worker,
      proc: config.proc,
      key,
      token,
      acquireStart,
      enter,
      exit,
      lostAt,
      overrun,
      write,
    });
  } finally {
    handle.signal.removeEventListener("abort", onLost);
    stages.set(worker, "release");
    await handle.release().catch((error: unknown) => count(`release: ${errorName(error)}`));
  }
}

async function run(config: WorkerConfig): Promise<void> {
  const adapter = BACKENDS[config.backend];
  if (!adapter) throw new Error(`unknown backend ${config.backend}`);
  const backends = await Promise.all(
    config.workers.map((worker) => adapter.connect(config.urls, `chaos-${config.proc}-${worker}`)),
  );
  const register = new RegisterClient(config.register.host, config.register.port, config.proc);
  const monitor = watchStalls(config, config.proc);
  // Longer than any injected stall (3 × ttl): only a loop that never yields gets this far.
  const stopWatchdog = startWatchdog(3 * config.ttl + 10_000);
  const flusher = setInterval(flush, 250);

  process.on("message", (message: ToWorker) => {
    if (message.type !== "fault") return;
    void inject(message.kind, message.duration, backends, config.proc);
  });
  send({ type: "ready" });
  await Promise.all(
    config.workers.map(async (worker, i) => {
      const backend = backends[i]!;
      while (!stopping.signal.aborted) await hold(config, backend, register, worker);
      stages.set(worker, "stopped");
    }),
  );
  for (const worker of config.workers) stages.set(worker, "close");
  clearInterval(monitor);
  clearInterval(flusher);
  for (const backend of backends) backend.heal?.();
  await Promise.all(
    backends.map((backend) =>
      backend.close().catch((error: unknown) => count(`close: ${errorName(error)}`)),
    ),
  );
  register.close();
  stopWatchdog();
  flush();
}

async function inject(
  kind: Extract<ToWorker, { type: "fault" }>["kind"],
  duration: number,
  backends: readonly WorkerBackend[],
  proc: number,
): Promise<void> {
  const start = now();
  try {
    if (kind === "overrun") {
      overrunPending = true;
      return;
    }
    if (kind === "stall") block(duration);
    if (kind === "kill") await Promise.all(backends.map((b) => b.kill?.()));
    if (kind === "reset") for (const b of backends) b.reset?.();
    if (kind === "partition") {
      for (const b of backends) b.partition?.();
      await sleep(duration);
      for (const b of backends) b.heal?.();
    }
    faults.push({ kind, proc, start, end: now() });
  } catch (error) {
    // Not recorded as a fault: one that may not have happened must not explain anything.
    send({
      type: "fault-failed",
      kind,
      message: error instanceof Error ? error.message : String(error),
    });
  }
}

let finished = false;
// The coordinator went away (killed, crashed): stop as if told to, and exit even if something
// keeps the event loop alive, instead of running on as an orphan.
process.on("disconnect", () => {
  if (finished) return;
  stopping.abort();
  setTimeout(() => process.exit(2), 30_000).unref();
});

process.on("message", (message: ToWorker) => {
  if (message.type === "ping") send({ type: "pong", at: now() });
  if (message.type === "stop") {
    stopping.abort();
    setTimeout(() => {
      const where = [...stages].map(([worker, stage]) => `worker ${worker} in ${stage}`);
      send({ type: "stuck", message: `still stopping after 10 s: ${where.join(", ")}` });
    }, 10_000).unref();
  }
  if (message.type === "start") {
    run(message.config).then(
      () => {
        finished = true;
        send({ type: "done", errors });
        process.disconnect?.();
      },
      (error: unknown) => {
        send({
          type: "fatal",
          message: stackOf(error),
        });
        finished = true;
        process.exitCode = 1;
        process.disconnect?.();
      },
    );
  }
});
