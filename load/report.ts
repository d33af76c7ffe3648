/** Shared output for load benchmarks: a table for people, then one JSON line for tools. */
export interface BenchResult {
  scenario: string;
  concurrency: number;
  perSecond: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  processCores?: number;
  rssMb: number;
  /** Errors by HTTP status or socket error code, when the benchmark tells them apart. */
  errorsByStatus?: Record<string, number>;
  /** CPU the load client itself used (it shares the cores with the server), in cores. */
  clientCores?: number;
}

export function latencySummary(latenciesMs: number[]): { p50: number; p90: number; p99: number; max: number } {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : NaN);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.length ? sorted[sorted.length - 1] : NaN };
}

function errorCell(r: BenchResult): string {
  const detail = Object.entries(r.errorsByStatus ?? {}).map(([status, n]) => `${status}: ${n}`);
  return detail.length ? `${r.errors} (${detail.join(', ')})` : String(r.errors);
}

export function printResults(title: string, results: BenchResult[]): void {
  const withClient = results.some((r) => r.clientCores !== undefined);
  console.log(`\n${title}`);
  console.log(`| scenario | conc. | per s | p50 ms | p90 ms | p99 ms | max ms | errors | process cores | RSS MB |${withClient ? ' client cores |' : ''}`);
  console.log(`|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|${withClient ? '---:|' : ''}`);
  for (const r of results) {
    console.log(
      `| ${r.scenario} | ${r.concurrency} | ${Math.round(r.perSecond)} | ${r.p50.toFixed(2)} | ${r.p90.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.max.toFixed(2)} | ${errorCell(r)} | ${r.processCores?.toFixed(2) ?? '-'} | ${Math.round(r.rssMb)} |${withClient ? ` ${r.clientCores?.toFixed(2) ?? '-'} |` : ''}`,
    );
  }
  console.log(JSON.stringify({ title, results }));
}
