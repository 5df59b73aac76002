/** Bad command lines fail before anything starts, with a message naming the option. */
import { describe, expect, it } from "vitest";
import { parseOptions, UsageError } from "../src/options.js";

describe("parseOptions", () => {
  it("has defaults that run Redis for a minute", () => {
    expect(parseOptions([])).toMatchObject({
      backends: ["redis"],
      duration: 60,
      sections: Number.POSITIVE_INFINITY,
      workers: 4,
      ttl: 1000,
      noFaults: false,
    });
  });

  it("reads repeated backends, URLs and fault rates", () => {
    const options = parseOptions([
      "--backend",
      "redlock",
      "--url",
      "redis://a:1",
      "--url",
      "redis://b:2",
      "--fault",
      "pause=2.5",
      "--fault",
      "kill=0",
      "--sections",
      "100000",
    ]);
    expect(options.backends).toEqual(["redlock"]);
    expect(options.urls).toEqual(["redis://a:1", "redis://b:2"]);
    expect(options.faults).toEqual({ pause: 2.5, kill: 0 });
    expect(options.sections).toBe(100_000);
  });

  it.each([
    [["--backend", "etcd"], /unknown backend/],
    [["--workers", "1"], /--workers needs a number >= 2/],
    [["--ttl", "abc"], /--ttl needs a number/],
    [["--sections", "1.5"], /--sections needs an integer/],
    [["--fault", "meteor=1"], /unknown kind/],
    [["--fault", "pause=-1"], /--fault needs a number >= 0/],
    [["--backend", "redis", "--backend", "mysql", "--url", "redis://x"], /exactly one --backend/],
    [["--duration"], /--duration needs a value/],
    [["--verbose"], /unknown option/],
  ])("rejects %j", (argv, message) => {
    expect(() => parseOptions(argv)).toThrow(UsageError);
    expect(() => parseOptions(argv)).toThrow(message);
  });
});
