import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { canConnect, waitPortClosed } from "../src/ports.js";
import { containerSkipReason, containerTestEnv } from "./container-availability.js";
import type { Skippable } from "./helpers.js";

const fixture = fileURLToPath(new URL("./fixtures/start-and-hang.ts", import.meta.url));
const brokerFixture = fileURLToPath(new URL("./fixtures/broker-and-hang.ts", import.meta.url));
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
});

/**
 * Starts the fixture and resolves with the ports it reports. When the fixture found no server
 * for one of its backends (outside CI), the running test is skipped with the reason.
 */
async function startOwner(ctx: Skippable, mode: string, script = fixture): Promise<number[]> {
  const report = await spawnOwner(mode, script);
  if ("unavailable" in report) ctx.skip(`no server: ${report.unavailable}`);
  return report.ports;
}

function spawnOwner(
  mode: string,
  script: string,
): Promise<{ ports: number[] } | { unavailable: string }> {
  child = spawn(process.execPath, ["--import", "tsx", script, mode], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...containerTestEnv },
  });
  return new Promise((resolve, reject) => {
    let out = "";
    child?.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as { ports: number[] } | { unavailable: string });
    });
    child?.once("exit", (code) => reject(new Error(`fixture exited with ${code}: ${out}`)));
  });
}

async function killAndExpectPortsClosed(ports: number[]): Promise<void> {
  for (const port of ports) expect(await canConnect("127.0.0.1", port)).toBe(true);
  const exited = new Promise((r) => child?.once("exit", r));
  child?.kill("SIGKILL");
  await exited;
  // The watchdog notices within ~0.5 s; 15 s is generous for a loaded machine.
  const closed = await Promise.all(ports.map((p) => waitPortClosed("127.0.0.1", p, 15_000)));
  expect(closed).toEqual(ports.map(() => true));
}

describe("watchdog", () => {
  it("kills local servers when their owner is SIGKILLed", async (ctx) => {
    const ports = await startOwner(ctx, "local");
    expect(ports).toHaveLength(3);
    await killAndExpectPortsClosed(ports);
  });

  const skip = containerSkipReason();
  it.skipIf(skip !== undefined)(
    `removes containers when their owner is SIGKILLed${skip ? ` (skipped: ${skip})` : ""}`,
    async (ctx) => {
      const ports = await startOwner(ctx, "container");
      await killAndExpectPortsClosed(ports);
    },
  );
});

describe("global-setup", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`stops the broker's servers and exits on ${signal}`, async (ctx) => {
      const ports = await startOwner(ctx, "", brokerFixture);
      expect(await canConnect("127.0.0.1", ports[0]!)).toBe(true);
      const exited = new Promise<NodeJS.Signals | null>((r) =>
        child?.once("exit", (_code, sig) => r(sig)),
      );
      child?.kill(signal);
      // Teardown runs first, then the signal is re-raised with its default action.
      expect(await exited).toBe(signal);
      expect(await canConnect("127.0.0.1", ports[0]!)).toBe(false);
    });
  }
});
