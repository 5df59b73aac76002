import { settleFirst } from "@locks/core/backend";
import mysql, { type Connection, type Pool } from "mysql2";
import { Session } from "./session.js";
import type { SessionPool } from "./session-pool.js";

/**
 * Cancels blocking `GET_LOCK` waits with `KILL QUERY` from a control connection of its own,
 * outside the pool: cancelling must never wait for a free pool slot.
 */
export class Cancellation {
  private control: Promise<Session> | undefined;

  constructor(
    private readonly sessions: SessionPool,
    /** Longest wait (ms) for the reply to a `KILL QUERY`. */
    private readonly replyTimeout: number,
  ) {}

  /** Opens the control connection ahead of need, so that a cancellation costs one round trip. */
  prepare(): void {
    this.controlSession().catch(() => {});
  }

  /**
   * Interrupts the statement running on `session` until `waiting()` says it has ended. A KILL
   * that reaches the server before the statement starts is lost, so it is repeated (with a growing
   * pause). If the control connection cannot be used, the waiting session is destroyed instead,
   * which ends the wait too.
   */
  async interrupt(session: Session, waiting: () => Promise<unknown> | undefined): Promise<void> {
    for (let attempt = 0; waiting() && !session.dead; attempt++) {
      try {
        const control = await this.controlSession();
        await control.execute(`KILL QUERY ${Number(session.id)}`, [], this.replyTimeout);
      } catch {
        this.sessions.destroy(session);
        return;
      }
      const call = waiting();
      if (!call) return;
      // Normally the wait ends right after the KILL; repeat it only if it did not.
      await settleFirst(
        call.catch(() => {}),
        [],
        Math.min(200, 5 * 2 ** attempt),
      );
    }
  }

  /** Closes the control connection. */
  async close(): Promise<void> {
    const control = this.control;
    this.control = undefined;
    await control?.then(
      (session) => session.destroy(),
      () => {},
    );
  }

  private controlSession(): Promise<Session> {
    if (this.control) {
      const current = this.control;
      return current.then((session) => {
        if (!session.dead) return session;
        if (this.control === current) this.control = undefined;
        return this.controlSession();
      });
    }
    const opening = openStandalone(this.sessions.pool).then((session) => {
      this.sessions.track(session);
      return session;
    });
    this.control = opening;
    opening.catch(() => {
      if (this.control === opening) this.control = undefined;
    });
    return opening;
  }
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
