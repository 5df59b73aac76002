import type { ContainerRuntimeClient } from "testcontainers";

type Testcontainers = typeof import("testcontainers");

let loaded: Promise<Testcontainers> | undefined;

/**
 * Loads testcontainers lazily (local and env modes never pay for it). Ryuk, its reaper
 * container, is turned off unless the user chose otherwise: it needs an image pull, and every
 * container started here is already removed by our own watchdog when the run dies.
 */
export function loadTestcontainers(): Promise<Testcontainers> {
  if (process.env.TESTCONTAINERS_RYUK_DISABLED === undefined) {
    process.env.TESTCONTAINERS_RYUK_DISABLED = "true";
  }
  loaded ??= import("testcontainers");
  return loaded;
}

let probe: Promise<{ client?: ContainerRuntimeClient; reason?: string }> | undefined;

/** The container runtime client, or why there is none (bounded by `timeoutMs`, in ms). */
export function containerRuntime(
  timeoutMs = 15_000,
): Promise<{ client?: ContainerRuntimeClient; reason?: string }> {
  probe ??= (async () => {
    try {
      const tc = await loadTestcontainers();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
        timer.unref();
      });
      try {
        const client = await Promise.race([tc.getContainerRuntimeClient(), timeout]);
        return { client };
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      return {
        reason: `no container runtime answers (${(error as Error).message.split("\n")[0]})`,
      };
    }
  })();
  return probe;
}
