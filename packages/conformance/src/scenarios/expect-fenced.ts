import { expect } from "vitest";
import type { FencedResource } from "../fenced-resource.js";
import { describeOverlap, type HoldHistory } from "../hold-history.js";

/**
 * Asserts what a correct fencing provider gives a contention run: the oracle accepted every
 * write (each section writes twice) and tokens grew in hold order.
 */
export function expectFencedRun(result: {
  resource: FencedResource;
  history: HoldHistory;
  sections: number;
}): void {
  const rejections = result.resource.rejections
    .slice(0, 10)
    .map((r) => `${r.holder} wrote with token ${r.token} after ${r.highest}`);
  expect(rejections, "writes the oracle rejected").toEqual([]);
  expect(result.resource.acceptedWrites).toBe(result.sections * 2);
  expect(result.history.tokenRegressions().map(describeOverlap), "tokens not increasing").toEqual(
    [],
  );
}
