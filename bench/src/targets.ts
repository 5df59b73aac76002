/**
 * The benchmark's targets, as data: `summary.ts` measures each against a run and reports it met,
 * partly met or missed. Change a goal here, not in the code that checks it.
 */
export const TARGETS = {
  /** Uncontended acquire + release: our p50 at most this multiple of the floor's, every backend. */
  uncontendedVsFloor: 1.15,
  /** 16 workers sharing one provider: Redis CS/s at least this multiple of the best polling peer's. */
  sharedRedisVsPeer: 1.9,
  /** 16 workers sharing one provider: every backend's CS/s at least this share of the MariaDB native floor's. */
  sharedVsNativeFloor: 0.9,
  /** 16 workers sharing one provider: hand-off p99 at most this, ms. */
  sharedHandoffP99Ms: 2,
  /** 16 workers sharing one provider: wait p99 at most this, ms. */
  sharedWaitP99Ms: 40,
  /** 16 workers sharing one provider: Jain fairness at least this. */
  sharedFairness: 0.99,
  /** Heap per held lock (memory, Redis) below this, bytes. */
  heapBytesPerLock: 2048,
  /** Many nodes (16 own providers), Redis single server and Cluster. */
  manyNodes: {
    fairness: 0.95,
    waitP99Ms: 60,
    handoffP99Ms: 2,
    /** CS/s at least this multiple of the best peer at defaults. */
    vsPeerAtDefaults: 1.5,
    /** CS/s at least this multiple of the best speed-tuned peer. */
    vsTunedPeer: 1.2,
  },
} as const;
