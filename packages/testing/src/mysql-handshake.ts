import { exchange, MORE, retryUntil } from "./wire-probe.js";

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
  return exchange(host, port, timeoutMs, {
    read(received) {
      if (received.length < 5) return MORE;
      if (received[4] === 0xff) throw new Error(received.subarray(7).toString("utf8"));
      const end = received.indexOf(0, 5);
      if (end < 0) return MORE;
      return received.toString("utf8", 5, end).replace(/^5\.5\.5-/, "");
    },
    ended(why) {
      throw new Error(why === "timeout" ? "no greeting" : "closed before greeting");
    },
  });
}

/** Polls {@link mysqlGreetingVersion} until it answers or `timeoutMs` (ms) passes. */
export function waitMysqlGreeting(host: string, port: number, timeoutMs: number): Promise<string> {
  return retryUntil(
    () => mysqlGreetingVersion(host, port),
    timeoutMs,
    200,
    (last) => `mysql ${host}:${port} sent no greeting within ${timeoutMs} ms (${String(last)})`,
  );
}
