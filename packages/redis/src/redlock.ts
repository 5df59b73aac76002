import {
  type BackendLease,
  type ExtendResult,
  type LockBackend,
  now,
  type WaitTuning,
} from "@locks/core/backend";
import { closeConnection, integerReply, type RedisConnection, runScript } from "./connection.js";
import type { Drift } from "./drift.js";
import { RedisQuorumError } from "./errors.js";
import { redisLockKeys } from "./keys.js";
import { EXTEND, RELEASE } from "./scripts.lua.js";
import { ReleaseSubscriber } from "./subscriber.js";
import { newToken, pxTtl } from "./token.js";

/** One server of a Redlock set. */
interface RedlockNode {
  readonly client: RedisConnection;
  readonly owned: boolean;
  readonly subscriber: ReleaseSubscriber;
  /** Monotonic time since which the connection has been seen down, if it is. */
  downSince: number | undefined;
}

/** Outcome of one command on one node. */
type NodeReply<T> = { ok: true; value: T } | { ok: false; error: unknown };

const UNREACHABLE = new Error("the Redis server is not connected");

/**
 * Redlock over N independent Redis servers: a lock is held when a quorum (⌊N/2⌋+1) of them
 * granted it within its validity (ttl − elapsed − drift, on the local monotonic clock).
 *
 * Fencing is not offered: the servers share no counter, so no single ordering of grants exists
 * that a protected resource could check.
 */
export class RedlockBackend implements LockBackend {
  readonly name = "redis";
  readonly capabilities = {
    fencing: false,
    leases: true,
    distributed: true,
    notifications: true,
    // Independent servers cannot agree on one arrival order without coordination (see README).
    fairness: false,
  } as const;
  readonly waitTuning: Partial<WaitTuning>;
  readonly quorum: number;
  private readonly nodes: RedlockNode[];
  private readonly pendingCleanups = new Set<Promise<unknown>>();

  constructor(
    clients: ReadonlyArray<{ client: RedisConnection; owned: boolean }>,
    private readonly drift: Drift,
    /** Longest wait (ms) for one server's reply before counting it unreachable. */
    private readonly nodeTimeout: number,
    waitTuning: Partial<WaitTuning>,
    subscribeTimeout: number,
  ) {
    this.waitTuning = waitTuning;
    this.nodes = clients.map(({ client, owned }) => ({
      client,
      owned,
      subscriber: ReleaseSubscriber.of(client, subscribeTimeout),
      downSince: undefined,
    }));
    this.quorum = Math.floor(this.nodes.length / 2) + 1;
  }

  async tryAcquire(key: string, ttl: number): Promise<BackendLease | undefined> {
    const { lock, channel } = redisLockKeys(key);
    const token = newToken();
    const px = pxTtl(ttl);
    const started = now();
    let failed = false;
    const outcome = await this.decide(
      (node) => node.client.call("set", lock, token, "PX", px, "NX"),
      (reply) => reply === "OK",
      // A grant that lands after the attempt failed is released there (again: the release below
      // already follows it on the same connection, this covers a resend after a reconnect).
      (index) => {
        if (failed) void this.cleanup(this.nodes[index]!, lock, token, channel);
      },
    );
    const validity = ttl - (now() - started) - this.drift(ttl);
    if (outcome.granted >= this.quorum && validity > 0) {
      // Counted from when the attempt was sent (core measures that moment).
      return { key, token, validity: ttl - this.drift(ttl) };
    }
    // Failed attempt (no quorum, or no validity left): undo every grant, here and late ones.
    failed = true;
    await this.releaseEverywhere(lock, token, channel);
    if (outcome.granted < this.quorum && outcome.reachable < this.quorum) {
      throw new RedisQuorumError(key, "acquire", this.counts(outcome.reachable), outcome.error);
    }
    return undefined;
  }

  /**
   * `"renewed"` with a quorum and validity left; `"lost"` when fewer than a quorum can still hold
   * it; throws `RedisQuorumError` (core reads it as `"unknown"` and retries until the lease's
   * deadline) when unreachable servers keep the outcome open.
   */
  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    const { lock, channel } = redisLockKeys(lease.key);
    const px = pxTtl(ttl);
    const started = now();
    const missing = new Set<number>();
    const outcome = await this.decide(
      (node) => runScript(node.client, EXTEND, [lock], [lease.token, px]),
      (reply, index) => {
        const code = integerReply(reply);
        // Replies after the decision are not acted on: the handle may be released by then.
        if (code === 2) missing.add(index);
        return code === 1;
      },
      () => {},
    );
    const validity = ttl - (now() - started) - this.drift(ttl);
    if (outcome.granted >= this.quorum && validity > 0) {
      // Servers restarted without persistence lost the key: put it back, with the same token,
      // only where nobody else took it, and only now that a quorum still holds.
      await Promise.all(
        [...missing].map((index) => this.reestablish(index, lock, lease.token, px)),
      );
      return "renewed";
    }
    const unreachable = this.nodes.length - outcome.reachable;
    if (outcome.granted + unreachable < this.quorum || validity <= 0) {
      // Held by fewer than a quorum, whatever the unreachable servers say: the lock is lost.
      await this.releaseEverywhere(lock, lease.token, channel);
      return "lost";
    }
    // Unreachable servers keep the outcome open ("unknown"): the typed error says how many answered.
    throw new RedisQuorumError(lease.key, "extend", this.counts(outcome.reachable), outcome.error);
  }

  async release(lease: BackendLease): Promise<boolean> {
    const { lock, channel } = redisLockKeys(lease.key);
    const replies = await Promise.all(
      this.nodes.map((node) =>
        this.send(node, () => runScript(node.client, RELEASE, [lock], [lease.token, channel])),
      ),
    );
    const answered = replies.filter((reply) => reply.ok);
    if (answered.length === 0) {
      const failed = replies.find((reply) => !reply.ok);
      throw new RedisQuorumError(lease.key, "release", this.counts(0), failed?.error);
    }
    // Keys on unreachable servers expire with their ttl.
    return answered.some((reply) => integerReply(reply.value) === 1);
  }

  async onReleased(key: string, listener: () => void): Promise<() => void> {
    const { channel } = redisLockKeys(key);
    const subscriptions = this.nodes.map((node) => node.subscriber.subscribe(channel, listener));
    const stop = () => {
      for (const subscription of subscriptions) subscription.stop();
    };
    // A release deletes the key on at least a quorum of servers and announces it on each, so a
    // quorum of confirmed subscriptions always overlaps one that hears it.
    await atLeast(
      subscriptions.map((s) => s.ready),
      this.quorum,
    );
    return stop;
  }

  async close(): Promise<void> {
    // Give clean-ups in flight a moment; keys they could not delete expire with their ttl.
    await Promise.race([
      Promise.allSettled([...this.pendingCleanups]),
      new Promise((resolve) => setTimeout(resolve, this.nodeTimeout).unref()),
    ]);
    await Promise.all(
      this.nodes.map(async (node) => {
        await node.subscriber.close();
        if (node.owned) await closeConnection(node.client);
      }),
    );
  }

  /**
   * Sends one command to every node in parallel and resolves as soon as the outcome is decided
   * (a quorum granted, or a quorum can no longer grant). Replies still pending are left running;
   * `onLateGrant` receives the index of a node that granted after a failed decision.
   */
  private decide(
    command: (node: RedlockNode) => Promise<unknown>,
    granted: (reply: unknown, index: number) => boolean,
    onLateGrant: (index: number) => void,
  ): Promise<{ granted: number; reachable: number; error: unknown }> {
    return new Promise((resolve) => {
      const total = this.nodes.length;
      let grantedCount = 0;
      let reachable = 0;
      let settled = 0;
      let decided = false;
      let error: unknown;
      const check = () => {
        if (decided) return;
        const pending = total - settled;
        if (grantedCount >= this.quorum || grantedCount + pending < this.quorum) {
          decided = true;
          resolve({ granted: grantedCount, reachable: reachable + pending, error });
        }
      };
      this.nodes.forEach((node, index) => {
        void this.send(node, () => command(node)).then((reply) => {
          settled++;
          let yes = false;
          if (reply.ok) {
            try {
              yes = granted(reply.value, index);
              reachable++;
            } catch (cause) {
              error = cause;
            }
          } else {
            error = reply.error;
          }
          if (yes) {
            if (decided) onLateGrant(index);
            else grantedCount++;
          }
          check();
        });
      });
    });
  }

  /**
   * Runs `command` on `node` and gives up after `nodeTimeout` ms; a node whose connection has
   * been down for longer than that counts as unreachable at once (a brief reconnect does not).
   * Never rejects.
   */
  private send<T>(node: RedlockNode, command: () => Promise<T>): Promise<NodeReply<T>> {
    const status = node.client.status;
    if (status === "reconnecting" || status === "close" || status === "end") {
      node.downSince ??= now();
      if (status === "end" || now() - node.downSince > this.nodeTimeout) {
        return Promise.resolve({ ok: false, error: UNREACHABLE });
      }
    } else if (status === "ready") {
      node.downSince = undefined;
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve({
          ok: false,
          error: new Error(`the Redis server did not answer within ${this.nodeTimeout} ms`),
        });
      }, this.nodeTimeout);
      command().then(
        (value) => {
          clearTimeout(timer);
          resolve({ ok: true, value });
        },
        (error: unknown) => {
          clearTimeout(timer);
          resolve({ ok: false, error });
        },
      );
    });
  }

  private reestablish(index: number, lock: string, token: string, px: number): Promise<unknown> {
    const node = this.nodes[index]!;
    return this.send(node, () => node.client.call("set", lock, token, "PX", px, "NX"));
  }

  /** Releases the key everywhere; grants still in flight are released when they land. */
  private async releaseEverywhere(lock: string, token: string, channel: string): Promise<void> {
    await Promise.all(this.nodes.map((node) => this.cleanup(node, lock, token, channel)));
  }

  private cleanup(node: RedlockNode, lock: string, token: string, channel: string): Promise<void> {
    const run = runScript(node.client, RELEASE, [lock], [token, channel]).then(
      () => {},
      () => {},
    );
    this.pendingCleanups.add(run);
    void run.finally(() => this.pendingCleanups.delete(run));
    return this.send(node, () => run).then(() => {});
  }

  private counts(reachable: number) {
    return { reachable, nodes: this.nodes.length, quorum: this.quorum };
  }
}

/** Resolves once `count` of `promises` resolved true, or all settled. */
function atLeast(promises: Promise<boolean>[], count: number): Promise<void> {
  return new Promise((resolve) => {
    let ok = 0;
    let settled = 0;
    for (const promise of promises) {
      void promise.then((value) => {
        settled++;
        if (value) ok++;
        if (ok >= count || settled === promises.length) resolve();
      });
    }
    if (promises.length === 0) resolve();
  });
}
