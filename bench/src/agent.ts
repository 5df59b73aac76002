/**
 * Another process for the runs of scenario 3 spread over several processes: it rebuilds the same
 * implementations from the same URLs and runs its share of the workers when told to, on one
 * shared instance or (`own`) on a fresh instance per worker, closed after the run.
 */
import { type Backend, type BackendUrls, implementations } from "./backends.js";
import type { ImplFactory, LockImpl } from "./impls/types.js";
import { type ContendedRun, contended, warmUp } from "./scenarios.js";

/** Messages from the main process. */
export type AgentRequest =
  | { type: "init"; backend: Backend; urls: BackendUrls }
  | {
      type: "prepare";
      implId: string;
      ownInstances?: number;
      /** The run's key, and whether its warm-up waits for it (see `warmUp`). */
      key: string;
      warmUpWaits: boolean;
    }
  | {
      type: "run";
      implId: string;
      key: string;
      workers: number;
      own: boolean;
      firstWorker: number;
      startAt: number;
      durationMs: number;
    }
  | { type: "close" };

/** Replies to the main process. */
export type AgentReply =
  | { type: "ok" }
  | { type: "result"; run: ContendedRun }
  | { type: "error"; message: string };

let factories: ImplFactory[] = [];
const impls = new Map<string, LockImpl>();
/** Instances made (and connected) by the last "prepare" with `ownInstances`, for the next run. */
let ownInstances: LockImpl[] = [];

async function implFor(id: string): Promise<LockImpl> {
  let impl = impls.get(id);
  if (!impl) {
    const factory = factories.find((f) => f.id === id);
    if (!factory) throw new Error(`unknown implementation ${id}`);
    impl = await factory.create();
    impls.set(id, impl);
  }
  return impl;
}

async function handle(request: AgentRequest): Promise<AgentReply> {
  switch (request.type) {
    case "init":
      factories = (await implementations(request.backend, request.urls)).factories;
      return { type: "ok" };
    case "prepare": {
      await implFor(request.implId);
      const count = request.ownInstances ?? 0;
      if (count > 0) {
        const factory = factories.find((f) => f.id === request.implId)!;
        ownInstances = await Promise.all(Array.from({ length: count }, () => factory.create()));
        await warmUp(ownInstances, request.key, request.warmUpWaits);
      }
      return { type: "ok" };
    }
    case "run": {
      const shared = await implFor(request.implId);
      const own = request.own ? ownInstances : [];
      ownInstances = [];
      if (request.own && own.length !== request.workers)
        throw new Error("own instances not prepared");
      try {
        const run = await contended(
          request.own ? own : Array.from({ length: request.workers }, () => shared),
          request.key,
          request.firstWorker,
          request.startAt,
          request.durationMs,
        );
        return { type: "result", run };
      } finally {
        await Promise.allSettled(own.map((impl) => impl.close()));
      }
    }
    case "close":
      await Promise.allSettled([...impls.values(), ...ownInstances].map((impl) => impl.close()));
      ownInstances = [];
      impls.clear();
      return { type: "ok" };
  }
}

process.on("message", (request: AgentRequest) => {
  handle(request).then(
    (reply) => {
      process.send?.(reply);
      if (request.type === "close") process.disconnect();
    },
    (error: unknown) =>
      process.send?.({
        type: "error",
        message: error instanceof Error ? error.message : String(error),
      } satisfies AgentReply),
  );
});
// Never outlive the main process.
process.on("disconnect", () => process.exit(0));
