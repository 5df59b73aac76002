import { randomUUID } from "node:crypto";
import { createServer, type Server, Socket } from "node:net";
import { describe, expect, it } from "vitest";
import {
  admin,
  eventually,
  later,
  provider,
  scalar,
  server,
  skipReason,
  uniqueKey,
} from "./helpers.js";

const suite = skipReason
  ? `@locks/postgres connection hand-over (${skipReason})`
  : "@locks/postgres connection hand-over";

/**
 * A proxy to the test server that holds back everything the server sends on the first
 * connection until {@link HoldingProxy.flush}, then delivers it in one write: the way a paused
 * process or a healed partition receives a start-up reply and a later error in the same read.
 * Later connections are forwarded as they are.
 */
interface HoldingProxy {
  readonly url: string;
  /** Resolves once the server has closed the first connection (its last bytes are held). */
  readonly upstreamEnded: Promise<void>;
  /** Delivers the held bytes in one write and ends the first connection. */
  flush(): void;
}

async function holdingProxy(target: string): Promise<HoldingProxy> {
  const parsed = new URL(target);
  const held: Buffer[] = [];
  let first: Socket | undefined;
  let markEnded: () => void = () => {};
  const upstreamEnded = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const sockets = new Set<Socket>();
  const proxy: Server = createServer((client) => {
    const upstream = new Socket();
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on("error", () => {});
      socket.on("close", () => sockets.delete(socket));
    }
    client.pipe(upstream);
    if (first === undefined) {
      first = client;
      upstream.on("data", (chunk: Buffer) => held.push(chunk));
      upstream.on("end", () => markEnded());
    } else {
      upstream.pipe(client);
    }
    upstream.connect(Number(parsed.port), parsed.hostname);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  later(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => proxy.close(resolve));
  });
  const address = proxy.address();
  if (typeof address !== "object" || address === null) throw new Error("proxy has no address");
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);
  return {
    url: url.toString(),
    upstreamEnded,
    flush() {
      first?.end(Buffer.concat(held));
    },
  };
}

describe.skipIf(!server)(suite, () => {
  it("a server error read together with a new connection's start-up reply does not crash the process", async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on("uncaughtException", onUncaught);
    later(async () => process.off("uncaughtException", onUncaught));

    const proxy = await holdingProxy(server!.url);
    const application = `locks_handover_${randomUUID().slice(0, 8)}`;
    const url = new URL(proxy.url);
    url.searchParams.set("application_name", application);
    const locks = provider({ connectionString: url.toString() });
    const key = uniqueKey("handover");
    // The first attempt's connection: the server answers its start-up, the proxy holds the answer.
    const acquiring = locks.getLock(key).acquire({ timeout: 15_000 });
    const db = await admin();
    let pid = 0;
    await eventually(
      async () => {
        pid = Number(
          (await scalar(
            db,
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle'",
            [application],
          )) ?? 0,
        );
        return pid !== 0;
      },
      10_000,
      "the held connection's session is ready",
    );
    // An operator (or a restart) ends that session: its FATAL error follows the start-up reply.
    await scalar(db, "SELECT pg_terminate_backend($1::int)", [pid]);
    await proxy.upstreamEnded;
    // Ready-for-query and the FATAL error arrive in one read, as the pool hands the client over.
    proxy.flush();
    // The attempt fails on the dead connection; the wait rides that out on a new one.
    const handle = await acquiring;
    expect(handle.fencingToken).toBeTypeOf("bigint");
    await handle.release();
    expect(uncaught).toEqual([]);
  });
});
