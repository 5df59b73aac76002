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
  /** Resets every open connection (both sides); new connections are still accepted. */
  dropConnections(): void;
  /**
   * Stops forwarding in both directions, like a network partition or a frozen server:
   * connections stay open, bytes wait. New connections are accepted but not forwarded.
   */
  pause(): void;
  /** Forwards again, including whatever was held back. */
  resume(): void;
  /** Stops listening and drops every connection. Idempotent. */
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
}

/** Starts a {@link TcpProxy} on a free 127.0.0.1 port forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  if (!target || typeof target.host !== "string" || !Number.isInteger(target.port)) {
    throw new TypeError("startTcpProxy(target) needs { host: string, port: integer }");
  }
  const pairs = new Set<Pair>();
  let paused = false;
  let closed = false;

  const forward = (from: Socket, to: Socket) => {
    from.on("data", (chunk) => {
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
    const upstream = new Socket();
    const pair: Pair = { client, upstream };
    pairs.add(pair);
    const teardown = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", teardown);
    upstream.on("error", teardown);
    client.on("close", teardown);
    upstream.on("close", teardown);
    upstream.pause();
    forward(client, upstream);
    forward(upstream, client);
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
        pair.client.resetAndDestroy();
        pair.upstream.resetAndDestroy();
      }
    },
    pause() {
      paused = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream.pause();
      }
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
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.client.destroy();
        pair.upstream.destroy();
      }
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
