import type { ContainerRuntimeClient } from "testcontainers";
import { dockerHostProblem } from "./docker-host.js";

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
  // Published ports are bound to 127.0.0.1 (see bindLoopback). Where a local Docker daemon is
  // used from a machine that looks like a container (a /.dockerenv file), Testcontainers would
  // reach those ports through the bridge gateway instead, where nothing listens: point it at
  // loopback unless the user chose a host or a remote daemon.
  const dockerHost = process.env.DOCKER_HOST;
  if (
    process.env.TESTCONTAINERS_HOST_OVERRIDE === undefined &&
    (dockerHost === undefined || dockerHost === "" || dockerHost.startsWith("unix:"))
  ) {
    process.env.TESTCONTAINERS_HOST_OVERRIDE = "127.0.0.1";
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
    const unreachable = await dockerHostProblem(process.env);
    if (unreachable) return { reason: `no container runtime answers (${unreachable})` };
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
