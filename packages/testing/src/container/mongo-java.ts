import { MONGO_JAVA_SERVER_VERSION } from "../local/mongo-java.js";
import { waitMongoPing } from "../mongo-ping.js";
import { freePort, LOOPBACK } from "../ports.js";
import type { StartedServer } from "../server.js";
import { loadTestcontainers } from "./runtime.js";
import { bindLoopback, wrap } from "./servers.js";

/**
 * The mongo-java-server image: `LOCKS_MONGO_JAVA_IMAGE`, else the one `scripts/build-images.sh`
 * builds on this machine (there is no official image).
 */
export function mongoJavaImage(env: NodeJS.ProcessEnv): string {
  return env.LOCKS_MONGO_JAVA_IMAGE || `locks-local/mongo-java-server:${MONGO_JAVA_SERVER_VERSION}`;
}

/**
 * mongo-java-server in a container on port 27017 (the same launcher as local mode, listening on
 * all of the container's interfaces). A restart loses its in-memory data.
 */
export async function startMongoJavaContainer(env: NodeJS.ProcessEnv): Promise<StartedServer> {
  const image = mongoJavaImage(env);
  const tc = await loadTestcontainers();
  const port = await freePort();
  const container = new tc.GenericContainer(image)
    .withExposedPorts({ container: 27017, host: port })
    .withWaitStrategy(tc.Wait.forLogMessage(/listening on /))
    .withLabels({ "org.locks.testing": "mongo-java" })
    .withStartupTimeout(60_000);
  bindLoopback(container);
  const started = await container.start();
  await waitMongoPing(LOOPBACK, port, 60_000);
  return wrap(
    started,
    {
      url: `mongodb://${LOOPBACK}:${port}/?directConnection=true`,
      host: LOOPBACK,
      port,
      mode: "container",
      flavor: "mongo-java-server",
      version: MONGO_JAVA_SERVER_VERSION,
    },
    `${image} (mongo-java-server, memory backend, oplog)`,
    () => waitMongoPing(LOOPBACK, port, 60_000),
  );
}
