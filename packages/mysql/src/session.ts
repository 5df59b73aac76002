import { ConnectionLife, replyWithin } from "@locks/core/backend";
import type { Connection, ResultSetHeader } from "mysql2";

/** A driver error raised by this package (not by the server). */
export class ConnectionClosedError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = "ConnectionClosedError";
  }
}

type Row = unknown[];

/**
 * One server session as this package uses it: query helpers that ignore the caller's row format
 * settings, a single permanent error listener (an unhandled `'error'` event would crash the
 * process), and a death notification for the loss monitor.
 *
 * A session is alive until its socket ends, errors, or a query on it times out (the connection is
 * then destroyed: after a lost reply the protocol state is unknown).
 */
export class Session {
  private static readonly byConnection = new WeakMap<Connection, Session>();

  private readonly life = new ConnectionLife();

  private constructor(readonly connection: Connection) {
    connection.on("error", (error: unknown) => this.life.die(error));
    connection.on("end", () =>
      this.life.die(
        new ConnectionClosedError("The server closed the connection", "CONNECTION_ENDED"),
      ),
    );
  }

  /** The session wrapper of a driver connection (one per connection, created on first use). */
  static of(connection: Connection): Session {
    let session = Session.byConnection.get(connection);
    if (!session) {
      session = new Session(connection);
      Session.byConnection.set(connection, session);
    }
    return session;
  }

  /** The server's id of this session (`CONNECTION_ID()`, used by `KILL`); known once connected. */
  get id(): number {
    return this.connection.threadId;
  }

  /** True once the connection ended, failed or was destroyed. */
  get dead(): boolean {
    return this.life.dead;
  }

  /** Calls `listener` once when the session dies (at once if it already has). Returns an unsubscribe. */
  onDeath(listener: (cause: unknown) => void): () => void {
    return this.life.onDeath(listener);
  }

  /** Runs a statement returning rows; rows come back as arrays whatever the pool's settings. */
  rows(sql: string, values: readonly unknown[] = [], timeout?: number): Promise<Row[]> {
    return this.run(sql, values, timeout) as Promise<Row[]>;
  }

  /** Runs a statement returning an OK packet (INSERT, DDL). */
  execute(
    sql: string,
    values: readonly unknown[] = [],
    timeout?: number,
  ): Promise<ResultSetHeader> {
    return this.run(sql, values, timeout) as Promise<ResultSetHeader>;
  }

  /**
   * Runs a statement as a server-side prepared statement (prepared once per connection, then
   * only executed): the server skips parsing it on every call, which is most of the cost of the
   * long statements on the acquire and release path. Rows come back as arrays.
   */
  prepared<T extends Row[] | ResultSetHeader>(
    sql: string,
    values: readonly unknown[],
    timeout?: number,
  ): Promise<T> {
    return this.run(sql, values, timeout, true) as Promise<T>;
  }

  /** Closes the socket at once; the server then ends the session and frees its locks. */
  destroy(cause?: unknown): void {
    this.life.die(cause ?? new ConnectionClosedError("The connection was discarded", "DISCARDED"));
    this.connection.destroy();
  }

  private run(
    sql: string,
    values: readonly unknown[],
    timeout: number | undefined,
    prepared = false,
  ): Promise<unknown> {
    if (this.life.dead) return Promise.reject(this.life.cause);
    const reply = new Promise((resolve, reject) => {
      const options = {
        sql,
        values: [...values],
        rowsAsArray: true,
        namedPlaceholders: false,
        typeCast: true,
      };
      const done = (error: unknown, result: unknown) => (error ? reject(error) : resolve(result));
      if (prepared) this.connection.execute(options, done);
      else this.connection.query(options, done);
    });
    return replyWithin(reply, timeout ?? Number.POSITIVE_INFINITY, () => {
      // After a lost reply the protocol state is unknown: the connection cannot be reused.
      const error = new ConnectionClosedError(
        `No reply from the server within ${timeout} ms`,
        "QUERY_TIMEOUT",
      );
      this.destroy(error);
      return error;
    });
  }
}

/** A numeric column as a number (`BIGINT` may arrive as a string with `bigNumberStrings`); `null` stays `null`. */
export function numeric(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (typeof value === "bigint" || typeof value === "string") return Number(value);
  return Number.NaN;
}
