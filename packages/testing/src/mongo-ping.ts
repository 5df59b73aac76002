import { Socket } from "node:net";

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
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buf = Buffer.alloc(0);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error("no reply to ping")));
    socket.once("error", fail);
    socket.once("close", () => fail(new Error("closed before replying to ping")));
    socket.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      if (buf.length < 16 || buf.length < buf.readInt32LE(0)) return;
      socket.destroy();
      if (buf.readInt32LE(8) === 1 && buf.readInt32LE(12) === 2013) resolve();
      else reject(new Error("unexpected reply to ping"));
    });
    socket.connect(port, host, () => socket.write(pingMessage()));
  });
}

/** Polls {@link mongoPing} until it answers or `timeoutMs` (ms) passes. */
export async function waitMongoPing(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      return await mongoPing(host, port);
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${host}:${port} did not answer a ping within ${timeoutMs} ms (${String(last)})`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
