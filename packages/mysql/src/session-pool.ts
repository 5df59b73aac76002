import { checkoutBefore } from "@locks/core/backend";
import type { Pool, PoolConnection } from "mysql2";
import { Session } from "./session.js";

/** A pooled connection idle for longer than this (ms) is pinged before use. */
const STALE_AFTER = 10_000;

/**
 * The sessions of one provider, taken from a mysql2 pool. A session is in use from {@link take}
 * until one of the two ways back: {@link returnClean} (it holds no user lock, the pool may hand it
 * to anyone) or {@link destroy} (its state is unknown; the server ends it and frees its locks).
 */
export class SessionPool {
  /** Sessions in use right now, plus standalone ones registered with {@link track}. */
  private readonly inUse = new Set<Session>();
  private readonly watched = new WeakSet<Session>();

  constructor(
    readonly pool: Pool,
    /** Longest wait (ms) for the reply to a staleness ping. */
    private readonly pingTimeout: number,
  ) {}

  /**
   * Takes a live session. While queued for one (the pool is exhausted), an abort of `signal`
   * rejects at once and the `deadline` (monotonic ms) resolves `undefined`; a connection that
   * arrives afterwards goes straight back. A connection idle for more than {@link STALE_AFTER} ms
   * is pinged first (a NAT or firewall may have dropped it silently) and replaced once if the
   * ping fails, so that a stale socket does not fail the acquisition.
   */
  async take(
    signal?: AbortSignal,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Session | undefined> {
    const session = await this.takeFromPool(signal, deadline);
    if (!session || !mayBeStale(session)) return session;
    try {
      await session.rows("SELECT 1 AS ping", [], this.pingTimeout);
      return session;
    } catch {
      this.destroy(session);
      return this.takeFromPool(signal, deadline);
    }
  }

  /** Hands a session that holds no user lock back to the pool, for anyone to reuse. */
  returnClean(session: Session): void {
    this.inUse.delete(session);
    if (session.dead) return;
    (session.connection as PoolConnection).release();
  }

  /**
   * Closes a session's socket and drops it from the pool: the server ends the session and frees
   * every lock it held. For sessions whose state is unknown (a failed or unanswered statement).
   */
  destroy(session: Session): void {
    this.inUse.delete(session);
    session.destroy();
  }

  /** Counts a session opened outside the pool (the control connection) among {@link ids}. */
  track(session: Session): void {
    this.inUse.add(session);
    session.onDeath(() => this.inUse.delete(session));
  }

  /** Server ids of the live sessions in use. */
  ids(): number[] {
    return [...this.inUse].filter((session) => !session.dead).map((session) => session.id);
  }

  /** Ends the pool (only for a pool this package created). */
  end(): Promise<void> {
    return new Promise<void>((resolve) => this.pool.end(() => resolve()));
  }

  private async takeFromPool(signal: AbortSignal | undefined, deadline: number) {
    const taking = new Promise<PoolConnection>((resolve, reject) => {
      this.pool.getConnection((error, connection) => (error ? reject(error) : resolve(connection)));
    });
    // A connection that arrives after the wait gave up comes straight from the pool and holds
    // nothing of ours, so it can go straight back.
    const connection = await checkoutBefore(taking, signal, deadline, (late) => late.release());
    return connection && this.adopt(connection);
  }

  private adopt(connection: PoolConnection): Session {
    const session = Session.of(connection);
    if (!session.dead) {
      this.inUse.add(session);
      // Once per connection, however often the pool hands it out again.
      if (!this.watched.has(session)) {
        this.watched.add(session);
        session.onDeath(() => this.inUse.delete(session));
      }
    }
    return session;
  }
}

/** True for a pooled connection that has been idle in the pool for a while. */
function mayBeStale(session: Session): boolean {
  const idleSince = (session.connection as { lastActiveTime?: unknown }).lastActiveTime;
  return typeof idleSince === "number" && Date.now() - idleSince > STALE_AFTER;
}
