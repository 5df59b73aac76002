import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestServers } from "../src/index.js";
import { mysqlGreetingVersion } from "../src/mysql-handshake.js";
import { postgresReady } from "../src/postgres-handshake.js";
import { containerSkipReason, containerTestEnv } from "./container-availability.js";
import { checkMongoJavaServer, redis, redisIsSilent } from "./helpers.js";

// Runs when dockerd answers and the images exist (scripts/build-images.sh builds them from
// this machine's binaries); under LOCKS_TEST_MODE=container it always runs, so a CI leg
// for containers fails instead of skipping.
const skip = containerSkipReason();
const t = createTestServers({
  env: { ...process.env, ...containerTestEnv, LOCKS_TEST_MODE: "container" },
  broker: false,
});
afterAll(() => t.stop());

describe.skipIf(skip !== undefined)(`container mode${skip ? ` (skipped: ${skip})` : ""}`, () => {
  it("redis: restart on the same port loses data; docker pause freezes it", async () => {
    const server = await t.redisServer();
    expect(server, t.unavailableReason("redis")).toBeDefined();
    expect(server?.mode).toBe("container");
    expect(server?.host).toBe("127.0.0.1");
    const port = server!.port;
    await redis(port, ["SET", "k", "v"]);
    await server!.control!.restart();
    expect(await redis(port, ["GET", "k"])).toBeNull();
    await server!.control!.pause();
    await server!.control!.pause(); // idempotent, like SIGSTOP
    expect(await redisIsSilent(port)).toBe(true);
    await server!.control!.resume();
    await server!.control!.resume();
    expect(await redis(port, ["PING"])).toBe("PONG");

    // A restart of a paused server works and leaves it running.
    await server!.control!.pause();
    await server!.control!.restart();
    expect(await redis(port, ["PING"])).toBe("PONG");
  });

  it("redis servers: independent containers", async () => {
    const servers = await t.redisServers(2);
    expect(servers, t.unavailableReason("redis-servers")).toHaveLength(2);
    await redis(servers![0]!.port, ["SET", "only-here", "1"]);
    expect(await redis(servers![1]!.port, ["GET", "only-here"])).toBeNull();
  });

  it("redis cluster: three masters covering every slot", async () => {
    const cluster = await t.redisCluster();
    expect(cluster, t.unavailableReason("redis-cluster")).toBeDefined();
    expect(cluster?.nodes).toHaveLength(3);
    for (const node of cluster!.nodes) {
      expect(String(await redis(node.port, ["CLUSTER", "INFO"]))).toMatch(/cluster_state:ok/);
    }
  });

  it("mysql: the database exists, data survives a restart, pause freezes it", async () => {
    const server = await t.mysqlServer();
    expect(server, t.unavailableReason("mysql")).toBeDefined();
    expect(server?.mode).toBe("container");
    let conn = await createConnection(server!.url);
    await conn.query("CREATE TABLE kept (id INT PRIMARY KEY)");
    await conn.query("INSERT INTO kept VALUES (7)");
    await conn.end();
    await server!.control!.restart();
    conn = await createConnection(server!.url);
    expect((await conn.query("SELECT id FROM kept"))[0]).toEqual([{ id: 7 }]);
    await conn.end();
    await server!.control!.pause();
    await expect(mysqlGreetingVersion(server!.host, server!.port, 1_000)).rejects.toThrow();
    await server!.control!.resume();
    expect(await mysqlGreetingVersion(server!.host, server!.port, 5_000)).toMatch(/^\d+\./);
  });

  it("postgres: data survives a restart, pause freezes it", async () => {
    const server = await t.postgresServer();
    expect(server, t.unavailableReason("postgres")).toBeDefined();
    expect(server?.mode).toBe("container");
    let client = new pg.Client({ connectionString: server!.url });
    await client.connect();
    await client.query("CREATE TABLE kept (id int PRIMARY KEY)");
    await client.query("INSERT INTO kept VALUES (7)");
    await client.end();
    await server!.control!.restart();
    client = new pg.Client({ connectionString: server!.url });
    await client.connect();
    expect((await client.query("SELECT id FROM kept")).rows).toEqual([{ id: 7 }]);
    await client.end();
    await server!.control!.pause();
    await expect(postgresReady(server!.host, server!.port, 1_000)).rejects.toThrow();
    await server!.control!.resume();
    // Readiness, not the version: an image with password authentication does not say it.
    await postgresReady(server!.host, server!.port, 5_000);
  });

  it("mongo: data survives a restart, pause freezes it", async () => {
    const server = await t.mongoServer();
    expect(server, t.unavailableReason("mongo")).toBeDefined();
    expect(server?.mode).toBe("container");
    let client = new MongoClient(server!.url, { serverSelectionTimeoutMS: 5_000 });
    await client.db("locks_test").collection("kept").insertOne({ v: 3 });
    await client.close();
    await server!.control!.restart();
    client = new MongoClient(server!.url, { serverSelectionTimeoutMS: 10_000 });
    expect(await client.db("locks_test").collection("kept").findOne({})).toMatchObject({ v: 3 });
    await client.close();
    await server!.control!.pause();
    const probe = new MongoClient(server!.url, { serverSelectionTimeoutMS: 1_000 });
    await expect(probe.connect()).rejects.toThrow(/timed out/i);
    await probe.close();
    await server!.control!.resume();
    client = new MongoClient(server!.url, { serverSelectionTimeoutMS: 10_000 });
    expect(await client.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  });

  it("mongo-java-server: change streams, restart loses data, pause freezes it", async () => {
    const server = await t.mongoJavaServer();
    expect(server, t.unavailableReason("mongo-java")).toBeDefined();
    expect(server!.mode).toBe("container");
    await checkMongoJavaServer(server!);
  });
});
