import { describeError } from "./error-match.js";

/** An uncaught exception or unhandled rejection, and the scenario it happened in. */
export interface ProcessError {
  readonly kind: "uncaught exception" | "unhandled rejection";
  readonly error: unknown;
  /** The scenario running when it was reported, or `"between scenarios"`. */
  readonly during: string;
}

const BETWEEN = "between scenarios";

/**
 * Collects uncaught exceptions and unhandled rejections while the suite runs and attributes each to
 * the scenario that was running. A driver that emits `'error'` on an emitter with no listener
 * throws from inside its socket callback: that is an uncaught exception, not a rejection, and a
 * provider that causes one would crash a production process.
 *
 * While it listens, vitest leaves these events to it (vitest reports them itself only when it is
 * their sole listener), so each is reported once, on the scenario it belongs to.
 */
export class ProcessErrorWatch {
  private readonly seen: ProcessError[] = [];
  private current = BETWEEN;
  private readonly onException = (error: unknown) => this.record("uncaught exception", error);
  private readonly onRejection = (reason: unknown) => this.record("unhandled rejection", reason);

  /** Starts listening on `process`. */
  start(): void {
    process.on("uncaughtException", this.onException);
    process.on("unhandledRejection", this.onRejection);
  }

  /** Stops listening. */
  stop(): void {
    process.off("uncaughtException", this.onException);
    process.off("unhandledRejection", this.onRejection);
  }

  /** Attributes what follows to `scenario`. */
  begin(scenario: string): void {
    this.current = scenario;
  }

  /** Removes and returns what was reported during the current scenario; what follows is "between scenarios". */
  end(): ProcessError[] {
    const scenario = this.current;
    this.current = BETWEEN;
    return this.take(scenario);
  }

  /** Removes and returns what was reported outside every scenario. */
  between(): ProcessError[] {
    return this.take(BETWEEN);
  }

  private take(during: string): ProcessError[] {
    const taken = this.seen.filter((entry) => entry.during === during);
    for (const entry of taken) this.seen.splice(this.seen.indexOf(entry), 1);
    return taken;
  }

  private record(kind: ProcessError["kind"], error: unknown): void {
    this.seen.push({ kind, error, during: this.current });
  }
}

/** One line per error, for an assertion message. */
export function describeProcessErrors(errors: readonly ProcessError[]): string {
  return errors
    .map(({ kind, error }) => {
      const stack =
        error instanceof Error ? (error.stack?.split("\n").slice(1, 4).join(" | ") ?? "") : "";
      return `${kind}: ${describeError(error)}${stack ? ` (${stack.trim()})` : ""}`;
    })
    .join("\n");
}
