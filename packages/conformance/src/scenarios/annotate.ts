import type { TestContext } from "vitest";

/** Annotation type under which fault scenarios record what they saw. */
export const FAULT_OUTCOME = "fault-outcome";

/**
 * Records which outcome a fault scenario saw (lock kept or reported lost, and when) as a test
 * annotation, so that a provider's author can read it in the test output and reports.
 */
export async function recordOutcome(ctx: TestContext, message: string): Promise<void> {
  await ctx.annotate(message, FAULT_OUTCOME);
}
