import { Socket } from "node:net";

/**
 * Why the daemon named by `DOCKER_HOST` cannot be reached, or undefined when it accepts a
 * connection (or `DOCKER_HOST` is unset, or names a transport this check does not know).
 *
 * Testcontainers falls back to `/var/run/docker.sock` when `DOCKER_HOST` does not answer, but
 * the `docker` CLI (which the watchdogs use to remove containers) does not: a run would start
 * containers it could not clean up. So a `DOCKER_HOST` that does not answer means "no
 * container runtime", and `DOCKER_HOST=unix:///nonexistent` turns containers off for one run.
 */
export async function dockerHostProblem(
  env: NodeJS.ProcessEnv,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  const raw = env.DOCKER_HOST?.trim();
  if (!raw) return undefined;
  let target: { path: string } | { host: string; port: number };
  try {
    const url = new URL(raw);
    if (url.protocol === "unix:") target = { path: decodeURIComponent(url.pathname) };
    else if (url.protocol === "tcp:" || url.protocol === "http:" || url.protocol === "https:") {
      const port = url.port ? Number(url.port) : url.protocol === "http:" ? 2375 : 2376;
      target = { host: url.hostname.replace(/^\[(.*)\]$/, "$1"), port };
    } else return undefined;
  } catch {
    return `DOCKER_HOST=${raw} is not a valid URL`;
  }
  const error = await new Promise<string | undefined>((resolve) => {
    const socket = new Socket();
    const done = (problem: string | undefined) => {
      socket.destroy();
      resolve(problem);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
    socket.once("connect", () => done(undefined));
    if ("path" in target) socket.connect(target.path);
    else socket.connect(target.port, target.host);
  });
  return error === undefined ? undefined : `DOCKER_HOST=${raw} does not answer (${error})`;
}
