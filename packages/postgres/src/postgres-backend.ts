import { randomUUID } from "node:crypto";
import type { LockCapabilities } from "@locks/core";
import type { BackendLease, ExtendResult, LockBackend } from "@locks/core/backend";
import {
  AbortableWait,
  BackgroundWork,
  ControlConnection,
  cancelUntilEnded,
  checkoutBefore,
  now,
} from "@locks/core/backend";
import pg, { type Pool, type PoolClient } from "pg";
import {
  isDeadlockError,
  LOCK_NOT_AVAILABLE,
  PostgresLockDeadlockError,
  PostgresSessionPoolerError,
  sqlState,
  UNDEFINED_TABLE,
} from "./errors.js";
import { lockIdParts, postgresLockId } from "./lock-id.js";
import { isRetryablePostgresError } from "./retryable.js";
import { ConnectionClosedError, Session } from "./session.js";
import {
  acquireBlockingSql,
  CANCEL_SQL,
  CHECK_SQL,
  fenceTableDdl,
  RELEASE_CHECKED_SQL,
  RELEASE_SQL,
  tryAcquireSql,
} from "./statements.js";

/** What the backend needs besides the pool (already validated). */
export interface PostgresBackendSettings {
  /** Quoted fence table name. */
  fenceTable: string;
  durableFences: boolean;
  validateInterval: number;
  validateTimeout: number;
  waitChunk: number;
}

/** A held lock: the server session that owns it and the advisory lock id it holds. */
export class PostgresLease implements BackendLease {
  /** Set once released, so that a second release does not touch a connection back in the pool. */
  done = false;
  constructor(
    readonly key: string,
    readonly token: string,
    readonly fencingToken: bigint,
    /** The advisory lock id. */
    readonly lockId: bigint,
    /** The dedicated session that holds the lock. */
    readonly session: Session,
    /** `pg_backend_pid()` of that session. */
    readonly pid: number,
  ) {}
}

/**
 * What the backend guarantees. `fairness`: waiters on different providers are served in arrival
 * order, because each provider sends one waiter per key and the server's lock queue is FIFO.
 */
const CAPABILITIES = {
  leases: false,
  fencing: true,
  distributed: true,
  notifications: true,
  fairness: true,
} as const;

/**
 * Session-level advisory locks, each on a connection dedicated to it for its lifetime. The lock
 * lives exactly as long as that server session, so there is no lease: core's periodic `extend`
 * is an ownership check, and the connection's death is reported at once by {@link watchLease}.
 */
export class PostgresLockBackend implements LockBackend {
  readonly name = "postgres";
  readonly capabilities: LockCapabilities = CAPABILITIES;
  readonly validateInterval: number;
  /** Sessions in use right now (holding or waiting), plus the control session. */
  private readonly known = new Set<Session>();
  private readonly cleanups = new BackgroundWork();
  private readonly control = new ControlConnection(
    () => this.openControl(),
    (session: Session) => session.dead,
  );
  private readonly trySql: string;
  private readonly blockingSql: string;
  private readonly fenceDdl: string;
  private readonly releaseSql: string;

  constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly settings: PostgresBackendSettings,
  ) {
    this.validateInterval = settings.validateInterval;
    this.trySql = tryAcquireSql(settings.fenceTable, settings.durableFences);
    this.blockingSql = acquireBlockingSql(settings.fenceTable, settings.durableFences);
    this.fenceDdl = fenceTableDdl(settings.fenceTable);
    // Our own pool's connections only ever hold our locks, one at a time.
    this.releaseSql = ownsPool ? RELEASE_SQL : RELEASE_CHECKED_SQL;
  }

  async tryAcquire(key: string): Promise<BackendLease | undefined> {
    const lockId = postgresLockId(key);
    const session = (await this.take()) as Session;
    let row: unknown[] | undefined;
    try {
      [row] = await this.withFenceTable(session, () =>
        session.rows(this.trySql, [String(lockId)], this.settings.validateTimeout),
      );
    } catch (error) {
      // The statement may have failed after the lock was taken: the session's state is unknown.
      this.discard(session);
      throw error;
    }
    if (row?.[0] !== true) {
      this.giveBack(session);
      return undefined;
    }
    return this.grant(session, key, lockId, row[1], row[2]);
  }

  async acquireBlocking(
    key: string,
    _ttl: number,
    timeout: number,
    signal: AbortSignal,
  ): Promise<BackendLease | undefined> {
    if (signal.aborted) throw signal.reason;
    const lockId = postgresLockId(key);
    const deadline = now() + timeout;
    const session = await this.take(signal, deadline);
    if (!session) return undefined;
    // Open the control session now, so that a cancellation costs one round trip.
    this.control.prepare();
    const wait = new AbortableWait(signal, (running) => this.interrupt(session, running));
    let row: unknown[] | undefined;
    let failure: { error: unknown } | undefined;
    try {
      while (!signal.aborted) {
        const left = deadline - now();
        if (left <= 0) break;
        // lock_timeout 0 would mean "forever": at least 1 ms.
        const chunk = Math.max(1, Math.ceil(Math.min(left, this.settings.waitChunk)));
        const call = this.withFenceTable(session, () =>
          session.rows(
            this.blockingSql,
            [String(lockId), `${chunk}ms`],
            chunk + this.settings.validateTimeout,
          ),
        );
        try {
          [row] = await wait.run(call);
          break;
        } catch (error) {
          if (sqlState(error) !== LOCK_NOT_AVAILABLE) throw error;
        }
      }
    } catch (error) {
      failure = { error };
    }
    const cancelled = wait.finish();
    if (signal.aborted) {
      // Granted at the last moment, cancelled mid-statement or not at all: wait for the
      // cancellation to land (so that it cannot hit the next statement), then make sure the
      // session holds nothing before it goes back.
      await this.cleanups.track(cancelled.then(() => this.scrub(session, lockId, row)));
      throw signal.reason;
    }
    if (failure) {
      // A refused wait (deadlock) leaves the session as it was; any other failure leaves it unknown.
      if (isDeadlockError(failure.error)) {
        this.giveBack(session);
        throw new PostgresLockDeadlockError(key, failure.error);
      }
      this.discard(session);
      throw failure.error;
    }
    if (!row) {
      this.giveBack(session);
      return undefined;
    }
    return this.grant(session, key, lockId, row[0], row[1]);
  }

  /**
   * Checks that the lease's session still holds its lock (there is no lease to renew):
   * `"renewed"` when it does, `"lost"` when the server says it does not (or the statements ran in
   * another session); a failure to ask throws, which core counts as `"unknown"`.
   */
  async extend(lease: BackendLease): Promise<ExtendResult> {
    const held = asPostgresLease(lease);
    const { session, lockId, pid } = held;
    if (session.dead) return "lost";
    const { classid, objid } = lockIdParts(lockId);
    let row: unknown[] | undefined;
    try {
      [row] = await session.rows(CHECK_SQL, [classid, objid], this.settings.validateTimeout);
    } catch (error) {
      // A FATAL read as the check's answer (sent before the check, e.g. 57P01 after
      // pg_terminate_backend, and not yet read): the server ended the session and its lock.
      if (!endsSession(error)) throw error;
      held.done = true;
      this.discard(session);
      return "lost";
    }
    if (Number(row?.[0]) === pid && row?.[1] === true) return "renewed";
    // Core gives up a lost handle without releasing it: free the connection now.
    held.done = true;
    this.discard(session);
    return "lost";
  }

  async release(lease: BackendLease): Promise<boolean> {
    const held = asPostgresLease(lease);
    if (held.done) return false;
    held.done = true;
    const { session, lockId } = held;
    if (session.dead) {
      this.forget(session);
      return false;
    }
    try {
      const [row] = await session.rows(
        this.releaseSql,
        [String(lockId)],
        this.settings.validateTimeout,
      );
      const released = row?.[0] === true;
      // Not released (someone terminated and replaced the session?) or not clean: drop it.
      if (released && (this.ownsPool || row?.[1] === true)) this.giveBack(session);
      else this.discard(session);
      return released;
    } catch (error) {
      // The reply may be the server's FATAL before the connection reports its end.
      const serverEnded = (session.dead || endsSession(error)) && !isTimeout(error);
      this.discard(session);
      // The server ended the session, and so the lock with it; only an unanswered release is a failure.
      if (serverEnded) return false;
      throw error;
    }
  }

  watchLease(lease: BackendLease, onLost: (reason: string, cause?: unknown) => void): () => void {
    const held = asPostgresLease(lease);
    return held.session.onDeath((cause) => {
      // Core gives up a lost handle without releasing it: let the pool forget the connection.
      held.done = true;
      this.forget(held.session);
      onLost("the lock's connection closed", cause);
    });
  }

  isRetryable(error: unknown): boolean {
    return isRetryablePostgresError(error);
  }

  async close(): Promise<void> {
    await this.cleanups.settled();
    // Whatever is still checked out (a handle the provider no longer tracks) would keep
    // `pool.end()` waiting forever.
    for (const session of [...this.known]) this.discard(session);
    await this.control.close((session) => session.destroy());
    if (this.ownsPool) await this.pool.end().catch(() => {});
  }

  /** `pg_backend_pid()` of this backend's live sessions: held locks, waits, and the control session. */
  backendPids(): number[] {
    return [...this.known].filter((session) => !session.dead).map((s) => s.announcedPid);
  }

  /**
   * Takes a connection from the pool. While queued for one (the pool is exhausted), an abort
   * rejects at once and the `deadline` (monotonic ms) resolves `undefined`; a connection that
   * arrives afterwards goes straight back.
   */
  private async take(
    signal?: AbortSignal,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Session | undefined> {
    // The callback form, not the promise: the pool drops its own 'error' listener as it hands
    // a client over, and a server error read in the same chunk as a new connection's start-up
    // reply (after a paused process or a healed partition) is emitted before a promise's
    // continuation runs, with no listener, which would crash the process. The callback runs
    // synchronously at the hand-over, so the session's permanent listener is there in time.
    const checkout = new Promise<Session>((resolve, reject) => {
      this.pool.connect((error, client) => {
        if (error || client === undefined) reject(error);
        else resolve(Session.of(client));
      });
    });
    // A connection that arrives after the wait gave up comes straight from the pool and holds
    // nothing of ours, so it can go straight back.
    const session = await checkoutBefore(checkout, signal, deadline, (late) =>
      (late.client as PoolClient).release(),
    );
    if (!session) return undefined;
    if (session.dead) {
      session.destroy();
      throw session.cause;
    }
    this.known.add(session);
    return session;
  }

  /** Returns a connection that holds no advisory lock to the pool. */
  private giveBack(session: Session): void {
    this.known.delete(session);
    if (session.dead) {
      this.forget(session);
      return;
    }
    (session.client as PoolClient).release();
  }

  /** Destroys a connection whose state is unknown: the server ends the session and frees its locks. */
  private discard(session: Session): void {
    this.known.delete(session);
    session.destroy();
  }

  /** Lets the pool forget a connection that died while we had it. */
  private forget(session: Session): void {
    this.known.delete(session);
    session.destroy();
  }

  /**
   * After a cancelled wait: unlocks the lock if the session may hold it (one hold at most: a
   * session of ours never takes a lock twice), then returns the session, or destroys it when that
   * fails.
   */
  private async scrub(session: Session, lockId: bigint, row: unknown[] | undefined): Promise<void> {
    if (session.dead) {
      this.forget(session);
      return;
    }
    try {
      const [result] = await session.rows(
        this.releaseSql,
        [String(lockId)],
        this.settings.validateTimeout,
      );
      const clean = this.ownsPool || result?.[1] === true;
      // Granted (row) but not released, or not clean: the session's state is not what we think.
      if ((row !== undefined && result?.[0] !== true) || !clean) this.discard(session);
      else this.giveBack(session);
    } catch {
      this.discard(session);
    }
  }

  /**
   * Cancels the wait running on `session` with `pg_cancel_backend` from the control session, until
   * the wait has ended (a cancel that reaches the server before the statement starts is ignored by
   * it). If the control session cannot be used, the waiting connection is destroyed instead (the
   * server then ends the wait when it notices).
   */
  private interrupt(session: Session, waiting: () => Promise<unknown> | undefined): Promise<void> {
    return cancelUntilEnded({
      running: waiting,
      gone: () => session.dead,
      cancel: async () => {
        const control = await this.control.get();
        await control.rows(CANCEL_SQL, [session.announcedPid], this.settings.validateTimeout);
      },
      cancelFailed: () => session.destroy(),
    });
  }

  /** A connection outside the pool for `pg_cancel_backend`: cancelling must not wait for a pool slot. */
  private openControl(): Promise<Session> {
    const client = new pg.Client(this.pool.options);
    const session = Session.of(client);
    const opening = client.connect().then(() => {
      this.known.add(session);
      session.onDeath(() => this.known.delete(session));
      return session;
    });
    opening.catch(() => session.destroy());
    return opening;
  }

  /** Runs `statement`; when the fence table is missing, creates it and runs `statement` again. */
  private async withFenceTable<T>(session: Session, statement: () => Promise<T>): Promise<T> {
    try {
      return await statement();
    } catch (error) {
      // Raised while parsing: nothing ran, no lock was taken.
      if (sqlState(error) !== UNDEFINED_TABLE) throw error;
    }
    try {
      await session.rows(this.fenceDdl, [], this.settings.validateTimeout);
    } catch (error) {
      // A concurrent CREATE TABLE IF NOT EXISTS can fail on the catalog's unique index.
      if (sqlState(error) !== "23505" && sqlState(error) !== "42P07") throw error;
    }
    return statement();
  }

  /** Completes a grant from the statement's `fence` and `pg_backend_pid()` columns. */
  private grant(
    session: Session,
    key: string,
    lockId: bigint,
    fence: unknown,
    pid: unknown,
  ): PostgresLease {
    const backendPid = Number(pid);
    const announced = session.announcedPid;
    if (announced !== 0 && backendPid !== announced) {
      // A pooler ran the statement on some server session; that session may still hold the lock,
      // and nothing sent through this connection is sure to reach it again.
      this.discard(session);
      throw new PostgresSessionPoolerError(key, announced, backendPid);
    }
    if (typeof fence !== "string" || !/^\d+$/.test(fence)) {
      this.discard(session);
      throw new Error(`The fence table returned no token for "${key}" (got ${String(fence)})`);
    }
    return new PostgresLease(key, randomUUID(), BigInt(fence), lockId, session, backendPid);
  }
}

function asPostgresLease(lease: BackendLease): PostgresLease {
  if (!(lease instanceof PostgresLease)) {
    throw new TypeError("Not a lease of this PostgreSQL backend");
  }
  return lease;
}

/** A FATAL server error (e.g. 57P01 after `pg_terminate_backend`): the session is over. */
function endsSession(error: unknown): boolean {
  return (error as { severity?: unknown } | null)?.severity === "FATAL";
}

function isTimeout(error: unknown): boolean {
  return error instanceof ConnectionClosedError && error.code === "QUERY_TIMEOUT";
}
