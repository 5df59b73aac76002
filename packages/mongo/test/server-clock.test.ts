import { now } from "@locks/core/backend";
import { describe, expect, it } from "vitest";
import { ServerClock } from "../src/server-clock.js";

describe("ServerClock", () => {
  it("bounds the server time by the round trip of the fastest probe", async () => {
    const skew = 3_600_000; // the server is an hour ahead of this machine
    const latencies = [40, 4, 30];
    let calls = 0;
    const clock = new ServerClock(async () => {
      const latency = latencies[calls++ % latencies.length]!;
      await new Promise((resolve) => setTimeout(resolve, latency / 2));
      const stamp = Date.now() + skew;
      await new Promise((resolve) => setTimeout(resolve, latency / 2));
      return stamp;
    });
    const { lower, upper } = await clock.bounds();
    expect(calls).toBe(3);
    const truth = Date.now() + skew;
    expect(lower).toBeLessThanOrEqual(truth + 1);
    expect(upper).toBeGreaterThanOrEqual(truth - 1);
    // The fastest probe (4 ms, plus timer slack) decides the width.
    expect(upper - lower).toBeLessThan(25);
    expect(clock.uncertainty).toBeCloseTo(upper - lower, 3);
  });

  it("advances on the local monotonic clock without asking again", async () => {
    let calls = 0;
    const clock = new ServerClock(async () => {
      calls++;
      return 1_000_000;
    });
    const first = await clock.bounds();
    const t0 = now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await clock.bounds();
    const elapsed = now() - t0;
    expect(calls).toBe(3);
    expect(second.lower - first.lower).toBeGreaterThanOrEqual(elapsed - 1);
    expect(second.lower - first.lower).toBeLessThanOrEqual(elapsed + 5);
  });

  it("shares one measurement between concurrent callers and retries after a failure", async () => {
    let calls = 0;
    let fail = true;
    const clock = new ServerClock(async () => {
      calls++;
      if (fail) throw new Error("network");
      return Date.now();
    });
    await expect(clock.bounds()).rejects.toThrow("network");
    fail = false;
    await Promise.all([clock.bounds(), clock.bounds(), clock.bounds()]);
    expect(calls).toBe(1 + 3);
  });
});
