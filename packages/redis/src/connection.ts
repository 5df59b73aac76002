import { replyWithin } from "@locks/core/backend";
import type { LuaScript } from "./scripts.lua.js";

/** Argument of a Redis command. */
export type RedisArg = string | number;

/**
 * What the provider needs from an ioredis connection (`Redis` or `Cluster`, version 5 or 6).
 * Declared structurally so that clients of either major version are accepted.
 */
export interface RedisConnection {
  /** ioredis connection state: `"wait"`, `"connecting"`, `"connect"`, `"ready"`, `"reconnecting"`, `"close"`, `"end"`. */
  readonly status: string;
  /** Sends any command. */
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  /** A new connection with the same options (the provider uses one for pub/sub). */
  duplicate(): RedisSubscriberConnection;
  /** Graceful close. */
  quit(): Promise<unknown>;
  /** Immediate close. */
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** A connection used for SUBSCRIBE. */
export interface RedisSubscriberConnection {
  readonly status: string;
  subscribe(...channels: string[]): Promise<unknown>;
  unsubscribe(...channels: string[]): Promise<unknown>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
}

/** True for the error Redis sends when EVALSHA names a script it has not cached. */
export function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith("NOSCRIPT");
}

/**
 * Runs `script` with EVALSHA, falling back to EVAL (which also caches it again) when the server
 * answers NOSCRIPT: after `SCRIPT FLUSH`, a restart, or a Cluster failover to a fresh node.
 * Implemented here rather than with ioredis `defineCommand`, so that a client the user passes in
 * is used as is, without new commands grafted onto it.
 */
export async function runScript(
  client: RedisConnection,
  script: LuaScript,
  keys: readonly string[],
  args: readonly RedisArg[],
): Promise<unknown> {
  try {
    return await client.call("evalsha", script.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!isNoScript(error)) throw error;
    return client.call("eval", script.lua, keys.length, ...keys, ...args);
  }
}

/** Reads an integer reply that may arrive as a number or, with `stringNumbers`, a string. */
export function integerReply(reply: unknown): number {
  if (typeof reply === "number") return reply;
  if (typeof reply === "string" && /^-?\d+$/.test(reply)) return Number(reply);
  if (typeof reply === "bigint") return Number(reply);
  throw new TypeError(`Unexpected reply from Redis: ${String(reply)}`);
}

function ended(client: { readonly status: string }): boolean {
  return client.status === "end";
}

/** Closes a connection the provider created: QUIT, or a hard disconnect if that takes too long. */
export async function closeConnection(
  client: RedisConnection | RedisSubscriberConnection,
  graceMs = 1_000,
): Promise<void> {
  if (client.status === "end") return;
  if (client.status !== "ready") {
    client.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.quit().catch(() => {}),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (!ended(client)) client.disconnect();
  }
}

/** The error of an operation that got no answer within its bound (see {@link answerWithin}). */
export class RedisNoAnswerError extends Error {
  override readonly name = "RedisNoAnswerError";
}

/**
 * Settles like `promise`, or rejects {@link RedisNoAnswerError} after `ms` milliseconds. ioredis
 * queues commands while its connection is down and keeps them for about 15 s of reconnection
 * attempts; an operation whose answer no longer matters after `ms` must not wait that long. The
 * command itself is not withdrawn: it still runs if the connection comes back.
 */
export function answerWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return replyWithin(
    promise,
    ms,
    () => new RedisNoAnswerError(`${what}: no answer from Redis within ${Math.round(ms)} ms`),
  );
}
