import { parseArgs } from "node:util";

/** Parsed command line of the demo. */
export interface DemoArgs {
  /** `memory` or a backend URL (`redis://`, `mysql://`, `mongodb://`, `postgres://`). */
  backend: string;
  /** Number of workers, each with its own provider (one "node" each). */
  workers: number;
  /** Run time in milliseconds. */
  duration: number;
  /** How long each worker holds the lock, in milliseconds. */
  hold: number;
  /** Pause between a release and the worker's next acquire, in milliseconds. */
  think: number;
}

const usage = `Usage: pnpm demo [--backend memory|<url>] [--workers N] [--duration seconds] [--hold ms]

  --backend   memory (default), redis://host:port, mysql://user:pw@host:port/db, mongodb://host:port/db,
              postgres://user:pw@host:port/db
  --workers   contending workers, each with its own provider (default 8)
  --duration  how long to run, in seconds (default 5)
  --hold      how long each critical section lasts, in milliseconds (default 2)
  --think     pause between a release and the same worker's next acquire, in ms (default 1);
              0 lets a worker re-take the lock it just released before remote waiters wake`;

/** Parses argv; prints usage and exits on --help or bad input. */
export function parseDemoArgs(argv: string[]): DemoArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv.filter((arg) => arg !== "--"),
      options: {
        backend: { type: "string", default: "memory" },
        workers: { type: "string", default: "8" },
        duration: { type: "string", default: "5" },
        hold: { type: "string", default: "2" },
        think: { type: "string", default: "1" },
        help: { type: "boolean", short: "h" },
      },
    }));
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return {
    backend: String(values.backend),
    workers: positive(values.workers, "--workers", 1, 256),
    duration: positive(values.duration, "--duration", 0.1, 3600) * 1000,
    hold: positive(values.hold, "--hold", 0, 10_000),
    think: positive(values.think, "--think", 0, 10_000),
  };
}

function positive(value: unknown, name: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    fail(`${name} must be a number from ${min} to ${max}`);
  return n;
}

function fail(message: string): never {
  console.error(`${message}\n\n${usage}`);
  process.exit(2);
}
