/** Runs every scenario of one backend, interleaving implementations round by round. */
import { randomBytes } from "node:crypto";
import { Agent } from "./agent-client.js";
import { analyseContended } from "./analysis.js";
import type { Backend, BackendUrls } from "./backends.js";
import { clock } from "./clock.js";
import type { ImplFactory, LockImpl } from "./impls/types.js";
import { type ContendedConfig, configLabel, type Plan } from "./plan.js";
import type { BackendResult, Row } from "./results.js";
import {
  type ContendedRun,
  contended,
  heapPerLock,
  parallel,
  sequential,
  warmUp,
} from "./scenarios.js";
import { mean, median, percentile } from "./stats.js";

/** Progress lines go to stderr so that stdout carries only the tables. */
export const log = (line: string) => process.stderr.write(`${line}\n`);

/** Rejects when `promise` takes longer than `ms`, so that no step can hang the run. */
async function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const errorText = (error: unknown) =>
  error instanceof Error ? error.message.split("\n")[0]! : String(error);

/** Round r runs implementations in a rotated order, so drift and warm caches hit all alike. */
function rotated<T>(items: readonly T[], round: number): T[] {
  const shift = round % Math.max(1, items.length);
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function baseRow(impl: LockImpl, config?: string): Omit<Row, "metrics"> {
  return {
    impl: impl.id,
    role: impl.role,
    group: impl.group,
    settings: impl.settings,
    ...(config ? { config } : {}),
  };
}

export async function runBackend(
  backend: Backend,
  urls: BackendUrls,
  factories: ImplFactory[],
  plan: Plan,
  result: BackendResult,
): Promise<void> {
  const run = randomBytes(4).toString("hex");
  const keyOf = (impl: LockImpl, ...parts: Array<string | number>) =>
    `bench:${run}:${impl.id.replace(/[^A-Za-z0-9.]+/g, "-")}:${parts.join(":")}`;
  const impls: LockImpl[] = [];
  const broken = new Map<string, string>();
  for (const factory of factories) {
    try {
      impls.push(await bounded(factory.create(), plan.stepTimeoutMs, `${factory.id} connect`));
    } catch (error) {
      log(`  ! ${factory.id}: ${errorText(error)}`);
      result.missing.push(`${factory.id}: ${errorText(error)}`);
    }
  }
  const fail = (impl: LockImpl, error: unknown) => {
    const text = errorText(error);
    if (!broken.has(impl.id)) log(`  ! ${impl.id}: ${text}`);
    broken.set(impl.id, text);
  };

  try {
    // 1. Uncontended, sequential.
    log(`  [${backend}] 1/5 uncontended sequential acquire+release`);
    const latencies = new Map<string, number[]>(impls.map((i) => [i.id, []]));
    for (let round = 0; round <= plan.sequentialRounds; round++) {
      for (const impl of rotated(impls, round)) {
        try {
          const ops = plan.sequentialOps; // round 0 is the same size, and thrown away
          const samples = await bounded(
            sequential(impl, keyOf(impl, "seq"), ops),
            plan.stepTimeoutMs,
            impl.id,
          );
          if (round > 0) latencies.get(impl.id)!.push(...samples);
        } catch (error) {
          fail(impl, error);
        }
      }
    }
    result.scenarios.push({
      id: "uncontended",
      title: "1. Uncontended acquire + release, sequential",
      primary: "p50Ms",
      better: "lower",
      rows: impls.map((impl) => {
        const samples = latencies.get(impl.id)!;
        return {
          ...baseRow(impl),
          metrics: {
            p50Ms: percentile(samples, 50),
            p99Ms: percentile(samples, 99),
            opsPerSec: 1000 / mean(samples),
            samples: samples.length,
          },
          ...(broken.has(impl.id) ? { error: broken.get(impl.id)! } : {}),
        };
      }),
    });

    // 2. Uncontended, many keys in parallel.
    log(`  [${backend}] 2/5 ${plan.parallelKeys} keys in parallel`);
    const rates = new Map<string, number[]>(impls.map((i) => [i.id, []]));
    const parallelErrors = new Map<string, number>();
    for (let round = 0; round <= plan.parallelRounds; round++) {
      for (const impl of rotated(impls, round)) {
        if (broken.has(impl.id)) continue;
        const keys = Array.from({ length: plan.parallelKeys }, (_, k) => keyOf(impl, "par", k));
        try {
          const ms = round === 0 ? Math.min(200, plan.parallelMs) : plan.parallelMs;
          const got = await bounded(parallel(impl, keys, ms), plan.stepTimeoutMs, impl.id);
          if (round > 0) rates.get(impl.id)!.push((got.ops * 1000) / got.elapsedMs);
          parallelErrors.set(impl.id, (parallelErrors.get(impl.id) ?? 0) + got.errors);
        } catch (error) {
          fail(impl, error);
        }
      }
    }
    result.scenarios.push({
      id: "parallel",
      title: `2. Uncontended, ${plan.parallelKeys} keys in parallel`,
      primary: "opsPerSec",
      better: "higher",
      rows: impls.map((impl) => ({
        ...baseRow(impl),
        metrics: {
          opsPerSec: median(rates.get(impl.id)!),
          opsPerSecMin: Math.min(...rates.get(impl.id)!),
          opsPerSecMax: Math.max(...rates.get(impl.id)!),
          errors: parallelErrors.get(impl.id) ?? 0,
        },
        ...(broken.has(impl.id) ? { error: broken.get(impl.id)! } : {}),
      })),
    });

    // 3 + 4. Contended, one key; hand-off comes from the same runs.
    log(`  [${backend}] 3/5 contended one key (+ 4/5 hand-off)`);
    const waiting = impls.filter((impl) => impl.traits.waits !== false);
    const contendedRows: Row[] = [];
    const handoffRows: Row[] = [];
    const agents: Agent[] = [];
    const extraProcesses = waiting.some((impl) => impl.traits.distributed !== false)
      ? Math.max(1, ...plan.contendedConfigs.map((c) => c.processes)) - 1
      : 0;
    try {
      for (let i = 0; i < extraProcesses; i++) {
        const agent = new Agent();
        agents.push(agent);
        const reply = await agent.call({ type: "init", backend, urls }, plan.stepTimeoutMs);
        if (reply.type === "error") throw new Error(reply.message);
      }
    } catch (error) {
      log(`  ! other processes unavailable: ${errorText(error)}`);
      for (const agent of agents.splice(0)) agent.kill();
    }
    const factoryOf = (impl: LockImpl) => factories.find((f) => f.id === impl.id)!;
    try {
      if (plan.contendedWarmupMs > 0) {
        for (const impl of waiting) {
          if (broken.has(impl.id)) continue;
          await bounded(
            contended(
              Array(16).fill(impl),
              keyOf(impl, "warm"),
              0,
              clock(),
              plan.contendedWarmupMs,
            ),
            plan.stepTimeoutMs,
            impl.id,
          ).catch((error: unknown) => fail(impl, error));
        }
      }
      for (const config of plan.contendedConfigs) {
        const label = configLabel(config);
        const runs = new Map<string, Array<{ parts: ContendedRun[]; durationMs: number }>>();
        const configErrors = new Map<string, string>();
        for (let round = 0; round < plan.contendedRounds; round++) {
          for (const impl of rotated(waiting, round)) {
            if (broken.has(impl.id) || configErrors.has(impl.id)) continue;
            if (config.processes > 1 && impl.traits.distributed === false) continue;
            const key = keyOf(impl, "cont", config.workers, config.processes, round);
            const durationMs =
              (config.nodes === "own" ? plan.contendedManyNodesMs[backend] : undefined) ??
              plan.contendedMs;
            try {
              const parts = await bounded(
                contendedRun(
                  impl,
                  factoryOf(impl),
                  key,
                  config,
                  durationMs,
                  agents,
                  plan.stepTimeoutMs,
                  plan.contendedWarmUpWaits,
                ),
                plan.stepTimeoutMs,
                impl.id,
              );
              const list = runs.get(impl.id) ?? [];
              list.push({ parts, durationMs });
              runs.set(impl.id, list);
            } catch (error) {
              configErrors.set(impl.id, errorText(error));
              log(`  ! ${impl.id} (${label}): ${errorText(error)}`);
            }
          }
        }
        for (const impl of waiting) {
          if (config.processes > 1 && impl.traits.distributed === false) continue;
          const error = broken.get(impl.id) ?? configErrors.get(impl.id);
          const figures = analyseContended(runs.get(impl.id) ?? [], config.workers);
          contendedRows.push({
            ...baseRow(impl, label),
            metrics: {
              sectionsPerSec: figures.sectionsPerSec,
              waitP50Ms: figures.waitP50,
              waitP99Ms: figures.waitP99,
              waitMaxMs: figures.waitMax,
              workerMin: figures.workerMin,
              workerMax: figures.workerMax,
              fairness: figures.fairness,
              sections: figures.sections,
              overlaps: figures.overlaps,
              errors: figures.errors,
              stragglers: figures.stragglers,
            },
            ...(error ? { error } : {}),
          });
          handoffRows.push({
            ...baseRow(impl, label),
            metrics: {
              handoffP50Ms: figures.handoffP50,
              handoffP99Ms: figures.handoffP99,
              samples: figures.handoffSamples,
            },
            ...(error ? { error } : {}),
          });
          if (figures.overlaps > 0) {
            log(`  ! ${impl.id} (${label}): ${figures.overlaps} overlapping critical sections`);
          }
        }
      }
    } finally {
      await Promise.allSettled(agents.map((agent) => agent.close()));
    }
    result.scenarios.push(
      {
        id: "contended",
        title: "3. Contended, one key: wait → hold ~1 ms → release → think 1–3 ms",
        primary: "sectionsPerSec",
        better: "higher",
        rows: contendedRows,
      },
      {
        id: "handoff",
        title: "4. Hand-off: release → entry of a different worker already waiting",
        primary: "handoffP99Ms",
        better: "lower",
        rows: handoffRows,
      },
    );

    // 5. Heap per held lock.
    if (backend === "memory" || backend === "redis") {
      log(`  [${backend}] 5/5 heap per held lock (${plan.heldLocks} held)`);
      const rows: Row[] = [];
      for (const impl of impls) {
        if (broken.has(impl.id)) continue;
        const keys = Array.from({ length: plan.heldLocks }, (_, k) => keyOf(impl, "heap", k));
        try {
          const bytes = await bounded(heapPerLock(impl, keys), plan.stepTimeoutMs * 2, impl.id);
          rows.push({ ...baseRow(impl), metrics: { bytesPerLock: bytes, locks: keys.length } });
        } catch (error) {
          rows.push({ ...baseRow(impl), metrics: {}, error: errorText(error) });
        }
      }
      result.scenarios.push({
        id: "memory",
        title: `5. Heap per held lock, ${plan.heldLocks} locks held on one provider`,
        primary: "bytesPerLock",
        better: "lower",
        rows,
      });
    }
  } finally {
    await Promise.allSettled(impls.map((impl) => bounded(impl.close(), 10_000, impl.id)));
  }
}

/**
 * One contended run: the workers spread evenly over this process and `config.processes − 1`
 * agents, sharing one instance per process or (`nodes: "own"`) each on its own instance.
 */
async function contendedRun(
  impl: LockImpl,
  factory: ImplFactory,
  key: string,
  config: ContendedConfig,
  durationMs: number,
  agents: readonly Agent[],
  timeoutMs: number,
  warmUpWaits: boolean,
): Promise<ContendedRun[]> {
  const own = config.nodes === "own";
  const perProcess = config.workers / config.processes;
  const remote = agents.slice(0, config.processes - 1);
  if (remote.length < config.processes - 1) throw new Error("not enough other processes");
  for (const agent of remote) {
    const prepared = await agent.call(
      {
        type: "prepare",
        implId: impl.id,
        key,
        warmUpWaits,
        ...(own ? { ownInstances: perProcess } : {}),
      },
      timeoutMs,
    );
    if (prepared.type === "error") throw new Error(prepared.message);
  }
  const local = own
    ? await Promise.all(Array.from({ length: perProcess }, () => factory.create()))
    : Array<LockImpl>(perProcess).fill(impl);
  try {
    if (own) await warmUp(local, key, warmUpWaits);
    const startAt = clock() + (config.processes > 1 ? 50 : 5);
    const [here, ...there] = await Promise.all([
      contended(local, key, 0, startAt, durationMs),
      ...remote.map(async (agent, index) => {
        const reply = await agent.call(
          {
            type: "run",
            implId: impl.id,
            key,
            workers: perProcess,
            own,
            firstWorker: (index + 1) * perProcess,
            startAt,
            durationMs,
          },
          timeoutMs,
        );
        if (reply.type !== "result") {
          throw new Error(reply.type === "error" ? reply.message : "unexpected agent reply");
        }
        return reply.run;
      }),
    ]);
    return [here!, ...there];
  } finally {
    if (own) await Promise.allSettled(local.map((instance) => instance.close()));
  }
}
