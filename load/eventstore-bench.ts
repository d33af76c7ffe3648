/**
 * SQLite event store throughput: appends with 1, 16 and 256 in flight (one ~925-byte event each), with the
 * default flush policy and with a 1 ms flush timer, synchronous=FULL (plus one NORMAL row), then readAll.
 * Run: node --import tsx load/eventstore-bench.ts [secondsPerScenario=2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteEventStore, type SqliteEventStoreOptions } from '../src/eventstore/sqlite.js';

const seconds = Number(process.argv[2] ?? 2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-eventstore-bench-'));

// Shaped like a CertificateIssued event: about 925 bytes of JSON with its metadata.
const data = {
  serial: '4f2a9c01d3e85b7760a1',
  issuer: 'issuer-intermediate-1',
  role: 'device',
  subject: 'CN=device-000123,O=Signet Test',
  sans: ['device-000123.example.net'],
  notBefore: '2026-01-01T00:00:00Z',
  notAfter: '2026-04-01T00:00:00Z',
  der: 'MII'.padEnd(600, 'A'),
};
const metadata = { actor: 'est:device-000123', auth_method: 'mtls', client_ip: '10.0.0.12', request_id: 'req-0123456789abcdef', v: 1 };

interface Row {
  scenario: string;
  inFlight: number;
  appendsPerSec: number;
  commits: number;
  meanBatch: number;
  p50Ms: number;
  p99Ms: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0;

async function appendRun(scenario: string, inFlight: number, options: SqliteEventStoreOptions): Promise<Row & { file: string }> {
  const file = path.join(dir, `${scenario.replace(/\W+/g, '-')}-${inFlight}.db`);
  const latencies: number[] = [];
  let commits = 0;
  const store = new SqliteEventStore(file, {
    ...options,
    onFlush: (stats) => {
      commits += 1;
      for (const ms of stats.latenciesMs) latencies.push(ms);
    },
  });
  let appends = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await store.append(`cert-${worker}-${i}`, [{ type: 'CertificateIssued', data, metadata }], { expectedRevision: 'no_stream' });
        appends += 1;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await store.close();
  latencies.sort((a, b) => a - b);
  const round = (n: number, digits = 2) => Number(n.toFixed(digits));
  return {
    file,
    scenario,
    inFlight,
    appendsPerSec: Math.round(appends / elapsed),
    commits,
    meanBatch: round(appends / commits, 1),
    p50Ms: round(quantile(latencies, 0.5)),
    p99Ms: round(quantile(latencies, 0.99)),
  };
}

async function readAllRun(file: string) {
  const store = new SqliteEventStore(file);
  const started = performance.now();
  let events = 0;
  for await (const _event of store.readAll()) events += 1;
  const elapsed = (performance.now() - started) / 1000;
  await store.close();
  return { events, eventsPerSec: Math.round(events / elapsed) };
}

try {
  const rows: Array<Row & { file: string }> = [];
  for (const inFlight of [1, 16, 256]) rows.push(await appendRun('FULL, next-tick flush (default)', inFlight, {}));
  for (const inFlight of [1, 16, 256]) rows.push(await appendRun('FULL, 1 ms flush timer', inFlight, { flushIntervalMs: 1 }));
  rows.push(await appendRun('NORMAL, next-tick flush', 256, { synchronous: 'NORMAL' }));
  const biggest = rows.reduce((a, b) => (fs.statSync(b.file).size > fs.statSync(a.file).size ? b : a));
  const read = await readAllRun(biggest.file);

  console.log(`SQLite event store, 1 event (~925 B) per append, ${seconds} s per scenario, ${os.cpus().length} CPUs\n`);
  console.log('| scenario | in flight | appends/s (= events/s) | commits | mean batch | p50 ms | p99 ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.scenario} | ${r.inFlight} | ${r.appendsPerSec} | ${r.commits} | ${r.meanBatch} | ${r.p50Ms} | ${r.p99Ms} |`);
  console.log(`\nreadAll: ${read.events} events at ${read.eventsPerSec} events/s (rows + JSON.parse)\n`);
  console.log(JSON.stringify({ appends: rows.map(({ file: _file, ...row }) => row), readAll: read }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
