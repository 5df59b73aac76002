import { exchange, MORE, retryUntil } from "./wire-probe.js";

/** `{ ping: 1, $db: "admin" }` as BSON. */
function pingDocument(): Buffer {
  const db = Buffer.from("admin\0", "utf8");
  const body = Buffer.concat([
    Buffer.from([0x10]), // int32
    Buffer.from("ping\0", "utf8"),
    Buffer.from([1, 0, 0, 0]),
    Buffer.from([0x02]), // string
    Buffer.from("$db\0", "utf8"),
    Buffer.from(Uint32Array.of(db.length).buffer),
    db,
    Buffer.from([0]),
  ]);
  const length = Buffer.alloc(4);
  length.writeInt32LE(body.length + 4);
  return Buffer.concat([length, body]);
}

/** One OP_MSG (opcode 2013) carrying a `ping`. */
function pingMessage(): Buffer {
  const doc = pingDocument();
  const header = Buffer.alloc(21);
  header.writeInt32LE(16 + 4 + 1 + doc.length, 0); // messageLength
  header.writeInt32LE(1, 4); // requestID
  header.writeInt32LE(0, 8); // responseTo
  header.writeInt32LE(2013, 12); // opCode OP_MSG
  header.writeUInt32LE(0, 16); // flagBits
  header.writeUInt8(0, 20); // section kind 0: body
  return Buffer.concat([header, doc]);
}

/**
 * Sends a wire-protocol `ping` and resolves once a reply to it arrives. An open port is not
 * enough: a container's published port accepts connections before the server inside listens.
 */
export function mongoPing(host: string, port: number, timeoutMs = 2_000): Promise<void> {
  return exchange(host, port, timeoutMs, {
    request: pingMessage(),
    read(received) {
      if (received.length < 16 || received.length < received.readInt32LE(0)) return MORE;
      // responseTo our requestID 1, opcode OP_MSG
      if (received.readInt32LE(8) === 1 && received.readInt32LE(12) === 2013) return undefined;
      throw new Error("unexpected reply to ping");
    },
    ended(why) {
      throw new Error(why === "timeout" ? "no reply to ping" : "closed before replying to ping");
    },
  });
}

/** Polls {@link mongoPing} until it answers or `timeoutMs` (ms) passes. */
export function waitMongoPing(host: string, port: number, timeoutMs: number): Promise<void> {
  return retryUntil(
    () => mongoPing(host, port),
    timeoutMs,
    100,
    (last) => `${host}:${port} did not answer a ping within ${timeoutMs} ms (${String(last)})`,
  );
}
