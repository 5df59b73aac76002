import { execFileSync } from "node:child_process";
import { isCi, reportToRun } from "../src/run-report.js";

/** Images the container tests use: `LOCKS_*_IMAGE`, else the locally built ones. */
export const containerTestEnv = {
  LOCKS_REDIS_IMAGE: process.env.LOCKS_REDIS_IMAGE || "locks-local/redis:7.0",
  LOCKS_MYSQL_IMAGE: process.env.LOCKS_MYSQL_IMAGE || "locks-local/mariadb:10.11",
  LOCKS_MONGO_IMAGE: process.env.LOCKS_MONGO_IMAGE || "locks-local/ferretdb:1.24.2",
  LOCKS_MONGO_JAVA_IMAGE:
    process.env.LOCKS_MONGO_JAVA_IMAGE || "locks-local/mongo-java-server:1.47.0",
  LOCKS_POSTGRES_IMAGE: process.env.LOCKS_POSTGRES_IMAGE || "locks-local/postgres:15",
};

let cached: string | undefined | null = null;

/**
 * Why container tests cannot run here, or undefined when dockerd answers and the images
 * exist. Like a missing server, a missing runtime or image skips them only outside CI: under
 * `CI=true` (and under `LOCKS_TEST_MODE=container`) nothing is skipped, the tests run and fail.
 */
export function containerSkipReason(): string | undefined {
  if (cached !== null) return cached;
  cached = probe();
  if (cached !== undefined) {
    if (process.env.LOCKS_TEST_MODE === "container" || isCi(process.env)) cached = undefined;
    else reportToRun(process.env, { backend: "containers", ok: false, reason: cached });
  }
  return cached;
}

function probe(): string | undefined {
  try {
    execFileSync("docker", ["info"], { stdio: "ignore", timeout: 10_000 });
  } catch {
    return "docker does not answer";
  }
  for (const image of Object.values(containerTestEnv)) {
    try {
      execFileSync("docker", ["image", "inspect", image], { stdio: "ignore", timeout: 10_000 });
    } catch {
      return `image ${image} missing (run scripts/build-images.sh)`;
    }
  }
  return undefined;
}
