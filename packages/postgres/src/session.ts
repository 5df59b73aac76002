import { createHash } from "node:crypto";
import { ConnectionLife, replyWithin } from "@locks/core/backend";
import type { ClientBase, PoolClient } from "pg";

/** A connection failure raised by this package (not by the server or the driver). */
export class ConnectionClosedError extends Error {
  constructor(
    message: string,
    readonly code: "QUERY_TIMEOUT" | "CONNECTION_ENDED" | "DISCARDED",
  ) {
    super(message);
    this.name = "ConnectionClosedError";
  }
}

/** The parts of a node-postgres client this package reads beyond its public types. */
interface ClientInternals {
  /** Server process id from the BackendKeyData message (a pooler may send its own). */
  processID?: number | null;
  connection?: { stream?: { destroy(): void } };
  end?: () => Promise<void>;
}

/**
 * One server session as this package uses it: rows as arrays whatever the client's settings,
 * a per-query reply timeout, a single permanent error listener (an `'error'` event with no
 * listener would crash the process: node-postgres removes the pool's own listener while a client
 * is checked out), and a death notification for the loss monitor.
 *
 * A session is alive until its socket ends, errors, or a query on it gets no reply in time (the
 * connection is then destroyed: after a lost reply the protocol state is unknown).
 */
export class Session {
  private static readonly byClient = new WeakMap<ClientBase, Session>();

  private readonly life = new ConnectionLife();
  private destroyed = false;

  private constructor(readonly client: ClientBase) {
    client.on("error", (error: Error) => this.life.die(error));
    client.on("end", () =>
      this.life.die(
        new ConnectionClosedError("The server closed the connection", "CONNECTION_ENDED"),
      ),
    );
  }

  /** The session wrapper of a client (one per client, created on first use). */
  static of(client: ClientBase): Session {
    let session = Session.byClient.get(client);
    if (!session) {
      session = new Session(client);
      Session.byClient.set(client, session);
    }
    return session;
  }

  /**
   * The server process id the connection announced at start-up (`pg_backend_pid()` on a direct
   * connection; a pooler announces its own), or 0 when unknown.
   */
  get announcedPid(): number {
    return Number((this.client as unknown as ClientInternals).processID ?? 0);
  }

  /** True once the connection ended, failed or was destroyed. */
  get dead(): boolean {
    return this.life.dead;
  }

  /** Why the session died, when it did. */
  get cause(): unknown {
    return this.life.cause;
  }

  /** Calls `listener` once when the session dies (at once if it already has). Returns an unsubscribe. */
  onDeath(listener: (cause: unknown) => void): () => void {
    return this.life.onDeath(listener);
  }

  /**
   * Runs a statement as a named prepared statement (parsed and planned once per connection) and
   * returns its rows as arrays. Without a reply within `timeout` ms the connection is destroyed and
   * the call rejects with a `QUERY_TIMEOUT` {@link ConnectionClosedError}.
   */
  async rows(
    text: string,
    values: readonly unknown[] = [],
    timeout?: number,
  ): Promise<unknown[][]> {
    if (this.life.dead) throw this.life.cause;
    const reply = this.client.query({
      name: statementName(text),
      text,
      values: [...values],
      rowMode: "array",
    });
    const result = await replyWithin(reply, timeout ?? Number.POSITIVE_INFINITY, () => {
      // After a lost reply the protocol state is unknown: the connection cannot be reused.
      const error = new ConnectionClosedError(
        `No reply from the server within ${timeout} ms`,
        "QUERY_TIMEOUT",
      );
      this.destroy(error);
      return error;
    });
    return result.rows as unknown[][];
  }

  /** Closes the socket at once; the server then ends the session and frees its locks. */
  destroy(cause?: unknown): void {
    this.life.die(cause ?? new ConnectionClosedError("The connection was discarded", "DISCARDED"));
    if (this.destroyed) return;
    this.destroyed = true;
    const client = this.client as ClientBase & Partial<Pick<PoolClient, "release">>;
    const internals = client as unknown as ClientInternals;
    internals.connection?.stream?.destroy();
    if (typeof client.release === "function") {
      // A pooled client: the pool forgets it (and ends it).
      try {
        client.release(true);
      } catch {
        // released already
      }
    } else {
      internals.end?.().catch(() => {});
    }
  }
}

const names = new Map<string, string>();

/** A stable prepared-statement name per statement text (texts differ per fence table). */
function statementName(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `locks_${createHash("sha256").update(text).digest("hex").slice(0, 16)}`;
    names.set(text, name);
  }
  return name;
}
