import { BROKER_ENV, type Broker, startBroker } from "./broker.js";
import { logLine } from "./log.js";

/** The part of vitest's `TestProject` this module uses (vitest is an optional peer). */
interface ProvidingProject {
  provide?(key: string, value: unknown): void;
}

let broker: Broker | undefined;

const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

function onSignal(signal: NodeJS.Signals): void {
  // Our listener stays registered while stopping: a runner that exits on a signal when it
  // sees no other listener (tsx does) must not cut the teardown short.
  const b = broker;
  broker = undefined;
  if (!b) return;
  logLine(`${signal}: stopping test servers`);
  const bound = new Promise((r) => setTimeout(r, 20_000).unref());
  void Promise.race([b.close(), bound]).finally(() => {
    for (const s of SIGNALS) process.off(s, onSignal);
    // Deliver the signal again now that the servers are gone. Listeners that deferred to
    // ours (signal-exit, used by testcontainers' dependencies, only re-raises when it is
    // alone) now act; with no listener left the default action ends the process.
    process.kill(process.pid, signal);
  });
}

/**
 * vitest `globalSetup` module: starts the test-server broker in the main process and hands
 * its URL to the workers (`LOCKS_TEST_BROKER`, set before workers spawn, and
 * `provide("locksTestBroker")`). Servers start lazily when a test first asks for one and are
 * stopped at teardown, on SIGINT/SIGTERM, and by watchdogs if this process dies.
 */
export default async function setup(project?: ProvidingProject): Promise<() => Promise<void>> {
  broker = await startBroker(process.env);
  process.env[BROKER_ENV] = broker.url;
  project?.provide?.("locksTestBroker", broker.url);
  for (const s of SIGNALS) process.on(s, onSignal);
  return teardown;
}

/** Stops every server the broker started. Safe to call twice. */
export async function teardown(): Promise<void> {
  for (const s of SIGNALS) process.off(s, onSignal);
  const b = broker;
  broker = undefined;
  if (!b) return;
  if (process.env[BROKER_ENV] === b.url) delete process.env[BROKER_ENV];
  try {
    await b.close();
  } catch (error) {
    logLine(`teardown failed: ${(error as Error).message}`);
  }
}

export { BROKER_ENV, startBroker };
