import { spawn } from "node:child_process";
import { createServer, type Server } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  pauseProcessTree,
  processTree,
  providerProxies,
  type ServerControl,
  serverFaults,
  type TestServer,
} from "../src/index.js";
import { connect, nextData } from "./helpers.js";

/** A process whose child prints a line every 20 ms: output stops while the tree is paused. */
function tickingTree() {
  const script = `const { spawn } = require("node:child_process");
    spawn(process.execPath, ["-e", "setInterval(() => process.stdout.write('t'), 20)"], { stdio: "inherit" });
    setInterval(() => {}, 1000);`;
  const root = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  let ticks = 0;
  root.stdout.on("data", (chunk: Buffer) => {
    ticks += chunk.length;
  });
  return { root, ticks: () => ticks };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("pauseProcessTree", () => {
  it("stops a process and its children until resumed", async () => {
    const { root, ticks } = tickingTree();
    try {
      const deadline = Date.now() + 5_000;
      while (ticks() < 3 && Date.now() < deadline) await sleep(20);
      expect(ticks(), "the child never ticked").toBeGreaterThanOrEqual(3);
      expect((await processTree(root.pid!)).length).toBeGreaterThanOrEqual(2);
      const paused = await pauseProcessTree(root.pid!);
      expect(paused.pids.length).toBeGreaterThanOrEqual(2);
      await sleep(100); // bytes already in the pipe arrive
      const frozen = ticks();
      await sleep(400);
      expect(ticks(), "the child ticked while paused").toBe(frozen);
      await paused.resume();
      await paused.resume();
      const until = Date.now() + 5_000;
      while (ticks() === frozen && Date.now() < until) await sleep(20);
      expect(ticks(), "the child did not resume").toBeGreaterThan(frozen);
    } finally {
      for (const pid of await processTree(root.pid!).catch(() => [])) {
        try {
          process.kill(pid, "SIGCONT");
          process.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
  });

  it("rejects a bad pid before signalling anything", async () => {
    await expect(pauseProcessTree(0)).rejects.toBeInstanceOf(RangeError);
    await expect(pauseProcessTree(1.5)).rejects.toBeInstanceOf(RangeError);
  });
});

describe("serverFaults", () => {
  const calls: string[] = [];
  const control: ServerControl = {
    restart: async () => void calls.push("restart"),
    pause: async () => void calls.push("pause"),
    resume: async () => void calls.push("resume"),
  };
  const started: TestServer = { url: "x://", host: "127.0.0.1", port: 1, mode: "local", control };
  const given: TestServer = { url: "x://", host: "127.0.0.1", port: 1, mode: "env" };

  it("uses the servers' controls when this run started them all", async () => {
    calls.length = 0;
    const hooks = serverFaults([started, started]);
    await hooks.restartBackend!();
    const t0 = performance.now();
    await hooks.pauseBackend!(100);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(95);
    expect(calls).toEqual(["restart", "restart", "pause", "pause", "resume", "resume"]);
  });

  it("without controls: no restart, pause through the fallback", async () => {
    expect(serverFaults(given)).toEqual({});
    const paused: number[] = [];
    const hooks = serverFaults([started, given], { pause: async (ms) => void paused.push(ms) });
    expect(hooks.restartBackend).toBeUndefined();
    await hooks.pauseBackend!(42);
    expect(paused).toEqual([42]);
  });
});

describe("providerProxies", () => {
  let echo: Server;
  let port = 0;
  beforeAll(async () => {
    echo = createServer((socket) => {
      socket.on("error", () => {});
      socket.on("data", (d) => socket.write(d));
    });
    await new Promise<void>((r) => echo.listen(0, "127.0.0.1", () => r()));
    const address = echo.address();
    port = typeof address === "object" && address ? address.port : 0;
  });
  afterAll(() => new Promise<void>((r) => echo.close(() => r())));

  it("partitions one provider's connections and leaves the others alone", async () => {
    const proxies = providerProxies<{ port: number }>({ host: "127.0.0.1", port });
    const a = await proxies.create((proxy) => ({ port: proxy.port }));
    const b = await proxies.create((proxy) => ({ port: proxy.port }));
    expect(proxies.of(a).port).not.toBe(proxies.of(b).port);
    const toA = await connect(a.port);
    const toB = await connect(b.port);
    toA.on("error", () => {});
    await proxies.partition(a, 10_000);
    toA.write("a");
    toB.write("b");
    expect(await nextData(toB, 2_000)).toBe("b");
    await expect(nextData(toA, 300)).rejects.toThrow(/no data/);
    toA.destroy();
    toB.destroy();
    await proxies.close();
    await expect(connect(b.port)).rejects.toThrow(/ECONNREFUSED/);
    expect(() => proxies.of({ port: 0 })).toThrow(/not built through create/);
  });
});
