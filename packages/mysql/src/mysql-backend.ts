import { randomUUID } from "node:crypto";
import { setTimeout as delay } from "node:timers/promises";
import type { LockCapabilities } from "@locks/core";
import type { BackendLease, ExtendResult, LockBackend } from "@locks/core/backend";
import { AbortableWait, BackgroundWork, now } from "@locks/core/backend";
import type { Pool } from "mysql2";
import { Cancellation } from "./cancellation.js";
import { isDeadlockError, MySqlLockDeadlockError } from "./errors.js";
import { FenceTable } from "./fence-table.js";
import { mysqlLockName } from "./lock-name.js";
import { isRetryableMySqlError } from "./retryable.js";
import { ConnectionClosedError, type Session } from "./session.js";
import { SessionPool } from "./session-pool.js";
import { getLock, holds, releaseAll, releaseEverything, waitSeconds } from "./user-lock.js";

/** Delay between `GET_LOCK(name, 0)` polls for the sub-second rest of a wait on whole-second servers. */
const SUB_SECOND_POLL = 25;

/** What the backend needs besides the pool (already validated). */
export interface MySqlBackendSettings {
  /** Quoted fence table name. */
  fenceTable: string;
  /** Ms between ownership checks of a held lock. */
  validateInterval: number;
  /** Longest wait (ms) for the reply to a check, a release or a `KILL QUERY`. */
  validateTimeout: number;
  /** Longest single `GET_LOCK` wait, ms. */
  waitChunk: number;
  /** Whether `GET_LOCK` honours fractional seconds; `undefined`: detect. */
  fractionalTimeouts: boolean | undefined;
  /**
   * Whether the pool's connections accept several statements per query (`multipleStatements`,
   * off unless the user turns it on): a blocking wait then brings the fencing token with its
   * answer (see `FenceTable.waitAndGrant`) instead of taking it in a second round trip.
   */
  combinedWait: boolean;
}

/** A held lock: the server session that owns it and the name it holds. */
export class MySqlLease implements BackendLease {
  /** Set once released, so that a second release does not touch a connection back in the pool. */
  done = false;
  constructor(
    readonly key: string,
    readonly token: string,
    readonly fencingToken: bigint,
    /** The `GET_LOCK` name. */
    readonly name: string,
    /** The dedicated session that holds the lock. */
    readonly session: Session,
  ) {}
}

/**
 * `GET_LOCK` on a connection dedicated to each lock for its lifetime. The lock lives exactly as
 * long as that server session, so there is no lease: core's periodic `extend` is an ownership
 * check, and the connection's death is reported at once by {@link watchLease}.
 */
export class MySqlLockBackend implements LockBackend {
  readonly name = "mysql";
  readonly capabilities: LockCapabilities = {
    leases: false,
    fencing: true,
    distributed: true,
    notifications: true,
    // GET_LOCK queues waiting sessions on the server and grants them in arrival order.
    fairness: true,
  };
  readonly validateInterval: number;
  private readonly sessions: SessionPool;
  private readonly cancellation: Cancellation;
  private readonly fences: FenceTable;
  private readonly cleanups = new BackgroundWork();
  private fractional: Promise<boolean> | undefined;

  constructor(
    pool: Pool,
    private readonly ownsPool: boolean,
    private readonly settings: MySqlBackendSettings,
  ) {
    this.validateInterval = settings.validateInterval;
    this.sessions = new SessionPool(pool, settings.validateTimeout);
    this.cancellation = new Cancellation(this.sessions, settings.validateTimeout);
    this.fences = new FenceTable(settings.fenceTable);
    if (settings.fractionalTimeouts !== undefined) {
      this.fractional = Promise.resolve(settings.fractionalTimeouts);
    }
  }

  async tryAcquire(key: string): Promise<BackendLease | undefined> {
    const session = (await this.sessions.take()) as Session;
    return this.tryGrant(session, key, mysqlLockName(key));
  }

  async acquireBlocking(
    key: string,
    _ttl: number,
    timeout: number,
    signal: AbortSignal,
  ): Promise<BackendLease | undefined> {
    if (signal.aborted) throw signal.reason;
    const name = mysqlLockName(key);
    const deadline = now() + timeout;
    const session = await this.sessions.take(signal, deadline);
    if (!session) return undefined;
    // A free lock is taken, with its token, in one statement; only a held one needs the wait.
    const lease = await this.tryGrant(session, key, name, true);
    if (lease) return lease;
    if (signal.aborted || !(deadline - now() > 0)) {
      this.sessions.returnClean(session);
      if (signal.aborted) throw signal.reason;
      return undefined;
    }
    return this.waitFor(session, key, name, deadline, signal);
  }

  async extend(lease: BackendLease): Promise<ExtendResult> {
    const { session, name } = asMySqlLease(lease);
    // A session that ended took its locks with it.
    if (session.dead) return "lost";
    try {
      return (await holds(session, name, this.settings.validateTimeout)) ? "renewed" : "lost";
    } catch (error) {
      if (session.dead) return "lost";
      throw error; // unanswered: core checks again later
    }
  }

  async release(lease: BackendLease): Promise<boolean> {
    const held = asMySqlLease(lease);
    if (held.done) return false;
    held.done = true;
    const { session, name } = held;
    if (session.dead) {
      this.sessions.destroy(session);
      return false;
    }
    try {
      const wasHeld = await releaseAll(session, name, this.settings.validateTimeout);
      this.sessions.returnClean(session);
      return wasHeld;
    } catch (error) {
      const serverEnded = session.dead && !isTimeout(error);
      this.sessions.destroy(session);
      // The server ended the session, and so the lock with it; only an unanswered release is a failure.
      if (serverEnded) return false;
      throw error;
    }
  }

  watchLease(lease: BackendLease, onLost: (reason: string, cause?: unknown) => void): () => void {
    const { session } = asMySqlLease(lease);
    return session.onDeath((cause) => onLost("the lock's connection closed", cause));
  }

  isRetryable(error: unknown): boolean {
    return isRetryableMySqlError(error);
  }

  async close(): Promise<void> {
    await this.cleanups.settled();
    await this.cancellation.close();
    if (this.ownsPool) await this.sessions.end();
  }

  /** Server ids of this backend's live connections: held locks, waits, and the control connection. */
  connectionIds(): number[] {
    return this.sessions.ids();
  }

  /**
   * `GET_LOCK(name, 0)` and the token in one statement. Resolves the lease, or `undefined` (the
   * session then goes back to the pool, unless `keep` says the caller goes on using it).
   */
  private async tryGrant(
    session: Session,
    key: string,
    name: string,
    keep = false,
  ): Promise<MySqlLease | undefined> {
    let fence: bigint | undefined;
    try {
      fence = await this.fences.tryGrant(session, name);
    } catch (error) {
      this.sessions.destroy(session); // it may hold the lock
      throw error;
    }
    if (fence !== undefined) return new MySqlLease(key, randomUUID(), fence, name, session);
    if (!keep) this.sessions.returnClean(session);
    return undefined;
  }

  /** The server's native blocking wait on `session`, interrupted by `KILL QUERY` on abort. */
  private async waitFor(
    session: Session,
    key: string,
    name: string,
    deadline: number,
    signal: AbortSignal,
  ): Promise<MySqlLease | undefined> {
    this.cancellation.prepare();
    const wait = new AbortableWait(signal, (running) =>
      this.cancellation.interrupt(session, running),
    );
    let got: number | null = 0;
    let fence: bigint | undefined;
    let failure: { error: unknown } | undefined;
    const { validateTimeout, waitChunk, combinedWait } = this.settings;
    try {
      const fractional = await this.fractionalTimeouts(session);
      while (!signal.aborted) {
        const seconds = waitSeconds(deadline - now(), fractional, waitChunk);
        const waiting: Promise<{ got: number | null; fence?: bigint }> = combinedWait
          ? this.fences.waitAndGrant(session, name, seconds, validateTimeout)
          : getLock(session, name, seconds, validateTimeout).then((answer) => ({ got: answer }));
        ({ got, fence } = await wait.run(
          waiting.catch((error: unknown) => {
            throw isDeadlockError(error) ? new MySqlLockDeadlockError(key, error) : error;
          }),
        ));
        if (got !== 0 || signal.aborted || deadline - now() <= 0) break;
        if (seconds === 0) {
          await delay(Math.min(SUB_SECOND_POLL, deadline - now()), undefined, { signal }).catch(
            () => {},
          );
        }
      }
    } catch (error) {
      failure = { error };
    }
    const cancelled = wait.finish();
    if (signal.aborted) {
      // Whatever GET_LOCK answered (NULL when killed, or 1 granted at the last moment), the
      // session must hold nothing before it goes back: wait for the KILL to land first, so that it
      // cannot hit the clean-up statement, then release everything the session holds.
      await this.cleanups.track(cancelled.then(() => this.releaseAllAndReturn(session)));
      throw signal.reason;
    }
    if (failure) {
      // A refused wait (deadlock) leaves the session as it was; any other failure leaves it unknown.
      if (failure.error instanceof MySqlLockDeadlockError) this.sessions.returnClean(session);
      else this.sessions.destroy(session);
      throw failure.error;
    }
    if (got === 1) {
      try {
        fence ??= await this.fences.next(session, name);
        return new MySqlLease(key, randomUUID(), fence, name, session);
      } catch (error) {
        this.sessions.destroy(session);
        throw error;
      }
    }
    if (got === null) {
      this.sessions.destroy(session);
      throw new Error(`GET_LOCK returned NULL for "${key}"`);
    }
    this.sessions.returnClean(session);
    return undefined;
  }

  /** Makes sure a session holds no user lock, then returns it to the pool (or destroys it). */
  private async releaseAllAndReturn(session: Session): Promise<void> {
    if (session.dead) return this.sessions.destroy(session);
    try {
      await releaseEverything(session, this.settings.validateTimeout);
      this.sessions.returnClean(session);
    } catch {
      this.sessions.destroy(session);
    }
  }

  private fractionalTimeouts(session: Session): Promise<boolean> {
    if (!this.fractional) {
      const detecting = session
        .rows("SELECT VERSION() AS version", [], this.settings.validateTimeout)
        .then(([row]) => /mariadb/i.test(String(row?.[0] ?? "")));
      this.fractional = detecting;
      detecting.catch(() => {
        if (this.fractional === detecting) this.fractional = undefined;
      });
    }
    return this.fractional;
  }
}

function asMySqlLease(lease: BackendLease): MySqlLease {
  if (!(lease instanceof MySqlLease)) throw new TypeError("Not a lease of this MySQL backend");
  return lease;
}

function isTimeout(error: unknown): boolean {
  return error instanceof ConnectionClosedError && error.code === "QUERY_TIMEOUT";
}
