/**
 * Injects faults at random while a run lasts: each enabled kind on its own schedule, with a
 * uniformly random interval of 0.5–1.5× its mean. Pauses and per-process faults pick the current
 * holder of a random key half the time (the register knows who wrote last) and a random other
 * process otherwise, so that both holders and waiters are hit.
 */
import { setTimeout as delay } from "node:timers/promises";
import type { ServerControl } from "@locks/testing";
import { now, sleep } from "./clock.js";
import type { FaultEvent, FaultKind } from "./history.js";
import type { FencedRegister } from "./register.js";
import type { WorkerProcess } from "./worker-process.js";

/** What the injector works on. */
export interface InjectorTargets {
  readonly processes: readonly WorkerProcess[];
  readonly controls: readonly ServerControl[];
  readonly register: FencedRegister;
  readonly keys: readonly string[];
  /** Lease, ms: pauses, stalls, partitions and freezes last 2–3× this. */
  readonly ttl: number;
  /** Faults the coordinator itself carried out (pauses, restarts, freezes) go here. */
  record(event: FaultEvent): void;
  failed(kind: FaultKind, message: string): void;
}

const pick = <T>(items: readonly T[]): T | undefined =>
  items[Math.floor(Math.random() * items.length)];

/** Runs the schedules until `stop` aborts; resolves once every fault in progress has ended. */
export async function inject(
  rates: Readonly<Partial<Record<FaultKind, number>>>,
  targets: InjectorTargets,
  stop: AbortSignal,
): Promise<void> {
  let serverBusy = false;
  const length = () => targets.ttl * (2 + Math.random());

  const target = (): WorkerProcess | undefined => {
    const running = targets.processes.filter((p) => !p.paused);
    if (Math.random() < 0.5) {
      const holder = targets.register.lastWriter(pick(targets.keys) ?? "");
      const found = running.find((p) => p.proc === holder);
      if (found) return found;
    }
    return pick(running);
  };

  const once = async (kind: FaultKind): Promise<void> => {
    if (kind === "restart" || kind === "freeze") {
      const control = pick(targets.controls);
      if (!control || serverBusy) return;
      serverBusy = true;
      const start = now();
      try {
        if (kind === "restart") await control.restart();
        else {
          await control.pause();
          await sleep(length());
          await control.resume();
        }
        targets.record({ kind, proc: undefined, start, end: now() });
      } catch (error) {
        // Not recorded as a fault: one that may not have happened must not explain anything.
        targets.failed(kind, error instanceof Error ? error.message : String(error));
      } finally {
        serverBusy = false;
      }
      return;
    }
    const victim = target();
    if (!victim) return;
    if (kind === "pause") {
      const start = now();
      victim.stop();
      await sleep(length());
      victim.resume();
      targets.record({ kind, proc: victim.proc, start, end: now() });
      return;
    }
    victim.fault(kind, length());
  };

  const schedule = async (kind: FaultKind, mean: number) => {
    while (!stop.aborted) {
      const wait = mean * 1000 * (0.5 + Math.random());
      if (!(await delay(wait, true, { signal: stop }).catch(() => false))) return;
      await once(kind);
    }
  };
  await Promise.all(
    Object.entries(rates)
      .filter(([, mean]) => mean !== undefined && mean > 0)
      .map(([kind, mean]) => schedule(kind as FaultKind, mean!)),
  );
}
