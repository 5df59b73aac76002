/** PostgreSQL: `pg_terminate_backend` through `@locks/postgres/faults`, resets and partitions through a proxy. */
import { createPostgresLockProvider } from "@locks/postgres";
import { createPostgresFaults } from "@locks/postgres/faults";
import { SERVER_FAULTS, serverBackend, testServers } from "./server-backend.js";

export const postgres = serverBackend(
  {
    name: "postgres",
    fencing: true,
    faults: { ...SERVER_FAULTS, restart: 40 },
    urls: "one",
    open([through = ""], [direct = ""]) {
      const provider = createPostgresLockProvider({ connectionString: through });
      const faults = createPostgresFaults({ connectionString: direct });
      return {
        provider,
        operator: { kill: () => faults.dropConnections(provider), close: () => faults.close() },
      };
    },
  },
  testServers("PostgreSQL", "postgres", (servers) => servers.postgresServer()),
);
