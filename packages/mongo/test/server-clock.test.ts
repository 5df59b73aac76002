import { now } from "@locks/core/backend";
import { describe, expect, it } from "vitest";
import { ServerClock } from "../src/server-clock.js";

describe("ServerClock", () => {
  it("bounds the server time by the round trip of the fastest probe", async () => {
    const skew = 3_600_000; // the server is an hour ahead of this machine
    // The slow probes take at least 300 ms (timers never fire meaningfully early); the fast one
    // takes 4 ms plus whatever the machine's load adds, far below 300 ms.
    const slow = 300;
    const latencies = [slow, 4, slow];
    let calls = 0;
    const clock = new ServerClock(async () => {
      const latency = latencies[calls++ % latencies.length]!;
      await new Promise((resolve) => setTimeout(resolve, latency / 2));
      const stamp = Date.now() + skew;
      await new Promise((resolve) => setTimeout(resolve, latency / 2));
      return stamp;
    });
    await clock.bounds();
    expect(calls).toBe(3);
    // Sandwich a second reading (same sample, no new probe) between two readings of the true
    // server time, so that the check holds however long this process is descheduled.
    const before = Date.now() + skew;
    const { lower, upper } = await clock.bounds();
    const after = Date.now() + skew;
    expect(calls).toBe(3);
    // ±1: Date.now() counts whole milliseconds.
    expect(lower).toBeLessThanOrEqual(after + 1);
    expect(upper).toBeGreaterThanOrEqual(before - 1);
    // Narrower than any slow probe's round trip: the fastest probe decides the width.
    expect(upper - lower).toBeLessThan(slow);
    expect(clock.uncertainty).toBeCloseTo(upper - lower, 3);
  });

  it("advances on the local monotonic clock without asking again", async () => {
    let calls = 0;
    const clock = new ServerClock(async () => {
      calls++;
      return 1_000_000;
    });
    // Each reading is taken somewhere between the two local times around its call, so the
    // advance lies between the inner and the outer interval, however late either call runs.
    const a0 = now();
    const first = await clock.bounds();
    const a1 = now();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const b0 = now();
    const second = await clock.bounds();
    const b1 = now();
    expect(calls).toBe(3);
    const advance = second.lower - first.lower;
    expect(advance).toBeGreaterThanOrEqual(b0 - a1);
    expect(advance).toBeLessThanOrEqual(b1 - a0);
    expect(second.upper - first.upper).toBeCloseTo(advance, 6);
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
