/** One measured load run: the client's stats, the server process's CPU and peak RSS, as a report row. */
import type { RunStats } from './load-client.js';
import { ProcessMeter } from './process-stats.js';
import { latencySummary, type BenchResult } from './report.js';

export interface LoadResult extends BenchResult {
  seconds: number;
  resumed: number;
  newConnections: number;
  okBySecond: number[];
  /** Server CPU per successful answer, ms: less sensitive than the rate to other processes sharing the cores. */
  serverCpuMsPerOk: number;
}

export async function measureRun(serverPid: number, scenario: string, concurrency: number, run: () => Promise<RunStats>): Promise<LoadResult> {
  const meter = new ProcessMeter(serverPid);
  meter.start();
  const stats = await run();
  const server = meter.stop();
  const errors = Object.values(stats.errors).reduce((a, b) => a + b, 0);
  const result: LoadResult = {
    scenario,
    concurrency,
    perSecond: stats.ok / stats.seconds,
    errors,
    ...latencySummary(stats.latencies),
    processCores: server.cores,
    rssMb: server.peakRssMb,
    errorsByStatus: stats.errors,
    clientCores: stats.clientCores,
    seconds: stats.seconds,
    resumed: stats.resumed,
    newConnections: stats.newConnections,
    okBySecond: stats.okBySecond,
    serverCpuMsPerOk: stats.ok ? (server.cores * stats.seconds * 1000) / stats.ok : NaN,
  };
  console.error(
    `  ${scenario} @${concurrency}: ${Math.round(result.perSecond)}/s p99 ${result.p99.toFixed(1)} ms, errors ${errors}, server ${server.cores.toFixed(2)} cores (${result.serverCpuMsPerOk.toFixed(2)} ms CPU each) ${Math.round(server.peakRssMb)} MB, client ${stats.clientCores.toFixed(2)} cores` +
      (stats.newConnections > concurrency ? `, ${stats.newConnections} connections (${stats.resumed} resumed)` : ''),
  );
  for (const [status, body] of Object.entries(stats.errorSamples)) console.error(`    first ${status} answer: ${body.trim()}`);
  return result;
}
