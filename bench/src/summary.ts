/**
 * The README's summary of a run: the headline tables and where each target of the benchmark
 * issue stands, computed from the results so that a re-run updates them (`--update-readme`).
 */
import type { BackendResult, Results, Row } from "./results.js";
import { TARGETS } from "./targets.js";

const REFERENCE = "16 workers, 1 process";
const TWO_PROCESSES = "16 workers, 2 processes";
/** The headline settings: many nodes, each worker its own provider (or client and lock). */
const OWN = "16 own providers, 1 process";
const OWN_PROCESSES = "4 processes × 4 own providers";

const fmt = (value: number | undefined): string => {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 0.1) return value.toFixed(2);
  return value.toPrecision(2);
};
const times = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;

function scenarioRows(backend: BackendResult | undefined, id: string, config?: string): Row[] {
  const rows = backend?.scenarios.find((s) => s.id === id)?.rows ?? [];
  return rows.filter((r) => !r.error && (config === undefined || r.config === config));
}

const label = (backend: string) =>
  (
    ({
      memory: "memory",
      redis: "Redis",
      mysql: "MySQL",
      mongo: "MongoDB",
      "mongo-java": "mongo-java-server",
      postgres: "PostgreSQL",
    }) as Record<string, string>
  )[backend] ?? backend;

function bestPeer(rows: Row[], group: string, metric: string, better: "lower" | "higher") {
  const peers = rows.filter(
    (r) => r.role === "peer" && r.group === group && Number.isFinite(r.metrics[metric]),
  );
  peers.sort((a, b) =>
    better === "lower"
      ? a.metrics[metric]! - b.metrics[metric]!
      : b.metrics[metric]! - a.metrics[metric]!,
  );
  return peers[0];
}

/** Markdown: headline tables and the targets table. */
export function summary(results: Results): string {
  const m = results.machine;
  const servers = results.backends
    .filter((b) => b.servers)
    .map((b) => b.servers!.replace(/ \((local|env|container)[^)]*\)$/, ""))
    .join(", ");
  const out: string[] = [
    `Run of ${results.startedAt.slice(0, 16).replace("T", " ")} UTC${results.quick ? " (--quick: not meaningful)" : ""}: ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node.replace(/^v/, "")}, ${servers}; 1-minute load average ${m.loadAtStart.toFixed(1)} at the start and ${m.loadAtEnd?.toFixed(1) ?? "?"} at the end (on ${m.cpus} cores: above ${m.cpus} means other work competed with the run).`,
    "",
    "**1. Uncontended acquire + release** (ms; ratios on p50)",
    "",
    "| backend | ours | p50 | p99 | ÷ floor | floor p50 | best peer p50 |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const backend of results.backends) {
    const rows = scenarioRows(backend, "uncontended");
    for (const row of rows.filter((r) => r.role === "ours")) {
      const floor = rows.find((r) => r.role === "floor" && r.group === row.group);
      const peer = bestPeer(rows, row.group, "p50Ms", "lower");
      out.push(
        `| ${label(backend.backend)} | ${row.impl} | ${fmt(row.metrics.p50Ms)} | ${fmt(row.metrics.p99Ms)} | ${times(row.vsFloor)} | ${fmt(floor?.metrics.p50Ms)} | ${peer ? `${fmt(peer.metrics.p50Ms)} (${peer.impl})` : "–"} |`,
      );
    }
  }
  for (const config of [OWN, OWN_PROCESSES]) {
    out.push(
      "",
      `**3 and 4. One contended key, ${config}** (many nodes: each worker its own provider or client and lock; times in ms)`,
      "",
      "| backend | implementation | CS/s | wait p50 | wait p99 | wait max | fairness | CS per worker min–max | hand-off p50 | hand-off p99 | overlaps |",
      "|---|---|---|---|---|---|---|---|---|---|---|",
    );
    for (const backend of results.backends) {
      const handoff = scenarioRows(backend, "handoff", config);
      for (const row of scenarioRows(backend, "contended", config)) {
        const h = handoff.find((r) => r.impl === row.impl);
        const name = row.role === "ours" ? `**${row.impl}**` : row.impl;
        out.push(
          `| ${label(backend.backend)} | ${name} | ${fmt(row.metrics.sectionsPerSec)} | ${fmt(row.metrics.waitP50Ms)} | ${fmt(row.metrics.waitP99Ms)} | ${fmt(row.metrics.waitMaxMs)} | ${(row.metrics.fairness ?? Number.NaN).toFixed(3)} | ${fmt(row.metrics.workerMin)}–${fmt(row.metrics.workerMax)} | ${fmt(h?.metrics.handoffP50Ms)} | ${fmt(h?.metrics.handoffP99Ms)} | ${row.metrics.overlaps ? `**${row.metrics.overlaps}**` : "0"} |`,
        );
      }
    }
  }
  out.push(
    "",
    `**3 and 4. One contended key, ${REFERENCE}** (one provider shared by the 16 workers; times in ms)`,
    "",
    "| backend | implementation | CS/s | wait p50 | wait p99 | fairness | hand-off p50 | hand-off p99 | overlaps |",
    "|---|---|---|---|---|---|---|---|---|",
  );
  for (const backend of results.backends) {
    const contended = scenarioRows(backend, "contended", REFERENCE);
    const handoff = scenarioRows(backend, "handoff", REFERENCE);
    for (const row of contended) {
      const h = handoff.find((r) => r.impl === row.impl);
      const name = row.role === "ours" ? `**${row.impl}**` : row.impl;
      out.push(
        `| ${label(backend.backend)} | ${name} | ${fmt(row.metrics.sectionsPerSec)} | ${fmt(row.metrics.waitP50Ms)} | ${fmt(row.metrics.waitP99Ms)} | ${(row.metrics.fairness ?? Number.NaN).toFixed(3)} | ${fmt(h?.metrics.handoffP50Ms)} | ${fmt(h?.metrics.handoffP99Ms)} | ${row.metrics.overlaps ? `**${row.metrics.overlaps}**` : "0"} |`,
      );
    }
  }
  const two: string[] = [];
  for (const backend of results.backends) {
    const contended = scenarioRows(backend, "contended", TWO_PROCESSES);
    const handoff = scenarioRows(backend, "handoff", TWO_PROCESSES);
    for (const row of contended.filter((r) => r.role === "ours")) {
      const floor = contended.find((r) => r.role === "floor" && r.group === row.group);
      const peer = bestPeer(contended, row.group, "sectionsPerSec", "higher");
      const h = handoff.find((r) => r.impl === row.impl);
      two.push(
        `| ${label(backend.backend)} | ${row.impl} | ${fmt(row.metrics.sectionsPerSec)} | ${fmt(floor?.metrics.sectionsPerSec)} | ${peer ? `${fmt(peer.metrics.sectionsPerSec)} (${peer.impl})` : "–"} | ${fmt(row.metrics.waitP99Ms)} | ${(row.metrics.fairness ?? Number.NaN).toFixed(3)} | ${fmt(h?.metrics.handoffP99Ms)} |`,
      );
    }
  }
  if (two.length > 0) {
    out.push(
      "",
      `**3 and 4 across processes: ${TWO_PROCESSES}** (no shared local queue: every hand-off goes through the server)`,
      "",
      "| backend | ours | CS/s | floor CS/s | best peer CS/s | wait p99 | fairness | hand-off p99 |",
      "|---|---|---|---|---|---|---|---|",
      ...two,
    );
  }
  const heap: string[] = [];
  for (const backend of results.backends) {
    const rows = scenarioRows(backend, "memory");
    for (const row of rows.filter((r) => r.role === "ours")) {
      const floor = rows.find((r) => r.role === "floor" && r.group === row.group);
      const peers = rows.filter((r) => r.role === "peer" && r.group === row.group);
      const range = peers.length
        ? `${fmt(Math.min(...peers.map((p) => p.metrics.bytesPerLock!)))}–${fmt(Math.max(...peers.map((p) => p.metrics.bytesPerLock!)))}`
        : "–";
      heap.push(
        `| ${label(backend.backend)} | ${row.impl} | ${fmt(row.metrics.bytesPerLock)} | ${fmt(floor?.metrics.bytesPerLock)} | ${range} |`,
      );
    }
  }
  if (heap.length > 0) {
    const held = results.plan.heldLocks;
    out.push(
      "",
      `**5. Heap per held lock** (bytes, ${String(held)} held; ±100 B is GC noise)`,
      "",
      "| backend | ours | bytes/lock | floor | peers |",
      "|---|---|---|---|---|",
      ...heap,
    );
  }
  out.push("", ...targets(results));
  return out.join("\n");
}

/** The targets of the benchmark issue, each with the measured figures and met / missed. */
function targets(results: Results): string[] {
  const ours = (id: string, config?: string) =>
    results.backends.flatMap((b) =>
      scenarioRows(b, id, config)
        .filter((r) => r.role === "ours")
        .map((r) => ({ backend: b.backend, row: r })),
    );
  const name = (backend: string, row: Row) =>
    row.impl.includes("Redlock") ? "Redlock" : label(backend);
  const verdict = (all: boolean, some: boolean) =>
    all ? "met" : some ? "**partly**" : "**missed**";
  const lines = ["| target | measured | status |", "|---|---|---|"];

  const uncontended = ours("uncontended");
  const ok1 = uncontended.map(
    ({ row }) => (row.vsFloor ?? Number.POSITIVE_INFINITY) <= TARGETS.uncontendedVsFloor,
  );
  lines.push(
    `| Uncontended p50 within ${TARGETS.uncontendedVsFloor}× the floor, every backend | ${uncontended.map(({ backend, row }) => `${name(backend, row)} ${times(row.vsFloor)}`).join(", ")} | ${verdict(ok1.every(Boolean), ok1.some(Boolean))} |`,
  );

  const redis = results.backends.find((b) => b.backend === "redis");
  const redisRows = scenarioRows(redis, "contended", REFERENCE);
  const oursRedis = redisRows.find((r) => r.role === "ours" && r.group === "1 server");
  if (oursRedis) {
    const byDefaults = bestPeer(
      redisRows.filter((r) => r.impl.includes("defaults")),
      "1 server",
      "sectionsPerSec",
      "higher",
    );
    const byTuned = bestPeer(
      redisRows.filter((r) => r.impl.includes("tuned")),
      "1 server",
      "sectionsPerSec",
      "higher",
    );
    const cs = oursRedis.metrics.sectionsPerSec!;
    const rd = byDefaults ? cs / byDefaults.metrics.sectionsPerSec! : Number.NaN;
    const rt = byTuned ? cs / byTuned.metrics.sectionsPerSec! : Number.NaN;
    lines.push(
      `| ${REFERENCE}: Redis ≥ ${TARGETS.sharedRedisVsPeer}× the best polling peer's CS/s | ${fmt(cs)} CS/s = ${times(rd)} the best peer at defaults (${fmt(byDefaults?.metrics.sectionsPerSec)}), ${times(rt)} the best tuned peer (${fmt(byTuned?.metrics.sectionsPerSec)}) | ${rd >= TARGETS.sharedRedisVsPeer && rt >= TARGETS.sharedRedisVsPeer ? "met" : rd >= TARGETS.sharedRedisVsPeer ? "met against defaults, **missed** against tuned peers" : "**missed**"} |`,
    );
  }

  const mysqlFloor = scenarioRows(
    results.backends.find((b) => b.backend === "mysql"),
    "contended",
    REFERENCE,
  ).find((r) => r.role === "floor");
  const contended = ours("contended", REFERENCE);
  if (mysqlFloor) {
    const native = mysqlFloor.metrics.sectionsPerSec!;
    const ok = contended.map(
      ({ row }) => row.metrics.sectionsPerSec! >= TARGETS.sharedVsNativeFloor * native,
    );
    lines.push(
      `| ${REFERENCE}: every backend within ${Math.round((1 - TARGETS.sharedVsNativeFloor) * 100)} % of the MariaDB native floor (${fmt(native)} CS/s in this run) | ${contended.map(({ backend, row }) => `${name(backend, row)} ${fmt(row.metrics.sectionsPerSec)}`).join(", ")} | ${verdict(ok.every(Boolean), ok.some(Boolean))} |`,
    );
  }

  const handoff = ours("handoff", REFERENCE);
  const okH = handoff.map(({ row }) => row.metrics.handoffP99Ms! <= TARGETS.sharedHandoffP99Ms);
  lines.push(
    `| Hand-off p99 ≤ ${TARGETS.sharedHandoffP99Ms} ms (${REFERENCE}) | ${handoff.map(({ backend, row }) => `${name(backend, row)} ${fmt(row.metrics.handoffP99Ms)}`).join(", ")} | ${verdict(okH.every(Boolean), okH.some(Boolean))} |`,
  );
  const okW = contended.map(({ row }) => row.metrics.waitP99Ms! <= TARGETS.sharedWaitP99Ms);
  lines.push(
    `| Wait p99 ≤ ${TARGETS.sharedWaitP99Ms} ms (${REFERENCE}) | ${contended.map(({ backend, row }) => `${name(backend, row)} ${fmt(row.metrics.waitP99Ms)}`).join(", ")} | ${verdict(okW.every(Boolean), okW.some(Boolean))} |`,
  );
  const okF = contended.map(({ row }) => row.metrics.fairness! >= TARGETS.sharedFairness);
  lines.push(
    `| Fairness ≥ ${TARGETS.sharedFairness} (${REFERENCE}) | ${contended.map(({ backend, row }) => `${name(backend, row)} ${(row.metrics.fairness ?? Number.NaN).toFixed(3)}`).join(", ")} | ${verdict(okF.every(Boolean), okF.some(Boolean))} |`,
  );
  lines.push(...manyNodesTargets(results));
  const heap = ours("memory");
  const okM = heap.map(({ row }) => row.metrics.bytesPerLock! < TARGETS.heapBytesPerLock);
  lines.push(
    `| Under ${TARGETS.heapBytesPerLock / 1024} KiB of heap per held lock (memory, Redis) | ${heap.map(({ backend, row }) => `${name(backend, row)} ${fmt(row.metrics.bytesPerLock)} B`).join(", ")} | ${verdict(okM.every(Boolean), okM.some(Boolean))} |`,
  );
  return lines;
}

/** The many-nodes targets: Redis single server and Cluster with 16 own providers. */
function manyNodesTargets(results: Results): string[] {
  const lines: string[] = [];
  for (const backend of results.backends.filter((b) => b.backend === "redis")) {
    const rows = scenarioRows(backend, "contended", OWN);
    const handoff = scenarioRows(backend, "handoff", OWN);
    for (const row of rows.filter((r) => r.role === "ours" && !r.impl.includes("Redlock"))) {
      const h = handoff.find((r) => r.impl === row.impl);
      const peer = (tuned: boolean) =>
        // Peers run on one server; a Cluster serves one key from one master just the same.
        bestPeer(
          rows.filter((r) => r.impl.includes(tuned ? "tuned" : "defaults")),
          "1 server",
          "sectionsPerSec",
          "higher",
        );
      const cs = row.metrics.sectionsPerSec!;
      const rd = cs / (peer(false)?.metrics.sectionsPerSec ?? Number.NaN);
      const rt = cs / (peer(true)?.metrics.sectionsPerSec ?? Number.NaN);
      const t = TARGETS.manyNodes;
      const checks: Array<[string, string, boolean]> = [
        [
          `fairness ≥ ${t.fairness}`,
          (row.metrics.fairness ?? Number.NaN).toFixed(3),
          row.metrics.fairness! >= t.fairness,
        ],
        [
          `wait p99 ≤ ${t.waitP99Ms} ms`,
          fmt(row.metrics.waitP99Ms),
          row.metrics.waitP99Ms! <= t.waitP99Ms,
        ],
        [
          `hand-off p99 ≤ ${t.handoffP99Ms} ms`,
          fmt(h?.metrics.handoffP99Ms),
          (h?.metrics.handoffP99Ms ?? Number.NaN) <= t.handoffP99Ms,
        ],
        [
          `CS/s ≥ ${t.vsPeerAtDefaults}× best peer at defaults`,
          times(rd),
          rd >= t.vsPeerAtDefaults,
        ],
        [`CS/s ≥ ${t.vsTunedPeer}× best tuned peer`, times(rt), rt >= t.vsTunedPeer],
      ];
      for (const [target, measured, ok] of checks) {
        lines.push(
          `| ${OWN}, ${row.impl}: ${target} | ${measured} | ${ok ? "met" : "**missed**"} |`,
        );
      }
    }
  }
  return lines;
}
