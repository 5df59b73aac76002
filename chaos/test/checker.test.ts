/**
 * The checker must be able to fail: each case below is a history built by hand with a known
 * answer, including a real overlap, an explained one and a fencing regression.
 */
import { describe, expect, it } from "vitest";
import { check, passed } from "../src/checker.js";
import type { FaultEvent, Section } from "../src/history.js";

let nextWorker = 0;
/** A section; times in (fake) nanoseconds, `acquireStart` 10 before `enter` unless given. */
function section(s: {
  proc: number;
  token?: number;
  enter: number;
  exit: number;
  acquireStart?: number;
  lostAt?: number;
  overrun?: boolean;
  key?: string;
}): Section {
  return {
    worker: nextWorker++,
    proc: s.proc,
    key: s.key ?? "k",
    token: s.token === undefined ? undefined : BigInt(s.token),
    acquireStart: BigInt(s.acquireStart ?? s.enter - 10),
    enter: BigInt(s.enter),
    exit: BigInt(s.exit),
    lostAt: s.lostAt === undefined ? undefined : BigInt(s.lostAt),
    overrun: s.overrun ?? false,
    write: "accepted",
  };
}

const fault = (kind: FaultEvent["kind"], proc: number | undefined, start: number, end: number) => ({
  kind,
  proc,
  start: BigInt(start),
  end: BigInt(end),
});

describe("check", () => {
  it("classifies a real overlap, explained overlaps and fencing regressions in one history", () => {
    const realA = section({ proc: 0, token: 1, enter: 0, exit: 100 });
    const realB = section({ proc: 1, token: 2, enter: 50, exit: 150 });
    const toldC = section({ proc: 0, token: 3, enter: 200, exit: 300, lostAt: 250 });
    const toldD = section({ proc: 1, token: 4, enter: 260, exit: 320 });
    const pausedE = section({ proc: 2, token: 5, enter: 400, exit: 500 });
    const pausedF = section({ proc: 3, token: 6, enter: 450, exit: 520 });
    const newestG = section({ proc: 0, token: 10, enter: 600, exit: 650 });
    const regressH = section({ proc: 1, token: 9, enter: 700, exit: 750, acquireStart: 690 });
    const staleI = section({ proc: 2, token: 8, enter: 800, exit: 810, acquireStart: 590 });
    const dupJ = section({ proc: 0, token: 20, enter: 900, exit: 910 });
    const dupK = section({ proc: 1, token: 20, enter: 920, exit: 930 });
    const history = [
      dupK,
      realB,
      toldD,
      staleI,
      realA,
      pausedF,
      newestG,
      toldC,
      regressH,
      pausedE,
      dupJ,
    ];
    const faults = [fault("pause", 2, 410, 480), fault("pause", 2, 610, 790)];

    const result = check(history, faults, { fencing: true });

    expect(result.sections).toBe(11);
    expect(result.overlaps).toBe(3);
    expect(result.explainedBy).toEqual({ "told-lost": 1, pause: 1 });
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatchObject({ stale: realA, other: realB, reasons: [] });
    expect(result.staleSections).toBe(3);
    expect(result.staleSectionsTold).toBe(1);
    expect(result.tokenRegressions).toBe(2);
    expect(result.tokenRegressionsExplained).toBe(1);
    expect(result.fencingViolations).toHaveLength(1);
    expect(result.fencingViolations[0]).toMatchObject({ stale: regressH, other: newestG });
    expect(result.duplicateTokens).toHaveLength(1);
    expect(result.duplicateTokens[0]).toMatchObject({ stale: dupJ, other: dupK });
    expect(passed(result)).toBe(false);
  });

  it("passes a history whose only overlap a fault explains", () => {
    const a = section({ proc: 0, token: 1, enter: 0, exit: 100 });
    const b = section({ proc: 1, token: 2, enter: 50, exit: 150 });
    const result = check([a, b], [fault("kill", 0, 20, 20)], { fencing: true });
    expect(result.overlaps).toBe(1);
    expect(result.explainedBy).toEqual({ kill: 1 });
    expect(passed(result)).toBe(true);
  });

  it("does not let a fault explain an overlap it could not have caused", () => {
    const a = section({ proc: 0, token: 1, enter: 0, exit: 100 });
    const b = section({ proc: 1, token: 2, enter: 50, exit: 150 });
    const elsewhere = fault("pause", 1, 20, 40); // hit the other holder, not the stale one
    const before = fault("pause", 0, -100, -20); // ended before the stale holder's acquire()
    const after = fault("pause", 0, 60, 90); // began after the other holder entered
    const result = check([a, b], [elsewhere, before, after], { fencing: true });
    expect(result.violations).toHaveLength(1);
    expect(passed(result)).toBe(false);
  });

  it("counts a server-wide fault for every process", () => {
    const a = section({ proc: 0, token: 1, enter: 0, exit: 100 });
    const b = section({ proc: 1, token: 2, enter: 50, exit: 150 });
    const result = check([a, b], [fault("restart", undefined, 30, 45)], { fencing: true });
    expect(result.explainedBy).toEqual({ restart: 1 });
  });

  it("takes the holder with the older token as the stale one, whatever the entry order", () => {
    // The older grant entered second: it was held up between grant and entry, and told.
    const older = section({ proc: 0, token: 1, enter: 60, exit: 100, lostAt: 90 });
    const newer = section({ proc: 1, token: 2, enter: 50, exit: 150 });
    const fenced = check([older, newer], [], { fencing: true });
    expect(fenced.explainedBy).toEqual({ "told-lost": 1 });
    // Without fencing the first to enter is taken as stale, and it was not told.
    const unfenced = check([older, newer], [], { fencing: false });
    expect(unfenced.violations).toHaveLength(1);
    expect(unfenced.tokenRegressions).toBe(0);
  });

  it("keeps keys apart and accepts back-to-back sections", () => {
    const a = section({ proc: 0, token: 1, enter: 0, exit: 100, key: "a" });
    const b = section({ proc: 1, token: 1, enter: 50, exit: 150, key: "b" });
    const c = section({ proc: 1, token: 2, enter: 100, exit: 120, key: "a" });
    const result = check([a, b, c], [], { fencing: true });
    expect(result.overlaps).toBe(0);
    expect(result.duplicateTokens).toHaveLength(0);
    expect(passed(result)).toBe(true);
  });

  it("counts the register's answers", () => {
    const a = { ...section({ proc: 0, token: 2, enter: 0, exit: 10 }), write: "stale" as const };
    const b = section({ proc: 0, token: 3, enter: 20, exit: 30 });
    expect(check([a, b], [], { fencing: true }).writes).toEqual({
      accepted: 1,
      stale: 1,
      unfenced: 0,
      error: 0,
    });
  });
});
