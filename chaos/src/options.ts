/** Command-line options of `pnpm chaos`, checked before anything starts. */
import { BACKENDS } from "./backends/index.js";
import { FAULT_KINDS, type FaultKind } from "./history.js";

/** A run's settings. */
export interface ChaosOptions {
  /** Backends to run, concurrently. */
  readonly backends: readonly string[];
  /** Server URLs for the (single) backend; absent: servers from `@locks/testing`. */
  readonly urls: readonly string[] | undefined;
  /** Longest run, seconds. */
  readonly duration: number;
  /** Stop once this many critical sections completed (per backend); Infinity: run for `duration`. */
  readonly sections: number;
  /** Workers (providers) per backend. */
  readonly workers: number;
  /** Workers per OS process (memory: all of them, in one process). */
  readonly perProcess: number;
  /** Number of keys the workers contend for. */
  readonly keys: number;
  /** Lease, ms. */
  readonly ttl: number;
  /** Longest hold of a normal section, ms. */
  readonly hold: number;
  /** Longest wait of one `acquire()`, ms. */
  readonly acquireTimeout: number;
  /** Mean seconds between faults of a kind (0: off), overriding the backend's defaults. */
  readonly faults: Readonly<Partial<Record<FaultKind, number>>>;
  /** No faults at all. */
  readonly noFaults: boolean;
  /** Where to write the JSON report too. */
  readonly json: string | undefined;
  /** Where to write every section and fault (JSON lines), for a second look. */
  readonly history: string | undefined;
}

export const USAGE = `pnpm chaos [options]
  --backend NAME        ${Object.keys(BACKENDS).join(" | ")} (repeatable: run side by side; default redis)
  --url URL             server of the backend instead of a test server (repeatable: Redlock)
  --duration S          longest run in seconds (default 60)
  --sections N          stop once N critical sections completed (default: run for --duration)
  --workers N           worker processes, each its own provider (default 4)
  --per-process N       workers per process (default 1; memory runs all in one process)
  --keys N              keys the workers contend for (default 1)
  --ttl MS              lease (default 1000); pauses last 2-3x this
  --hold MS             longest hold of a section (default 2)
  --acquire-timeout MS  longest wait of one acquire (default 5000)
  --fault KIND=S        mean seconds between faults of KIND (0: off); KIND one of
                        ${FAULT_KINDS.join(", ")}
  --no-faults           inject nothing
  --json FILE           also write the JSON report to FILE
  --history FILE        write every section and fault as JSON lines to FILE (one backend)
  --help`;

/** Thrown for a bad command line; main prints it with the usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

function number(flag: string, raw: string | undefined, min: number, integer = true): number {
  const value = Number(raw);
  if (raw === undefined || raw === "" || !Number.isFinite(value) || value < min) {
    throw new UsageError(`${flag} needs a number >= ${min} (got ${JSON.stringify(raw)})`);
  }
  if (integer && !Number.isInteger(value)) throw new UsageError(`${flag} needs an integer`);
  return value;
}

/** Parses `argv` (without node and the script). */
export function parseOptions(argv: readonly string[]): ChaosOptions {
  const backends: string[] = [];
  const urls: string[] = [];
  const faults: Partial<Record<FaultKind, number>> = {};
  let duration = 60;
  let sections = Number.POSITIVE_INFINITY;
  let workers = 4;
  let perProcess = 1;
  let keys = 1;
  let ttl = 1_000;
  let hold = 2;
  let acquireTimeout = 5_000;
  let noFaults = false;
  let json: string | undefined;
  let history: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new UsageError(`${flag} needs a value`);
      return next;
    };
    if (flag === "--") continue;
    else if (flag === "--backend") {
      const name = value();
      if (!BACKENDS[name]) throw new UsageError(`unknown backend ${JSON.stringify(name)}`);
      backends.push(name);
    } else if (flag === "--url") urls.push(value());
    else if (flag === "--duration") duration = number(flag, value(), 1, false);
    else if (flag === "--sections") sections = number(flag, value(), 1);
    else if (flag === "--workers") workers = number(flag, value(), 2);
    else if (flag === "--per-process") perProcess = number(flag, value(), 1);
    else if (flag === "--keys") keys = number(flag, value(), 1);
    else if (flag === "--ttl") ttl = number(flag, value(), 50);
    else if (flag === "--hold") hold = number(flag, value(), 0, false);
    else if (flag === "--acquire-timeout") acquireTimeout = number(flag, value(), 1);
    else if (flag === "--no-faults") noFaults = true;
    else if (flag === "--json") json = value();
    else if (flag === "--history") history = value();
    else if (flag === "--fault") {
      const [kind, seconds] = value().split("=");
      if (!FAULT_KINDS.includes(kind as FaultKind)) {
        throw new UsageError(`--fault: unknown kind ${JSON.stringify(kind)}`);
      }
      faults[kind as FaultKind] = number("--fault", seconds, 0, false);
    } else if (flag === "--help" || flag === "-h") throw new UsageError("");
    else throw new UsageError(`unknown option ${JSON.stringify(flag)}`);
  }
  if (backends.length === 0) backends.push("redis");
  if (urls.length > 0 && backends.length !== 1) {
    throw new UsageError("--url needs exactly one --backend");
  }
  if (history !== undefined && backends.length !== 1) {
    throw new UsageError("--history needs exactly one --backend");
  }
  return {
    backends,
    urls: urls.length > 0 ? urls : undefined,
    duration,
    sections,
    workers,
    perProcess,
    keys,
    ttl,
    hold,
    acquireTimeout,
    faults,
    noFaults,
    json,
    history,
  };
}
