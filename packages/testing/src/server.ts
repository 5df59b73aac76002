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
