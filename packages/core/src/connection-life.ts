/**
 * Whether a driver connection (a server session) still lives, and who to tell when it dies: the
 * loss monitor of a lock held on it (`watchLease`), the set of connections a backend counts. It
 * dies once, with the first cause reported (an `'error'` or `'end'` event, a reply that never
 * came, a deliberate discard); later reports change nothing.
 */
export class ConnectionLife {
  private deathCause: unknown;
  private readonly listeners = new Set<(cause: unknown) => void>();

  /** True once the connection ended, failed or was destroyed. */
  get dead(): boolean {
    return this.deathCause !== undefined;
  }

  /** Why the connection died, when it did. */
  get cause(): unknown {
    return this.deathCause;
  }

  /** Calls `listener` once when the connection dies (at once if it already has). Returns an unsubscribe. */
  onDeath(listener: (cause: unknown) => void): () => void {
    if (this.deathCause !== undefined) {
      listener(this.deathCause);
      return () => {};
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records the death (the first cause wins) and tells every listener once. */
  die(cause: unknown): void {
    if (this.deathCause !== undefined) return;
    this.deathCause = cause ?? new Error("connection closed");
    for (const listener of [...this.listeners]) listener(this.deathCause);
    this.listeners.clear();
  }
}
