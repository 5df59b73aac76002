import { describe, expect, it } from "vitest";
import { descriptorFromUrl, redactUrl } from "../src/env-urls.js";
import { createTestServers, TestServerUnavailableError } from "../src/index.js";

const base = {
  LOCKS_TEST_MODE: "env",
  LOCKS_REDIS_URL: "redis://cache.example:6380",
  LOCKS_REDIS_URLS: "redis://a:7001, redis://b:7002 ,redis://c",
  LOCKS_REDIS_CLUSTER_URLS: "redis://n1:7000,redis://n2:7000,redis://n3:7000",
  LOCKS_MYSQL_URL: "mysql://root:secret@db.example/locks_test",
  LOCKS_MONGO_URL: "mongodb://m1:27018,m2:27019/?replicaSet=rs0",
  LOCKS_POSTGRES_URL: "postgresql://app:secret@pg.example/app",
};

describe("env mode", () => {
  it("parses every backend's URL variable without starting anything", async () => {
    const t = createTestServers({ env: base, broker: false });
    const redis = await t.redisServer();
    expect(redis).toEqual({
      url: "redis://cache.example:6380",
      host: "cache.example",
      port: 6380,
      mode: "env",
    });
    expect(redis?.control).toBeUndefined();

    const servers = await t.redisServers(3);
    expect(servers?.map((s) => [s.host, s.port])).toEqual([
      ["a", 7001],
      ["b", 7002],
      ["c", 6379],
    ]);
    expect(await t.redisServers(2)).toHaveLength(2);

    const cluster = await t.redisCluster();
    expect(cluster?.mode).toBe("env");
    expect(cluster?.nodes.map((n) => n.host)).toEqual(["n1", "n2", "n3"]);

    const mysql = await t.mysqlServer();
    expect(mysql).toMatchObject({ host: "db.example", port: 3306, mode: "env" });
    expect(mysql?.url).toBe(base.LOCKS_MYSQL_URL);

    const mongo = await t.mongoServer();
    expect(mongo).toMatchObject({ host: "m1", port: 27018, mode: "env", flavor: "mongodb" });
    expect(mongo?.url).toBe(base.LOCKS_MONGO_URL);

    const postgres = await t.postgresServer();
    expect(postgres).toMatchObject({ host: "pg.example", port: 5432, mode: "env" });
    expect(postgres?.url).toBe(base.LOCKS_POSTGRES_URL);
  });

  it("takes the Mongo flavor from LOCKS_MONGO_FLAVOR", async () => {
    const t = createTestServers({
      env: { ...base, LOCKS_MONGO_FLAVOR: "ferretdb" },
      broker: false,
    });
    expect((await t.mongoServer())?.flavor).toBe("ferretdb");
  });

  it("reports a missing variable as unavailable, and fails under CI=true", async () => {
    const env = { LOCKS_TEST_MODE: "env" };
    const t = createTestServers({ env, broker: false });
    expect(await t.mysqlServer()).toBeUndefined();
    expect(t.unavailableReason("mysql")).toMatch(/LOCKS_MYSQL_URL is not set/);
    expect(t.unavailableReason("redis")).toBeUndefined();

    const ci = createTestServers({ env: { ...env, CI: "true" }, broker: false });
    await expect(ci.mongoServer()).rejects.toBeInstanceOf(TestServerUnavailableError);
    await expect(ci.mongoServer()).rejects.toThrow(/LOCKS_MONGO_URL is not set/);
  });

  it("refuses fewer Redlock URLs than requested", async () => {
    const t = createTestServers({
      env: { LOCKS_TEST_MODE: "env", LOCKS_REDIS_URLS: "redis://a,redis://b" },
      broker: false,
    });
    expect(await t.redisServers(3)).toBeUndefined();
    expect(t.unavailableReason("redis-servers")).toMatch(
      /lists 2 server\(s\) but 3 were requested/,
    );
  });

  it("rejects bad arguments and bad settings with typed errors", async () => {
    const t = createTestServers({ env: base, broker: false });
    await expect(t.redisServers(0)).rejects.toBeInstanceOf(RangeError);
    await expect(t.redisServers(6)).rejects.toBeInstanceOf(RangeError);
    await expect(t.redisServers(1.5)).rejects.toBeInstanceOf(RangeError);

    const badMode = createTestServers({ env: { LOCKS_TEST_MODE: "docker" }, broker: false });
    await expect(badMode.redisServer()).rejects.toThrow(TypeError);

    const badUrl = createTestServers({
      env: { LOCKS_TEST_MODE: "env", LOCKS_REDIS_URL: "http://x" },
      broker: false,
    });
    await expect(badUrl.redisServer()).rejects.toThrow(/unsupported scheme/);
  });

  it("parses and redacts URLs", () => {
    expect(descriptorFromUrl("redis://[::1]:7000", "X")).toMatchObject({ host: "::1", port: 7000 });
    expect(() => descriptorFromUrl("not a url", "LOCKS_REDIS_URL")).toThrow(/LOCKS_REDIS_URL/);
    expect(redactUrl("mysql://root:secret@h:1/db")).toBe("mysql://root:***@h:1/db");
  });
});

describe("no server available", () => {
  // An empty PATH and HOME hide every local binary; local mode never tries containers.
  const nothing = { LOCKS_TEST_MODE: "local", PATH: "", HOME: "/nonexistent" };

  it("resolves undefined with a reason when CI is not set", async () => {
    const t = createTestServers({ env: nothing, broker: false });
    expect(await t.redisServer()).toBeUndefined();
    expect(await t.redisServers(3)).toBeUndefined();
    expect(await t.redisCluster()).toBeUndefined();
    expect(await t.mysqlServer()).toBeUndefined();
    expect(await t.mongoServer()).toBeUndefined();
    expect(t.unavailableReason("redis")).toMatch(/redis-server not found/);
    expect(t.unavailableReason("redis-cluster")).toMatch(/redis-server not found/);
    expect(t.unavailableReason("mysql")).toMatch(/mariadbd\/mysqld/);
    expect(t.unavailableReason("mongo")).toMatch(/mongod nor a working ferretdb/);
  });

  it("fails every backend under CI=true", async () => {
    const t = createTestServers({ env: { ...nothing, CI: "true" }, broker: false });
    for (const request of [
      () => t.redisServer(),
      () => t.redisServers(3),
      () => t.redisCluster(),
      () => t.mysqlServer(),
      () => t.mongoServer(),
    ]) {
      await expect(request()).rejects.toBeInstanceOf(TestServerUnavailableError);
    }
  });
});
