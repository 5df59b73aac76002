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

/** Fixture file → the scenarios it must fail (each matched against the test names). */
const BROKEN: Record<string, RegExp[]> = {
  "broken-no-exclusion": [
    /^mutual exclusion: a key held by one provider cannot be taken by another/,
    /^mutual exclusion under contention/, // the history checker
    /^fencing under contention/, // the fenced-resource oracle
  ],
  "broken-release-any": [
    /^ownership: a stale holder whose lease ran out cannot release the new holder's lock/,
    /^ownership: after a takeover \(breakLock\) the old handle cannot release/,
  ],
  "broken-ignores-timeout": [
    /^timeouts: acquire with a finite timeout rejects LockTimeoutError/,
    /^timeouts: timeout 0 makes one attempt/,
  ],
  "broken-try-waits": [/^try-acquire: tryAcquire\(\) on a held key resolves undefined at once/],
  "broken-ignores-cancellation": [
    /^cancellation: an already-aborted signal rejects with signal.reason/,
    /^cancellation: aborting during a wait rejects promptly/,
  ],
  "broken-repeating-fences": [
    /^fencing: tokens strictly increase across release/,
    /^fencing under contention/,
  ],
  "broken-never-lost": [
    /^lost-lock signal: breakLock aborts the holder's signal with LockLostError/,
    /^lease expiry: the abandoned handle's signal aborts with LockLostError/,
  ],
  "broken-extend-after-takeover": [
    /^ownership: after a takeover \(breakLock\) the old handle cannot extend/,
  ],
  "broken-short-lease": [
    /^lease expiry: an abandoned lock \(no release, no renewal\) expires after its ttl/,
    /^auto-extension: a held lock outlives several ttls/,
  ],
  "broken-lost-wake-ups": [/^waiter wake-up: every waiter gets the lock in turn, no lost wake-ups/],
  "broken-overflowing-limits": [
    /^limits: ttl 1e20 rejects with a RangeError naming ttl/,
    /^limits: a finite timeout above 2\^31-1 ms keeps waiting/,
  ],
  "broken-gives-up-on-drop": [/^transient errors: a wait survives dropConnections of the waiter/],
  "broken-release-all": [
    /^mutual exclusion: releasing one key frees only that key, the provider's other keys stay held/,
  ],
  "broken-stale-same-provider": [
    /^ownership: after a takeover by the same provider \(breakLock, re-acquire\) the old handle cannot release the new grant/,
    /^ownership: after a takeover by the same provider \(breakLock, re-acquire\) the old handle cannot extend the new grant/,
  ],
  "broken-uncaught-driver-error": [
    /^lost-lock signal: after dropConnections the lock is kept or reported lost/,
  ],
  "broken-silent-partition": [
    /^partition: a silently partitioned holder reports the lock lost within its bound/,
  ],
  "broken-timer-throws": [
    /^paused holder: a child process that blocks its event loop past its lease/,
  ],
  "broken-newest-first": [
    /^fairness: grants follow the order in which waiters on different providers arrived/,
  ],
  "broken-immortal-queue-entry": [
    /^fairness: a waiter killed in the queue \(SIGKILL\) delays the others by at most its entry's lease/,
  ],
  "broken-not-distributed": [
    /^mutual exclusion across processes/, // the history checker, across processes
    /^fencing across processes/, // the oracle, across processes
  ],
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
  // about 40 s because each of its hangs is cut at the suite's 2 s bound. The whole run takes
  // about 150 s on a quiet machine; the bound leaves room for a loaded one.
}, 600_000);

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
