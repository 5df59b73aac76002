import { Socket } from "node:net";

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
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buf = Buffer.alloc(0);
    let authenticated = false;
    let settled = false;
    const finish = (error: Error | undefined, version?: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (error) reject(error);
      else resolve(version);
    };
    socket.setTimeout(timeoutMs, () =>
      authenticated ? finish(undefined) : finish(new Error("no reply")),
    );
    socket.once("error", (error) => finish(error));
    socket.once("close", () =>
      authenticated ? finish(undefined) : finish(new Error("closed before authentication")),
    );
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 5) {
        const type = String.fromCharCode(buf[0]!);
        const length = buf.readInt32BE(1);
        if (buf.length < 1 + length) return;
        const body = buf.subarray(5, 1 + length);
        buf = buf.subarray(1 + length);
        if (type === "E") return finish(new Error(errorMessage(body)));
        if (type === "R") {
          authenticated = true;
          // Anything but AuthenticationOk (0) asks for a password: ready, version unknown.
          if (body.readInt32BE(0) !== 0) return finish(undefined);
        }
        if (type === "S") {
          const [name, value] = body.toString("utf8").split("\0");
          if (name === "server_version") return finish(undefined, value);
        }
        if (type === "Z") return finish(undefined);
      }
    });
    socket.connect(port, host, () => socket.write(startupMessage()));
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
export async function waitPostgresReady(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await postgresReady(host, port);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `postgres ${host}:${port} not ready within ${timeoutMs} ms (${String(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
