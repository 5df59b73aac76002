// The contended setting, side by side: N nodes (each its own provider, or its own
// connection for the floors) loop on one key for `seconds`: wait → hold ~1 ms → release →
// think 1–3 ms. Rows, interleaved over `rounds` rounds (medians reported, so that a burst of
// other work on the machine hits every row alike):
//   ours        @locks/postgres, one provider per node
//   floor       bare pg_advisory_lock / pg_advisory_unlock, one connection per node
//   floor+fence the floor, with our grant statement (lock + fencing bump in one statement)
// Metrics: critical sections per second, Jain's fairness index over per-node counts, hand-off
// (release → entry of a node that was already waiting) p50/p99, overlaps (must be 0), and this
// process's CPU time per critical section (every node runs in this one process).
// Usage: node scripts/contention.mjs [nodes=16] [seconds=8] [rounds=3]   (after `pnpm build`)
import { createHash, randomUUID } from "node:crypto";
import { loadavg } from "node:os";
import { createTestServers } from "@locks/testing";
import pg from "pg";
import { createPostgresLockProvider } from "../dist/index.js";

const nodes = Number(process.argv[2] ?? 16);
const seconds = Number(process.argv[3] ?? 8);
const rounds = Number(process.argv[4] ?? 3);
const servers = createTestServers({ broker: false });
const server = await servers.postgresServer();
if (!server) {
  console.error(`no PostgreSQL server: ${servers.unavailableReason("postgres")}`);
  process.exit(1);
}
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lockId = (key) => String(createHash("sha256").update(key).digest().readBigInt64BE(0));
const FENCED = `WITH locked AS (SELECT pg_advisory_lock($1::bigint)),
bumped AS (INSERT INTO locks_fence AS f (id, fence)
  SELECT $1::bigint, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint FROM locked
  ON CONFLICT (id) DO UPDATE SET fence = GREATEST(f.fence + 1, EXCLUDED.fence) RETURNING fence)
SELECT (SELECT fence::text FROM bumped), set_config('synchronous_commit', 'off', true)`;

/** Node factories: each returns { acquire(): Promise<release()>, close() }. */
const kinds = {
  ours: async (key) => {
    const provider = createPostgresLockProvider({ connectionString: server.url });
    const lock = provider.getLock(key);
    return {
      acquire: async () => {
        const handle = await lock.acquire();
        return () => handle.release();
      },
      close: () => provider.close(),
    };
  },
  floor: (key) => rawNode(key, "SELECT pg_advisory_lock($1::bigint)"),
  "floor+fence": (key) => rawNode(key, FENCED),
};

async function rawNode(key, grantSql) {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  const id = lockId(key);
  const grant = {
    name: `g${createHash("sha1").update(grantSql).digest("hex").slice(0, 8)}`,
    text: grantSql,
    values: [id],
  };
  const unlock = { name: "unlock", text: "SELECT pg_advisory_unlock($1::bigint)", values: [id] };
  return {
    acquire: async () => {
      await client.query(grant);
      return async () => {
        await client.query(unlock);
      };
    },
    close: () => client.end(),
  };
}

async function run(kind) {
  const key = `contention:${randomUUID()}`;
  const members = await Promise.all(Array.from({ length: nodes }, () => kinds[kind](key)));
  // Warm up: every node takes the lock once (connections, prepared statements, fence row).
  for (const member of members) await (await member.acquire())();
  const counts = new Array(nodes).fill(0);
  const handoffs = [];
  let holder = -1;
  let overlaps = 0;
  let releasedAt = 0;
  const waitingSince = new Array(nodes).fill(0);
  const cpuBefore = process.cpuUsage();
  const stopAt = performance.now() + seconds * 1000;
  const startedAt = performance.now();
  await Promise.all(
    members.map(async (member, i) => {
      while (performance.now() < stopAt) {
        waitingSince[i] = performance.now();
        const release = await member.acquire();
        const entered = performance.now();
        if (holder !== -1) overlaps++;
        holder = i;
        if (releasedAt > 0 && waitingSince[i] < releasedAt) handoffs.push(entered - releasedAt);
        counts[i]++;
        await sleep(1);
        holder = -1;
        releasedAt = performance.now();
        await release();
        await sleep(1 + Math.random() * 2);
      }
    }),
  );
  const elapsed = (performance.now() - startedAt) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await Promise.all(members.map((member) => member.close()));
  const total = counts.reduce((a, b) => a + b, 0);
  const squares = counts.reduce((a, b) => a + b * b, 0);
  handoffs.sort((a, b) => a - b);
  const q = (f) => handoffs[Math.floor(f * (handoffs.length - 1))] ?? Number.NaN;
  return {
    cs: total / elapsed,
    fairness: (total * total) / (nodes * squares),
    p50: q(0.5),
    p99: q(0.99),
    overlaps,
    cpuPerCs:
      (cpu.user + cpu.system) /
      Math.max(
        1,
        counts.reduce((a, b) => a + b, 0),
      ),
  };
}

const pool = new pg.Client({ connectionString: server.url });
await pool.connect();
await pool.query(
  "CREATE TABLE IF NOT EXISTS locks_fence (id bigint PRIMARY KEY, fence bigint NOT NULL)",
);
await pool.end();
const results = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
const loads = [loadavg()[0]];
for (let round = 0; round < rounds; round++) {
  for (const kind of Object.keys(kinds)) results[kind].push(await run(kind));
  loads.push(loadavg()[0]);
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(
  `${nodes} nodes, ${seconds} s × ${rounds} rounds per row; ${server.mode} PostgreSQL ${server.version ?? ""}; 1-min load average ${loads.map((l) => l.toFixed(1)).join(" → ")}`,
);
console.log(
  "| row | CS/s | ÷ floor | fairness | hand-off p50 ms | hand-off p99 ms | overlaps | client CPU µs per CS |",
);
console.log("|---|---|---|---|---|---|---|---|");
const floorCs = median(results.floor.map((r) => r.cs));
for (const [kind, list] of Object.entries(results)) {
  const m = (f) => median(list.map(f));
  console.log(
    `| ${kind} | ${m((r) => r.cs).toFixed(0)} | ${(m((r) => r.cs) / floorCs).toFixed(2)}× | ${m((r) => r.fairness).toFixed(3)} | ${m((r) => r.p50).toFixed(2)} | ${m((r) => r.p99).toFixed(2)} | ${list.reduce((a, r) => a + r.overlaps, 0)} | ${m((r) => r.cpuPerCs).toFixed(0)} |`,
  );
}
await servers.stop();
