/** The measurements themselves; each returns raw samples, analysed in analysis.ts. */
import { setMaxListeners } from "node:events";
import { clock, sleep } from "./clock.js";
import type { Held, LockImpl } from "./impls/types.js";

/** How long to keep waiting for workers after a run ends before moving on, in milliseconds. */
export const DRAIN_MS = 3_000;

/** Scenario 1: `ops` sequential acquire+release of one free key; latency of each, in ms. */
export async function sequential(impl: LockImpl, key: string, ops: number): Promise<number[]> {
  const signal = new AbortController().signal;
  const latencies: number[] = [];
  for (let i = 0; i < ops; i++) {
    const start = clock();
    const held = await impl.acquire(key, signal);
    await held.release();
    latencies.push(clock() - start);
  }
  return latencies;
}

/** Scenario 2: one loop per key, all in parallel, for `durationMs`; completed acquire+release. */
export async function parallel(
  impl: LockImpl,
  keys: readonly string[],
  durationMs: number,
): Promise<{ ops: number; elapsedMs: number; errors: number }> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every loop waits on it
  const start = clock();
  const end = start + durationMs;
  let ops = 0;
  let errors = 0;
  const loops = keys.map(async (key) => {
    while (clock() < end) {
      try {
        const held = await impl.acquire(key, controller.signal);
        await held.release();
        ops++;
      } catch {
        errors++;
        if (controller.signal.aborted) return;
      }
    }
  });
  await Promise.all(loops);
  return { ops, elapsedMs: clock() - start, errors };
}

/** One critical section of scenario 3, on the machine-wide monotonic clock (ms). */
export interface Section {
  worker: number;
  /** When the worker started waiting. */
  waitStart: number;
  /** When it was granted the lock. */
  enter: number;
  /** When it finished its work and called release. */
  exit: number;
}

/** What one process's workers did during a contended run. */
export interface ContendedRun {
  sections: Section[];
  /** Waits still in progress at the end of the run (censored), in ms. */
  unfinishedWaits: number[];
  errors: number;
  /** Workers still inside a library call {@link DRAIN_MS} after the end. */
  stragglers: number;
}

/**
 * Connects fresh instances before a timed run on `key`, so that connection set-up is not counted
 * as waiting. First one acquire + release each on a key of its own (connections, and for a
 * Cluster, slot discovery); then, with `waits`, every instance waits for `key` itself once while
 * another holds it: a provider that waits through notifications opens its subscriber connection
 * on its first wait (on a Cluster, to the master that owns the key's slot), which a long-lived
 * provider has long done. Every implementation gets the same warm-up.
 */
export async function warmUp(
  impls: readonly LockImpl[],
  key: string,
  waits: boolean,
): Promise<void> {
  const signal = new AbortController().signal;
  setMaxListeners(0, signal); // every waiter listens to it
  await Promise.all(
    impls.map(async (impl, i) => {
      const held = await impl.acquire(`${key}:warm:${i}`, signal);
      await held.release();
    }),
  );
  if (!waits) return;
  // The first instance holds the key while the others wait, then the second while the first
  // waits: every instance has waited once.
  const [first, second] = impls;
  if (first === undefined || second === undefined) return;
  await waitBehind(first, impls.slice(1), key, signal);
  await waitBehind(second, [first], key, signal);
}

/**
 * `blocker` holds `key` while `waiters` wait for it, then each of them takes it in turn and gives
 * it back. (Waits are not aborted instead: some peers cannot cancel an attempt in flight.)
 */
async function waitBehind(
  blocker: LockImpl,
  waiters: readonly LockImpl[],
  key: string,
  signal: AbortSignal,
): Promise<void> {
  const held = await blocker.acquire(key, signal);
  const waits = waiters.map(async (impl) => {
    const granted = await impl.acquire(key, signal);
    await granted.release();
  });
  await sleep(WARM_WAIT_MS);
  await held.release();
  await Promise.all(waits);
}

/** How long (ms) the warm-up's waiters wait: longer than opening a connection on a busy machine. */
const WARM_WAIT_MS = 100;

/** Timing of the worker loop of scenario 3, in milliseconds. */
export const HOLD_MS = 1;
export const THINK_MIN_MS = 1;
export const THINK_MAX_MS = 3;

/**
 * Scenario 3 in one process: one loop per entry of `impls` (the same instance repeated when the
 * workers share a provider, one instance each when every worker is its own node) on one key from
 * `startAt` for `durationMs`, each waiting for the lock, holding it ~1 ms, releasing, then
 * thinking 1–3 ms.
 */
export async function contended(
  impls: readonly LockImpl[],
  key: string,
  firstWorker: number,
  startAt: number,
  durationMs: number,
): Promise<ContendedRun> {
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every worker waits on it
  const sections: Section[] = [];
  const waiting = new Map<number, number>();
  let errors = 0;
  const end = startAt + durationMs;
  const delay = startAt - clock();
  if (delay > 0) await sleep(delay);
  const stopTimer = setTimeout(
    () => controller.abort(new Error("run over")),
    Math.max(0, end - clock()),
  );

  const loop = async (worker: number, impl: LockImpl) => {
    while (!controller.signal.aborted) {
      const waitStart = clock();
      waiting.set(worker, waitStart);
      let held: Held;
      try {
        held = await impl.acquire(key, controller.signal);
      } catch {
        waiting.delete(worker);
        if (controller.signal.aborted) return;
        errors++;
        continue;
      }
      waiting.delete(worker);
      const enter = clock();
      if (enter > end) {
        await held.release().catch(() => {});
        return;
      }
      await sleep(HOLD_MS);
      const exit = clock();
      try {
        await held.release();
        sections.push({ worker, waitStart, enter, exit });
      } catch {
        errors++;
      }
      await sleep(THINK_MIN_MS + Math.random() * (THINK_MAX_MS - THINK_MIN_MS));
    }
  };

  let running = impls.length;
  const all = impls.map((impl, i) =>
    loop(firstWorker + i, impl).finally(() => {
      running--;
    }),
  );
  await sleep(Math.max(0, end - clock()));
  const stopped = clock();
  const unfinishedWaits = [...waiting.values()].map((since) => stopped - since);
  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(all),
    new Promise((resolve) => {
      drainTimer = setTimeout(resolve, DRAIN_MS);
    }),
  ]);
  clearTimeout(drainTimer);
  clearTimeout(stopTimer);
  return { sections, unfinishedWaits, errors, stragglers: running };
}

/**
 * Scenario 5: heap growth per held lock while `count` distinct keys are held on one
 * implementation, in bytes. Needs `--expose-gc`.
 */
export async function heapPerLock(impl: LockImpl, keys: readonly string[]): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run node with --expose-gc to measure heap");
  const controller = new AbortController();
  setMaxListeners(0, controller.signal);
  const batch = 100;
  const holdAll = async (names: readonly string[]) => {
    const held: Held[] = [];
    for (let i = 0; i < names.length; i += batch) {
      const slice = names.slice(i, i + batch);
      held.push(...(await Promise.all(slice.map((key) => impl.acquire(key, controller.signal)))));
    }
    return held;
  };
  const releaseAll = async (held: Held[]) => {
    for (let i = 0; i < held.length; i += batch) {
      await Promise.all(held.slice(i, i + batch).map((h) => h.release().catch(() => {})));
    }
  };
  // Collect until the heap stops moving, so that garbage left by earlier scenarios (or freed
  // by a late timer) is not counted for or against this implementation.
  const settle = async () => {
    let last = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 20; i++) {
      await sleep(20);
      gc();
      const used = process.memoryUsage().heapUsed;
      if (Math.abs(used - last) < 16 * 1024) return;
      last = used;
    }
  };
  // Warm up with as many other keys first, so that buffers and tables that grow on first use
  // (client queues, maps) are grown before the baseline and not counted as per-lock cost.
  await releaseAll(await holdAll(keys.map((key) => `${key}:warm`)));
  await settle();
  const before = process.memoryUsage().heapUsed;
  const held = await holdAll(keys);
  await settle();
  const after = process.memoryUsage().heapUsed;
  await releaseAll(held);
  return (after - before) / keys.length;
}
