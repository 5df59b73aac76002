/** Shared by the adapters: servers from the command line or from `@locks/testing`. */
import type { TestServer } from "@locks/testing";
import type { BackendServers, ServerRequest } from "./types.js";

/** Servers given by URL: no controls (this run did not start them). */
export function given(urls: readonly string[], label: string): BackendServers {
  return { urls, version: `${label} (given by URL)`, mode: "url", controls: [] };
}

/** Servers found by `@locks/testing`; throws with its reason when there are none. */
export function found(
  servers: readonly TestServer[] | undefined,
  label: string,
  reason: string | undefined,
): BackendServers {
  const first = servers?.[0];
  if (!servers || !first) throw new Error(`no ${label} server: ${reason ?? "unknown reason"}`);
  return {
    urls: servers.map((s) => s.url),
    version: `${label}${first.version ? ` ${first.version}` : ""}`,
    mode: first.mode,
    controls: servers.flatMap((s) => (s.control ? [s.control] : [])),
  };
}

/** The URLs of a request, or the test servers `find` resolves. */
export async function resolveServers(
  request: ServerRequest,
  label: string,
  find: () => Promise<BackendServers>,
): Promise<BackendServers> {
  return request.urls ? given(request.urls, label) : find();
}
