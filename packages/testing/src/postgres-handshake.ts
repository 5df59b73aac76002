import { exchange, MORE, retryUntil } from "./wire-probe.js";

/** User and database the readiness probe names in its startup message. */
const PROBE_USER = "postgres";

/**
 * Sends a PostgreSQL startup message and waits for the first authentication message (`R`):
 * the server sends it only once it accepts sessions (while starting up or shutting down it
 * answers with an error instead), so this is a readiness probe that needs no password. With
 * trust authentication the reply goes on to the `server_version` parameter, which is returned
 * when it arrives; otherwise the result is undefined.
 */
export function postgresReady(
  host: string,
  port: number,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  let authenticated = false;
  /** Where the next unread message starts. */
  let offset = 0;
  return exchange<string | undefined>(host, port, timeoutMs, {
    request: startupMessage(),
    read(received) {
      while (received.length - offset >= 5) {
        const type = String.fromCharCode(received[offset] ?? 0);
        const length = received.readInt32BE(offset + 1);
        if (received.length - offset < 1 + length) return MORE;
        const body = received.subarray(offset + 5, offset + 1 + length);
        offset += 1 + length;
        if (type === "E") throw new Error(errorMessage(body));
        if (type === "R") {
          authenticated = true;
          // Anything but AuthenticationOk (0) asks for a password: ready, version unknown.
          if (body.readInt32BE(0) !== 0) return undefined;
        }
        if (type === "S") {
          const [name, value] = body.toString("utf8").split("\0");
          if (name === "server_version") return value;
        }
        if (type === "Z") return undefined;
      }
      return MORE;
    },
    ended(why) {
      if (authenticated) return undefined;
      throw new Error(why === "timeout" ? "no reply" : "closed before authentication");
    },
  });
}

function startupMessage(): Buffer {
  const params = Buffer.from(`user\0${PROBE_USER}\0database\0postgres\0\0`, "utf8");
  const head = Buffer.alloc(8);
  head.writeInt32BE(8 + params.length, 0);
  head.writeInt32BE(196_608, 4); // protocol 3.0
  return Buffer.concat([head, params]);
}

/** The `M` (message) field of an ErrorResponse body. */
function errorMessage(body: Buffer): string {
  for (const field of body.toString("utf8").split("\0")) {
    if (field.startsWith("M")) return field.slice(1);
  }
  return "server error";
}

/** Polls {@link postgresReady} until the server accepts sessions or `timeoutMs` (ms) passes. */
export function waitPostgresReady(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<string | undefined> {
  return retryUntil(
    () => postgresReady(host, port),
    timeoutMs,
    100,
    (last) => `postgres ${host}:${port} not ready within ${timeoutMs} ms (${String(last)})`,
  );
}
