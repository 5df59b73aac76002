/**
 * Operations in flight per id (a waiter's queue writes), so that a later operation on the same id
 * can wait for them to settle: the removal of a queue entry must not run before the write that
 * creates it, or the entry would outlive its wait.
 */
export class InFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  /** Registers `operation` under `id` until it settles, and returns it. */
  track<T>(id: string, operation: Promise<T>): Promise<T> {
    const settled = operation.then(
      () => {},
      () => {},
    );
    this.running.set(id, settled);
    void settled.then(() => {
      if (this.running.get(id) === settled) this.running.delete(id);
    });
    return operation;
  }

  /** Resolves once the operation in flight under `id` (if any) has settled; never rejects. */
  async settled(id: string): Promise<void> {
    await this.running.get(id);
  }
}
