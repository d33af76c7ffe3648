/**
 * GraphQL dashboard queries over a large certificate store, measured over HTTPS against `signet serve` in its own
 * process.
 *   1. dataset: BENCH_CERTS certificates (default 1,000,000) written as events into a SQLite store in a temp data
 *      dir, read models built by the projection runner (see graphql-dataset.ts). BENCH_DATA_DIR reuses a dataset.
 *   2. a read-only dashboard token made through the OpenBao API (sys/policies/acl, auth/token/create).
 *   3. each scenario: BENCH_REQUESTS sequential requests after a warm-up (p50/p99 = one dashboard user), then
 *      the main dashboard query with BENCH_CONCURRENCY requests in flight (throughput).
 * Usage: npm run bench:graphql
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createLogger } from '../src/app/logger.js';
import { bootstrap } from '../src/app/bootstrap.js';
import { loadConfig } from '../src/config/config.js';
import { openCore } from '../src/core.js';
import { writeDataset, type DatasetSummary } from './graphql-dataset.js';
import { latencySummary, printResults, type BenchResult } from './report.js';

const CERTS = Number(process.env.BENCH_CERTS ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const DATA_DIR = process.env.BENCH_DATA_DIR ?? join(tmpdir(), `signet-graphql-bench-${process.pid}`);
const KEEP = process.env.BENCH_DATA_DIR !== undefined;
const SUMMARY_FILE = join(DATA_DIR, 'bench-dataset.json');

const DASHBOARD = `query Dashboard($filter: CertificateFilter, $after: String, $orderBy: CertificateOrder, $asOf: AsOf) {
  certificates(first: 100, after: $after, filter: $filter, orderBy: $orderBy, asOf: $asOf) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { serial subject notAfter status profile issuer { id name } } }
  }
}`;

const STATS = `query Chart($from: DateTime!, $to: DateTime!) {
  stats(from: $from, to: $to, bucket: DAY) { activeCertificates buckets { start issued renewed revoked refused expiring } }
  issuers { name certsIssuedTotal activeCertificates }
}`;

async function buildDataset(): Promise<DatasetSummary> {
  if (existsSync(SUMMARY_FILE)) return JSON.parse(readFileSync(SUMMARY_FILE, 'utf8')) as DatasetSummary;
  const config = loadConfig({ SIGNET_DATA_DIR: DATA_DIR }, DATA_DIR);
  const core = await openCore(config, createLogger('silent'), { pool: false });
  try {
    const boot = await bootstrap(core);
    const der = core.queries.certificates.search({}, { limit: 1, offset: 0 }).rows[0].der;
    const started = performance.now();
    console.error(`writing ${CERTS} certificates as events into ${DATA_DIR} ...`);
    const summary = await writeDataset(core.store, { main: boot.ca.issuingIssuerId, other: boot.ca.rootIssuerId }, der, CERTS, new Date(), (done) => {
      if (done % 100_000 === 0 && done > 0) console.error(`  ${done} (${Math.round(done / ((performance.now() - started) / 1000))}/s)`);
    });
    await core.runner.waitFor(await core.store.headPosition(), 3_600_000);
    const seconds = (performance.now() - started) / 1000;
    console.error(`dataset: ${summary.certificates} certificates, ${summary.revoked} revoked, ${summary.refused} refused; events and read models in ${seconds.toFixed(0)} s`);
    writeFileSync(SUMMARY_FILE, JSON.stringify(summary));
    return summary;
  } finally {
    await core.close();
  }
}

interface Running {
  child: ChildProcess;
  apiUrl: string;
}

/** `signet serve` on the dataset, in its own process, on ephemeral ports; answers once it logged "signet ready". */
function serve(): Promise<Running> {
  const child = spawn(process.execPath, ['bin/signet.js', 'serve'], {
    env: {
      ...process.env,
      SIGNET_DATA_DIR: DATA_DIR,
      SIGNET_LOG_LEVEL: 'info',
      SIGNET_EST_LISTEN: '127.0.0.1:0',
      SIGNET_API_LISTEN: '127.0.0.1:0',
      SIGNET_ADMIN_LISTEN: '127.0.0.1:0',
      SIGNET_PUBLIC_LISTEN: '127.0.0.1:0',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`signet serve exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as { msg?: string; api?: string };
      if (entry.msg === 'signet ready' && entry.api) resolve({ child, apiUrl: entry.api });
    });
  });
}

function client(apiUrl: string, ca: string, maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets, ca });
  const post = (path: string, token: string, body: object): Promise<{ status: number; json: Record<string, any> }> =>
    new Promise((resolve, reject) => {
      const text = JSON.stringify(body);
      const req = request(`${apiUrl}${path}`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-vault-token': token } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(text);
    });
  return { post, close: () => agent.destroy() };
}

type Client = ReturnType<typeof client>;

async function dashboardToken(http: Client, rootToken: string): Promise<string> {
  const policy = await http.post('/v1/sys/policies/acl/dashboard', rootToken, { policy: 'path "graphql/query" {\n  capabilities = ["read"]\n}\n' });
  if (policy.status >= 300) throw new Error(`policy: ${policy.status} ${JSON.stringify(policy.json)}`);
  const created = await http.post('/v1/auth/token/create', rootToken, { policies: ['dashboard'], display_name: 'dashboard' });
  if (created.status >= 300) throw new Error(`token: ${created.status} ${JSON.stringify(created.json)}`);
  return created.json.auth.client_token as string;
}

interface Scenario {
  name: string;
  query: string;
  variables: () => Record<string, unknown>;
  requests?: number;
}

async function measure(http: Client, token: string, scenario: Scenario, concurrency: number): Promise<BenchResult> {
  const query = async () => {
    const answer = await http.post('/graphql', token, { query: scenario.query, variables: scenario.variables() });
    if (answer.status !== 200 || answer.json.errors) throw new Error(`${scenario.name}: ${answer.status} ${JSON.stringify(answer.json.errors)}`);
  };
  const total = scenario.requests ?? REQUESTS;
  for (let i = 0; i < Math.min(200, total); i++) await query();
  const latencies: number[] = [];
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < total) {
        const t0 = performance.now();
        await query();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    scenario: scenario.name,
    concurrency,
    perSecond: latencies.length / elapsed,
    errors: 0,
    ...latencySummary(latencies),
    processCores: (used.user + used.system) / 1e6 / elapsed,
    rssMb: process.memoryUsage().rss / 1e6,
  };
}

async function main() {
  const dataset = await buildDataset();
  const server = await serve();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      server.child.kill('SIGTERM');
      process.exit(130);
    });
  }
  const ca = readFileSync(join(DATA_DIR, 'ca/root.pem'), 'utf8');
  const http = client(server.apiUrl, ca, CONCURRENCY);
  try {
    const token = await dashboardToken(http, readFileSync(join(DATA_DIR, 'root-token'), 'utf8').trim());
    const firstPage = await http.post('/graphql', token, { query: DASHBOARD, variables: { filter: { status: 'ACTIVE', profile: 'devices' } } });
    const cursor = firstPage.json.data.certificates.pageInfo.endCursor as string;
    const now = Date.now();
    const day = 86_400_000;
    const scenarios: Scenario[] = [
      { name: 'dashboard: ACTIVE + profile, page 1 + totalCount', query: DASHBOARD, variables: () => ({ filter: { status: 'ACTIVE', profile: 'devices' } }) },
      { name: 'same, next page (cursor)', query: DASHBOARD, variables: () => ({ filter: { status: 'ACTIVE', profile: 'devices' }, after: cursor }) },
      { name: 'no filter + totalCount', query: DASHBOARD, variables: () => ({}) },
      { name: 'issuer (10 %) + REVOKED', query: DASHBOARD, variables: () => ({ filter: { issuer: 'root', status: 'REVOKED' } }) },
      {
        name: 'expiring in 30 days, soonest first',
        query: DASHBOARD,
        variables: () => ({ filter: { status: 'ACTIVE', notAfterBefore: new Date(now + 30 * day).toISOString() }, orderBy: { field: 'NOT_AFTER', direction: 'ASC' } }),
      },
      { name: 'issued in the last 7 days + ACTIVE', query: DASHBOARD, variables: () => ({ filter: { status: 'ACTIVE', issuedAfter: new Date(now - 7 * day).toISOString() } }) },
      { name: 'SAN lookup', query: DASHBOARD, variables: () => ({ filter: { san: dataset.sampleSan } }) },
      { name: 'stats: 30 daily buckets + issuers', query: STATS, variables: () => ({ from: new Date(now - 30 * day).toISOString(), to: new Date(now).toISOString() }) },
      { name: 'subject substring (full scan)', query: DASHBOARD, variables: () => ({ filter: { subject: 'servers-12345' } }), requests: 20 },
    ];
    const asOf = { position: Number(process.env.BENCH_AS_OF_POSITION ?? 200_000) };
    const rebuildStarted = performance.now();
    const rebuilt = await http.post('/graphql', token, { query: DASHBOARD, variables: { filter: { status: 'ACTIVE' }, asOf } });
    if (rebuilt.json.errors) throw new Error(`asOf: ${JSON.stringify(rebuilt.json.errors)}`);
    console.error(`  asOf position ${asOf.position}: first request (rebuild) ${((performance.now() - rebuildStarted) / 1000).toFixed(1)} s`);
    scenarios.push({ name: `asOf position ${asOf.position}, cached state`, query: DASHBOARD, variables: () => ({ filter: { status: 'ACTIVE' }, asOf }), requests: 500 });
    const results: BenchResult[] = [];
    for (const scenario of scenarios) {
      results.push(await measure(http, token, scenario, 1));
      console.error(`  ${scenario.name}: p50 ${results.at(-1)!.p50.toFixed(2)} ms, p99 ${results.at(-1)!.p99.toFixed(2)} ms`);
    }
    results.push(await measure(http, token, scenarios[0], CONCURRENCY));
    printResults(`GraphQL over HTTPS, ${dataset.certificates.toLocaleString('en')} certificates (${dataset.revoked} revoked), signet serve in its own process`, results);
  } finally {
    http.close();
    server.child.kill('SIGTERM');
    await new Promise((resolve) => server.child.once('exit', resolve));
    if (!KEEP) rmSync(DATA_DIR, { recursive: true, force: true });
  }
}

await main();
