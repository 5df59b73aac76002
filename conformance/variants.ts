/**
 * Which variants of a backend a run covers. A test file registers one suite per variant (driver
 * major version, Redlock size, MongoDB protocol); `LOCKS_CONFORMANCE_VARIANTS` chooses:
 *
 * - `all` (the default): every variant.
 * - `one`: one variant per file (backend and topology), the file's representative. For runs
 *   whose subject is not the variants but what is under all of them (another Node.js version,
 *   servers in containers), when a full run over every variant is made elsewhere. Each variant
 *   left out is reported as one skipped test with the reason, so the run says what it covers.
 */
import { describe, it } from "vitest";

/** Reason of the skipped test standing for a variant left out; the summary groups by it. */
export const NOT_SELECTED = "variant not selected: LOCKS_CONFORMANCE_VARIANTS=one";

/** The value of `LOCKS_CONFORMANCE_VARIANTS`; anything but `all` or `one` is an error. */
export function variantScope(): "all" | "one" {
  const value = process.env.LOCKS_CONFORMANCE_VARIANTS ?? "";
  if (value === "" || value === "all") return "all";
  if (value === "one") return "one";
  throw new Error(`LOCKS_CONFORMANCE_VARIANTS must be "all" or "one", not "${value}"`);
}

/**
 * The variants to register: all of them, or under `one` the representative only. For each
 * variant left out, registers a suite named `name(variant)` with one skipped test saying which
 * variant of the file runs instead.
 */
export function selectVariants<T>(
  variants: readonly T[],
  representative: T,
  name: (variant: T) => string,
): T[] {
  if (!variants.includes(representative)) {
    throw new Error(`the representative variant ${name(representative)} is not among the variants`);
  }
  if (variantScope() === "all") return [...variants];
  for (const variant of variants) {
    if (variant === representative) continue;
    describe(name(variant), () => {
      it("runs the conformance suite", (context) =>
        context.skip(`${NOT_SELECTED} runs ${name(representative)} for this file`));
    });
  }
  return [representative];
}
