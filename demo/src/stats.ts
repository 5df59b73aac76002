/** Percentile (0–100) of already sorted samples, by nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** Renders rows as an aligned two-column table. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const line = `+${"-".repeat(width + 2)}+${"-".repeat(Math.max(...rows.map(([, v]) => v.length)) + 2)}+`;
  const body = rows.map(([label, value]) => {
    const valueWidth = line.length - width - 7;
    return `| ${label.padEnd(width)} | ${value.padEnd(valueWidth)} |`;
  });
  return [line, ...body, line].join("\n");
}
