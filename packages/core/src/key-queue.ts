/**
 * The local FIFO of one key on one provider: waiters take turns, so that only the head talks to
 * the backend, and a local release wakes the head at once instead of waiting for a notification.
 */
export class KeyQueue {
  /** Handles of this provider that currently hold the key. */
  held = 0;
  private readonly waiters: Ticket[] = [];

  /** Joins the queue. The returned ticket's `turn` resolves when it reaches the head. */
  enter(): Ticket {
    const ticket = new Ticket(this);
    this.waiters.push(ticket);
    if (this.waiters.length === 1) ticket.grantTurn();
    return ticket;
  }

  /** Hints the head waiter that the key may be free now. */
  wake(): void {
    this.waiters[0]?.wake();
  }

  /** True when nothing references the queue any more. */
  get idle(): boolean {
    return this.held === 0 && this.waiters.length === 0;
  }

  /** @internal */
  remove(ticket: Ticket): void {
    const index = this.waiters.indexOf(ticket);
    if (index < 0) return;
    this.waiters.splice(index, 1);
    if (index === 0) this.waiters[0]?.grantTurn();
  }
}

/** One waiter's place in a {@link KeyQueue}. */
export class Ticket {
  /** Resolves when this waiter is at the head of the queue. */
  readonly turn: Promise<void>;
  /** True once {@link turn} has resolved (readable without awaiting it). */
  hasTurn = false;
  private resolveTurn!: () => void;
  /** Set by a wake-up that arrived while nobody was listening; consumed by {@link takeWake}. */
  private pendingWake = false;
  private listener: (() => void) | undefined;

  constructor(private readonly queue: KeyQueue) {
    this.turn = new Promise((resolve) => {
      this.resolveTurn = resolve;
    });
  }

  /** @internal */
  grantTurn(): void {
    this.hasTurn = true;
    this.resolveTurn();
  }

  /** Records a wake-up and tells the current listener, if any. */
  wake(): void {
    this.pendingWake = true;
    this.listener?.();
  }

  /** Clears and returns whether a wake-up arrived since the last call. */
  takeWake(): boolean {
    const woken = this.pendingWake;
    this.pendingWake = false;
    return woken;
  }

  /** Sets the function called on the next wake-ups (undefined to stop listening). */
  listen(listener: (() => void) | undefined): void {
    this.listener = listener;
  }

  /** Leaves the queue (whether or not the turn came), passing the turn on. */
  leave(): void {
    this.listener = undefined;
    this.queue.remove(this);
  }
}
