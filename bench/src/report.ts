/** Renders results as Markdown tables (stdout, latest.md) and an SVG chart (latest.svg). */
import { isOwnProviders } from "./plan.js";
import type { BackendResult, Results, Row, ScenarioResult } from "./results.js";

const num = (value: number | undefined, digits?: number): string => {
  if (value === undefined || !Number.isFinite(value)) return "–";
  if (digits !== undefined) return value.toFixed(digits);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  if (Math.abs(value) >= 0.1 || value === 0) return value.toFixed(2);
  return value.toPrecision(2);
};
const ratio = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? "–" : `${value.toFixed(2)}×`;

interface Column {
  title: string;
  cell: (row: Row) => string;
}

function columns(scenario: ScenarioResult): Column[] {
  const m = (name: string, digits?: number) => (row: Row) => num(row.metrics[name], digits);
  const specific: Record<ScenarioResult["id"], Column[]> = {
    uncontended: [
      { title: "p50 ms", cell: m("p50Ms") },
      { title: "p99 ms", cell: m("p99Ms") },
      { title: "ops/s", cell: m("opsPerSec") },
    ],
    parallel: [
      { title: "ops/s (median)", cell: m("opsPerSec") },
      {
        title: "rounds min–max",
        cell: (row) => `${num(row.metrics.opsPerSecMin)}–${num(row.metrics.opsPerSecMax)}`,
      },
    ],
    contended: [
      { title: "CS/s", cell: m("sectionsPerSec") },
      { title: "wait p50 ms", cell: m("waitP50Ms") },
      { title: "wait p99 ms", cell: m("waitP99Ms") },
      { title: "wait max ms", cell: m("waitMaxMs") },
      { title: "fairness", cell: m("fairness", 3) },
      {
        title: "CS per worker min–max",
        cell: (row) => `${num(row.metrics.workerMin, 0)}–${num(row.metrics.workerMax, 0)}`,
      },
    ],
    handoff: [
      { title: "p50 ms", cell: m("handoffP50Ms") },
      { title: "p99 ms", cell: m("handoffP99Ms") },
      { title: "hand-offs", cell: m("samples", 0) },
    ],
    memory: [{ title: "bytes/lock", cell: m("bytesPerLock", 0) }],
  };
  const primary = {
    uncontended: "p50",
    parallel: "ops/s",
    contended: "CS/s",
    handoff: "p99",
    memory: "bytes",
  }[scenario.id];
  return [
    ...(scenario.id === "contended" || scenario.id === "handoff"
      ? [{ title: "workers", cell: (row: Row) => row.config ?? "" }]
      : []),
    {
      title: "implementation",
      cell: (row) => (row.role === "ours" ? `**${row.impl}**` : row.impl),
    },
    { title: "group", cell: (row) => row.group },
    ...specific[scenario.id],
    { title: `${primary} ÷ floor`, cell: (row) => ratio(row.vsFloor) },
    { title: `${primary} ÷ best peer`, cell: (row) => ratio(row.vsBestPeer) },
    {
      title: "notes",
      cell: (row) => {
        const notes: string[] = [];
        if (row.error) notes.push(`error: ${row.error}`);
        if (row.metrics.overlaps) notes.push(`${row.metrics.overlaps} overlaps!`);
        if (row.metrics.errors) notes.push(`${row.metrics.errors} errors`);
        if (row.metrics.stragglers) notes.push(`${row.metrics.stragglers} stragglers`);
        return notes.join("; ").replaceAll("|", "/");
      },
    },
  ];
}

export function scenarioTable(scenario: ScenarioResult, rows = scenario.rows): string {
  const cols = columns(scenario);
  const lines = [
    `| ${cols.map((c) => c.title).join(" | ")} |`,
    `|${cols.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${cols.map((c) => c.cell(row)).join(" | ")} |`),
  ];
  return lines.join("\n");
}

/**
 * Scenarios 3 and 4 as two tables: first the many-nodes settings (each worker its own provider,
 * the normal deployment), then the workers of a process sharing one provider.
 */
function contendedTables(scenario: ScenarioResult): string[] {
  const own = scenario.rows.filter((row) => isOwnProviders(row.config));
  const shared = scenario.rows.filter((row) => !isOwnProviders(row.config));
  const out: string[] = [];
  if (own.length > 0) {
    out.push(
      "",
      `#### ${scenario.title} — each worker its own provider`,
      "",
      scenarioTable(scenario, own),
    );
  }
  if (shared.length > 0) {
    out.push(
      "",
      `#### ${scenario.title} — one provider shared by a process's workers`,
      "",
      scenarioTable(scenario, shared),
    );
  }
  return out;
}

export function markdown(results: Results): string {
  const m = results.machine;
  const out: string[] = [
    `Measured ${results.startedAt} (${results.quick ? "--quick smoke run: figures are not meaningful" : "full run"}, ${Math.round(results.durationS)} s) on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; 1-min load ${m.loadAtStart.toFixed(2)} at start, ${m.loadAtEnd?.toFixed(2) ?? "?"} at end.`,
    "",
    "Ratios divide the scenario's primary metric by the floor's and by the best peer's in the same group (latencies: lower is better; rates: higher is better). Ours in **bold**.",
  ];
  for (const backend of results.backends) {
    out.push("", `### ${backend.backend}${backend.servers ? ` — ${backend.servers}` : ""}`);
    if (backend.skipped) out.push("", `Skipped: ${backend.skipped}`);
    for (const missing of backend.missing) out.push("", `Not measured: ${missing}`);
    for (const scenario of backend.scenarios) {
      if (scenario.id === "contended" || scenario.id === "handoff") {
        out.push(...contendedTables(scenario));
      } else {
        out.push("", `#### ${scenario.title}`, "", scenarioTable(scenario));
      }
    }
  }
  const settings = new Map<string, string>();
  for (const b of results.backends)
    for (const s of b.scenarios) for (const r of s.rows) settings.set(r.impl, r.settings);
  out.push("", "### Settings", "", "| implementation | settings |", "|---|---|");
  for (const [impl, text] of settings) out.push(`| ${impl} | ${text} |`);
  return `${out.join("\n")}\n`;
}

// ---- SVG ----------------------------------------------------------------------------------

interface Bar {
  label: string;
  value: number;
  role: Row["role"];
}

const COLORS: Record<Row["role"], string> = { ours: "#2563eb", peer: "#9ca3af", floor: "#16a34a" };
const esc = (s: string) =>
  s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

function panelBars(
  backends: BackendResult[],
  id: ScenarioResult["id"],
  metric: string,
  config?: string,
): Bar[] {
  const bars: Bar[] = [];
  for (const backend of backends) {
    const scenario = backend.scenarios.find((s) => s.id === id);
    for (const row of scenario?.rows ?? []) {
      if (config && row.config !== config) continue;
      const value = row.metrics[metric];
      if (value === undefined || !Number.isFinite(value) || row.error) continue;
      const contendedRow = backend.scenarios
        .find((s) => s.id === "contended")
        ?.rows.find((r) => r.impl === row.impl && r.config === row.config);
      const unsafe = (contendedRow?.metrics.overlaps ?? 0) > 0 ? " (overlaps!)" : "";
      bars.push({ label: `${backend.backend} · ${row.impl}${unsafe}`, value, role: row.role });
    }
  }
  return bars;
}

function panel(
  title: string,
  bars: Bar[],
  unit: string,
  log: boolean,
  top: number,
): { svg: string; height: number } {
  const rowH = 16;
  const labelW = 370;
  const barW = 420;
  const head = 26;
  const parts = [`<text x="10" y="${top + 16}" class="title">${esc(title)}</text>`];
  const max = Math.max(...bars.map((b) => b.value), 1e-9);
  const min = Math.min(...bars.map((b) => b.value).filter((v) => v > 0), max);
  const lo = log ? 10 ** Math.floor(Math.log10(min)) : 0;
  const hi = log ? 10 ** Math.ceil(Math.log10(max)) : max;
  const scale = (v: number) =>
    log
      ? (Math.log10(Math.max(v, lo)) - Math.log10(lo)) /
        Math.max(1e-9, Math.log10(hi) - Math.log10(lo))
      : v / hi;
  if (log) {
    for (let t = lo; t <= hi * 1.0001; t *= 10) {
      const x = labelW + scale(t) * barW;
      parts.push(
        `<line x1="${x}" x2="${x}" y1="${top + head - 4}" y2="${top + head + bars.length * rowH}" class="grid"/>`,
        `<text x="${x}" y="${top + head + bars.length * rowH + 11}" class="tick">${t >= 1 ? t : t.toPrecision(1)}</text>`,
      );
    }
  }
  bars.forEach((bar, i) => {
    const y = top + head + i * rowH;
    const w = Math.max(1, scale(bar.value) * barW);
    parts.push(
      `<text x="${labelW - 6}" y="${y + 11}" class="label">${esc(bar.label)}</text>`,
      `<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${rowH - 4}" fill="${COLORS[bar.role]}"/>`,
      `<text x="${labelW + w + 4}" y="${y + 11}" class="value">${esc(num(bar.value))} ${unit}</text>`,
    );
  });
  if (bars.length === 0)
    parts.push(`<text x="10" y="${top + head + 12}" class="label-left">no data</text>`);
  return {
    svg: parts.join("\n"),
    height: head + Math.max(1, bars.length) * rowH + (log ? 22 : 10),
  };
}

/** Chart of scenarios 1, 3 (16 workers, 1 process) and 4 (same runs). */
export function svg(results: Results, config = "16 own providers, 1 process"): string {
  const width = 900;
  const m = results.machine;
  let y = 44;
  const panels = [
    panel(
      "1. Uncontended acquire + release, p50 latency (ms, log scale; lower is better)",
      panelBars(results.backends, "uncontended", "p50Ms"),
      "ms",
      true,
      y,
    ),
  ];
  y += panels[0]!.height + 10;
  panels.push(
    panel(
      `3. Contended, one key, ${config}: critical sections per second (higher is better)`,
      panelBars(results.backends, "contended", "sectionsPerSec", config),
      "/s",
      false,
      y,
    ),
  );
  y += panels[1]!.height + 10;
  panels.push(
    panel(
      `4. Hand-off p99, ${config} (ms, log scale; lower is better)`,
      panelBars(results.backends, "handoff", "handoffP99Ms", config),
      "ms",
      true,
      y,
    ),
  );
  y += panels[2]!.height + 10;
  const legend = (["ours", "peer", "floor"] as const)
    .map(
      (role, i) =>
        `<rect x="${10 + i * 90}" y="${y}" width="10" height="10" fill="${COLORS[role]}"/><text x="${24 + i * 90}" y="${y + 9}" class="label-left">${role === "floor" ? "raw floor" : role}</text>`,
    )
    .join("\n");
  const height = y + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, Segoe UI, sans-serif">
<style>
.title { font-size: 13px; font-weight: 600; fill: #111827; }
.label { font-size: 11px; fill: #374151; text-anchor: end; }
.label-left { font-size: 11px; fill: #374151; }
.value { font-size: 10px; fill: #111827; }
.tick { font-size: 9px; fill: #6b7280; text-anchor: middle; }
.grid { stroke: #e5e7eb; stroke-width: 1; }
.sub { font-size: 11px; fill: #6b7280; }
</style>
<rect width="100%" height="100%" fill="#ffffff"/>
<text x="10" y="18" class="title">@locks benchmark${results.quick ? " (--quick smoke run)" : ""}</text>
<text x="10" y="34" class="sub">${esc(`${results.startedAt} · ${m.cpus} × ${m.cpuModel} · Node ${m.node} · load ${m.loadAtStart.toFixed(2)}`)}</text>
${panels.map((p) => p.svg).join("\n")}
${legend}
</svg>
`;
}
