import { describe, expect, it } from "vitest";
import { settleWithin } from "../src/server.js";

const never = () => new Promise<void>(() => {});

describe("settleWithin (teardown's bounded waits)", () => {
  it("gives up on a stop that never settles at the deadline, names it, and does not reject", async () => {
    const lines: string[] = [];
    const started = performance.now();
    await settleWithin(
      [
        { label: "stuck container", done: never() },
        { label: "quick server", done: Promise.resolve() },
      ],
      "stopping a server failed",
      100,
      (line) => lines.push(line),
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(95);
    expect(elapsed).toBeLessThan(2_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain("stuck container");
    expect(lines[0]).not.toContain("quick server");
    expect(lines[0]).toContain("watchdog");
  });

  it("returns as soon as everything settled, logging failures only when asked to", async () => {
    const lines: string[] = [];
    const started = performance.now();
    await settleWithin(
      [
        { label: "a", done: Promise.resolve() },
        { label: "b", done: Promise.reject(new Error("docker said no")) },
      ],
      "stopping a server failed",
      10_000,
      (line) => lines.push(line),
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(lines).toEqual(["stopping a server failed (b): docker said no"]);

    await settleWithin(
      [{ label: "the start of mysql", done: Promise.reject(new TypeError("bad count")) }],
      undefined,
      10_000,
      (line) => lines.push(line),
    );
    expect(lines).toHaveLength(1);
  });
});
