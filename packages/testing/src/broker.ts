import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { ServerManager } from "./manager.js";
import type { BackendName, ControlAction, Resolution } from "./types.js";

/** Environment variable that carries the broker URL to test workers. */
export const BROKER_ENV = "LOCKS_TEST_BROKER";

const BACKENDS = new Set<BackendName>([
  "redis",
  "redis-servers",
  "redis-cluster",
  "mysql",
  "mongo",
  "mongo-java",
  "postgres",
]);
const ACTIONS = new Set<ControlAction>(["restart", "pause", "resume"]);

/** A running broker: one {@link ServerManager} shared over HTTP on 127.0.0.1. */
export interface Broker {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Stops every server, then the HTTP listener. Idempotent. */
  close(): Promise<void>;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
  if (typeof value !== "object" || value === null) throw new TypeError("body must be an object");
  return value as Record<string, unknown>;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * Starts the broker that owns the test servers for a whole run. Workers ask it for
 * servers (started lazily on first request, then shared) and for fault actions.
 */
export async function startBroker(env: NodeJS.ProcessEnv = process.env): Promise<Broker> {
  const manager = new ServerManager(env);
  const server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method !== "POST") return send(res, 405, { error: "POST only" });
        const body = await readJson(req);
        if (req.url === "/resolve") {
          const backend = body.backend as BackendName;
          if (!BACKENDS.has(backend))
            return send(res, 400, { error: `unknown backend ${String(backend)}` });
          const count = typeof body.count === "number" ? body.count : 1;
          return send(res, 200, await manager.resolve(backend, count));
        }
        if (req.url === "/control") {
          const action = body.action as ControlAction;
          if (typeof body.id !== "string" || !ACTIONS.has(action)) {
            return send(res, 400, { error: "control needs { id, action: restart|pause|resume }" });
          }
          await manager.control(body.id, action);
          return send(res, 200, { ok: true });
        }
        return send(res, 404, { error: `no route ${req.url}` });
      } catch (error) {
        const typed = error instanceof TypeError || error instanceof RangeError;
        send(res, typed ? 400 : 500, {
          error: (error as Error).message,
          name: (error as Error).name,
        });
      }
    })();
  });
  // Container starts can take minutes; never time a request out on the broker side.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  server.unref();
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    close() {
      closing ??= (async () => {
        await manager.stopAll();
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })();
      return closing;
    },
  };
}

/** POSTs JSON to the broker and returns the JSON reply; errors carry the broker's message. */
export function brokerPost(base: string, path: string, body: unknown): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const text = JSON.stringify(body);
    const req = request(
      new URL(path, base),
      {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": Buffer.byteLength(text) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          let value: unknown;
          try {
            value = JSON.parse(Buffer.concat(chunks).toString("utf8"));
          } catch {
            return reject(new Error(`test server broker sent no JSON (HTTP ${res.statusCode})`));
          }
          if (res.statusCode !== 200) {
            const { error, name } = value as { error?: string; name?: string };
            const message = `test server broker: ${error ?? `HTTP ${res.statusCode}`}`;
            if (name === "RangeError") return reject(new RangeError(message));
            if (name === "TypeError") return reject(new TypeError(message));
            return reject(new Error(message));
          }
          resolve(value);
        });
      },
    );
    req.on("error", (error) =>
      reject(new Error(`test server broker at ${base} unreachable: ${error.message}`)),
    );
    req.end(text);
  });
}

/** Asks the broker to resolve a backend. */
export async function brokerResolve(
  base: string,
  backend: BackendName,
  count: number,
): Promise<Resolution> {
  return (await brokerPost(base, "/resolve", { backend, count })) as Resolution;
}
