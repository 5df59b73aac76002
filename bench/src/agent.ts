/**
 * A second process for the "spread over 2 processes" runs of scenario 3: it rebuilds the same
 * implementations from the same URLs and runs its share of the workers when told to.
 */
import { type Backend, type BackendUrls, implementations } from "./backends.js";
import type { ImplFactory, LockImpl } from "./impls/types.js";
import { type ContendedRun, contended } from "./scenarios.js";

/** Messages from the main process. */
export type AgentRequest =
  | { type: "init"; backend: Backend; urls: BackendUrls }
  | { type: "prepare"; implId: string }
  | {
      type: "run";
      implId: string;
      key: string;
      workers: number;
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
    case "prepare":
      await implFor(request.implId);
      return { type: "ok" };
    case "run": {
      const impl = await implFor(request.implId);
      const run = await contended(
        impl,
        request.key,
        request.workers,
        request.firstWorker,
        request.startAt,
        request.durationMs,
      );
      return { type: "result", run };
    }
    case "close":
      await Promise.allSettled([...impls.values()].map((impl) => impl.close()));
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
