import { Socket } from "node:net";
import { type RespValue, respCommand } from "../src/resp.js";

/** Sends one Redis command; rejects if no reply arrives within `timeoutMs` (ms). */
export function redis(port: number, args: string[], timeoutMs = 5_000): Promise<RespValue> {
  return respCommand("127.0.0.1", port, args, timeoutMs);
}

/** True when a Redis command gets no reply within `timeoutMs` (ms): the server is frozen. */
export async function redisIsSilent(port: number, timeoutMs = 1_000): Promise<boolean> {
  try {
    await respCommand("127.0.0.1", port, ["PING"], timeoutMs);
    return false;
  } catch (error) {
    return /did not answer/.test((error as Error).message);
  }
}

/** Opens a raw TCP connection and resolves once connected. */
export function connect(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    socket.once("error", reject);
    socket.connect(port, host, () => {
      socket.off("error", reject);
      resolve(socket);
    });
  });
}

/** Resolves with the next chunk of data on `socket`, or rejects after `timeoutMs` (ms). */
export function nextData(socket: Socket, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off("data", onData);
      reject(new Error(`no data within ${timeoutMs} ms`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      clearTimeout(timer);
      resolve(chunk.toString("utf8"));
    };
    socket.once("data", onData);
  });
}

/** The part of vitest's test context that skips the running test. */
export interface Skippable {
  skip(note?: string): never;
}

/**
 * The server a test needs, or skips the running test with the reason none could be had (as
 * every package's backend tests do outside CI). Under `CI=true` the request for the server has
 * already rejected with `TestServerUnavailableError`, so the test fails instead.
 */
export function need<T>(ctx: Skippable, server: T | undefined, reason: string | undefined): T {
  if (server === undefined) ctx.skip(`no server: ${reason ?? "unknown reason"}`);
  return server;
}
