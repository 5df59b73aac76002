import diagnosticsChannel from "node:diagnostics_channel";

/**
 * `node:diagnostics_channel` names published by every provider. Subscribe with
 * `diagnostics_channel.subscribe(channels.acquireEnd, (message) => …)`.
 */
export const channels = {
  /** {@link AcquireStartMessage}: an acquisition began. */
  acquireStart: "locks:acquire:start",
  /** {@link AcquireEndMessage}: an acquisition ended (acquired, timeout, aborted, error). */
  acquireEnd: "locks:acquire:end",
  /** {@link ReleaseMessage}: a handle was released. */
  release: "locks:release",
  /** {@link ExtendMessage}: a lease renewal finished (manual or automatic). */
  extend: "locks:extend",
  /** {@link LostMessage}: a held lock was lost. */
  lost: "locks:lost",
} as const;

/** Published on `locks:acquire:start`. */
export interface AcquireStartMessage {
  readonly key: string;
  readonly backend: string;
  /** Requested timeout in milliseconds (may be Infinity). */
  readonly timeout: number;
}

/** Published on `locks:acquire:end`. */
export interface AcquireEndMessage {
  readonly key: string;
  readonly backend: string;
  /** How the acquisition ended. `unavailable` is a `tryAcquire` that did not get the lock. */
  readonly outcome: "acquired" | "timeout" | "unavailable" | "aborted" | "error";
  /** Milliseconds from the call to its outcome. */
  readonly waitedMs: number;
  readonly fencingToken?: bigint | undefined;
  readonly error?: unknown;
}

/** Published on `locks:release`. */
export interface ReleaseMessage {
  readonly key: string;
  readonly backend: string;
  /** Milliseconds the lock was held. */
  readonly heldMs: number;
  /**
   * Whether the backend still held the lease when it was released: false means it had already
   * expired or been taken over (the critical section may have overlapped another holder);
   * undefined when the release failed.
   */
  readonly stillHeld: boolean | undefined;
}

/** Published on `locks:extend`. */
export interface ExtendMessage {
  readonly key: string;
  readonly backend: string;
  /** New lease in milliseconds. */
  readonly ttl: number;
  readonly automatic: boolean;
  /**
   * `extended`: renewed (or, without leases, checked and still held); `lost`: no longer held;
   * `unknown`: the backend could not tell; `error`: it threw (treated like `unknown`).
   */
  readonly outcome: "extended" | "lost" | "unknown" | "error";
  readonly error?: unknown;
}

/** Published on `locks:lost`. */
export interface LostMessage {
  readonly key: string;
  readonly backend: string;
  readonly error: Error;
}

const acquireStart = diagnosticsChannel.channel(channels.acquireStart);
const acquireEnd = diagnosticsChannel.channel(channels.acquireEnd);
const release = diagnosticsChannel.channel(channels.release);
const extend = diagnosticsChannel.channel(channels.extend);
const lost = diagnosticsChannel.channel(channels.lost);

/** Internal publishers; each is a no-op unless someone subscribed. */
export const publish = {
  acquireStart(message: AcquireStartMessage): void {
    if (acquireStart.hasSubscribers) acquireStart.publish(message);
  },
  acquireEnd(message: AcquireEndMessage): void {
    if (acquireEnd.hasSubscribers) acquireEnd.publish(message);
  },
  release(message: ReleaseMessage): void {
    if (release.hasSubscribers) release.publish(message);
  },
  extend(message: ExtendMessage): void {
    if (extend.hasSubscribers) extend.publish(message);
  },
  lost(message: LostMessage): void {
    if (lost.hasSubscribers) lost.publish(message);
  },
};
