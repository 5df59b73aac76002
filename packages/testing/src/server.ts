import { logLine } from "./log.js";
import type { ServerControl, ServerDescriptor } from "./types.js";

/** A server started by this process (locally or in a container). */
export interface StartedServer {
  readonly descriptor: Omit<ServerDescriptor, "id">;
  /** What it is, for the log line, e.g. `redis-server 7.0.15`. */
  readonly label: string;
  readonly control: ServerControl;
  /** Stops the server and removes everything it left behind. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Retries `start` with fresh ports when a port was taken between probing and binding
 * (another run on the same machine can win that race; Docker reports it as a failed bind).
 */
export async function withPortRetry<T>(start: () => Promise<T>, attempts = 3): Promise<T> {
  let last: unknown;
  for (let i = 0; i < attempts; i++) {
    try {
      return await start();
    } catch (error) {
      last = error;
      const text = String((error as Error)?.message ?? error);
      if (!/in use|EADDRINUSE|bind|already allocated/i.test(text)) throw error;
    }
  }
  throw last;
}

/**
 * How long teardown waits for one server to stop (or for a start still under way) before it
 * gives up on it. A container's stop is a call to the Docker daemon, which can stop answering;
 * vitest awaits `globalSetup` teardown without a limit, so an unbounded stop would hang the run
 * after its last test.
 */
export const STOP_DEADLINE_MS = 60_000;

/**
 * Waits for `pending` (stops or starts) to settle, each for at most `deadlineMs`. Rejections
 * are logged as `failed` (not at all when it is undefined: a failed start was reported to
 * whoever asked for the server), and anything still pending at the deadline is logged and left
 * behind: its watchdog removes it when this process exits. Never rejects.
 */
export async function settleWithin(
  pending: ReadonlyArray<{ label: string; done: Promise<unknown> }>,
  failed: string | undefined,
  deadlineMs = STOP_DEADLINE_MS,
  log: (line: string) => void = logLine,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"late">((resolve) => {
    timer = setTimeout(() => resolve("late"), deadlineMs);
  });
  try {
    const outcomes = await Promise.all(
      pending.map(({ label, done }) =>
        Promise.race([
          done.then(
            () => "done" as const,
            (error: unknown) => {
              if (failed !== undefined) {
                log(`${failed} (${label}): ${(error as Error)?.message ?? String(error)}`);
              }
              return "done" as const;
            },
          ),
          deadline,
        ]),
      ),
    );
    const late = pending.filter((_, i) => outcomes[i] === "late").map((p) => p.label);
    if (late.length > 0) {
      log(
        `gave up after ${deadlineMs / 1000} s waiting for ${late.join(", ")}; ` +
          "its watchdog removes what is left when this process exits",
      );
    }
  } finally {
    clearTimeout(timer);
  }
}
