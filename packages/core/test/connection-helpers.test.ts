import { describe, expect, it } from "vitest";
import { AbortableWait } from "../src/abortable-wait.js";
import { BackgroundWork } from "../src/background-work.js";
import { cancelUntilEnded } from "../src/cancel-loop.js";
import { checkoutBefore } from "../src/checkout.js";
import { ControlConnection } from "../src/control-connection.js";
import { now } from "../src/monotonic.js";

/** A promise with its resolve function. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe("checkoutBefore", () => {
  it("resolves the connection that arrives in time", async () => {
    expect(await checkoutBefore(Promise.resolve("c1"), undefined, now() + 1_000, () => {})).toBe(
      "c1",
    );
  });

  it("resolves undefined at the deadline and gives back a connection that arrives later", async () => {
    const checkout = deferred<string>();
    const givenBack: string[] = [];
    const started = now();
    const result = await checkoutBefore(checkout.promise, undefined, started + 30, (late) =>
      givenBack.push(late),
    );
    expect(result).toBeUndefined();
    expect(now() - started).toBeGreaterThanOrEqual(25);
    checkout.resolve("late");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(givenBack).toEqual(["late"]);
  });

  it("rejects with the abort reason and gives back a connection that arrives later", async () => {
    const checkout = deferred<string>();
    const controller = new AbortController();
    const givenBack: string[] = [];
    const waiting = checkoutBefore(checkout.promise, controller.signal, Infinity, (late) =>
      givenBack.push(late),
    );
    const reason = new Error("stop");
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    checkout.resolve("late");
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(givenBack).toEqual(["late"]);
  });
});

describe("cancelUntilEnded", () => {
  it("repeats the cancel until the statement ends", async () => {
    const statement = deferred<void>();
    let running: Promise<unknown> | undefined = statement.promise;
    let cancels = 0;
    await cancelUntilEnded({
      running: () => running,
      gone: () => false,
      cancel: async () => {
        cancels++;
        // The first two cancels arrive before the statement started: lost.
        if (cancels === 3) {
          statement.resolve();
          running = undefined;
        }
      },
      cancelFailed: () => {
        throw new Error("not expected");
      },
    });
    expect(cancels).toBe(3);
  });

  it("calls cancelFailed once and stops when a cancel cannot be sent", async () => {
    let failed = 0;
    let cancels = 0;
    await cancelUntilEnded({
      running: () => new Promise(() => {}),
      gone: () => false,
      cancel: async () => {
        cancels++;
        throw new Error("no control connection");
      },
      cancelFailed: () => failed++,
    });
    expect([cancels, failed]).toEqual([1, 1]);
  });

  it("sends nothing when no statement runs or the session is gone", async () => {
    let cancels = 0;
    const cancel = async () => {
      cancels++;
    };
    await cancelUntilEnded({
      running: () => undefined,
      gone: () => false,
      cancel,
      cancelFailed() {},
    });
    await cancelUntilEnded({
      running: () => new Promise(() => {}),
      gone: () => true,
      cancel,
      cancelFailed() {},
    });
    expect(cancels).toBe(0);
  });
});

describe("ControlConnection", () => {
  it("opens once for concurrent callers, and again once the connection died", async () => {
    let opened = 0;
    const control = new ControlConnection(
      async () => ({ id: ++opened, dead: false }),
      (connection) => connection.dead,
    );
    const [a, b] = await Promise.all([control.get(), control.get()]);
    expect(a).toBe(b);
    expect(opened).toBe(1);
    a.dead = true;
    const c = await control.get();
    expect(c.id).toBe(2);
    const disposed: number[] = [];
    await control.close((connection) => disposed.push(connection.id));
    expect(disposed).toEqual([2]);
  });

  it("tries to open again after a failed opening", async () => {
    let attempts = 0;
    const control = new ControlConnection(
      async () => {
        attempts++;
        if (attempts === 1) throw new Error("refused");
        return "ok";
      },
      () => false,
    );
    await expect(control.get()).rejects.toThrow("refused");
    expect(await control.get()).toBe("ok");
    expect(attempts).toBe(2);
  });
});

describe("BackgroundWork", () => {
  it("settles once every tracked piece of work has, failures included", async () => {
    const work = new BackgroundWork();
    const first = deferred<void>();
    const done: string[] = [];
    void work.track(first.promise.then(() => void done.push("first")));
    await work.track(Promise.reject(new Error("cleanup failed")));
    const settling = work.settled().then(() => done.push("settled"));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(done).toEqual([]);
    first.resolve();
    await settling;
    expect(done).toEqual(["first", "settled"]);
  });
});

describe("AbortableWait", () => {
  it("cancels the statement in flight once on abort, and finish() waits for that cancel", async () => {
    const controller = new AbortController();
    const statement = deferred<string>();
    const cancelled = deferred<void>();
    const seen: Array<Promise<unknown> | undefined> = [];
    let cancels = 0;
    const wait = new AbortableWait(controller.signal, (running) => {
      cancels++;
      seen.push(running());
      return cancelled.promise;
    });
    const result = wait.run(statement.promise);
    controller.abort();
    controller.abort();
    expect(cancels).toBe(1);
    expect(seen[0]).toBe(statement.promise);
    statement.resolve("ended");
    expect(await result).toBe("ended");
    let landed = false;
    const finishing = wait.finish().then(() => {
      landed = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(landed).toBe(false);
    cancelled.resolve();
    await finishing;
    expect(landed).toBe(true);
  });

  it("starts no cancel after finish()", async () => {
    const controller = new AbortController();
    let cancels = 0;
    const wait = new AbortableWait(controller.signal, async () => {
      cancels++;
    });
    await wait.run(Promise.resolve());
    await wait.finish();
    controller.abort();
    expect(cancels).toBe(0);
  });
});
