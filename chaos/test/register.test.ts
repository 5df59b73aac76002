/** The fenced register is the resource the locks protect: it must turn stale tokens away. */
import { afterEach, describe, expect, it } from "vitest";
import { type FencedRegister, startRegister } from "../src/register.js";
import { RegisterClient } from "../src/register-client.js";

let register: FencedRegister | undefined;
let clients: RegisterClient[] = [];
afterEach(async () => {
  for (const client of clients) client.close();
  clients = [];
  await register?.close();
});

describe("fenced register", () => {
  it("accepts only tokens newer than every token it has seen for the key", async () => {
    register = await startRegister();
    const a = new RegisterClient(register.host, register.port, 1);
    const b = new RegisterClient(register.host, register.port, 2);
    clients.push(a, b);
    expect(await a.write("k", 5n)).toBe("accepted");
    expect(await b.write("k", 4n)).toBe("stale");
    expect(await b.write("k", 5n)).toBe("stale");
    expect(register.lastWriter("k")).toBe(1);
    expect(await b.write("k", 6n)).toBe("accepted");
    expect(register.lastWriter("k")).toBe(2);
    expect(await a.write("other key", 1n)).toBe("accepted");
    expect(register.counts).toEqual({ accepted: 3, stale: 2 });
  });

  it("answers concurrent writes in order on one connection", async () => {
    register = await startRegister();
    const client = new RegisterClient(register.host, register.port, 1);
    clients.push(client);
    const answers = await Promise.all([3n, 1n, 4n, 2n].map((t) => client.write("k", t)));
    expect(answers).toEqual(["accepted", "stale", "accepted", "stale"]);
  });

  it("reports an unreachable register as an error, not a write", async () => {
    register = await startRegister();
    const { host, port } = register;
    await register.close();
    register = undefined;
    const client = new RegisterClient(host, port, 1);
    clients.push(client);
    expect(await client.write("k", 1n)).toBe("error");
  });
});
