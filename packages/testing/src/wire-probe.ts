import { Socket } from "node:net";

/** Returned by {@link WireProbe.read} while the bytes received so far are not a whole answer. */
export const MORE: unique symbol = Symbol("more");

/**
 * One request/answer exchange over a fresh TCP connection: how a readiness probe or a one-shot
 * command talks to a server without a driver.
 */
export interface WireProbe<T> {
  /** Sent once connected; absent when the server speaks first (a greeting). */
  readonly request?: Buffer;
  /**
   * Reads every byte received so far: the answer, or {@link MORE} to wait for more bytes. Throws
   * to fail the probe (an error reply, an unexpected answer).
   */
  read(received: Buffer): T | typeof MORE;
  /**
   * The outcome when the connection goes `timeout` ms without a byte, or the server closes it,
   * before {@link read} gave an answer: a result, or a throw (the usual case).
   */
  ended(why: "timeout" | "close"): T;
}

/**
 * Connects to `host:port`, runs `probe` and closes the connection. Rejects with the socket's
 * error, or with what {@link WireProbe.read} or {@link WireProbe.ended} throws.
 */
export function exchange<T>(
  host: string,
  port: number,
  timeoutMs: number,
  probe: WireProbe<T>,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let received = Buffer.alloc(0);
    let settled = false;
    const settle = (outcome: () => T) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      try {
        resolve(outcome());
      } catch (error) {
        reject(error);
      }
    };
    socket.setTimeout(timeoutMs, () => settle(() => probe.ended("timeout")));
    socket.once("error", (error) =>
      settle(() => {
        throw error;
      }),
    );
    // A proxy in front of a restarting server (docker-proxy) may accept and then close.
    socket.once("close", () => settle(() => probe.ended("close")));
    socket.on("data", (chunk) => {
      if (settled) return;
      received = Buffer.concat([received, chunk]);
      let answer: T | typeof MORE;
      try {
        answer = probe.read(received);
      } catch (error) {
        settle(() => {
          throw error;
        });
        return;
      }
      if (answer !== MORE) settle(() => answer as T);
    });
    socket.connect(port, host, () => {
      if (probe.request) socket.write(probe.request);
    });
  });
}

/**
 * Calls `attempt` every `intervalMs` ms until it resolves, and resolves that; rejects with
 * `failure(lastError)` once `timeoutMs` ms have passed. For waiting until a starting server answers.
 */
export async function retryUntil<T>(
  attempt: () => Promise<T>,
  timeoutMs: number,
  intervalMs: number,
  failure: (lastError: unknown) => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let last: unknown;
    try {
      return await attempt();
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(failure(last));
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
