import { MemoryLockProvider } from "@locks/core";
import { describe, expect, it } from "vitest";
import { SuiteContext } from "../src/context.js";

const createProvider = () => new MemoryLockProvider();

describe("options.scenarios", () => {
  it("selects every scenario by default", () => {
    const s = new SuiteContext({ name: "memory", createProvider });
    expect(s.selects("fencing: tokens strictly increase across release")).toBe(true);
  });

  it("a RegExp selects the names it matches, the same way for every name (g and y ignored)", () => {
    const s = new SuiteContext({ name: "memory", createProvider, scenarios: /^fencing/gy });
    const name = "fencing: tokens strictly increase across release";
    expect([s.selects(name), s.selects(name), s.selects(name)]).toEqual([true, true, true]);
    expect(s.selects("timeouts: timeout 0 makes one attempt")).toBe(false);
  });

  it("a predicate selects the names it returns true for", () => {
    const s = new SuiteContext({
      name: "memory",
      createProvider,
      scenarios: (name) => name.startsWith("keys:"),
    });
    expect(s.selects("keys: 'Foo' and 'foo' are independent")).toBe(true);
    expect(s.selects("fencing: tokens strictly increase across release")).toBe(false);
  });

  it.for([["fencing"], [42], [null], [{}]])(
    "rejects %j with a TypeError before anything runs",
    ([scenarios]) => {
      expect(
        () =>
          new SuiteContext({
            name: "memory",
            createProvider,
            scenarios: scenarios as unknown as RegExp,
          }),
      ).toThrow(
        new TypeError(
          "describeLockProvider: scenarios must be a RegExp or a function (name: string) => boolean",
        ),
      );
    },
  );
});
