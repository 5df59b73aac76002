import { MongoClient } from "mongodb";
import { createConnection } from "mysql2/promise";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { createTestServers, type TestServers } from "../src/index.js";
import { mysqlGreetingVersion } from "../src/mysql-handshake.js";
import { canConnect } from "../src/ports.js";
import { postgresReady } from "../src/postgres-handshake.js";
import { checkMongoJavaServer, need, redis, redisIsSilent } from "./helpers.js";

// Local binaries, even when Docker runs. A machine without them skips these tests with the
// reason; under CI=true the requests reject and the tests fail.
const t: TestServers = createTestServers({
  env: { ...process.env, LOCKS_TEST_MODE: "local" },
  broker: false,
});

afterAll(() => t.stop());

describe("local redis", () => {
  it("starts once, restarts on the same port losing data, pauses and resumes", async (ctx) => {
    const server = need(ctx, await t.redisServer(), t.unavailableReason("redis"));
    if (!server.control) throw new Error("local server without control");
    expect(server.mode).toBe("local");
    expect(server.host).toBe("127.0.0.1");
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    expect(server.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await t.redisServer()).toMatchObject({ port: server.port });

    expect(await redis(server.port, ["SET", "k", "v"])).toBe("OK");
    await server.control.restart();
    expect(await redis(server.port, ["PING"])).toBe("PONG");
    expect(await redis(server.port, ["GET", "k"])).toBeNull();

    await server.control.pause();
    await server.control.pause(); // idempotent
    expect(await redisIsSilent(server.port)).toBe(true);
    await server.control.resume();
    await server.control.resume();
    expect(await redis(server.port, ["PING"])).toBe("PONG");

    // A restart of a paused server works and leaves it running.
    await server.control.pause();
    await server.control.restart();
    expect(await redis(server.port, ["PING"])).toBe("PONG");
  });

  it("gives Redlock independent servers, the same ones on every call", async (ctx) => {
    const servers = need(ctx, await t.redisServers(3), t.unavailableReason("redis-servers"));
    expect(servers).toHaveLength(3);
    const ports = servers.map((s) => s.port);
    expect(new Set(ports).size).toBe(3);
    const single = await t.redisServer();
    expect(ports).not.toContain(single?.port);
    await redis(ports[0]!, ["SET", "only-here", "1"]);
    expect(await redis(ports[1]!, ["GET", "only-here"])).toBeNull();
    expect((await t.redisServers(2))?.map((s) => s.port)).toEqual(ports.slice(0, 2));
    const five = await t.redisServers(5);
    expect(five?.map((s) => s.port).slice(0, 3)).toEqual(ports);
    expect(new Set(five?.map((s) => s.port)).size).toBe(5);

    // Pausing one server leaves the others answering.
    await servers[0]!.control!.pause();
    expect(await redisIsSilent(ports[0]!)).toBe(true);
    expect(await redis(ports[1]!, ["PING"])).toBe("PONG");
    await servers[0]!.control!.resume();
  });

  it("forms a three-master cluster with every slot assigned, and heals after a restart", async (ctx) => {
    const cluster = need(ctx, await t.redisCluster(), t.unavailableReason("redis-cluster"));
    expect(cluster.mode).toBe("local");
    expect(cluster.nodes).toHaveLength(3);
    for (const node of cluster.nodes) {
      const info = String(await redis(node.port, ["CLUSTER", "INFO"]));
      expect(info).toMatch(/cluster_state:ok/);
      expect(info).toMatch(/cluster_slots_assigned:16384/);
      expect(info).toMatch(/cluster_known_nodes:3/);
    }
    const masters = String(await redis(cluster.nodes[0]!.port, ["CLUSTER", "NODES"]))
      .trim()
      .split("\n")
      .filter((line) => line.includes("master"));
    expect(masters).toHaveLength(3);

    await cluster.nodes[1]!.control!.restart();
    const info = String(await redis(cluster.nodes[1]!.port, ["CLUSTER", "INFO"]));
    expect(info).toMatch(/cluster_state:ok/);
  });
});

describe("local mysql", () => {
  it("has the database, keeps data across a restart, pauses and resumes", async (ctx) => {
    const server = need(ctx, await t.mysqlServer(), t.unavailableReason("mysql"));
    if (!server.control) throw new Error("local server without control");
    expect(server.url).toMatch(/^mysql:\/\/root:[^@]+@127\.0\.0\.1:\d+\/locks_test$/);
    expect(["mysql", "mariadb"]).toContain(server.flavor);

    let conn = await createConnection(server.url);
    const [rows] = await conn.query("SELECT DATABASE() AS db");
    expect(rows).toEqual([{ db: "locks_test" }]);
    await conn.query("CREATE TABLE kept (id INT PRIMARY KEY)");
    await conn.query("INSERT INTO kept VALUES (42)");
    await conn.end();

    await server.control.restart();
    conn = await createConnection(server.url);
    const [after] = await conn.query("SELECT id FROM kept");
    expect(after).toEqual([{ id: 42 }]);
    await conn.end();

    await server.control.pause();
    await expect(mysqlGreetingVersion(server.host, server.port, 1_000)).rejects.toThrow();
    await server.control.resume();
    expect(await mysqlGreetingVersion(server.host, server.port, 5_000)).toMatch(/^\d+\.\d+/);
  });
});

describe("local postgres", () => {
  it("connects as the superuser, keeps data across a restart, pauses and resumes", async (ctx) => {
    const server = need(ctx, await t.postgresServer(), t.unavailableReason("postgres"));
    if (!server.control) throw new Error("local server without control");
    expect(server.url).toMatch(/^postgres:\/\/postgres:[^@]+@127\.0\.0\.1:\d+\/postgres$/);

    let client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const user = await client.query("SELECT current_setting('is_superuser') AS su");
    expect(user.rows).toEqual([{ su: "on" }]);
    await client.query("CREATE TABLE kept (id int PRIMARY KEY)");
    await client.query("INSERT INTO kept VALUES (42)");
    await client.end();

    await server.control.restart();
    client = new pg.Client({ connectionString: server.url });
    await client.connect();
    expect((await client.query("SELECT id FROM kept")).rows).toEqual([{ id: 42 }]);
    await client.end();

    await server.control.pause();
    await expect(postgresReady(server.host, server.port, 1_000)).rejects.toThrow();
    await server.control.resume();
    expect(await postgresReady(server.host, server.port, 5_000)).toMatch(/^\d+\.\d+/);
  });
});

describe("local mongo", () => {
  it("keeps data across a restart, pauses and resumes", async (ctx) => {
    const server = need(ctx, await t.mongoServer(), t.unavailableReason("mongo"));
    if (!server.control) throw new Error("local server without control");
    expect(["mongodb", "ferretdb"]).toContain(server.flavor);

    const open = () =>
      new MongoClient(server.url, { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000 });
    let client = open();
    await client
      .db("locks_test")
      .collection("kept")
      .insertOne({ _id: "a" as never, v: 1 });
    await client.close();

    await server.control.restart();
    client = open();
    expect(await client.db("locks_test").collection("kept").findOne({})).toMatchObject({ v: 1 });

    await client.close();

    await server.control.pause();
    const probe = new MongoClient(server.url, { serverSelectionTimeoutMS: 1_000 });
    await expect(probe.connect()).rejects.toThrow(/timed out/i);
    await probe.close();
    await server.control.resume();
    client = open();
    expect(await client.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
    await client.close();
  });
});

describe("local mongo-java-server", () => {
  it("has change streams, loses its data on restart, pauses and resumes", async (ctx) => {
    const server = need(ctx, await t.mongoJavaServer(), t.unavailableReason("mongo-java"));
    expect(server.mode).toBe("local");
    await checkMongoJavaServer(server);
  });
});

describe("stop", () => {
  it("closes the server's port", async (ctx) => {
    const s = createTestServers({
      env: { ...process.env, LOCKS_TEST_MODE: "local" },
      broker: false,
    });
    const server = need(ctx, await s.redisServer(), s.unavailableReason("redis"));
    await s.stop();
    expect(await canConnect("127.0.0.1", server.port)).toBe(false);
  });
});
