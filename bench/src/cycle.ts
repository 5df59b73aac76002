/**
 * Where the time of a contended cycle goes on Redis: 16 workers in one process, each its own
 * provider (peers: each its own client and lock), contend for one key as in scenario 3; for
 * every section, the time it was held and the gap from its release to the next entry. For the
 * implementations woken by a pub/sub message (ours and the notified floor), that gap is split at
 * the message that woke the next holder: release → message (the release's way through the
 * client, the server and back to the head's subscriber connection) and message → entry (the head's
 * own work until its critical section starts).
 *
 *   pnpm --filter @locks/bench cycle [--rounds N] [--seconds S] [implementation ids...]
 *
 * Default: ours, the two fastest speed-tuned peers and the notified floor (the least a notified
 * hand-off costs: see `notifiedFloor`), 2 rounds of 3 s. The server is
 * LOCKS_REDIS_URL, or a local redis-server on a free port.
 */
import { parseArgs } from "node:util";
import { createRedisLockProvider } from "@locks/redis";
import { redisServer } from "@locks/testing";
import { Redis } from "ioredis";
import { analyseContended } from "./analysis.js";
import { clock } from "./clock.js";
import { providerImpl } from "./impls/provider.js";
import { notifiedFloor, redisPeersAndFloors } from "./impls/redis.js";
import type { LockImpl } from "./impls/types.js";
import { contended, warmUp } from "./scenarios.js";

const WORKERS = 16;
const OURS = "@locks/redis (single)";

const { values, positionals } = parseArgs({
  options: { rounds: { type: "string", default: "2" }, seconds: { type: "string", default: "3" } },
  allowPositionals: true,
});
const rounds = Number(values.rounds);
const durationMs = Number(values.seconds) * 1_000;
if (!(rounds >= 1 && durationMs > 0))
  throw new RangeError("--rounds and --seconds must be positive");
const ids =
  positionals.length > 0
    ? positionals
    : [
        OURS,
        "redlock 5.0.0-beta.2 (tuned)",
        "@sesamecare-oss/redlock 1.4.0 (tuned)",
        "floor: notified FIFO hand-off",
      ];

const url = process.env.LOCKS_REDIS_URL ?? (await redisServer())?.url;
if (!url) throw new Error("no Redis server: set LOCKS_REDIS_URL or install redis-server");
const peers = [...redisPeersAndFloors([url], undefined), notifiedFloor([url])];

/**
 * When each pub/sub message reached a connection of this process (monotonic ms): ioredis emits
 * `message` on the subscriber connection as it parses one. `@locks/redis` and the peers use this
 * package's ioredis, so one hook on its prototype sees every connection.
 */
const messages: number[] = [];
const emit = Redis.prototype.emit;
Redis.prototype.emit = function (this: Redis, event: string | symbol, ...args: unknown[]) {
  if (event === "message") messages.push(clock());
  return emit.call(this, event, ...args);
};

async function create(id: string): Promise<LockImpl> {
  if (id === OURS) {
    const { acquire, close } = providerImpl(createRedisLockProvider({ url }));
    return { id, role: "ours", group: "1 server", settings: "", traits: {}, acquire, close };
  }
  const factory = peers.find((f) => f.id === id);
  if (!factory)
    throw new Error(`unknown implementation "${id}"; one of: ${peers.map((f) => f.id).join(", ")}`);
  return factory.create();
}

console.log(
  "implementation | CS/s | cycle ms | hold mean ms | release → next entry mean ms | of which release → message / message → entry mean ms | hand-off p50 / p99 ms",
);
for (const id of ids) {
  const impls = await Promise.all(Array.from({ length: WORKERS }, () => create(id)));
  await warmUp(impls, "cycle:warm", false);
  let held = 0;
  let gaps = 0;
  let gapCount = 0;
  let toMessage = 0;
  let fromMessage = 0;
  let woken = 0;
  const runs = [];
  for (let round = 0; round < rounds; round++) {
    messages.length = 0;
    const run = await contended(
      impls,
      `cycle:${round}:${Date.now()}`,
      0,
      clock() + 100,
      durationMs,
    );
    runs.push({ parts: [run], durationMs });
    const sorted = [...run.sections].sort((a, b) => a.enter - b.enter);
    let m = 0;
    sorted.forEach((section, i) => {
      held += section.exit - section.enter;
      const next = sorted[i + 1];
      if (next) {
        gaps += next.enter - section.exit;
        gapCount++;
        // The last message between this release and the next entry is the one that woke it.
        while (m < messages.length && messages[m]! < section.exit) m++;
        let last: number | undefined;
        for (let k = m; k < messages.length && messages[k]! <= next.enter; k++) last = messages[k];
        if (last !== undefined) {
          toMessage += last - section.exit;
          fromMessage += next.enter - last;
          woken++;
        }
      }
    });
  }
  const { sections, sectionsPerSec, handoffP50, handoffP99 } = analyseContended(runs, WORKERS);
  console.log(
    [
      id,
      sectionsPerSec.toFixed(0),
      (1_000 / sectionsPerSec).toFixed(3),
      (held / sections).toFixed(3),
      (gaps / gapCount).toFixed(3),
      // Only where most hand-offs were woken by a message (pollers get none).
      woken >= gapCount / 2
        ? `${(toMessage / woken).toFixed(3)} / ${(fromMessage / woken).toFixed(3)}`
        : "–",
      `${handoffP50.toFixed(2)} / ${handoffP99.toFixed(2)}`,
    ].join(" | "),
  );
  await Promise.all(impls.map((impl) => impl.close()));
}
process.exit(0);
