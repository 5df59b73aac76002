import { randomUUID } from "node:crypto";
import type { LockCapabilities } from "@locks/core";
import type { BackendLease, LockBackend } from "@locks/core/backend";
import { now } from "@locks/core/backend";
import mysql, { type Connection, type Pool, type PoolConnection } from "mysql2";
import { ConnectionClosedError, numeric, Session } from "./connection.js";
import { errorNumber, isDeadlockError, MySqlLockDeadlockError } from "./errors.js";
import { mysqlLockName } from "./lock-name.js";

/** MySQL/MariaDB "Table doesn't exist". */
const ER_NO_SUCH_TABLE = 1146;
/** OK packet status flag: the session is in autocommit mode. */
const SERVER_STATUS_AUTOCOMMIT = 2;
/** A pooled connection idle for longer than this (ms) is pinged before use. */
const STALE_AFTER = 10_000;
/** Delay between `GET_LOCK(name, 0)` polls for the sub-second rest of a wait on whole-second servers. */
const SUB_SECOND_POLL = 25;

/** What the backend needs besides the pool (already validated). */
export interface MySqlBackendSettings {
  /** Quoted fence table name. */
  fenceTable: string;
  validateInterval: number;
  validateTimeout: number;
  waitChunk: number;
  fractionalTimeouts: boolean | undefined;
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
  };
  readonly validateInterval: number;
  /** Sessions in use right now (holding or waiting), plus the control session. */
  private readonly known = new Set<Session>();
  private readonly watched = new WeakSet<Session>();
  private readonly cleanups = new Set<Promise<void>>();
  private control: Promise<Session> | undefined;
  private fractional: Promise<boolean> | undefined;
  private readonly fenceSql: string;
  private readonly fenceDdl: string;

  constructor(
    private readonly pool: Pool,
    private readonly ownsPool: boolean,
    private readonly settings: MySqlBackendSettings,
  ) {
    this.validateInterval = settings.validateInterval;
    this.fenceSql = `INSERT INTO ${settings.fenceTable} (name, fence) VALUES (?, LAST_INSERT_ID(1)) ON DUPLICATE KEY UPDATE fence = LAST_INSERT_ID(fence + 1)`;
    this.fenceDdl = fenceTableDdl(settings.fenceTable);
    if (settings.fractionalTimeouts !== undefined) {
      this.fractional = Promise.resolve(settings.fractionalTimeouts);
    }
  }

  async tryAcquire(key: string): Promise<BackendLease | undefined> {
    const name = mysqlLockName(key);
    const session = await this.takeNow();
    let got: number | null;
    try {
      got = await this.getLock(session, key, name, 0);
    } catch (error) {
      this.discard(session);
      throw error;
    }
    if (got === 1) return this.grant(session, key, name);
    if (got === null) {
      this.discard(session);
      throw new Error(`GET_LOCK returned NULL for "${key}"`);
    }
    this.giveBack(session);
    return undefined;
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
    const session = await this.take(signal, deadline);
    if (!session) return undefined;
    // Open the control connection now, so that a cancellation costs one round trip.
    this.controlSession().catch(() => {});
    /** The GET_LOCK in flight, if any. */
    let waiting: Promise<unknown> | undefined;
    let interrupting: Promise<void> | undefined;
    const onAbort = () => {
      interrupting ??= this.interrupt(session, () => waiting);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    let got: number | null = 0;
    let failure: { error: unknown } | undefined;
    try {
      const fractional = await this.fractionalTimeouts(session);
      while (!signal.aborted) {
        const seconds = waitSeconds(deadline - now(), fractional, this.settings.waitChunk);
        if (signal.aborted) break;
        const call = this.getLock(session, key, name, seconds);
        waiting = call;
        try {
          got = await call;
        } finally {
          waiting = undefined;
        }
        if (got !== 0 || signal.aborted || deadline - now() <= 0) break;
        if (seconds === 0) await pause(Math.min(SUB_SECOND_POLL, deadline - now()), signal);
      }
    } catch (error) {
      failure = { error };
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
    if (signal.aborted) {
      // Whatever GET_LOCK answered (NULL when killed, or 1 granted at the last moment), the
      // session must hold nothing before it goes back: wait for the KILL to land first, so that it
      // cannot hit the clean-up statement, then release everything the session holds.
      await this.track((interrupting ?? Promise.resolve()).then(() => this.scrub(session)));
      throw signal.reason;
    }
    if (failure) {
      // A refused wait (deadlock) leaves the session as it was; any other failure leaves it unknown.
      if (failure.error instanceof MySqlLockDeadlockError) this.giveBack(session);
      else this.discard(session);
      throw failure.error;
    }
    if (got === 1) return this.grant(session, key, name);
    if (got === null) {
      this.discard(session);
      throw new Error(`GET_LOCK returned NULL for "${key}"`);
    }
    this.giveBack(session);
    return undefined;
  }

  async extend(lease: BackendLease): Promise<boolean> {
    const { session, name } = asMySqlLease(lease);
    if (session.dead) throw session.cause;
    const [row] = await session.rows(
      "SELECT IS_USED_LOCK(?) = CONNECTION_ID()",
      [name],
      this.settings.validateTimeout,
    );
    return numeric(row?.[0]) === 1;
  }

  async release(lease: BackendLease): Promise<boolean> {
    const held = asMySqlLease(lease);
    if (held.done) return false;
    held.done = true;
    const { session, name } = held;
    if (session.dead) {
      this.forget(session);
      return false;
    }
    try {
      const [row] = await session.rows(
        "SELECT RELEASE_LOCK(?), RELEASE_ALL_LOCKS()",
        [name],
        this.settings.validateTimeout,
      );
      this.giveBack(session);
      return numeric(row?.[0]) === 1;
    } catch (error) {
      const serverEnded = session.dead && !isTimeout(error);
      this.discard(session);
      // The server ended the session, and so the lock with it; only an unanswered release is a failure.
      if (serverEnded) return false;
      throw error;
    }
  }

  watchLease(lease: BackendLease, onLost: (reason: string, cause?: unknown) => void): () => void {
    const { session } = asMySqlLease(lease);
    return session.onDeath((cause) => onLost("the lock's connection closed", cause));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.cleanups]);
    const control = this.control;
    this.control = undefined;
    if (control) {
      await control.then(
        (session) => session.destroy(),
        () => {},
      );
    }
    if (this.ownsPool) {
      await new Promise<void>((resolve) => this.pool.end(() => resolve()));
    }
  }

  /** Server ids of this backend's live connections: held locks, waits, and the control connection. */
  connectionIds(): number[] {
    return [...this.known].filter((session) => !session.dead).map((session) => session.id);
  }

  /**
   * Takes a live connection from the pool. A pooled connection idle for more than
   * {@link STALE_AFTER} ms is pinged first (a NAT or firewall may have dropped it silently) and
   * replaced once if the ping fails, so that a stale socket does not fail the acquisition.
   */
  private async take(
    signal?: AbortSignal,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Session | undefined> {
    const session = await this.takeFromPool(signal, deadline);
    if (!session || !mayBeStale(session)) return session;
    try {
      await session.rows("SELECT 1", [], this.settings.validateTimeout);
      return session;
    } catch {
      this.discard(session);
      return this.takeFromPool(signal, deadline);
    }
  }

  /**
   * Takes a connection from the pool. While queued for one (the pool is exhausted), an abort
   * rejects at once and the `deadline` (monotonic ms) resolves `undefined`; a connection that
   * arrives afterwards goes straight back.
   */
  private takeFromPool(
    signal?: AbortSignal,
    deadline = Number.POSITIVE_INFINITY,
  ): Promise<Session | undefined> {
    return new Promise<Session | undefined>((resolve, reject) => {
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
      };
      const onAbort = () => {
        if (settled) return;
        stop();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      if (Number.isFinite(deadline)) {
        timer = setTimeout(
          () => {
            if (settled) return;
            stop();
            resolve(undefined);
          },
          Math.max(0, deadline - now()),
        );
      }
      this.pool.getConnection((error, connection) => {
        if (settled) {
          if (!error) connection.release(); // straight from the pool: it holds nothing of ours
          return;
        }
        stop();
        if (error) reject(error);
        else resolve(this.adopt(connection));
      });
    });
  }

  /** Takes a connection for a single attempt (no deadline, no signal). */
  private async takeNow(): Promise<Session> {
    return (await this.take()) as Session;
  }

  private adopt(connection: Connection): Session {
    const session = Session.of(connection);
    if (!session.dead) {
      this.known.add(session);
      // Once per connection, however often the pool hands it out again.
      if (!this.watched.has(session)) {
        this.watched.add(session);
        session.onDeath(() => this.known.delete(session));
      }
    }
    return session;
  }

  /** Returns a connection that holds no user lock to the pool. */
  private giveBack(session: Session): void {
    this.known.delete(session);
    if (session.dead) return;
    (session.connection as PoolConnection).release();
  }

  /** Destroys a connection whose state is unknown: the server ends the session and frees its locks. */
  private discard(session: Session): void {
    this.known.delete(session);
    if (!session.dead) session.destroy();
  }

  private forget(session: Session): void {
    this.known.delete(session);
    const connection = session.connection as PoolConnection;
    connection.destroy();
  }

  /** Makes sure a session holds no user lock, then returns it to the pool (or destroys it). */
  private async scrub(session: Session): Promise<void> {
    if (session.dead) return this.forget(session);
    try {
      await session.rows("SELECT RELEASE_ALL_LOCKS()", [], this.settings.validateTimeout);
      this.giveBack(session);
    } catch {
      this.discard(session);
    }
  }

  private track(work: Promise<void>): Promise<void> {
    const tracked = work.catch(() => {});
    this.cleanups.add(tracked);
    void tracked.then(() => this.cleanups.delete(tracked));
    return tracked;
  }

  /**
   * Interrupts the `GET_LOCK` running on `session` with `KILL QUERY` from the control connection.
   * A KILL that reaches the server before the statement starts is lost, so it is repeated (with a
   * growing pause) until the wait has ended. If the control connection cannot be used, the waiting
   * connection is destroyed instead, which ends the wait too.
   */
  private async interrupt(
    session: Session,
    waiting: () => Promise<unknown> | undefined,
  ): Promise<void> {
    for (let attempt = 0; waiting() && !session.dead; attempt++) {
      try {
        const control = await this.controlSession();
        await control.execute(
          `KILL QUERY ${Number(session.id)}`,
          [],
          this.settings.validateTimeout,
        );
      } catch {
        session.destroy();
        return;
      }
      const call = waiting();
      if (!call) return;
      // Normally the wait ends right after the KILL; repeat it only if it did not.
      await Promise.race([call.catch(() => {}), pause(Math.min(200, 5 * 2 ** attempt))]);
    }
  }

  /** A connection outside the pool for `KILL QUERY`: cancellation must not wait for a free pool slot. */
  private controlSession(): Promise<Session> {
    if (this.control) {
      const current = this.control;
      return current.then((session) => {
        if (!session.dead) return session;
        if (this.control === current) this.control = undefined;
        return this.controlSession();
      });
    }
    const opening = openStandalone(this.pool).then((session) => {
      this.known.add(session);
      session.onDeath(() => this.known.delete(session));
      return session;
    });
    this.control = opening;
    opening.catch(() => {
      if (this.control === opening) this.control = undefined;
    });
    return opening;
  }

  private fractionalTimeouts(session: Session): Promise<boolean> {
    if (!this.fractional) {
      const detecting = session
        .rows("SELECT VERSION()", [], this.settings.validateTimeout)
        .then(([row]) => /mariadb/i.test(String(row?.[0] ?? "")));
      this.fractional = detecting;
      detecting.catch(() => {
        if (this.fractional === detecting) this.fractional = undefined;
      });
    }
    return this.fractional;
  }

  private async getLock(
    session: Session,
    key: string,
    name: string,
    seconds: number,
  ): Promise<number | null> {
    try {
      // The server answers within `seconds`; no answer long after that means the network is gone.
      const [row] = await session.rows(
        "SELECT GET_LOCK(?, ?)",
        [name, seconds],
        seconds * 1000 + this.settings.validateTimeout,
      );
      return numeric(row?.[0]);
    } catch (error) {
      if (isDeadlockError(error)) throw new MySqlLockDeadlockError(key, error);
      throw error;
    }
  }

  /** Completes a grant: takes the next fencing token while the lock is held. */
  private async grant(session: Session, key: string, name: string): Promise<MySqlLease> {
    try {
      const fence = await this.nextFence(session, name);
      return new MySqlLease(key, randomUUID(), fence, name, session);
    } catch (error) {
      this.discard(session);
      throw error;
    }
  }

  private async nextFence(session: Session, name: string): Promise<bigint> {
    let result: Awaited<ReturnType<Session["execute"]>>;
    try {
      result = await session.execute(this.fenceSql, [name]);
    } catch (error) {
      if (errorNumber(error) !== ER_NO_SUCH_TABLE) throw error;
      await session.execute(this.fenceDdl);
      result = await session.execute(this.fenceSql, [name]);
    }
    // A pool configured without autocommit leaves the increment in an open transaction.
    if ((result.serverStatus & SERVER_STATUS_AUTOCOMMIT) === 0) await session.execute("COMMIT");
    const fence = BigInt(result.insertId);
    if (fence <= 0n) throw new Error(`The fence table returned no token (insertId ${fence})`);
    return fence;
  }
}

/** `CREATE TABLE IF NOT EXISTS` statement of the fence table (`table` already quoted). */
export function fenceTableDdl(table: string): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    "  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,",
    "  fence BIGINT UNSIGNED NOT NULL,",
    "  PRIMARY KEY (name)",
    ") ENGINE=InnoDB",
  ].join("\n");
}

/**
 * The `GET_LOCK` timeout (seconds) for the next wait of a loop that must end `left` ms from now:
 * at most one chunk; millisecond precision where the server honours fractions, else whole seconds
 * (0 for a sub-second rest, which the caller polls).
 */
export function waitSeconds(left: number, fractional: boolean, chunk: number): number {
  const ms = Math.min(left, chunk);
  if (!(ms > 0)) return 0;
  return fractional ? Math.ceil(ms) / 1000 : Math.floor(ms / 1000);
}

/** True for a pooled connection that has been idle in the pool for a while. */
function mayBeStale(session: Session): boolean {
  const idleSince = (session.connection as { lastActiveTime?: unknown }).lastActiveTime;
  return typeof idleSince === "number" && Date.now() - idleSince > STALE_AFTER;
}

function asMySqlLease(lease: BackendLease): MySqlLease {
  if (!(lease instanceof MySqlLease)) throw new TypeError("Not a lease of this MySQL backend");
  return lease;
}

function isTimeout(error: unknown): boolean {
  return error instanceof ConnectionClosedError && error.code === "QUERY_TIMEOUT";
}

/** Resolves after `ms` (early, without rejecting, when `signal` aborts). */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener("abort", done, { once: true });
  });
}

interface PoolInternals {
  config: { connectionConfig: object };
}

/** Opens a connection with the pool's settings but outside the pool. */
function openStandalone(pool: Pool): Promise<Session> {
  const config = (pool as unknown as PoolInternals).config.connectionConfig;
  // Same copy the pool makes for its own connections, minus the pool itself.
  const copy = Object.create(
    Object.getPrototypeOf(config),
    Object.getOwnPropertyDescriptors(config),
  ) as { pool?: unknown };
  copy.pool = undefined;
  const ConnectionClass = mysql.Connection as unknown as new (options: {
    config: object;
  }) => Connection;
  const session = Session.of(new ConnectionClass({ config: copy }));
  return new Promise<Session>((resolve, reject) => {
    session.connection.connect((error) => {
      if (error) {
        session.destroy(error);
        reject(error);
      } else {
        resolve(session);
      }
    });
  });
}
