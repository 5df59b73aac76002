import { ControlConnection, cancelUntilEnded } from "@locks/core/backend";
import mysql, { type Connection, type Pool } from "mysql2";
import { Session } from "./session.js";
import type { SessionPool } from "./session-pool.js";

/**
 * Cancels blocking `GET_LOCK` waits with `KILL QUERY` from a control connection of its own,
 * outside the pool: cancelling must never wait for a free pool slot.
 */
export class Cancellation {
  private readonly control: ControlConnection<Session>;

  constructor(
    private readonly sessions: SessionPool,
    /** Longest wait (ms) for the reply to a `KILL QUERY`. */
    private readonly replyTimeout: number,
  ) {
    this.control = new ControlConnection(
      () =>
        openStandalone(sessions.pool).then((session) => {
          sessions.track(session);
          return session;
        }),
      (session) => session.dead,
    );
  }

  /** Opens the control connection ahead of need, so that a cancellation costs one round trip. */
  prepare(): void {
    this.control.prepare();
  }

  /**
   * Interrupts the statement running on `session` until `waiting()` says it has ended. A KILL
   * that reaches the server before the statement starts is lost, so it is repeated (with a growing
   * pause). If the control connection cannot be used, the waiting session is destroyed instead,
   * which ends the wait too.
   */
  interrupt(session: Session, waiting: () => Promise<unknown> | undefined): Promise<void> {
    return cancelUntilEnded({
      running: waiting,
      gone: () => session.dead,
      cancel: async () => {
        const control = await this.control.get();
        await control.execute(`KILL QUERY ${Number(session.id)}`, [], this.replyTimeout);
      },
      cancelFailed: () => this.sessions.destroy(session),
    });
  }

  /** Closes the control connection. */
  close(): Promise<void> {
    return this.control.close((session) => session.destroy());
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
