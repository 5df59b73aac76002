import { createServer, type Server, Socket } from "node:net";
import { LOOPBACK } from "./ports.js";

/**
 * A loopback TCP proxy in front of a server: a fault tool that works the same whether the
 * server runs locally, in a container or elsewhere.
 */
export interface TcpProxy {
  /** Address clients connect to instead of the target. */
  readonly host: string;
  /** Port clients connect to instead of the target. */
  readonly port: number;
  /** Resets every open connection (both sides, partitioned ones too); new connections are still accepted. */
  dropConnections(): void;
  /**
   * Stops forwarding in both directions, like a network partition or a frozen server:
   * connections stay open, bytes wait. New connections are accepted but not forwarded.
   */
  pause(): void;
  /** Forwards again, including whatever was held back. */
  resume(): void;
  /**
   * A silent partition, half-open: the server side of every open connection is closed (the
   * server sees its clients go and ends their sessions), while the client side stays open and
   * silent: what clients send is discarded and nothing reaches them, and they are not told.
   * Connections opened meanwhile are accepted and silent too. Healing (after `ms` milliseconds
   * when given, or on {@link TcpProxy.heal}) resets the client side of every partitioned
   * connection, as TCP does once its retransmissions give up; new connections are forwarded again.
   */
  partition(ms?: number): void;
  /** Ends a {@link TcpProxy.partition} now. */
  heal(): void;
  /**
   * Lost acknowledgements: the first connection that then sends a chunk for which `request`
   * returns true stops getting replies from that chunk on, while what it sends still reaches the
   * server. The server applies the request and its client never hears back (an outcome unknown
   * to the client) until the connection ends, e.g. by {@link TcpProxy.dropConnections}. One-shot:
   * call it again to arm it again.
   */
  dropReplies(request: (chunk: Buffer) => boolean): void;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Resets a connection (RST) where Node can, and closes it otherwise. Node cannot reset a socket
 * whose graceful end (`end()`, a FIN) is still being sent: the reset fails, the socket's handle
 * is never closed, and the process cannot exit (at exit Node waits for every handle to close,
 * spinning on one core). Such a socket is destroyed instead; its peer has its FIN already.
 */
export function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.writableEnded) socket.destroy();
  else socket.resetAndDestroy();
}

interface Pair {
  client: Socket;
  upstream: Socket;
  /** Partitioned: the upstream side is gone, the client side is kept silent. */
  cut: boolean;
  /** Replies are discarded (see `dropReplies`). */
  muted: boolean;
}

/** Starts a {@link TcpProxy} on a free 127.0.0.1 port forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  if (!target || typeof target.host !== "string" || !Number.isInteger(target.port)) {
    throw new TypeError("startTcpProxy(target) needs { host: string, port: integer }");
  }
  const pairs = new Set<Pair>();
  /** Client sockets kept open and silent by a partition, reset when it heals. */
  const silenced = new Set<Socket>();
  let paused = false;
  let partitioned = false;
  let healTimer: NodeJS.Timeout | undefined;
  let closed = false;
  /** The armed trigger of {@link TcpProxy.dropReplies}. */
  let muteOn: ((chunk: Buffer) => boolean) | undefined;

  const silence = (client: Socket) => {
    silenced.add(client);
    client.removeAllListeners("data");
    client.on("data", () => {}); // read and discard
    client.on("error", () => {});
    client.on("close", () => silenced.delete(client));
    client.resume();
  };

  const heal = () => {
    if (healTimer !== undefined) clearTimeout(healTimer);
    healTimer = undefined;
    partitioned = false;
    for (const client of [...silenced]) {
      silenced.delete(client);
      resetSocket(client);
    }
  };

  const forward = (from: Socket, to: Socket, dropped: () => boolean) => {
    from.on("data", (chunk: Buffer) => {
      if (dropped()) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once("drain", () => {
          if (!paused) from.resume();
        });
      }
    });
    from.on("end", () => to.end());
  };

  const server: Server = createServer({ pauseOnConnect: true }, (client) => {
    if (closed) {
      client.destroy();
      return;
    }
    if (partitioned) {
      silence(client);
      return;
    }
    const upstream = new Socket();
    const pair: Pair = { client, upstream, cut: false, muted: false };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      if (!pair.cut) client.destroy();
      upstream.destroy();
    };
    client.on("error", teardown);
    upstream.on("error", teardown);
    client.on("close", teardown);
    upstream.on("close", teardown);
    upstream.pause();
    client.on("data", (chunk: Buffer) => {
      if (muteOn?.(chunk)) {
        muteOn = undefined;
        pair.muted = true;
      }
    });
    forward(client, upstream, () => false);
    forward(upstream, client, () => pair.muted);
    upstream.connect(target.port, target.host, () => {
      if (!paused) {
        client.resume();
        upstream.resume();
      }
    });
  });
  server.on("error", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("proxy has no address");
  const port = address.port;

  return {
    host: LOOPBACK,
    port,
    dropConnections() {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        resetSocket(pair.client);
        resetSocket(pair.upstream);
      }
      for (const client of [...silenced]) {
        silenced.delete(client);
        resetSocket(client);
      }
    },
    pause() {
      paused = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
    },
    partition(ms?: number) {
      if (closed) return;
      partitioned = true;
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.cut = true;
        pair.upstream.destroy();
        silence(pair.client);
      }
      if (healTimer !== undefined) clearTimeout(healTimer);
      healTimer = ms === undefined ? undefined : setTimeout(heal, ms);
      healTimer?.unref();
    },
    heal,
    dropReplies(request) {
      if (typeof request !== "function") {
        throw new TypeError("dropReplies(request) needs a function of the chunk a client sends");
      }
      muteOn = request;
    },
    resume() {
      paused = false;
      for (const { client, upstream } of pairs) {
        if (upstream.connecting) continue;
        client.resume();
        upstream.resume();
      }
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      if (healTimer !== undefined) clearTimeout(healTimer);
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      }
      for (const client of [...silenced]) {
        silenced.delete(client);
        client.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
