/** MySQL / MariaDB implementations: ours and the raw floor (GET_LOCK on a dedicated connection). */
import { createPool } from "mysql2/promise";
import { defineImpl, type Held, type ImplFactory } from "./types.js";

const GROUP = "1 server";
/** Seconds one blocking `GET_LOCK` may wait before it is issued again (a bound, not a speed knob). */
const ATTEMPT_BOUND_S = 2;

/**
 * The floor: take a pooled connection, `SELECT GET_LOCK(name, 2)` (the server's native blocking
 * wait), and on release `SELECT RELEASE_LOCK(name)` and return the connection.
 */
function floor(url: string): ImplFactory {
  return defineImpl(
    {
      id: "floor: GET_LOCK + RELEASE_LOCK",
      role: "floor",
      group: GROUP,
      settings: "bare mysql2 queries on a pooled connection held for the lock's lifetime",
    },
    async () => {
      const pool = createPool({ uri: url, connectionLimit: 80, maxIdle: 80 });
      return {
        async acquire(key, signal): Promise<Held> {
          const connection = await pool.getConnection();
          try {
            for (;;) {
              signal.throwIfAborted();
              const [rows] = await connection.query("SELECT GET_LOCK(?, ?) AS got", [
                key,
                ATTEMPT_BOUND_S,
              ]);
              if ((rows as Array<{ got: number | null }>)[0]?.got === 1) break;
            }
          } catch (error) {
            connection.release();
            throw error;
          }
          return {
            async release() {
              try {
                await connection.query("SELECT RELEASE_LOCK(?)", [key]);
              } finally {
                connection.release();
              }
            },
          };
        },
        close: () => pool.end(),
      };
    },
  );
}

/** The floor; ours is added by the caller when `@locks/mysql` is available. */
export function mysqlFloor(url: string): ImplFactory[] {
  return [floor(url)];
}

export { GROUP as MYSQL_GROUP };
