/** What a benchmark needs from a lock implementation, whoever wrote it. */

/** A held lock. */
export interface Held {
  /** Gives the lock back; resolves once the backend has been told. */
  release(): Promise<void>;
}

/** Which scenarios an implementation can take part in. */
export interface ImplTraits {
  /** It can wait for a held lock by itself (false: try-once libraries). Default true. */
  waits?: boolean;
  /** Locks are shared across processes (false: in-process only, so no 2-process runs). Default true. */
  distributed?: boolean;
}

/** One implementation under test: ours, a peer library, or the raw-driver floor. */
export interface LockImpl {
  /** Stable id, e.g. `"redis-semaphore Mutex (tuned)"`. Also used to rebuild it in a child process. */
  readonly id: string;
  readonly role: "ours" | "peer" | "floor";
  /**
   * Comparison group: rows are compared with the floor and the peers of the same group
   * (e.g. `"1 server"` vs `"3 servers (Redlock)"`).
   */
  readonly group: string;
  /** The settings used, in words (defaults, or what was tuned). */
  readonly settings: string;
  readonly traits: ImplTraits;
  /**
   * Acquires `key`, waiting while it is held, until granted or `signal` aborts (then rejects).
   * Implementations whose library gives up after a bounded wait are retried at once; the wait
   * keeps counting.
   */
  acquire(key: string, signal: AbortSignal): Promise<Held>;
  /** Closes connections the implementation opened. */
  close(): Promise<void>;
}

/** A factory of one implementation; called in the main process and in child processes. */
export interface ImplFactory {
  readonly id: string;
  readonly role: LockImpl["role"];
  readonly group: string;
  readonly settings: string;
  readonly traits?: ImplTraits;
  create(): Promise<LockImpl>;
}

/** Builds an {@link ImplFactory} from its parts and a `connect` that yields acquire/close. */
export function defineImpl(
  meta: Omit<ImplFactory, "create">,
  connect: () => Promise<Pick<LockImpl, "acquire" | "close">>,
): ImplFactory {
  return {
    ...meta,
    async create() {
      const { acquire, close } = await connect();
      return {
        id: meta.id,
        role: meta.role,
        group: meta.group,
        settings: meta.settings,
        traits: meta.traits ?? {},
        acquire,
        close,
      };
    },
  };
}

/** Retries `attempt` until it yields a lock or `signal` aborts; `attempt` may give up by throwing. */
export async function untilAcquired<T>(
  signal: AbortSignal,
  attempt: () => Promise<T | undefined>,
  pauseMs = 0,
): Promise<T> {
  for (;;) {
    signal.throwIfAborted();
    try {
      const got = await attempt();
      if (got !== undefined) return got;
    } catch (error) {
      signal.throwIfAborted();
      if (!isGiveUp(error)) throw error;
    }
    if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
}

/** Errors libraries throw when their bounded wait ran out (the lock was busy), by name. */
function isGiveUp(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return /Timeout|LockError|ExecutionError|Acquire|quorum|attempts/i.test(
    `${error.name} ${error.constructor.name} ${error.message}`,
  );
}
