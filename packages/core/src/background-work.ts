/**
 * Work a backend goes on with after the call that started it has returned (e.g. cleaning up a
 * session after a cancelled wait), which its `close()` waits for.
 */
export class BackgroundWork {
  private readonly pending = new Set<Promise<void>>();

  /** Keeps `work` until it settles; the result resolves then, whatever `work`'s outcome. */
  track(work: Promise<void>): Promise<void> {
    const tracked = work.catch(() => {});
    this.pending.add(tracked);
    void tracked.then(() => this.pending.delete(tracked));
    return tracked;
  }

  /** Resolves once everything tracked so far has settled. */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}
