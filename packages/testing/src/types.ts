/** How a test server was obtained. */
export type ServerMode = "env" | "container" | "local";

/** Backends that can be requested; also the keys of {@link unavailableReason}. */
export type BackendName =
  | "redis"
  | "redis-servers"
  | "redis-cluster"
  | "mysql"
  | "mongo"
  | "mongo-java"
  | "postgres";

/** What kind of MongoDB-wire server it is. */
export type MongoFlavor = "mongodb" | "ferretdb" | "mongo-java-server";

/**
 * Fault controls for a server this run started itself (absent for servers given by URL).
 * Every method resolves once the server is in the new state.
 */
export interface ServerControl {
  /**
   * Stops and starts the server on the same host and port. Redis runs without persistence,
   * so its data is lost; MySQL/MariaDB, MongoDB/FerretDB and PostgreSQL keep their data on disk.
   */
  restart(): Promise<void>;
  /** Freezes the server (SIGSTOP, or `docker pause`): connections stay open, nothing answers. */
  pause(): Promise<void>;
  /** Undoes {@link ServerControl.pause}. */
  resume(): Promise<void>;
}

/** A reachable server. */
export interface TestServer {
  /** Connection URL, e.g. `redis://127.0.0.1:40123`. */
  readonly url: string;
  /** Host name or address to connect to. */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** Where the server came from. */
  readonly mode: ServerMode;
  /** Server version when known (e.g. `7.0.15`). */
  readonly version?: string;
  /** Fault controls; present when this run started the server. */
  readonly control?: ServerControl;
}

/** A MongoDB-compatible server. */
export interface MongoTestServer extends TestServer {
  /**
   * `mongodb` for a real mongod, `ferretdb` for FerretDB, `mongo-java-server` for the Java test
   * server (wire version 8: the mongodb 7 driver refuses it, use the 6 driver).
   */
  readonly flavor: MongoFlavor;
}

/** A Redis Cluster: three masters, no replicas, all 16384 slots assigned. */
export interface RedisClusterServers {
  /** The master nodes. */
  readonly nodes: TestServer[];
  /** Where the nodes came from. */
  readonly mode: ServerMode;
}

/** Control actions, as sent to the broker. */
export type ControlAction = "restart" | "pause" | "resume";

/** A MySQL-compatible server. */
export interface MysqlTestServer extends TestServer {
  /** `mysql` for Oracle MySQL, `mariadb` for MariaDB. */
  readonly flavor: "mysql" | "mariadb";
}

/** Serialisable description of a server (what the broker hands to workers). */
export interface ServerDescriptor {
  /** Broker-side id used for control calls; absent when there is no control. */
  readonly id?: string;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly mode: ServerMode;
  readonly version?: string;
  readonly flavor?: MongoFlavor | "mysql" | "mariadb";
}

/** Result of resolving one backend. */
export type Resolution =
  | { readonly ok: true; readonly servers: ServerDescriptor[]; readonly mode: ServerMode }
  | { readonly ok: false; readonly reason: string };
