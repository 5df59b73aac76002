/**
 * A backend adapter: everything the chaos run knows about one backend, in one file. The
 * coordinator calls {@link ChaosBackend.servers}; each worker process calls
 * {@link ChaosBackend.connect} with what that returned. Adding a backend is one file and one
 * line in ./index.ts.
 */
import type { LockProvider } from "@locks/core";
import type { ServerControl, TestServers } from "@locks/testing";
import type { FaultKind } from "../history.js";

/** The servers a run uses, as found by the coordinator. */
export interface BackendServers {
  /** Connection URLs handed to the workers (several for Redlock). */
  readonly urls: readonly string[];
  /** Server name and version, for the report, e.g. `Redis 7.0.15`. */
  readonly version: string;
  /** Where the servers came from: `url` (given), `local` or `container` (started for this run). */
  readonly mode: string;
  /** Restart/freeze controls, when this run started the servers. */
  readonly controls: readonly ServerControl[];
}

/** One worker's connection to the backend. */
export interface WorkerBackend {
  /** A fresh provider: one node. */
  readonly provider: LockProvider;
  /** Kills this provider's server connections the way the server's operator would. */
  kill?(): Promise<void>;
  /** TCP-resets every connection of this worker (through its proxy). */
  reset?(): void;
  /** Stops forwarding this worker's traffic (through its proxy) until {@link heal}. */
  partition?(): void;
  /** Undoes {@link partition}. */
  heal?(): void;
  /** Closes the provider and whatever else the worker opened. */
  close(): Promise<void>;
}

/** How the coordinator asks for servers. */
export interface ServerRequest {
  /** URLs given on the command line; when absent the adapter starts or finds test servers. */
  readonly urls: readonly string[] | undefined;
  /** `@locks/testing` servers (env URLs, containers or local binaries). */
  readonly testServers: TestServers;
}

/** A backend the chaos run can drive. */
export interface ChaosBackend {
  /** `--backend` name. */
  readonly name: string;
  /** Whether handles carry fencing tokens (the register fences only then). */
  readonly fencing: boolean;
  /**
   * All workers must share one process (a backend whose state lives in the process, such as
   * the in-memory provider); process faults then hit every worker at once.
   */
  readonly oneProcess: boolean;
  /** Faults this backend can take, with their default mean interval in seconds. */
  readonly faults: Readonly<Partial<Record<FaultKind, number>>>;
  /** Finds or starts the servers (coordinator side). */
  servers(request: ServerRequest): Promise<BackendServers>;
  /** Opens one worker's provider and fault hooks (worker side). */
  connect(urls: readonly string[], name: string): Promise<WorkerBackend>;
}
