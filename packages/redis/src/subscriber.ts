import {
  closeConnection,
  type RedisConnection,
  type RedisSubscriberConnection,
} from "./connection.js";

interface Channel {
  readonly listeners: Set<(next?: string) => void>;
  /** Resolves when the server confirmed the SUBSCRIBE (never rejects). */
  confirmed: Promise<boolean>;
  /** The pending UNSUBSCRIBE of a channel nobody listens to any more (see LINGER_MS). */
  linger?: NodeJS.Timeout | undefined;
}

/**
 * How long (ms) a channel stays subscribed after its last listener left. Under contention the same
 * key is waited for again within milliseconds: keeping the subscription spares each wait a
 * SUBSCRIBE and an UNSUBSCRIBE, and lets it listen at once.
 */
export const LINGER_MS = 2_000;

/** A subscription to one channel: `ready` resolves once it is confirmed (or given up on). */
export interface Subscription {
  readonly ready: Promise<boolean>;
  stop(): void;
}

/** Where a backend's waiters listen for release messages. */
export interface ReleaseListener {
  subscribe(channel: string, listener: (next?: string) => void): Subscription;
  close(): Promise<void>;
}

/**
 * One SUBSCRIBE connection shared by every waiter of a provider (per server, for Redlock).
 * A release message carries the id of the waiter at the head of the key's queue (fair topologies).
 * Channels are reference-counted: the first waiter of a key subscribes; once the last one is gone
 * and none came back for {@link LINGER_MS}, the channel is unsubscribed.
 * ioredis resubscribes after a reconnect; since releases published while the connection was down
 * are lost, every listener is also woken once the connection is back, to re-check the lock.
 */
export class ReleaseSubscriber implements ReleaseListener {
  private connection: RedisSubscriberConnection | undefined;
  private readonly channels = new Map<string, Channel>();
  private everReady = false;
  private closed = false;
  /** Told each time the connection is lost (see {@link onLost}). */
  private readonly lostListeners = new Set<() => void>();

  constructor(
    /** Opens the subscriber connection (on first use), e.g. `client.duplicate()`. */
    private readonly openConnection: () => RedisSubscriberConnection,
    /** Longest wait (ms) for a SUBSCRIBE confirmation before relying on polling alone. */
    private readonly confirmTimeout: number,
  ) {}

  /** A subscriber on a duplicate of `client` (same server or Cluster, same options). */
  static of(client: RedisConnection, confirmTimeout: number): ReleaseSubscriber {
    return new ReleaseSubscriber(() => client.duplicate(), confirmTimeout);
  }

  subscribe(channel: string, listener: (next?: string) => void): Subscription {
    const connection = this.open();
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = {
        listeners: new Set(),
        confirmed: connection.subscribe(channel).then(
          () => true,
          () => false,
        ),
      };
      this.channels.set(channel, entry);
    }
    clearTimeout(entry.linger);
    entry.linger = undefined;
    // A fresh wrapper per subscription, so the same function may be registered twice.
    const wrapper = (next?: string) => listener(next);
    entry.listeners.add(wrapper);
    const current = entry;
    let stopped = false;
    return {
      ready: withTimeout(current.confirmed, this.confirmTimeout),
      stop: () => {
        if (stopped) return;
        stopped = true;
        current.listeners.delete(wrapper);
        if (current.listeners.size > 0 || this.closed) return;
        clearTimeout(current.linger);
        current.linger = setTimeout(() => {
          current.linger = undefined;
          if (current.listeners.size > 0 || this.channels.get(channel) !== current) return;
          this.channels.delete(channel);
          if (!this.closed) connection.unsubscribe(channel).catch(() => {});
        }, LINGER_MS);
        current.linger.unref();
      },
    };
  }

  /**
   * Calls `listener` each time the connection closes other than by {@link close} (a dropped
   * connection, or a failed attempt to open it): messages published until it is back are lost.
   * Returns a function that removes the listener.
   */
  onLost(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => {
      this.lostListeners.delete(listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lostListeners.clear();
    for (const entry of this.channels.values()) clearTimeout(entry.linger);
    this.channels.clear();
    const connection = this.connection;
    this.connection = undefined;
    if (connection) await closeConnection(connection);
  }

  private open(): RedisSubscriberConnection {
    if (this.connection) return this.connection;
    const connection = this.openConnection();
    // ioredis re-subscribes by itself after a reconnect, through a promise nobody can handle: if the
    // connection closes before the answer (killed again, or closed by us), that promise rejects
    // unhandled, which crashes a process under Node's default `--unhandled-rejections=throw`. A
    // plain connection (not a Cluster) is re-subscribed here instead, with the outcome handled.
    const options = (connection as { options?: { autoResubscribe?: boolean } }).options;
    const resubscribeHere = !isCluster(connection) && options !== undefined;
    if (resubscribeHere) options.autoResubscribe = false;
    connection.on("error", () => {
      // Connection errors surface as missed notifications; polling covers them.
    });
    connection.on("message", ((channel: string, message: string) => {
      const entry = this.channels.get(channel);
      // The message names the queue's head, if any; "1" is a release that names nobody.
      const next = message === "" || message === "1" ? undefined : message;
      if (entry) for (const listener of [...entry.listeners]) listener(next);
    }) as (...args: unknown[]) => void);
    connection.on("close", () => {
      if (!this.closed) for (const listener of [...this.lostListeners]) listener();
    });
    connection.on("ready", () => {
      if (this.everReady) {
        if (resubscribeHere) {
          for (const [channel, entry] of this.channels) {
            entry.confirmed = connection.subscribe(channel).then(
              () => true,
              () => false,
            );
          }
        }
        // Back after a disconnect: anything published meanwhile was missed.
        for (const entry of this.channels.values()) {
          for (const listener of [...entry.listeners]) listener();
        }
      }
      this.everReady = true;
    });
    this.connection = connection;
    return connection;
  }
}

function withTimeout(promise: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
      timer.unref();
    }),
  ]).finally(() => clearTimeout(timer));
}

/** An ioredis Cluster (it re-subscribes through its own subscriber connection). */
export function isCluster(connection: object): boolean {
  return typeof (connection as { nodes?: unknown }).nodes === "function";
}
