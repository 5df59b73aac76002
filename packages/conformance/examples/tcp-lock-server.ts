/**
 * A small lock server over TCP: a `MemoryLockStore` behind newline-delimited JSON. It stands in
 * for your database in the template provider's tests (`template-provider.ts`), so that the
 * conformance suite runs a genuinely distributed provider, child processes and every fault hook
 * included, without an external server. Each fault method is what an operator or the network
 * would do to a real server.
 */
import { createServer, type Server, type Socket } from "node:net";
import { MemoryLockStore } from "@locks/core";

/** One request line. `client` (in `hello`) names the provider, so that faults can target it. */
export type Request =
  | { id: number; op: "hello"; client: string }
  | { id: number; op: "acquire"; key: string; ttl: number; waiter?: { id: string; ttl: number } }
  | { id: number; op: "leave"; key: string; waiter: string }
  | { id: number; op: "extend" | "release"; key: string; token: string; ttl?: number }
  | { id: number; op: "subscribe" | "unsubscribe"; key: string };

/** One reply line: the answer to request `id`, or a pushed release event. */
export type Reply =
  | { id: number; result: unknown }
  | { event: "released"; key: string; next?: string };

/** Calls `handle` with each newline-delimited line that arrives on `socket`. */
export function onLines(socket: Socket, handle: (line: string) => void): void {
  let buffer = "";
  socket.on("data", (chunk) => {
    buffer += chunk.toString("utf8");
    let newline = buffer.indexOf("\n");
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      newline = buffer.indexOf("\n");
      handle(line);
    }
  });
}

/** How long (ms) a client's new connections are refused after {@link TcpLockServer.dropConnections}. */
const REFUSE_AFTER_DROP = 300;

/** The server side; lives in the test process. */
export class TcpLockServer {
  private readonly keys = new Set<string>();
  private readonly clients = new Map<string, Set<Socket>>();
  private readonly sockets = new Set<Socket>();
  private readonly partitioned = new Set<string>();
  /** Client id → monotonic time until which its new connections are refused. */
  private readonly refused = new Map<string, number>();
  private paused: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly store: MemoryLockStore,
  ) {}

  /** Starts a server on a free loopback port, keeping its locks (and queues) in `store`. */
  static async start(store = new MemoryLockStore()): Promise<TcpLockServer> {
    let instance!: TcpLockServer;
    const server = createServer((socket) => instance.accept(socket));
    instance = new TcpLockServer(server, store);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    return instance;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === "string") throw new Error("not listening");
    return address.port;
  }

  /** Deletes the lock of `key`, whoever holds it. */
  async breakLock(key: string): Promise<void> {
    this.store.breakLock(key);
  }

  /**
   * Destroys every connection of one client (one provider) and, like a failover that takes a
   * moment, refuses its new connections for {@link REFUSE_AFTER_DROP} ms: requests in that window
   * fail with a connection error, which a wait must ride out.
   */
  async dropConnections(client: string): Promise<void> {
    this.refused.set(client, performance.now() + REFUSE_AFTER_DROP);
    for (const socket of this.clients.get(client) ?? []) socket.destroy();
  }

  /** Like a server restart without persistence: every connection dies, every lock is gone. */
  async restart(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    for (const key of this.keys) this.store.breakLock(key);
  }

  /** Stops answering for `ms` milliseconds (requests queue up), then resumes. */
  async pause(ms: number): Promise<void> {
    const paused = new Promise<void>((resolve) => setTimeout(resolve, ms));
    this.paused = paused;
    await paused;
    if (this.paused === paused) this.paused = undefined;
  }

  /**
   * A silent partition of one client for `ms` milliseconds: its connections stay open, but what it
   * sends is dropped and nothing is sent to it (answers, release events), so its requests hang.
   * Locks are leases here: the server just stops hearing renewals. When the partition heals, the
   * client's connections are reset, as TCP does once its retransmissions give up.
   */
  async partition(client: string, ms: number): Promise<void> {
    this.partitioned.add(client);
    const heal = setTimeout(() => {
      this.partitioned.delete(client);
      for (const socket of this.clients.get(client) ?? []) socket.destroy();
    }, ms);
    heal.unref();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const subscriptions = new Map<string, () => void>();
    let client = "";
    const send = (reply: Reply) => {
      if (!socket.destroyed && !this.partitioned.has(client)) {
        socket.write(`${JSON.stringify(reply, bigints)}\n`);
      }
    };
    let queue = Promise.resolve();
    onLines(socket, (line) => {
      const request = JSON.parse(line) as Request;
      // In order, and held back while the server is paused.
      queue = queue.then(async () => {
        await this.paused;
        if (request.op === "hello") {
          if ((this.refused.get(request.client) ?? 0) > performance.now()) {
            socket.destroy();
            return;
          }
          client = request.client;
          const set = this.clients.get(client) ?? new Set<Socket>();
          this.clients.set(client, set);
          set.add(socket);
        }
        if (this.partitioned.has(client)) return; // lost on the way
        send({ id: request.id, result: this.handle(request, subscriptions, send) });
      });
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.sockets.delete(socket);
      this.clients.get(client)?.delete(socket);
      for (const unsubscribe of subscriptions.values()) unsubscribe();
    });
  }

  private handle(
    request: Request,
    subscriptions: Map<string, () => void>,
    send: (reply: Reply) => void,
  ): unknown {
    switch (request.op) {
      case "hello":
        return true;
      case "acquire": {
        this.keys.add(request.key);
        return this.store.tryAcquire(request.key, request.ttl, request.waiter) ?? null;
      }
      case "leave":
        this.store.leaveQueue(request.key, request.waiter);
        return true;
      case "extend":
        return this.store.extend(request.key, request.token, request.ttl ?? 0);
      case "release":
        return this.store.release(request.key, request.token);
      case "subscribe":
        if (!subscriptions.has(request.key)) {
          const key = request.key;
          subscriptions.set(
            key,
            this.store.onReleased(key, (next) => send({ event: "released", key, next })),
          );
        }
        return true;
      case "unsubscribe":
        subscriptions.get(request.key)?.();
        subscriptions.delete(request.key);
        return true;
    }
  }
}

function bigints(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
