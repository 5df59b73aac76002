import type { ResultSetHeader } from "mysql2";
import { errorNumber } from "./errors.js";
import { numeric, type Session } from "./session.js";
import { holds } from "./user-lock.js";

/** MySQL/MariaDB "Table doesn't exist". */
const ER_NO_SUCH_TABLE = 1146;
/** MySQL/MariaDB "The table is full" (a MEMORY table reached `max_heap_table_size`). */
const ER_RECORD_FILE_FULL = 1114;
/** OK packet status flag: the session is in autocommit mode. */
const SERVER_STATUS_AUTOCOMMIT = 2;
/**
 * The server's clock in microseconds since the Unix epoch (UTC, so the session time zone and its
 * daylight-saving changes play no part).
 */
const SERVER_MICROS = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6))";
/** A row whose token the server clock passed this long ago (µs) no longer decides any token. */
const PURGE_AFTER_MICROS = 3_600_000_000;

/**
 * The fencing counters: one row per lock name, `fence` = the last token granted. A token is
 * `max(previous + 1, server time in µs)`, written while the lock is held:
 *
 * - while the row lives, each grant is the previous token + at least 1, whatever the clock does;
 * - when the row is gone (a MEMORY table is emptied by a server restart or crash; old rows are
 *   purged when the table is full), the token is the server's current time, which is above every
 *   earlier token as long as the server clock has not stepped back across the loss.
 *
 * That is why the table can be a MEMORY table: a grant costs no durable commit.
 */
export class FenceTable {
  /**
   * Takes the lock with `GET_LOCK(name, 0)` and, only if that succeeded, the next token: one
   * statement, one round trip. `affectedRows` is 0 when the lock is held by another session.
   */
  private readonly grantSql: string;
  /** The next token of a lock this session already holds (after a blocking `GET_LOCK`). */
  private readonly nextSql: string;
  /**
   * A blocking `GET_LOCK(name, seconds)`, then the token if this session holds the lock: two
   * statements in one query (connections with `multipleStatements`). The token statement does not
   * wait inside `GET_LOCK`, so it holds the MEMORY table's lock only for its own write.
   */
  private readonly waitSql: string;
  private readonly purgeSql: string;
  private readonly ddl: string;

  constructor(table: string) {
    const update = `ON DUPLICATE KEY UPDATE fence = LAST_INSERT_ID(GREATEST(fence + 1, ${SERVER_MICROS}))`;
    this.grantSql = `INSERT INTO ${table} (name, fence) SELECT ?, LAST_INSERT_ID(${SERVER_MICROS}) FROM DUAL WHERE GET_LOCK(?, 0) = 1 ${update}`;
    this.nextSql = `INSERT INTO ${table} (name, fence) VALUES (?, LAST_INSERT_ID(${SERVER_MICROS})) ${update}`;
    this.waitSql = `SELECT GET_LOCK(?, ?) AS got; INSERT INTO ${table} (name, fence) SELECT ?, LAST_INSERT_ID(${SERVER_MICROS}) FROM DUAL WHERE IS_USED_LOCK(?) = CONNECTION_ID() ${update}`;
    this.purgeSql = `DELETE FROM ${table} WHERE fence < ${SERVER_MICROS} - ${PURGE_AFTER_MICROS}`;
    this.ddl = fenceTableDdl(table);
  }

  /**
   * Tries to take `name` on `session` without waiting; resolves its fencing token, or `undefined`
   * when another session holds it. On a failure the session may hold the lock: destroy it.
   */
  async tryGrant(session: Session, name: string): Promise<bigint | undefined> {
    const result = await this.run(session, this.grantSql, [name, name]);
    return result.affectedRows === 0 ? undefined : token(result);
  }

  /** The next fencing token of `name`, which `session` holds. */
  async next(session: Session, name: string): Promise<bigint> {
    return token(await this.run(session, this.nextSql, [name]));
  }

  /**
   * Waits up to `seconds` for `name` on `session` and, if granted, takes the next token in the same
   * round trip (the session's connection must accept several statements per query). Resolves
   * `GET_LOCK`'s answer (1 granted, 0 timed out, `null` killed or failed) and, when granted, the
   * token. The reply is awaited for `seconds` plus `replyTimeout` ms. On a failure the session may
   * hold the lock: destroy it.
   */
  async waitAndGrant(
    session: Session,
    name: string,
    seconds: number,
    replyTimeout: number,
  ): Promise<{ got: number | null; fence?: bigint }> {
    let results: [unknown[][], ResultSetHeader];
    try {
      results = (await session.rows(
        this.waitSql,
        [name, seconds, name, name],
        seconds * 1000 + replyTimeout,
      )) as unknown as [unknown[][], ResultSetHeader];
    } catch (error) {
      const errno = errorNumber(error);
      if (errno !== ER_NO_SUCH_TABLE && errno !== ER_RECORD_FILE_FULL) throw error;
      // The wait ran, and may have granted; only the token statement failed on the table
      // (dropped meanwhile, or full). Take the token the way that repairs the table.
      if (!(await holds(session, name, replyTimeout))) return { got: 0 };
      return { got: 1, fence: await this.next(session, name) };
    }
    const [rows, header] = results;
    const got = numeric(rows[0]?.[0]);
    if (got !== 1) return { got };
    await commitIfOpen(session, header);
    return { got, fence: token(header) };
  }

  /**
   * Runs a token statement, creating the table when it is missing and purging rows the clock has
   * long passed when it is full, then trying once more. A repeated `GET_LOCK` of a lock the
   * session already holds counts it twice; release frees every count (`RELEASE_ALL_LOCKS`).
   */
  private async run(session: Session, sql: string, values: unknown[]): Promise<ResultSetHeader> {
    let result: ResultSetHeader;
    try {
      result = await session.prepared<ResultSetHeader>(sql, values);
    } catch (error) {
      // A missing table fails the statement's preparation, a full one its execution.
      const errno = errorNumber(error);
      if (errno === ER_NO_SUCH_TABLE) await session.execute(this.ddl);
      else if (errno === ER_RECORD_FILE_FULL) await session.execute(this.purgeSql);
      else throw error;
      result = await session.prepared<ResultSetHeader>(sql, values);
    }
    await commitIfOpen(session, result);
    return result;
  }
}

/** Commits a token write that a pool configured without autocommit left in an open transaction (InnoDB). */
async function commitIfOpen(session: Session, result: ResultSetHeader): Promise<void> {
  if ((result.serverStatus & SERVER_STATUS_AUTOCOMMIT) === 0) await session.execute("COMMIT");
}

function token(result: ResultSetHeader): bigint {
  const fence = BigInt(result.insertId);
  if (fence <= 0n) throw new Error(`The fence table returned no token (insertId ${fence})`);
  return fence;
}

/** `CREATE TABLE IF NOT EXISTS` statement of the fence table (`table` already quoted). */
export function fenceTableDdl(table: string): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    "  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,",
    "  fence BIGINT UNSIGNED NOT NULL,",
    "  PRIMARY KEY (name)",
    ") ENGINE=MEMORY",
  ].join("\n");
}
