import { createServer, Socket } from "node:net";

/** The loopback address every server started here listens on. */
export const LOOPBACK = "127.0.0.1";

/** Asks the kernel for a free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error("no free port"))));
    });
  });
}

/** Resolves true when a TCP connection to host:port succeeds within `timeoutMs` (ms). */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once("error", () => done(false));
    socket.connect(port, host, () => done(true));
  });
}

/** Polls until nothing accepts connections on host:port, or `timeoutMs` (ms) passes. */
export function waitPortClosed(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return waitConnectable(host, port, false, timeoutMs);
}

/** Polls until host:port accepts connections, or `timeoutMs` (ms) passes. */
export function waitPortOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return waitConnectable(host, port, true, timeoutMs);
}

/** Polls until {@link canConnect} says `wanted`: true once it does, false after `timeoutMs` (ms). */
async function waitConnectable(
  host: string,
  port: number,
  wanted: boolean,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await canConnect(host, port, 500)) === wanted) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
