import { exchange, MORE } from "./wire-probe.js";

/** A decoded RESP2 reply. Errors are returned as `Error` values, not thrown. */
export type RespValue = string | number | null | Error | RespValue[];

/** Thrown by {@link parseResp} when the buffer does not yet hold a whole reply. */
const INCOMPLETE = Symbol("incomplete");

function parseAt(buf: Buffer, offset: number): [RespValue, number] {
  const lineEnd = buf.indexOf("\r\n", offset);
  if (lineEnd < 0) throw INCOMPLETE;
  const type = String.fromCharCode(buf[offset] ?? 0);
  const line = buf.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (type) {
    case "+":
      return [line, next];
    case "-":
      return [new Error(line), next];
    case ":":
      return [Number(line), next];
    case "$": {
      const len = Number(line);
      if (len < 0) return [null, next];
      if (buf.length < next + len + 2) throw INCOMPLETE;
      return [buf.toString("utf8", next, next + len), next + len + 2];
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return [null, next];
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const [item, after] = parseAt(buf, at);
        items.push(item);
        at = after;
      }
      return [items, at];
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

function encode(args: readonly string[]): Buffer {
  const parts = [`*${args.length}\r\n`];
  for (const arg of args) parts.push(`$${Buffer.byteLength(arg)}\r\n${arg}\r\n`);
  return Buffer.from(parts.join(""));
}

/**
 * Sends one command to a Redis server on a fresh connection and returns its reply.
 * Small on purpose: the package needs PING, INFO and the CLUSTER commands, not a driver.
 */
export function respCommand(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs = 5_000,
): Promise<RespValue> {
  return exchange(host, port, timeoutMs, {
    request: encode(args),
    read(received) {
      try {
        return parseAt(received, 0)[0];
      } catch (error) {
        if (error === INCOMPLETE) return MORE;
        throw error;
      }
    },
    ended(why) {
      throw new Error(
        why === "timeout"
          ? `redis ${host}:${port} did not answer ${args[0]} within ${timeoutMs} ms`
          : `redis ${host}:${port} closed the connection before answering ${args[0]}`,
      );
    },
  });
}

/** Like {@link respCommand} but rejects on an error reply. */
export async function respOk(
  host: string,
  port: number,
  args: readonly string[],
  timeoutMs?: number,
): Promise<RespValue> {
  const reply = await respCommand(host, port, args, timeoutMs);
  if (reply instanceof Error) throw new Error(`redis ${host}:${port} ${args[0]}: ${reply.message}`);
  return reply;
}

/** Reads one field of `INFO server` (e.g. `redis_version`). */
export async function redisInfoField(
  host: string,
  port: number,
  field: string,
): Promise<string | undefined> {
  const info = await respOk(host, port, ["INFO", "server"]);
  if (typeof info !== "string") return undefined;
  const match = new RegExp(`^${field}:(.*)$`, "m").exec(info);
  return match?.[1]?.trim();
}
