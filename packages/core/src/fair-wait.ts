import { randomUUID } from "node:crypto";
import type { LockBackend, WaiterEntry } from "./lock-backend.js";
import { settleFirst } from "./race.js";

/** Default {@link WaitTuning.queueEntryTtl}, in milliseconds. */
export const DEFAULT_QUEUE_ENTRY_TTL = 3_000;

/** Longest wait (ms) for a queue entry's removal when a wait ends without a grant. */
const LEAVE_GRACE = 250;

/**
 * One wait's place in a fair backend's server-side queue of waiting nodes: the entry passed with
 * every attempt, the cap on sleeps that keeps it alive, the filter for wake-ups addressed to
 * another node, and its removal when the wait ends without a grant.
 */
export class FairWait {
  readonly entry: WaiterEntry;

  constructor(
    private readonly backend: LockBackend,
    private readonly key: string,
    entryTtl: number,
  ) {
    this.entry = { id: randomUUID(), ttl: entryTtl };
  }

  /** Longest sleep (ms) between attempts: the entry is refreshed at least thrice per lifetime. */
  get maxSleep(): number {
    return this.entry.ttl / 3;
  }

  /** Whether a release notification naming `next` as the queue head concerns this wait. */
  concerns(next: string | undefined): boolean {
    return next === undefined || next === "" || next === this.entry.id;
  }

  /**
   * Removes the entry (the wait was aborted, timed out or failed), waiting briefly for the server
   * so that a caller who sees the wait end also sees its entry gone. Never throws: an entry that
   * could not be removed expires after its ttl.
   */
  async leave(): Promise<void> {
    const leave = this.backend.leaveQueue;
    if (!leave) return;
    await settleFirst(
      leave.call(this.backend, this.key, this.entry.id).catch(() => {}),
      [],
      LEAVE_GRACE,
    );
  }
}

/** A {@link FairWait} when the backend keeps a queue of waiting nodes and waits by polling. */
export function fairWait(
  backend: LockBackend,
  key: string,
  entryTtl: number,
): FairWait | undefined {
  return backend.capabilities.fairness && !backend.acquireBlocking
    ? new FairWait(backend, key, entryTtl)
    : undefined;
}
