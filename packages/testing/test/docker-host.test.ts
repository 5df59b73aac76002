import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerHostProblem } from "../src/container/docker-host.js";
import { freePort } from "../src/ports.js";

function listen(server: Server, target: string | number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    if (typeof target === "string") server.listen(target, () => resolve());
    else server.listen(target, "127.0.0.1", () => resolve());
  });
}

describe("DOCKER_HOST check", () => {
  it("accepts an unset DOCKER_HOST and transports it does not know", async () => {
    expect(await dockerHostProblem({})).toBeUndefined();
    expect(await dockerHostProblem({ DOCKER_HOST: "" })).toBeUndefined();
    expect(
      await dockerHostProblem({ DOCKER_HOST: "npipe:////./pipe/docker_engine" }),
    ).toBeUndefined();
  });

  it("reports a unix socket that does not exist", async () => {
    expect(await dockerHostProblem({ DOCKER_HOST: "unix:///nonexistent" })).toBe(
      "DOCKER_HOST=unix:///nonexistent does not answer (ENOENT)",
    );
  });

  it("accepts a unix socket that accepts connections", async () => {
    const dir = mkdtempSync(join(tmpdir(), "locks-docker-host-test-"));
    const server = createServer((s) => s.destroy());
    try {
      const path = join(dir, "docker.sock");
      await listen(server, path);
      expect(await dockerHostProblem({ DOCKER_HOST: `unix://${path}` })).toBeUndefined();
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("checks tcp:// hosts, and rejects a malformed value", async () => {
    const server = createServer((s) => s.destroy());
    await listen(server, 0);
    const address = server.address();
    const port = typeof address === "object" && address ? address.port : 0;
    expect(await dockerHostProblem({ DOCKER_HOST: `tcp://127.0.0.1:${port}` })).toBeUndefined();
    await new Promise((r) => server.close(r));
    const closed = await freePort();
    expect(await dockerHostProblem({ DOCKER_HOST: `tcp://127.0.0.1:${closed}` })).toMatch(
      /does not answer \(ECONNREFUSED\)/,
    );
    expect(await dockerHostProblem({ DOCKER_HOST: "not a url" })).toMatch(/not a valid URL/);
  });
});
