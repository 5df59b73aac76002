import type { LockProvider } from "@locks/core";
import { yieldTurn } from "./async.js";
import { clock } from "./clock.js";

/**
 * One critical section, as an application would write it: write to the protected resource with the
 * handle's token, let everything else run (so that a second holder, if the lock allowed one, gets
 * to write in between), write again, and release. The hold interval is taken inside the section.
 */
export async function criticalSection(
  provider: LockProvider,
  key: string,
  holder: string,
  timeout: number,
  resource: { write(token: bigint | undefined, holder: string): boolean | Promise<boolean> },
  /** Told which step starts, so that a run that stalls can say where each worker is. */
  onStep?: (step: "acquire" | "section" | "release") => void,
): Promise<{ start: number; end: number; token: bigint | undefined; lost: boolean }> {
  onStep?.("acquire");
  // A long lease: expiry is not under test here, only exclusion and fencing.
  const handle = await provider.getLock(key, { ttl: 30_000 }).acquire({ timeout });
  onStep?.("section");
  const start = clock();
  const token = handle.fencingToken;
  await resource.write(token, holder);
  await yieldTurn();
  await resource.write(token, holder);
  const end = clock();
  const lost = handle.lost;
  onStep?.("release");
  await handle.release();
  return { start, end, token, lost };
}
