import { Socket } from "node:net";
import { MongoClient } from "mongodb6";
import { expect } from "vitest";
import type { MongoTestServer } from "../src/index.js";
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

/**
 * Checks a mongo-java-server from either mode: the 6 driver talks to it, its change streams
 * deliver an update, a restart loses the data (memory backend) on the same port, and pause
 * freezes it until resume.
 */
export async function checkMongoJavaServer(server: MongoTestServer): Promise<void> {
  expect(server.flavor).toBe("mongo-java-server");
  if (!server.control) throw new Error("a started server without control");
  const open = () => new MongoClient(server.url, { serverSelectionTimeoutMS: 5_000 });
  let client = open();
  const kept = client.db("locks_test").collection<{ _id: string; v: number }>("kept");
  await kept.insertOne({ _id: "a", v: 1 });
  const stream = kept.watch([], { maxAwaitTimeMS: 200 });
  expect(await stream.tryNext()).toBeNull(); // established
  await kept.updateOne({ _id: "a" }, { $set: { v: 2 } });
  let change = null;
  for (let i = 0; i < 20 && !change; i++) change = await stream.tryNext();
  expect(change?.operationType).toBe("update");
  await stream.close();
  await client.close();

  await server.control.restart();
  client = open();
  expect(await client.db("locks_test").collection("kept").findOne({})).toBeNull();
  await client.close();

  await server.control.pause();
  const probe = new MongoClient(server.url, { serverSelectionTimeoutMS: 1_000 });
  await expect(probe.connect()).rejects.toThrow(/timed out/i);
  await probe.close();
  await server.control.resume();
  client = open();
  expect(await client.db("admin").command({ ping: 1 })).toMatchObject({ ok: 1 });
  await client.close();
}
