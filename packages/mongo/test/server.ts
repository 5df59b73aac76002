import {
  type MongoTestServer,
  mongoJavaServer,
  mongoServer,
  unavailableReason,
} from "@locks/testing";
import type { MongoClient } from "mongodb";
import { MongoClient as MongoClient7 } from "mongodb";
import { MongoClient as MongoClient6 } from "mongodb6";
import { afterAll, describe, it } from "vitest";

/** The two driver majors the package supports, to run the same tests through each. */
export const drivers = [
  { name: "mongodb 7", Client: MongoClient7 },
  { name: "mongodb 6", Client: MongoClient6 },
] as const;

/** One supported driver major. */
export type Driver = (typeof drivers)[number];

/** The few client options tests set (common to both driver majors). */
export interface ClientOptions {
  maxPoolSize?: number;
  serverSelectionTimeoutMS?: number;
  /** Connect here instead of the server's URL (e.g. a TCP proxy in front of it). */
  url?: string;
}

/** A server under test and a driver that can talk to it. */
export interface Target {
  /** E.g. `ferretdb 1.24.2 (local), mongodb 7`. */
  readonly name: string;
  readonly server: MongoTestServer;
  readonly driver: Driver;
  /** A new client of this driver to this server (the caller closes it). */
  client(options?: ClientOptions): MongoClient;
}

/**
 * Every MongoDB-wire server of this run with every driver that can talk to it: the MongoDB (or
 * FerretDB) server with both drivers, mongo-java-server with the 6 driver only (it reports wire
 * version 8, which the 7 driver refuses). `skipped` says which servers are missing and why.
 */
export async function targetsUnderTest(): Promise<{ targets: Target[]; skipped: string[] }> {
  const targets: Target[] = [];
  const skipped: string[] = [];
  const found = [
    { server: await mongoServer(), backend: "mongo" as const },
    { server: await mongoJavaServer(), backend: "mongo-java" as const },
  ];
  for (const { server, backend } of found) {
    if (!server) {
      skipped.push(`no ${backend} server: ${unavailableReason(backend) ?? "unknown"}`);
      continue;
    }
    const usable =
      server.flavor === "mongo-java-server"
        ? drivers.filter((d) => d.name === "mongodb 6")
        : drivers;
    for (const driver of usable) {
      targets.push({
        name: `${server.flavor} ${server.version ?? ""} (${server.mode}), ${driver.name}`,
        server,
        driver,
        client: ({ url, ...options } = {}) =>
          new driver.Client(url ?? server.url, options) as unknown as MongoClient,
      });
    }
  }
  return { targets, skipped };
}

/** The test server from `@locks/testing` (MongoDB or FerretDB), or the reason there is none. */
export async function mongoUnderTest(): Promise<MongoTestServer | string> {
  const server = await mongoServer();
  return server ?? `no MongoDB-compatible server: ${unavailableReason("mongo") ?? "unknown"}`;
}

/** A database name unique to this test file and run, so parallel runs do not collide. */
export function uniqueDatabase(label: string): string {
  return `locks_test_${label}_${process.pid}_${Date.now().toString(36)}`;
}

/** One target per server, for tests whose outcome does not depend on the driver. */
export function onePerServer(targets: readonly Target[]): Target[] {
  return targets.filter((t, i) => targets.findIndex((u) => u.server.url === t.server.url) === i);
}

/**
 * A client of `target` and a database of its own for the calling `describe` block; both are
 * dropped and closed after its tests.
 */
export function testDatabase(
  target: Target,
  label: string,
): { client: MongoClient; database: string } {
  const database = uniqueDatabase(label);
  const client = target.client();
  afterAll(async () => {
    await client
      .db(database)
      .dropDatabase()
      .catch(() => {});
    await client.close();
  });
  return { client, database };
}

/**
 * Registers one skipped test that says why, when a file has no server to run against: a file that
 * registers nothing fails as "no test suite found" instead of reporting the skip.
 */
export function skipWithoutServers(targets: readonly Target[], skipped: readonly string[]): void {
  if (targets.length > 0) return;
  describe("MongoDB-wire servers", () => {
    it("has a server to run against", (ctx) => {
      ctx.skip(skipped.join("; ") || "no MongoDB-wire server");
    });
  });
}

/**
 * The servers of this run ({@link targetsUnderTest}); a file that has none reports one skipped
 * test with the reason instead of registering no test at all.
 */
export async function targetsOrSkip(): Promise<Target[]> {
  const { targets, skipped } = await targetsUnderTest();
  skipWithoutServers(targets, skipped);
  return targets;
}

/**
 * A matcher for `TcpProxy.dropReplies`: a chunk that carries the command `name` (e.g. `"find"`).
 * A command is an OP_MSG body whose first element is the string `<name>: <collection>`.
 */
export function mongoCommand(name: string): (chunk: Buffer) => boolean {
  const marker = Buffer.from(`\x02${name}\x00`, "latin1");
  return (chunk) => chunk.includes(marker);
}
