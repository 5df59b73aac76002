/**
 * One backend's chaos run: find the servers, start the register and the worker processes, check
 * the shared clock, let the workers contend while faults are injected, stop everything, and
 * hand the history to the checker.
 */
import type { TestServers } from "@locks/testing";
import { BACKENDS } from "./backends/index.js";
import { bracketed, ms, now } from "./clock.js";
import type { FaultEvent, FaultKind, Section } from "./history.js";
import { inject } from "./injector.js";
import type { ChaosOptions } from "./options.js";
import { startRegister } from "./register.js";
import { WorkerProcess } from "./worker-process.js";

/** Everything a backend's run produced, before checking. */
export interface BackendRun {
  readonly backend: string;
  readonly server: string;
  readonly mode: string;
  readonly fencing: boolean;
  readonly processes: number;
  /** Wall time of the contention phase, ms. */
  readonly elapsed: number;
  readonly sections: Section[];
  readonly faults: FaultEvent[];
  /** Faults that could not be carried out, by kind. */
  readonly faultFailures: Record<string, number>;
  /** Fault kinds and their mean interval in seconds, as run. */
  readonly rates: Partial<Record<FaultKind, number>>;
  /** What went wrong outside critical sections (acquire timeouts, errors), summed over workers. */
  readonly errors: Record<string, number>;
  /** Worker processes that crashed or hung. */
  readonly crashes: string[];
  /** The run was cut short by SIGINT (its workers were killed, not crashed). */
  readonly interrupted: boolean;
  /** The shared-clock check: pings answered with a reading between the coordinator's two. */
  readonly clock: { readonly pings: number; readonly bracketed: number; readonly maxRtt: number };
}

/** Runs one backend; `log` gets progress lines. */
export async function runBackend(
  name: string,
  options: ChaosOptions,
  testServers: TestServers,
  log: (line: string) => void,
  interrupted: AbortSignal,
): Promise<BackendRun> {
  const adapter = BACKENDS[name]!;
  const found = await adapter.servers({ urls: options.urls, testServers });
  const rates: Partial<Record<FaultKind, number>> = {};
  if (!options.noFaults) {
    for (const [kind, mean] of Object.entries({ ...adapter.faults, ...options.faults })) {
      // `--fault` tunes the kinds a backend takes; it cannot add one the backend has no hook for.
      const supported = kind in adapter.faults;
      const needsControl = kind === "restart" || kind === "freeze";
      if (supported && mean && mean > 0 && (!needsControl || found.controls.length > 0)) {
        rates[kind as FaultKind] = mean;
      }
    }
  }
  log(`${name}: ${found.version} (${found.mode}); faults every ~${JSON.stringify(rates)} s`);
  const register = await startRegister();
  const keys = Array.from({ length: options.keys }, (_, i) => `chaos-${i}`);
  const perProcess = adapter.oneProcess ? options.workers : options.perProcess;
  const sections: Section[] = [];
  const faults: FaultEvent[] = [];
  const faultFailures: Record<string, number> = {};
  const failed = (kind: string, message: string) => {
    faultFailures[kind] = (faultFailures[kind] ?? 0) + 1;
    if (faultFailures[kind] === 1) log(`${name}: ${kind} failed: ${message}`);
  };
  const processes: WorkerProcess[] = [];
  for (let first = 0, proc = 0; first < options.workers; first += perProcess, proc++) {
    const workers = Array.from(
      { length: Math.min(perProcess, options.workers - first) },
      (_, i) => first + i,
    );
    processes.push(
      new WorkerProcess(
        proc,
        {
          backend: name,
          urls: found.urls,
          proc,
          workers,
          keys,
          ttl: options.ttl,
          acquireTimeout: options.acquireTimeout,
          hold: options.hold,
          register: { host: register.host, port: register.port },
          stallThreshold: Math.max(50, options.ttl / 4),
        },
        {
          sections: (batch) => sections.push(...batch),
          faults: (batch) => faults.push(...batch),
          faultFailed: failed,
        },
      ),
    );
  }
  const killAll = () => {
    for (const p of processes) p.kill();
  };
  interrupted.addEventListener("abort", killAll, { once: true });
  try {
    await Promise.all(processes.map((p) => p.start()));
    const clock = { pings: 0, bracketed: 0, maxRtt: 0 };
    for (const p of processes) {
      for (let i = 0; i < 5; i++) {
        const [sent, at, received] = await p.ping();
        clock.pings += 1;
        if (bracketed(sent, at, received)) clock.bracketed += 1;
        clock.maxRtt = Math.max(clock.maxRtt, ms(received - sent));
      }
    }
    if (clock.bracketed !== clock.pings) {
      throw new Error(
        `the monotonic clock is not shared by the processes (${clock.bracketed}/${clock.pings} readings in order)`,
      );
    }

    const started = now();
    const stop = new AbortController();
    const injecting = inject(
      rates,
      {
        processes,
        controls: found.controls,
        register,
        keys,
        ttl: options.ttl,
        record: (event) => faults.push(event),
        failed,
      },
      stop.signal,
    );
    const deadline = Date.now() + options.duration * 1000;
    let lastReport = Date.now();
    // Faults slow a run down but must not stop it: a minute without a single section (longer
    // than any fault lasts, plus an acquire timeout) means the workers no longer make progress.
    const progressLimit = 60_000 + options.acquireTimeout;
    let progress = { count: 0, at: Date.now() };
    let stuck: string | undefined;
    while (Date.now() < deadline && sections.length < options.sections && !interrupted.aborted) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (sections.length > progress.count) progress = { count: sections.length, at: Date.now() };
      else if (Date.now() - progress.at > progressLimit) {
        stuck = `no critical section completed for ${Math.round(progressLimit / 1000)} s (after ${sections.length})`;
        log(`${name}: ${stuck}; stopping`);
        break;
      }
      if (Date.now() - lastReport >= 15_000) {
        lastReport = Date.now();
        log(`${name}: ${sections.length} sections, ${faults.length} fault events`);
      }
    }
    stop.abort();
    await injecting;
    const elapsed = ms(now() - started);
    const grace = options.acquireTimeout + options.ttl * 4 + 15_000;
    await Promise.all(processes.map((p) => p.finish(grace)));
    const errors: Record<string, number> = {};
    for (const p of processes) {
      for (const [what, n] of Object.entries(p.errors)) errors[what] = (errors[what] ?? 0) + n;
    }
    return {
      backend: name,
      server: found.version,
      mode: found.mode,
      fencing: adapter.fencing,
      processes: processes.length,
      elapsed,
      sections,
      faults,
      faultFailures,
      rates,
      errors,
      crashes: interrupted.aborted
        ? []
        : [
            ...(stuck ? [`all workers: ${stuck}`] : []),
            ...processes.flatMap((p) => (p.crash ? [`process ${p.proc}: ${p.crash}`] : [])),
          ],
      interrupted: interrupted.aborted,
      clock,
    };
  } finally {
    interrupted.removeEventListener("abort", killAll);
    killAll();
    await register.close();
  }
}
