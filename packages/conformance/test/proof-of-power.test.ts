/**
 * The suite's own proof of power: it runs the conformance suite (through vitest's node API)
 * against deliberately broken providers and asserts that each one fails the scenario named for the
 * guarantee it breaks, and that the correct providers pass everything. Each broken fixture runs only
 * the scenarios it must fail (`options.scenarios`, from `fixtures/broken-scenarios.ts`); the
 * correct ones run the whole suite.
 */
import { Writable } from "node:stream";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { createVitest, type TestCase, type TestModule } from "vitest/node";
import { BROKEN, fixtureName, selectedBy } from "./fixtures/broken-scenarios.js";

const config = fileURLToPath(new URL("./fixtures/vitest.config.ts", import.meta.url));

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
      modules.set(fixtureName(module.moduleId), module);
    }
  } finally {
    await vitest.close();
  }
  // All fixtures run in parallel on two workers; the correct ones run the whole suite (the
  // template, with its cross-process and fault scenarios, is the slowest), the broken ones only
  // their scenarios. The bound leaves room for a loaded machine.
}, 600_000);

describe("every broken fixture is checked", () => {
  it("each broken-*.fixture.ts has an entry in BROKEN, and each entry a fixture that ran", () => {
    const fixtures = [...modules.keys()].filter((name) => name.startsWith("broken-")).sort();
    expect(fixtures).toEqual(Object.keys(BROKEN).sort());
    for (const fixture of fixtures) {
      expect(modules.get(fixture)!.errors(), `${fixture} could not run`).toEqual([]);
    }
  });
});

describe("broken providers fail the scenario named for the broken guarantee", () => {
  it.for(Object.entries(BROKEN))(
    "%s fails the scenarios named for it",
    async ([fixture, scenarios], ctx) => {
      const failures = failed(fixture);
      await ctx.annotate(`${fixture} failed:\n${failures.join("\n")}`, "failures");
      for (const scenario of scenarios) {
        expect(
          failures.some((name) => scenario.test(name)),
          `${fixture} did not fail ${scenario}; it failed:\n${failures.join("\n")}`,
        ).toBe(true);
      }
      // Nothing else failed: not the closing check either (a crash between scenarios would
      // fail it, and the named scenarios could then be failing for that reason).
      const selects = selectedBy(fixture);
      expect(
        failures.filter((name) => !selects(name)),
        `${fixture} failed scenarios not named for it`,
      ).toEqual([]);
    },
  );

  it.for(Object.keys(BROKEN))(
    "%s ran every scenario it selected and skipped the rest as not selected",
    (fixture) => {
      const selects = selectedBy(fixture);
      const all = tests(fixture);
      // The whole suite was registered; the selection decided what ran.
      expect(all.length).toBeGreaterThan(50);
      for (const test of all) {
        const result = test.result();
        if (selects(test.name)) {
          expect(result.state, `${fixture}: ${test.name} did not run`).not.toBe("skipped");
        } else if (!/^no uncaught exceptions or unhandled rejections between/.test(test.name)) {
          expect(result.state, `${fixture}: ${test.name} ran`).toBe("skipped");
          expect((result as { note?: string }).note).toBe("not selected by options.scenarios");
        }
      }
    },
  );
});

describe("correct providers pass everything", () => {
  it.each(["memory", "template", "session"])(
    "%s: no failures, every skip states its reason",
    (fixture) => {
      const all = tests(fixture);
      expect(all.length).toBeGreaterThan(50);
      expect(failed(fixture)).toEqual([]);
      for (const test of all) {
        const result = test.result();
        if (result.state === "skipped") {
          expect(result.note, `${test.name} was skipped without a reason`).toMatch(/\S/);
        }
      }
    },
  );

  it("template (distributed, every fault hook) runs every scenario, none skipped", () => {
    const skipped = tests("template")
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

  it("session (no leases) runs the ownership and partition scenarios, skipping only for leases, hooks and the child", () => {
    const all = tests("session");
    const skipped = all.filter((test) => test.result().state === "skipped");
    for (const test of skipped) {
      const note = (test.result() as { note?: string }).note ?? "";
      expect(note, test.name).toMatch(
        /capabilities\.(leases|fairness) is false|faults\.\w+ is not provided|options\.child is not provided/,
      );
    }
    const ran = all.filter((test) => test.result().state === "passed").map((test) => test.name);
    expect(ran.some((name) => /^ownership: after a takeover by the same provider/.test(name))).toBe(
      true,
    );
    expect(ran.some((name) => /^partition:/.test(name))).toBe(true);
  });

  it("every fault scenario records the outcome it saw as a fault-outcome annotation", () => {
    const faultScenarios = tests("template").filter((test) =>
      /^(lost-lock signal|partition|paused holder):/.test(test.name),
    );
    // breakLock, dropConnections, restartBackend, pauseBackend, partition, paused holder.
    expect(faultScenarios).toHaveLength(6);
    for (const test of faultScenarios) {
      const outcomes = test.annotations().filter((a) => a.type === "fault-outcome");
      expect(outcomes.length, `${test.name} recorded no outcome`).toBe(1);
      expect(outcomes[0]!.message).toMatch(/kept|lost|took the key/);
    }
  });

  it("contention runs at least 2,000 critical sections across at least 4 providers and 2 processes", () => {
    let sections = 0;
    let processes = 0;
    let providers = 0;
    for (const test of tests("template")) {
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
