import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import setup from "../src/global-setup.js";
import { BROKER_ENV, createTestServers } from "../src/index.js";
import { canConnect, waitPortClosed } from "../src/ports.js";
import { need, redis, redisIsSilent, type Skippable } from "./helpers.js";

describe("broker", () => {
  it("shares one server between clients, runs controls, and stops it at teardown", async (ctx) => {
    const provided: Record<string, unknown> = {};
    const teardown = await setup({ provide: (key, value) => (provided[key] = value) });
    const url = process.env[BROKER_ENV];
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(provided.locksTestBroker).toBe(url);

      // Two clients stand for two workers: both reach the broker through the env variable.
      const a = createTestServers();
      const b = createTestServers();
      const [found, rb] = await Promise.all([a.redisServer(), b.redisServer()]);
      const ra = need(ctx, found, a.unavailableReason("redis"));
      expect(rb?.port).toBe(ra.port);
      const port = ra.port;

      await redis(port, ["SET", "k", "v"]);
      await rb!.control!.restart();
      expect(await redis(port, ["GET", "k"])).toBeNull();
      await ra.control!.pause();
      expect(await redisIsSilent(port)).toBe(true);
      await ra.control!.resume();
      expect(await redis(port, ["PING"])).toBe("PONG");

      await expect(a.redisServers(9)).rejects.toBeInstanceOf(RangeError);

      await teardown();
      expect(process.env[BROKER_ENV]).toBeUndefined();
      expect(await waitPortClosed("127.0.0.1", port, 10_000)).toBe(true);
    } finally {
      await teardown();
    }
  });

  it("hands the broker to vitest workers through global-setup", async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), "locks-broker-test-"));
    const out = join(dir, "out.jsonl");
    try {
      const run = runFixtureProject({ LOCKS_FIXTURE_OUT: out });
      const { code, output } = await run.done;
      expect(code, output).toBe(0);
      const lines = readLines(out);
      skipIfUnavailable(ctx, lines);
      expect(lines.map((l) => l.file).sort()).toEqual(["a", "b"]);
      expect(lines[0]!.pid).not.toBe(lines[1]!.pid);
      expect(lines[0]!.port).toBe(lines[1]!.port);
      // The run is over: its teardown stopped the server.
      expect(await canConnect("127.0.0.1", lines[0]!.port)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("stops the run's servers when vitest is interrupted with SIGINT", async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), "locks-broker-test-"));
    const out = join(dir, "out.jsonl");
    try {
      const run = runFixtureProject({ LOCKS_FIXTURE_OUT: out, LOCKS_FIXTURE_HANG: "1" });
      let ended: { code: number | null; output: string } | undefined;
      void run.done.then((result) => (ended = result));
      const deadline = Date.now() + 60_000;
      let hang: FixtureLine | undefined;
      while (!hang && !ended && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        hang = existsSync(out) ? readLines(out).find((l) => l.file === "hang") : undefined;
      }
      expect(
        hang,
        `the hanging fixture test never reported its server\n${ended?.output ?? ""}`,
      ).toBeDefined();
      if (hang?.unavailable !== undefined) {
        run.child.kill("SIGINT");
        await run.done;
        skipIfUnavailable(ctx, [hang]);
      }
      expect(await canConnect("127.0.0.1", hang!.port)).toBe(true);
      run.child.kill("SIGINT");
      const { output } = await run.done;
      expect(output).toMatch(/SIGINT: stopping test servers/);
      expect(await canConnect("127.0.0.1", hang!.port)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** What one fixture test file saw: the broker's server, or why there was none. */
interface FixtureLine {
  file: string;
  pid: number;
  port: number;
  unavailable?: string;
}

/** Skips the running test when a fixture found no server (outside CI: see shared-redis.ts). */
function skipIfUnavailable(ctx: Skippable, lines: FixtureLine[]): void {
  const missing = lines.find((l) => l.unavailable !== undefined);
  if (missing) ctx.skip(`no server: ${missing.unavailable}`);
}

function readLines(file: string): FixtureLine[] {
  return readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as FixtureLine);
}

/**
 * Runs the fixture project in a nested vitest. Its output is captured, not printed, so its
 * test counts do not mix with this run's.
 */
function runFixtureProject(env: Record<string, string>) {
  const config = fileURLToPath(
    new URL("./fixtures/broker-project/vitest.config.ts", import.meta.url),
  );
  const child = spawn(process.execPath, [vitestBin(), "run", "--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env, [BROKER_ENV]: "" },
  });
  let output = "";
  child.stdout?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  child.stderr?.on("data", (c: Buffer) => (output += c.toString("utf8")));
  const done = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once("exit", (code) => resolve({ code, output })),
  );
  return { child, done };
}

function vitestBin(): string {
  return fileURLToPath(new URL("../node_modules/vitest/vitest.mjs", import.meta.url));
}
