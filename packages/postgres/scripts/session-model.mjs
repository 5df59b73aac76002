// Measures the choices behind @locks/postgres on one server, sequentially (one op at a time,
// medians over `rounds` ops after a warm-up), in microseconds:
//   - raw floor: pg_try_advisory_lock + pg_advisory_unlock on one session (what a session per
//     provider costs), and the same with a pool checkout/return around each lock (a dedicated
//     session per held lock);
//   - the grant statement with the fencing counter committed asynchronously (the default) and
//     synchronously (durableFences: true);
//   - a release that also checks pg_locks (used for given pools) against a plain unlock;
//   - @locks/postgres itself, uncontended tryAcquire + release.
// Usage: node scripts/session-model.mjs [rounds=2000]   (after `pnpm build`)
// Server: LOCKS_POSTGRES_URL, else whatever @locks/testing finds (container or local postgres).
import { createHash, randomUUID } from "node:crypto";
import { createTestServers } from "@locks/testing";
import pg from "pg";
import { createPostgresLockProvider } from "../dist/index.js";

const rounds = Number(process.argv[2] ?? 2_000);
const servers = createTestServers({ broker: false });
const server = await servers.postgresServer();
if (!server) {
  console.error(`no PostgreSQL server: ${servers.unavailableReason("postgres")}`);
  process.exit(1);
}
const id = (key) => String(createHash("sha256").update(key).digest().readBigInt64BE(0));
const pool = new pg.Pool({ connectionString: server.url, max: 4 });
const q = (client, text, values) =>
  client.query({
    name: createHash("sha256").update(text).digest("hex").slice(0, 16),
    text,
    values,
  });

async function median(name, op) {
  for (let i = 0; i < Math.min(200, rounds); i++) await op(i);
  const samples = [];
  for (let i = 0; i < rounds; i++) {
    const started = performance.now();
    await op(i);
    samples.push((performance.now() - started) * 1000);
  }
  samples.sort((a, b) => a - b);
  const p = (f) => samples[Math.floor(f * (samples.length - 1))].toFixed(0);
  console.log(`${name.padEnd(62)} p50 ${p(0.5).padStart(5)} µs   p99 ${p(0.99).padStart(6)} µs`);
}

const bump = (sync) => `WITH attempt AS (SELECT pg_try_advisory_lock($1::bigint) AS got),
granted AS (SELECT 1 FROM attempt WHERE got), bumped AS (
  INSERT INTO locks_fence AS f (id, fence)
  SELECT $1::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM granted
  ON CONFLICT (id) DO UPDATE SET fence = GREATEST(f.fence + 1, EXCLUDED.fence) RETURNING fence)
SELECT attempt.got, (SELECT fence::text FROM bumped), pg_backend_pid()${sync ? "" : ", set_config('synchronous_commit', 'off', true)"} FROM attempt`;

const key = id(`session-model:${randomUUID()}`);
const shared = await pool.connect();
await shared.query(
  "CREATE TABLE IF NOT EXISTS locks_fence (id bigint PRIMARY KEY, fence bigint NOT NULL)",
);
console.log(
  `server ${server.url.replace(/:[^:@/]*@/, ":***@")} (${server.mode}), ${rounds} ops each`,
);
await median("floor, one session (session per provider)", async () => {
  await q(shared, "SELECT pg_try_advisory_lock($1::bigint)", [key]);
  await q(shared, "SELECT pg_advisory_unlock($1::bigint)", [key]);
});
shared.release();
await median("floor, pool checkout per lock (session per held lock)", async () => {
  const client = await pool.connect();
  await q(client, "SELECT pg_try_advisory_lock($1::bigint)", [key]);
  await q(client, "SELECT pg_advisory_unlock($1::bigint)", [key]);
  client.release();
});
for (const sync of [false, true]) {
  await median(
    `grant + fence (${sync ? "synchronous" : "asynchronous"} commit) + unlock, pooled`,
    async () => {
      const client = await pool.connect();
      await q(client, bump(sync), [key]);
      await q(client, "SELECT pg_advisory_unlock($1::bigint)", [key]);
      client.release();
    },
  );
}
await median("grant + fence (async) + unlock with pg_locks check, pooled", async () => {
  const client = await pool.connect();
  await q(client, bump(false), [key]);
  await q(
    client,
    "SELECT pg_advisory_unlock($1::bigint), NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid())",
    [key],
  );
  client.release();
});
await pool.end();
for (const durableFences of [false, true]) {
  const locks = createPostgresLockProvider({ connectionString: server.url, durableFences });
  const lock = locks.getLock(`session-model:${randomUUID()}`);
  await median(
    `@locks/postgres tryAcquire + release (durableFences: ${durableFences})`,
    async () => {
      await (await lock.tryAcquire()).release();
    },
  );
  await locks.close();
}
await servers.stop();
