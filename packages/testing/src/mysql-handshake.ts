import { Socket } from "node:net";

/**
 * Connects and reads the MySQL server greeting, which carries the server version: the server
 * only sends it once it accepts sessions, so this doubles as a readiness probe. MariaDB
 * prefixes its version with `5.5.5-` for old clients; that prefix is stripped.
 */
export function mysqlGreetingVersion(
  host: string,
  port: number,
  timeoutMs = 2_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buf = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error("no greeting")));
    socket.once("error", fail);
    socket.once("close", () => fail(new Error("closed before greeting")));
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 5) return;
      const protocol = buf[4];
      if (protocol === 0xff) return fail(new Error(buf.subarray(7).toString("utf8")));
      const end = buf.indexOf(0, 5);
      if (end < 0) return;
      socket.destroy();
      resolve(buf.toString("utf8", 5, end).replace(/^5\.5\.5-/, ""));
    });
    socket.connect(port, host);
  });
}

/** Polls {@link mysqlGreetingVersion} until it answers or `timeoutMs` (ms) passes. */
export async function waitMysqlGreeting(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await mysqlGreetingVersion(host, port);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `mysql ${host}:${port} sent no greeting within ${timeoutMs} ms (${String(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
