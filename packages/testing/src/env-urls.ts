import type { ServerDescriptor } from "./types.js";

const DEFAULT_PORTS: Record<string, number> = {
  "redis:": 6379,
  "rediss:": 6379,
  "mysql:": 3306,
  "mariadb:": 3306,
  "mongodb:": 27017,
  "postgres:": 5432,
  "postgresql:": 5432,
};

/**
 * Parses a server URL given by environment into a descriptor. `mongodb://` URLs may list
 * several hosts; the first one is reported as host/port, and the URL is passed on verbatim.
 */
export function descriptorFromUrl(
  raw: string,
  variable: string,
  extra: Partial<ServerDescriptor> = {},
): ServerDescriptor {
  const url = raw.trim();
  let parsed: URL;
  try {
    // `new URL` rejects `mongodb://a:1,b:2/`; parse the first host only.
    parsed = new URL(url.replace(/^(mongodb(?:\+srv)?:\/\/(?:[^@/]*@)?[^,/]+),[^/]*/, "$1"));
  } catch {
    throw new TypeError(`${variable} is not a valid URL: ${JSON.stringify(url)}`);
  }
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  if (defaultPort === undefined) {
    throw new TypeError(`${variable} has an unsupported scheme ${parsed.protocol} (${url})`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, "$1");
  if (!host) throw new TypeError(`${variable} has no host: ${JSON.stringify(url)}`);
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  return { url, host, port, mode: "env", ...extra };
}

/** Splits a comma-separated URL list (`LOCKS_REDIS_URLS`), ignoring blanks. */
export function splitUrls(value: string): string[] {
  return value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A URL with its password replaced, for log lines. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@/]*@/, "$1***@");
}
