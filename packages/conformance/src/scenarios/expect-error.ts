import { expect } from "vitest";
import type { Settled } from "../async.js";
import { describeError, isErrorNamed } from "../error-match.js";

/** Asserts that `outcome` failed with an error of class `name` (by name, see `isErrorNamed`). */
export function expectErrorNamed(outcome: Settled<unknown>, name: string, what: string): unknown {
  const error = outcome.ok ? undefined : outcome.error;
  expect(
    isErrorNamed(error, name),
    `${what}: expected ${name}, got ${outcome.ok ? `success (${String(outcome.value)})` : describeError(error)}`,
  ).toBe(true);
  return error;
}

/** Asserts that `outcome` failed with a RangeError or TypeError whose message names `argument`. */
export function expectArgumentError(
  outcome: Settled<unknown>,
  argument: string,
  what: string,
): void {
  const error = outcome.ok ? undefined : outcome.error;
  const typed = error instanceof RangeError || error instanceof TypeError;
  expect(
    typed && (error as Error).message.includes(argument),
    `${what}: expected a RangeError or TypeError naming "${argument}", got ${outcome.ok ? "success" : describeError(error)}`,
  ).toBe(true);
}
