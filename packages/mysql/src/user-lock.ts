import { numeric, type Session } from "./session.js";

// Every statement names its result columns. Without an alias the column is named after the
// expression, lock name included (`GET_LOCK('locks:…',0)`), and mysql2 compiles and caches a row
// parser per distinct column name: about 3.5 KB per key until its cache is full.

/**
 * `GET_LOCK(name, seconds)` on `session`: 1 granted, 0 timed out, `null` on an error the server
 * reports as NULL. The reply is awaited for `seconds` plus `replyTimeout` ms; no reply by then
 * means the network is gone (the session is then destroyed by {@link Session}). A refused wait
 * rejects with the server's deadlock error (see `isDeadlockError`).
 */
export async function getLock(
  session: Session,
  name: string,
  seconds: number,
  replyTimeout: number,
): Promise<number | null> {
  const [row] = await session.rows(
    "SELECT GET_LOCK(?, ?) AS got",
    [name, seconds],
    seconds * 1000 + replyTimeout,
  );
  return numeric(row?.[0]);
}

/** Whether `session` holds `name` (the server's `IS_USED_LOCK(name) = CONNECTION_ID()`). */
export async function holds(session: Session, name: string, replyTimeout: number) {
  const [row] = await session.rows(
    "SELECT IS_USED_LOCK(?) = CONNECTION_ID() AS mine",
    [name],
    replyTimeout,
  );
  return numeric(row?.[0]) === 1;
}

/**
 * Releases `name` and any other user lock `session` holds (so that it can go back to the pool
 * clean); resolves whether `name` was held by it.
 */
export async function releaseAll(session: Session, name: string, replyTimeout: number) {
  const [row] = await session.prepared<unknown[][]>(
    "SELECT RELEASE_LOCK(?) AS released, RELEASE_ALL_LOCKS() AS others",
    [name],
    replyTimeout,
  );
  return numeric(row?.[0]) === 1;
}

/** Releases every user lock of `session`. */
export async function releaseEverything(session: Session, replyTimeout: number): Promise<void> {
  await session.rows("SELECT RELEASE_ALL_LOCKS() AS released", [], replyTimeout);
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
