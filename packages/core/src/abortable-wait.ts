/**
 * The bookkeeping of a native blocking wait (a server-side lock wait on a dedicated session) that
 * an abort cancels from another connection. Each blocking statement goes through {@link run}, so
 * that the cancel knows what is in flight; the first abort of `signal` starts `cancel` once.
 * When the wait is over, {@link finish} stops listening and tells when that cancel has landed:
 * only then may the session run its clean-up statement, which a late cancel would otherwise hit.
 */
export class AbortableWait {
  private statement: Promise<unknown> | undefined;
  private cancelling: Promise<void> | undefined;
  private readonly onAbort: () => void;

  constructor(
    private readonly signal: AbortSignal,
    /** Cancels the statement `running()` returns until it has ended (see `cancelUntilEnded`). */
    cancel: (running: () => Promise<unknown> | undefined) => Promise<void>,
  ) {
    this.onAbort = () => {
      this.cancelling ??= cancel(() => this.statement);
    };
    signal.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Runs one blocking statement, known as the one in flight until it settles. */
  async run<T>(statement: Promise<T>): Promise<T> {
    this.statement = statement;
    try {
      return await statement;
    } finally {
      this.statement = undefined;
    }
  }

  /** Stops listening for the abort; resolves once the cancel it started, if any, has landed. */
  finish(): Promise<void> {
    this.signal.removeEventListener("abort", this.onAbort);
    return this.cancelling ?? Promise.resolve();
  }
}
