/**
 * A connection kept outside the driver's pool for control statements (cancelling a wait must
 * never queue for a pool slot): opened on first use, shared by concurrent callers while it opens,
 * and reopened on the next use once it has died or failed to open.
 */
export class ControlConnection<T> {
  private current: Promise<T> | undefined;

  constructor(
    /** Opens a new connection (and registers it wherever the backend counts its connections). */
    private readonly open: () => Promise<T>,
    /** True once `connection` can no longer be used. */
    private readonly isDead: (connection: T) => boolean,
  ) {}

  /** Opens the connection ahead of need, so that the first control statement costs one round trip. */
  prepare(): void {
    this.get().catch(() => {});
  }

  /** The live connection, opened (again) if needed. */
  get(): Promise<T> {
    const current = this.current;
    if (current) {
      return current.then((connection) => {
        if (!this.isDead(connection)) return connection;
        if (this.current === current) this.current = undefined;
        return this.get();
      });
    }
    const opening = this.open();
    this.current = opening;
    opening.catch(() => {
      if (this.current === opening) this.current = undefined;
    });
    return opening;
  }

  /** Forgets the connection and hands it to `dispose` once open (nothing if it failed to open). */
  async close(dispose: (connection: T) => void): Promise<void> {
    const current = this.current;
    this.current = undefined;
    await current?.then(dispose, () => {});
  }
}
