/**
 * The fenced resource: a tiny TCP server in the coordinator that keeps, per key, the newest
 * fencing token written so far and rejects any write carrying a token that is not newer. It is
 * what a lock protects in production (a storage service that checks tokens), so a stale holder
 * that writes after a fault is turned away here.
 *
 * Protocol, one line each way: `<proc> <token> <key>\n` → `ok\n` or `stale <newest>\n`.
 */
import { createServer, type Server, type Socket } from "node:net";

/** The register and what it has seen. */
export interface FencedRegister {
  readonly host: string;
  readonly port: number;
  /** The process that made the last accepted write of `key` (the holder, as far as anyone knows). */
  lastWriter(key: string): number | undefined;
  /** Accepted and rejected writes so far. */
  readonly counts: { accepted: number; stale: number };
  close(): Promise<void>;
}

interface Entry {
  token: bigint;
  proc: number;
}

/** Starts a {@link FencedRegister} on a free loopback port. */
export async function startRegister(): Promise<FencedRegister> {
  const entries = new Map<string, Entry>();
  const counts = { accepted: 0, stale: 0 };
  const sockets = new Set<Socket>();

  const answer = (line: string): string => {
    const first = line.indexOf(" ");
    const second = line.indexOf(" ", first + 1);
    if (first < 0 || second < 0) return "error malformed\n";
    const proc = Number(line.slice(0, first));
    const token = BigInt(line.slice(first + 1, second));
    const key = line.slice(second + 1);
    const entry = entries.get(key);
    if (entry && token <= entry.token) {
      counts.stale += 1;
      return `stale ${entry.token}\n`;
    }
    entries.set(key, { token, proc });
    counts.accepted += 1;
    return "ok\n";
  };

  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let buffer = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      let end = buffer.indexOf("\n");
      while (end >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 1);
        socket.write(answer(line));
        end = buffer.indexOf("\n");
      }
    });
    socket.on("error", () => socket.destroy());
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("register has no address");
  return {
    host: "127.0.0.1",
    port: address.port,
    lastWriter: (key) => entries.get(key)?.proc,
    counts,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
