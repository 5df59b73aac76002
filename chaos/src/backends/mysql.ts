/** MySQL/MariaDB: `KILL` through `@locks/mysql/faults`, resets and partitions through a proxy. */
import { createMySqlLockProvider } from "@locks/mysql";
import { createMySqlFaults } from "@locks/mysql/faults";
import { SERVER_FAULTS, serverBackend, testServers } from "./server-backend.js";

export const mysql = serverBackend(
  {
    name: "mysql",
    fencing: true,
    faults: { ...SERVER_FAULTS, restart: 40 },
    urls: "one",
    open([through = ""], [direct = ""]) {
      const provider = createMySqlLockProvider({ url: through });
      const faults = createMySqlFaults({ url: direct });
      return {
        provider,
        operator: { kill: () => faults.dropConnections(provider), close: () => faults.close() },
      };
    },
  },
  testServers(
    "MySQL/MariaDB",
    "mysql",
    (servers) => servers.mysqlServer(),
    (server) => (server.flavor === "mariadb" ? "MariaDB" : "MySQL"),
  ),
);
