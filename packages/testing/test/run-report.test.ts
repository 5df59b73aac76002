import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createTestServers, TestServerUnavailableError } from "../src/index.js";
import { RUN_REPORT_ENV, type RunReportEntry } from "../src/run-report.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function reportFile(): string {
  const dir = mkdtempSync(join(tmpdir(), "locks-run-report-test-"));
  dirs.push(dir);
  return join(dir, "report.jsonl");
}

function entries(file: string): RunReportEntry[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as RunReportEntry);
}

describe("run report (LOCKS_TEST_REPORT)", () => {
  it("records, once per backend, a server found and a server missing with its reason", async () => {
    const file = reportFile();
    const t = createTestServers({
      env: {
        LOCKS_TEST_MODE: "env",
        LOCKS_REDIS_URL: "redis://cache.example:6380",
        [RUN_REPORT_ENV]: file,
      },
      broker: false,
    });
    await t.redisServer();
    await t.redisServer();
    expect(await t.mysqlServer()).toBeUndefined();
    expect(await t.mysqlServer()).toBeUndefined();
    expect(entries(file)).toEqual([
      { backend: "redis", ok: true, mode: "env", cwd: process.cwd() },
      {
        backend: "mysql",
        ok: false,
        reason: "LOCKS_TEST_MODE=env but LOCKS_MYSQL_URL is not set",
        fails: false,
        cwd: process.cwd(),
      },
    ]);
  });

  it("marks a missing server that fails the run under CI=true", async () => {
    const file = reportFile();
    const t = createTestServers({
      env: { LOCKS_TEST_MODE: "env", CI: "true", [RUN_REPORT_ENV]: file },
      broker: false,
    });
    await expect(t.mongoServer()).rejects.toBeInstanceOf(TestServerUnavailableError);
    expect(entries(file)).toMatchObject([{ backend: "mongo", ok: false, fails: true }]);
  });

  it("writes nothing when the variable is unset, and never fails a run it cannot write", async () => {
    const t = createTestServers({ env: { LOCKS_TEST_MODE: "env" }, broker: false });
    expect(await t.redisServer()).toBeUndefined();
    const broken = createTestServers({
      env: { LOCKS_TEST_MODE: "env", [RUN_REPORT_ENV]: join(reportFile(), "no", "such", "dir") },
      broker: false,
    });
    expect(await broken.redisServer()).toBeUndefined();
    expect(broken.unavailableReason("redis")).toMatch(/LOCKS_REDIS_URL is not set/);
  });
});
