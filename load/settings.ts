/** Knobs shared by the enrollment benchmarks (EST, OpenBao API, cfssl peer), from argv and the environment. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { makeCsrPool } from './csr-pool.js';
import { estBody } from './est-client.js';
import { writePlot, type PlotSeries } from './plot.js';

const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);

export const QUICK = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';
/** Seconds per measured run. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? (QUICK ? 2 : 4));
export const CONCURRENCIES = (list(process.env.BENCH_CONCURRENCY) ?? (QUICK ? ['1', '32', '256'] : ['1', '8', '32', '64', '256'])).map(Number);
/** Distinct CSRs in the pool (cycled). */
export const CSRS = Number(process.env.BENCH_CSRS ?? (QUICK ? 2000 : 5000));
export const KEY_TYPE = process.env.BENCH_KEY ?? 'p256';
/** `node --cpu-prof` on the server process; the profile lands in load/results/. */
export const PROFILE = process.argv.includes('--profile') || process.env.BENCH_PROFILE === '1';
export const RESULTS_DIR = join(import.meta.dirname, 'results');

/** The CSR pool as EST bodies (base64 DER) and as DER. */
export function csrPool(prefix: string): { ders: Uint8Array[]; estBodies: Buffer[] } {
  const started = performance.now();
  const ders = makeCsrPool(CSRS, KEY_TYPE, prefix);
  console.error(`CSR pool: ${CSRS} ${KEY_TYPE} requests in ${Math.round(performance.now() - started)} ms`);
  return { ders, estBodies: ders.map(estBody) };
}

function writeResultFile(name: string, content: unknown): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const path = join(RESULTS_DIR, name);
  writeFileSync(path, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  return path;
}

export const profileArgs = (): string[] => (PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`] : []);

/** The 1, 5 and 15 minute load averages: other processes share the cores, so every result says how busy it was. */
export const loadAverage = (): string => loadavg().map((n) => n.toFixed(2)).join(' ');

function writeResultPlot(name: string, title: string, series: PlotSeries[]): string {
  const path = join(RESULTS_DIR, name);
  writePlot(path, title, series.filter((s) => s.points.length > 0));
  return path;
}

/** A benchmark's results/<name>.json (with the date and the load average) and its plot, results/<name>.svg. */
export function writeRunResults(name: string, data: Record<string, unknown>, plot: { title: string; series: PlotSeries[] }): void {
  writeResultFile(`${name}.json`, { date: new Date().toISOString(), loadAverage: loadAverage(), ...data });
  writeResultPlot(`${name}.svg`, plot.title, plot.series);
}

export function describeRun(): string {
  return `${SECONDS} s per run, ${CSRS} ${KEY_TYPE} CSRs${QUICK ? ', quick' : ''}`;
}
