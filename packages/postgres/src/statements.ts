/**
 * The SQL of `@locks/postgres`. Each grant is one statement: it takes the advisory lock and,
 * only if that succeeded, bumps the key's fencing counter in the same round trip. A statement
 * that fails after `pg_advisory_lock` succeeded leaves the (session-level) lock held, so callers
 * treat every failure but a parse-time one (missing table) or a lock timeout as "state unknown"
 * and drop the session.
 */

/** `CREATE TABLE IF NOT EXISTS` statement of the fence table (`table` already quoted). */
export function fenceTableDdl(table: string): string {
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (`,
    "  id bigint PRIMARY KEY,",
    "  fence bigint NOT NULL",
    ")",
  ].join("\n");
}

/**
 * Bumps the fence of `$1` to max(previous + 1, server clock in µs) for the rows of `source`
 * (a CTE with one row when the lock was granted, none otherwise).
 */
function bump(table: string, source: string): string {
  return [
    `INSERT INTO ${table} AS f (id, fence)`,
    `  SELECT $1::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM ${source}`,
    "  ON CONFLICT (id) DO UPDATE SET fence = GREATEST(f.fence + 1, EXCLUDED.fence)",
    "  RETURNING fence",
  ].join("\n");
}

/** Commits the fence asynchronously unless durable fences were asked for. */
function commitMode(durable: boolean): string {
  return durable ? "" : ", set_config('synchronous_commit', 'off', true)";
}

/**
 * One attempt: `$1` lock id. Returns `[granted, fence text | null, pg_backend_pid()]`.
 */
export function tryAcquireSql(table: string, durable: boolean): string {
  return [
    "WITH attempt AS (SELECT pg_try_advisory_lock($1::bigint) AS got),",
    `granted AS (SELECT 1 FROM attempt WHERE got), bumped AS (${bump(table, "granted")})`,
    `SELECT attempt.got, (SELECT fence::text FROM bumped), pg_backend_pid()${commitMode(durable)}`,
    "FROM attempt",
  ].join("\n");
}

/**
 * A native blocking wait: `$1` lock id, `$2` the wait's `lock_timeout` (e.g. `"250ms"`). The
 * server queues waiters for one lock first come, first served. Succeeds with
 * `[fence text, pg_backend_pid()]`, or fails with SQLSTATE 55P03 when the timeout ran out (the
 * lock was then not taken). `statement_timeout` is lifted for the wait; both settings last for
 * this statement's transaction only.
 */
export function acquireBlockingSql(table: string, durable: boolean): string {
  return [
    "WITH settings AS (",
    "  SELECT set_config('lock_timeout', $2::text, true), set_config('statement_timeout', '0', true)",
    "), locked AS (SELECT pg_advisory_lock($1::bigint) FROM settings),",
    `bumped AS (${bump(table, "locked")})`,
    `SELECT (SELECT fence::text FROM bumped), pg_backend_pid()${commitMode(durable)}`,
  ].join("\n");
}

/**
 * Ownership check: `$1` classid, `$2` objid of the lock id (see `lockIdParts`). Returns
 * `[pg_backend_pid(), held]`.
 */
export const CHECK_SQL = [
  "SELECT pg_backend_pid(), EXISTS (",
  "  SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
  "    AND classid = $1::oid AND objid = $2::oid AND objsubid = 1 AND granted",
  ")",
].join("\n");

/** Release on a session of our own pool: `$1` lock id. Returns `[released]`. */
export const RELEASE_SQL = "SELECT pg_advisory_unlock($1::bigint)";

/**
 * Release on a session of a given pool: also tells whether the session still holds any advisory
 * lock (another user's, or a re-entrant second hold), in which case it must not go back.
 * Returns `[released, clean]`.
 */
export const RELEASE_CHECKED_SQL = [
  "SELECT pg_advisory_unlock($1::bigint), NOT EXISTS (",
  "  SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()",
  ")",
].join("\n");

/** Cancels the statement running in session `$1` (our control session runs it). */
export const CANCEL_SQL = "SELECT pg_cancel_backend($1::int)";
