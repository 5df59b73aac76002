import { randomUUID } from "node:crypto";

/** A key unique to this run, so that reruns against a shared server never meet old state. */
export function uniqueKey(name: string): string {
  return `${name}:${randomUUID()}`;
}

/**
 * Work to undo after each test (providers, pools, connections), run newest first. Register it
 * with {@link Cleanups.later} and call {@link Cleanups.run} from the test runner's `afterEach`.
 */
export class Cleanups {
  private readonly pending: Array<() => Promise<unknown>> = [];

  /** Registers work to run after the current test. */
  later(cleanup: () => Promise<unknown>): void {
    this.pending.push(cleanup);
  }

  /** Runs everything registered, newest first; a failing clean-up does not stop the others. */
  async run(): Promise<void> {
    for (const cleanup of this.pending.splice(0).reverse()) await cleanup().catch(() => {});
  }
}

/** Resolves with the reason when `signal` aborts; rejects after `ms` milliseconds. */
export function abortedWithin(signal: AbortSignal, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => reject(new Error(`signal not aborted within ${ms} ms`)), ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve(signal.reason);
      },
      { once: true },
    );
  });
}

/** Polls `check` every 5 ms until it resolves true; rejects naming `what` after `ms` milliseconds. */
export async function eventually(
  check: () => Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
