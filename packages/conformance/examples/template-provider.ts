/**
 * A template for your own `@locks` provider: copy this file, replace the small TCP client with
 * your driver, keep the shape. It passes the whole conformance suite (this package's own tests run
 * it against `tcp-lock-server.ts`), child processes and every fault hook included. The backend
 * author's guide (`../BACKENDS.md`) explains each rule the comments below refer to.
 *
 * Three parts: the driver (here `TcpLockClient`; in your package `pg`, `ioredis`…), the backend
 * (`TemplateBackend`: one primitive per method, nothing else) and the factory
 * (`createTemplateProvider`, which hands the backend to core's `createLockProvider`; core adds
 * waiting, renewal, the lost signal, validation and diagnostics).
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { connect, type Socket } from "node:net";
import type { LockProvider } from "@locks/core";
import {
  type BackendLease,
  createLockProvider,
  type ExtendResult,
  type LockBackend,
  type WaiterEntry,
} from "@locks/core/backend";
import { onLines, type Reply } from "./tcp-lock-server.js";

/**
 * The "driver": one connection, re-opened on demand after it dies, requests answered in order.
 * Like real drivers it is an `EventEmitter` that emits `'error'` when its connection fails and
 * `'released'` (key, next waiter) for pushed notifications.
 */
export class TcpLockClient extends EventEmitter {
  /** Identifies this client to the server (fault hooks target a provider by it). */
  readonly id = randomUUID();
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { resolve(v: unknown): void; reject(e: Error): void }
  >();
  private readonly subscribed = new Set<string>();
  private closed = false;

  constructor(private readonly port: number) {
    super();
  }

  async request(body: Record<string, unknown>): Promise<unknown> {
    return this.send(await this.connection(), body);
  }

  async subscribe(key: string): Promise<void> {
    this.subscribed.add(key);
    await this.request({ op: "subscribe", key });
  }

  unsubscribe(key: string): void {
    this.subscribed.delete(key);
    if (this.socket) void this.request({ op: "unsubscribe", key }).catch(() => {});
  }

  close(): void {
    this.closed = true;
    this.socket?.destroy();
  }

  private send(socket: Socket, body: Record<string, unknown>): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      socket.write(`${JSON.stringify({ id, ...body })}\n`);
    });
  }

  private connection(): Promise<Socket> {
    if (this.closed) return Promise.reject(new Error("client closed"));
    if (this.socket && !this.socket.destroyed) return Promise.resolve(this.socket);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private async open(): Promise<Socket> {
    const socket = connect(this.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    onLines(socket, (line) => {
      const reply = JSON.parse(line) as Reply;
      if ("event" in reply) this.emit("released", reply.key, reply.next);
      else {
        this.pending.get(reply.id)?.resolve(reply.result);
        this.pending.delete(reply.id);
      }
    });
    socket.on("error", () => {}); // reported once, as 'close' below
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      const error = Object.assign(new Error("connection closed"), { code: "ECONNRESET" });
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
      // What a real driver does when its connection fails: emit 'error'. Without a listener this
      // throws from inside the socket callback and crashes the process.
      if (!this.closed) this.emit("error", error);
    });
    this.socket = socket;
    await this.send(socket, { op: "hello", client: this.id });
    for (const key of this.subscribed)
      void this.send(socket, { op: "subscribe", key }).catch(() => {});
    return socket;
  }
}

/**
 * The backend: one primitive per method over the driver. Keys arrive as backend keys
 * (`backendKey(prefix, key)`, injective), ready to store as they are.
 */
export class TemplateBackend implements LockBackend {
  readonly name = "template";
  // What the backend guarantees; each capability switches core behaviour and suite scenarios.
  // `fairness`: the server keeps a FIFO of waiting nodes per key (tryAcquire's `waiter`).
  readonly capabilities = {
    fencing: true,
    leases: true,
    distributed: true,
    notifications: true,
    fairness: true,
  };
  // Polling between notifications: notifications are hints, polling is the safety net.
  readonly waitTuning = { minDelay: 5, maxDelay: 200 };
  private readonly listeners = new Map<string, Set<(next?: string) => void>>();

  constructor(readonly client: TcpLockClient) {
    this.watchDriver();
    client.on("released", (key: string, next?: string) => {
      for (const listener of this.listeners.get(key) ?? []) listener(next);
    });
  }

  /**
   * Rule: listen to every driver `'error'` event. The failure itself reaches core through the
   * rejected requests; after a reconnect, waiters may have missed a release, so wake them.
   */
  protected watchDriver(): void {
    this.client.on("error", () => {
      for (const set of this.listeners.values()) for (const listener of set) listener();
    });
  }

  /**
   * One attempt, never a wait: the lease, or `undefined` when someone else holds the key. Throw
   * when the backend failed. Core also calls this while this same provider holds the key (a
   * `tryAcquire()` with timeout 0), so a server that is re-entrant per session must refuse it.
   * With `waiter` (a waiting node), the server grants only to the oldest live waiter and queues
   * (or refreshes) the others; without, it never grants while someone is queued.
   */
  async tryAcquire(
    key: string,
    ttl: number,
    waiter?: WaiterEntry,
  ): Promise<BackendLease | undefined> {
    const granted = (await this.client.request({ op: "acquire", key, ttl, waiter })) as {
      token: string;
      fencingToken: string;
    } | null;
    return granted
      ? { key, token: granted.token, fencingToken: BigInt(granted.fencingToken) }
      : undefined;
  }

  /**
   * Renews this lease to `ttl` ms, checked against the lease's own token: `"lost"` only when it is
   * definitely not held any more (another grant, or gone); a failure to find out throws (core
   * reads it as `"unknown"` and retries until the lease's deadline).
   */
  async extend(lease: BackendLease, ttl: number): Promise<ExtendResult> {
    const result = await this.client.request({
      op: "extend",
      key: lease.key,
      token: lease.token,
      ttl,
    });
    return result === true ? "renewed" : "lost";
  }

  /**
   * Releases this lease only: compare-and-delete on its own token, never "everything this
   * connection holds" and never by session. Core calls it for handles already reported lost, and
   * after a takeover this same provider may hold a newer grant of the key.
   */
  async release(lease: BackendLease): Promise<boolean> {
    return (
      (await this.client.request({ op: "release", key: lease.key, token: lease.token })) === true
    );
  }

  /** Removes a waiter's queue entry at once (its wait ended without a grant). */
  async leaveQueue(key: string, waiterId: string): Promise<void> {
    await this.client.request({ op: "leave", key, waiter: waiterId });
  }

  /**
   * Resolves once the subscription is active, so that no release after it is missed. The
   * listener gets the queue head's waiter id, so that only that node attempts.
   */
  async onReleased(key: string, listener: (next?: string) => void): Promise<() => void> {
    let set = this.listeners.get(key);
    if (!set) {
      set = new Set();
      this.listeners.set(key, set);
    }
    set.add(listener);
    await this.client.subscribe(key);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(key) === set) {
        this.listeners.delete(key);
        this.client.unsubscribe(key);
      }
    };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

/** Options of {@link createTemplateProvider}: plain JSON, so that a child process can get them. */
export interface TemplateProviderOptions {
  /** Port of the `TcpLockServer` on 127.0.0.1. */
  port: number;
  /** Key prefix (the suite's prefix-isolation scenario passes one). */
  prefix?: string;
}

const clients = new WeakMap<LockProvider, TcpLockClient>();

/** A fresh provider (one "node"), with its own connection. */
export function createTemplateProvider(options: TemplateProviderOptions): LockProvider {
  const client = new TcpLockClient(options.port);
  const provider = createLockProvider(new TemplateBackend(client), { prefix: options.prefix });
  clients.set(provider, client);
  return provider;
}

/** The client id of a provider made here: fault hooks use it to target that provider's connections. */
export function clientOf(provider: LockProvider): string {
  const client = clients.get(provider);
  if (!client) throw new Error("not a template provider");
  return client.id;
}
