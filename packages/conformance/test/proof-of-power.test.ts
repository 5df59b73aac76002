/**
 * The suite's own proof of power: it runs the conformance suite (through vitest's node API)
 * against deliberately broken providers and asserts that each one fails the scenario named for the
 * guarantee it breaks, and that the correct providers pass everything.
 */
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createVitest, type TestCase, type TestModule } from "vitest/node";

const config = fileURLToPath(new URL("./fixtures/vitest.config.ts", import.meta.url));

/** Fixture file → a scenario it must fail (matched against the test name). */
const BROKEN: Record<string, RegExp> = {
  "broken-no-exclusion": /^mutual exclusion/,
  "broken-release-any": /^ownership: .* cannot release the new holder's lock/,
  "broken-ignores-timeout": /^timeouts: acquire with a finite timeout rejects LockTimeoutError/,
  "broken-try-waits": /^try-acquire: tryAcquire\(\) on a held key resolves undefined at once/,
  "broken-ignores-cancellation": /^cancellation: aborting during a wait rejects promptly/,
  "broken-repeating-fences": /^fencing: tokens strictly increase/,
  "broken-never-lost": /^lost-lock signal: breakLock aborts the holder's signal with LockLostError/,
  "broken-extend-after-takeover":
    /^ownership: after a takeover \(breakLock\) the old handle cannot extend/,
  "broken-not-distributed": /^mutual exclusion across processes/,
};

const modules = new Map<string, TestModule>();

function tests(fixture: string): TestCase[] {
  const module = modules.get(fixture);
  if (!module) throw new Error(`fixture ${fixture} did not run`);
  return [...module.children.allTests()];
}

function failed(fixture: string): string[] {
  return tests(fixture)
    .filter((test) => test.result().state === "failed")
    .map((test) => test.name);
}

beforeAll(async () => {
  const output = new Writable({ write: (_chunk, _encoding, done) => done() });
  const vitest = await createVitest(
    "test",
    { config, watch: false, reporters: ["dot"], maxWorkers: 2 },
    {},
    { stdout: output, stderr: output },
  );
  try {
    const result = await vitest.start();
    for (const module of result.testModules) {
      const name = module.moduleId
        .split("/")
        .pop()!
        .replace(/\.fixture\.ts$/, "");
      modules.set(name, module);
    }
  } finally {
    await vitest.close();
  }
  // All fixtures run in parallel on two workers; the slowest (a tryAcquire that waits) takes
  // about 40 s because each of its hangs is cut at the suite's 2 s bound.
}, 300_000);

describe("broken providers fail the scenario named for the broken guarantee", () => {
  it.each(Object.entries(BROKEN))("%s fails a scenario matching %s", (fixture, scenario) => {
    const failures = failed(fixture);
    expect(
      failures.some((name) => scenario.test(name)),
      `failed tests of ${fixture}:\n${failures.join("\n")}`,
    ).toBe(true);
  });
});

describe("correct providers pass everything", () => {
  it.each(["memory", "net-store"])("%s: no failures, every skip states its reason", (fixture) => {
    const all = tests(fixture);
    expect(all.length).toBeGreaterThan(50);
    expect(failed(fixture)).toEqual([]);
    for (const test of all) {
      const result = test.result();
      if (result.state === "skipped") {
        expect(result.note, `${test.name} was skipped without a reason`).toMatch(/\S/);
      }
    }
  });

  it("net-store (distributed, every fault hook) runs every scenario, none skipped", () => {
    const skipped = tests("net-store")
      .filter((test) => test.result().state === "skipped")
      .map((test) => test.name);
    expect(skipped).toEqual([]);
  });

  it("memory skips exactly the scenarios it cannot support, with reasons", () => {
    const skipped = tests("memory")
      .filter((test) => test.result().state === "skipped")
      .map(
        (test) =>
          `${test.name} [${test.result().state === "skipped" ? (test.result() as { note?: string }).note : ""}]`,
      );
    expect(
      skipped.every((line) =>
        /faults\.\w+ is not provided|options\.child is not provided/.test(line),
      ),
      skipped.join("\n"),
    ).toBe(true);
  });

  it("contention runs at least 2,000 critical sections across at least 4 providers and 2 processes", () => {
    let sections = 0;
    let processes = 0;
    let providers = 0;
    for (const test of tests("net-store")) {
      for (const annotation of test.annotations()) {
        if (annotation.type !== "contention") continue;
        const count = /^(\d+) critical sections/.exec(annotation.message);
        sections += Number(count?.[1] ?? 0);
        const across = /across (\d+) processes × (\d+) providers/.exec(annotation.message);
        if (across) processes = Number(across[1]);
        const local = /across (\d+) providers/.exec(annotation.message);
        if (local) providers = Math.max(providers, Number(local[1]));
      }
    }
    expect(sections).toBeGreaterThanOrEqual(2_000);
    expect(processes).toBeGreaterThanOrEqual(2);
    expect(providers).toBeGreaterThanOrEqual(4);
  });
});
