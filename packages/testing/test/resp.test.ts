import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { respCommand } from "../src/resp.js";

/** A TCP server that runs `onSocket` for each connection; resolves its port. */
async function fakeServer(onSocket: (s: import("node:net").Socket) => void) {
  const sockets = new Set<import("node:net").Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("error", () => {});
    onSocket(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  };
  return { port, close };
}

describe("respCommand (readiness probe)", () => {
  it("decodes nested replies split across packets", async () => {
    const server = await fakeServer((s) => {
      s.write("*2\r\n$3\r\nfoo\r");
      setTimeout(() => s.write("\n:42\r\n"), 20);
    });
    expect(await respCommand("127.0.0.1", server.port, ["X"])).toEqual(["foo", 42]);
    await server.close();
  });

  it("returns error replies as Error values", async () => {
    const server = await fakeServer((s) => s.write("-ERR nope\r\n"));
    const reply = await respCommand("127.0.0.1", server.port, ["X"]);
    expect(reply).toBeInstanceOf(Error);
    expect((reply as Error).message).toBe("ERR nope");
    await server.close();
  });

  // docker-proxy accepts connections for a container that is restarting, then closes them.
  it("rejects when the peer closes without answering", async () => {
    const server = await fakeServer((s) => s.end());
    await expect(respCommand("127.0.0.1", server.port, ["PING"], 5_000)).rejects.toThrow(
      /closed the connection/,
    );
    await server.close();
  });

  it("rejects when nothing answers in time", async () => {
    const server = await fakeServer(() => {});
    await expect(respCommand("127.0.0.1", server.port, ["PING"], 200)).rejects.toThrow(
      /did not answer/,
    );
    await server.close();
  });
});
