import { connect, createServer, type Socket } from "node:net";

/**
 * A loopback TCP proxy that can let requests through while swallowing their replies: the server
 * applies a write whose acknowledgement never arrives, which is what makes an outcome unknown to
 * the client. (`@locks/testing`'s proxy pauses or cuts both directions at once.)
 */
export interface ReplyDropper {
  readonly host: string;
  readonly port: number;
  /**
   * Drops the reply to the next `command` (e.g. `"insert"`) sent through the proxy, and every
   * later reply on that connection, until {@link ReplyDropper.cut}.
   */
  dropReplyTo(command: string): void;
  /** Closes every open connection (the client sees a network error). */
  cut(): void;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly upstream: Socket;
  dropping: boolean;
}

/** Starts a {@link ReplyDropper} on a free 127.0.0.1 port in front of `target`. */
export async function startReplyDropper(target: {
  host: string;
  port: number;
}): Promise<ReplyDropper> {
  const pairs = new Set<Pair>();
  /** The BSON of `{ <command>: "<collection>" }`'s first key, once armed. */
  let trigger: Buffer | undefined;
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    const pair: Pair = { client, upstream, dropping: false };
    pairs.add(pair);
    client.on("data", (chunk: Buffer) => {
      if (trigger && chunk.includes(trigger)) {
        trigger = undefined;
        pair.dropping = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (!pair.dropping) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of [client, upstream]) {
      socket.on("close", end);
      socket.on("error", end);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("the proxy has no address");
  const cut = () => {
    trigger = undefined;
    for (const { client, upstream } of [...pairs]) {
      client.destroy();
      upstream.destroy();
    }
  };
  return {
    host: "127.0.0.1",
    port: address.port,
    dropReplyTo(command) {
      // A command is an OP_MSG body whose first element is the string `<command>: <collection>`.
      trigger = Buffer.from(`\x02${command}\x00`, "latin1");
    },
    cut,
    close() {
      cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
