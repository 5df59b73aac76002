import { randomBytes } from "node:crypto";
import type { LockCapabilities, LockProvider } from "@locks/core";
import { within } from "./async.js";
import type { DescribeLockProviderOptions, LockFaults, ProviderFactoryOptions } from "./options.js";

/** Default for {@link DescribeLockProviderOptions.minTtl}, in milliseconds. */
export const DEFAULT_MIN_TTL = 300;

/**
 * What every scenario module receives: the user's options, scaled timings, fresh providers that
 * are closed after each test, and unique keys.
 */
export class SuiteContext {
  readonly name: string;
  readonly faults: LockFaults;
  /** Multiplier of every timing bound. */
  readonly timeScale: number;
  /** Shortest ttl the backend handles precisely (ms). */
  readonly minTtl: number;
  /** Multiplier of the number of critical sections in the contention scenarios. */
  readonly contentionScale: number;
  /** Without leases: longest time (ms, unscaled) for a handle to notice its session is gone. */
  readonly livenessBound: number;
  /** Whether the scenario of this test name runs ({@link DescribeLockProviderOptions.scenarios}). */
  readonly selects: (name: string) => boolean;
  /** Random part shared by every key of this suite run, so that suites can share a server. */
  readonly runId = randomBytes(4).toString("hex");
  private readonly open = new Set<LockProvider>();
  private counter = 0;

  constructor(readonly options: DescribeLockProviderOptions) {
    if (typeof options?.name !== "string" || options.name === "") {
      throw new TypeError("describeLockProvider: name must be a non-empty string");
    }
    if (typeof options.createProvider !== "function") {
      throw new TypeError("describeLockProvider: createProvider must be a function");
    }
    this.name = options.name;
    this.faults = options.faults ?? {};
    this.timeScale = positive(options.timeScale, 1, "timeScale");
    this.minTtl = positive(options.minTtl, DEFAULT_MIN_TTL, "minTtl");
    this.contentionScale = positive(options.contentionScale, 1, "contentionScale");
    this.livenessBound = positive(
      options.livenessBound,
      Math.max(this.minTtl * 3, 1_000),
      "livenessBound",
    );
    this.selects = selection(options.scenarios);
  }

  /**
   * Bound (ms) for an operation that needs a few backend round trips and no waiting: 2 s, scaled.
   * Healthy servers answer in well under 10 ms, so only a hang or an unwanted wait exceeds it,
   * while a loaded 2-core CI machine running several suites does not come near it.
   */
  get prompt(): number {
    return this.ms(2_000);
  }

  /**
   * Bound (ms) for an operation that may need a full polling period or a reconnect: 10 s, scaled.
   * Core's polling fallback waits at most about 1 s between attempts and drivers reconnect
   * within a few seconds, so a correct provider stays far below it.
   */
  get patient(): number {
    return this.ms(10_000);
  }

  /** Per-test timeout (ms): a backstop only; every scenario bounds its own waits with messages. */
  get testTimeout(): number {
    return this.ms(30_000);
  }

  /** `ms` milliseconds scaled by {@link timeScale}. */
  ms(ms: number): number {
    return ms * this.timeScale;
  }

  /** A fresh provider (one "node"), closed automatically after the current test. */
  async provider(options?: ProviderFactoryOptions): Promise<LockProvider> {
    const provider = await this.options.createProvider(options);
    this.open.add(provider);
    return provider;
  }

  /** `count` fresh providers. */
  providers(count: number, options?: ProviderFactoryOptions): Promise<LockProvider[]> {
    return Promise.all(Array.from({ length: count }, () => this.provider(options)));
  }

  /** The capabilities of this provider kind (taken from a fresh provider). */
  async capabilities(): Promise<LockCapabilities> {
    return (await this.provider()).capabilities;
  }

  /**
   * Whether `key` is free for `provider`: one `tryAcquire()` bounded by {@link prompt} (so that a
   * provider whose tryAcquire waits fails here instead of hanging), released at once if granted.
   */
  async isFree(provider: LockProvider, key: string): Promise<boolean> {
    const handle = await within(
      provider.getLock(key).tryAcquire(),
      this.prompt,
      `tryAcquire("${key}")`,
    );
    await handle?.release();
    return handle !== undefined;
  }

  /** A key no other test (or suite sharing the server) uses. */
  key(label: string): string {
    this.counter++;
    return `conformance:${this.runId}:${label}:${this.counter}:${randomBytes(3).toString("hex")}`;
  }

  /** Closes every provider created since the last call; throws the first close error. */
  async closeAll(): Promise<void> {
    const providers = [...this.open];
    this.open.clear();
    const results = await Promise.allSettled(providers.map((provider) => provider.close()));
    const failure = results.find((result) => result.status === "rejected");
    if (failure) throw (failure as PromiseRejectedResult).reason;
  }
}

function positive(value: unknown, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`describeLockProvider: ${name} must be a positive number`);
  }
  return value;
}

function selection(value: unknown): (name: string) => boolean {
  if (value === undefined) return () => true;
  if (value instanceof RegExp) {
    // Without g/y, test() keeps no lastIndex between names.
    const pattern = new RegExp(value.source, value.flags.replace(/[gy]/g, ""));
    return (name) => pattern.test(name);
  }
  if (typeof value === "function") return (name) => value(name) === true;
  throw new TypeError(
    "describeLockProvider: scenarios must be a RegExp or a function (name: string) => boolean",
  );
}
