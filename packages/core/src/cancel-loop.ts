import { settleFirst } from "./race.js";

/** How {@link cancelUntilEnded} reaches the statement it cancels. */
export interface CancelLoop {
  /** The blocking statement in flight, or `undefined` once it has ended. */
  running(): Promise<unknown> | undefined;
  /** True once the waiting session is gone (its statement ended with it). */
  gone(): boolean;
  /** Sends one cancel from another connection (`KILL QUERY`, `pg_cancel_backend`…). */
  cancel(): Promise<unknown>;
  /** Called once when {@link cancel} fails, e.g. destroys the waiting session, which ends its wait too. */
  cancelFailed(): void;
}

/** Longest pause between two cancels, ms. */
const MAX_PAUSE = 200;

/**
 * Cancels a blocking server statement (a native lock wait) from another connection, and resolves
 * once it has ended. A cancel that reaches the server before the statement starts is lost, so it
 * is repeated, after a pause of 5, 10, 20… ms (at most 200) that ends early when the statement
 * does, until the statement has ended or its session is gone. If a cancel cannot be sent,
 * {@link CancelLoop.cancelFailed} is called instead and the loop stops.
 */
export async function cancelUntilEnded(loop: CancelLoop): Promise<void> {
  for (let attempt = 0; loop.running() && !loop.gone(); attempt++) {
    try {
      await loop.cancel();
    } catch {
      loop.cancelFailed();
      return;
    }
    const statement = loop.running();
    if (!statement) return;
    // Normally the statement ends right after the cancel; repeat it only if it did not.
    await settleFirst(
      statement.catch(() => {}),
      [],
      Math.min(MAX_PAUSE, 5 * 2 ** attempt),
    );
  }
}
