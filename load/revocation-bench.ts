/**
 * Revocation at scale on this machine.
 *   1. writes BENCH_REVOKED (default 1,000,000) CertificateIssued + CertificateRevoked pairs through the SQLite
 *      store's group commit (generated events, 1000 appends per transaction) and waits for the projections;
 *   2. times a complete CRL build of the default issuer (read model → TBS → one signature in the pool);
 *   3. revokes one more certificate and times the delta CRL build;
 *   4. measures cached OCSP answers per second over HTTP on loopback: a pipelining client in a worker thread sends
 *      GET /v1/pki/ocsp/<base64> for BENCH_OCSP_SERIALS revoked serials to the public listener app.
 *      The public listener's request handler is the server's: cached answers go through the OCSP fast path.
 * Usage: npm run bench:revocation   (BENCH_REVOKED, BENCH_SECONDS for the OCSP phase, default 5; BENCH_OCSP_ONLY=1
 * skips the CRL builds, e.g. `BENCH_OCSP_ONLY=1 BENCH_REVOKED=100000` measures OCSP alone in about a minute;
 * BENCH_OCSP_FAST=0 serves OCSP through the Koa app only, for comparison)
 */
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { bootstrap } from '../src/app/bootstrap.js';
import { createLogger } from '../src/app/logger.js';
import { RevocationService } from '../src/app/revocation/revocation-service.js';
import { loadConfig } from '../src/config/config.js';
import { openCore, type Core } from '../src/core.js';
import { parseCertificate } from '../src/crypto/certificate.js';
import { encodeOcspRequest, issuerCertIdHashes } from '../src/crypto/ocsp.js';
import { parseCrl } from '../src/crypto/crl.js';
import { certificateStream } from '../src/domain/certificate.js';
import { CRL_CONFIG_STREAM, crlConfigDecider } from '../src/domain/crl-config.js';
import type { RevocationReason } from '../src/domain/revocation-reason.js';
import type { IssuerRow } from '../projections/issuers.js';
import { EVENT_SCHEMA_VERSION } from '../src/domain/events.js';
import { buildPublicApp, publicRequestHandler } from '../src/http/public/app.js';

const REVOKED = Number(process.env.BENCH_REVOKED ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const OCSP_SERIALS = Number(process.env.BENCH_OCSP_SERIALS ?? 1000);
const OCSP_ONLY = process.env.BENCH_OCSP_ONLY === '1';
/** BENCH_OCSP_FAST=0: the Koa app alone, without the fast path in front (the baseline). */
const OCSP_FAST = process.env.BENCH_OCSP_FAST !== '0';
const IN_FLIGHT = 1000;
const REASONS: RevocationReason[] = ['keyCompromise', 'superseded', 'cessationOfOperation', 'unspecified', 'affiliationChanged'];

/** CPU seconds (utime + stime) of this process's main thread, the one serving HTTP: /proc/self/task/<pid>/stat, Linux. */
function serverThreadCpuSeconds(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100;

const serialOf = (i: number) => `1${(i + 1).toString(16).padStart(39, '0')}`;

function eventsFor(i: number, issuerId: string, at: string) {
  const serial = serialOf(i);
  const metadata = { actor: 'bench', v: EVENT_SCHEMA_VERSION };
  return [
    {
      type: 'CertificateIssued',
      data: { serial, issuerId, subject: `CN=device-${i}`, sans: [], notBefore: at, notAfter: '2030-01-01T00:00:00.000Z', der: 'MAA=', keyType: 'EC P-256', issuedAt: at },
      metadata,
    },
    { type: 'CertificateRevoked', data: { serial, issuerId, reason: REASONS[i % REASONS.length], revokedAt: at }, metadata },
  ];
}

/** The OCSP load client, run in a worker so the server keeps the main thread: pipelined GETs over keep-alive sockets. */
const CLIENT = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { port, paths, seconds, connections, depth } = workerData;
let done = 0, errors = 0, next = 0;
const deadline = Date.now() + seconds * 1000;
const request = () => 'GET ' + paths[next++ % paths.length] + ' HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n';
let open = connections;
for (let c = 0; c < connections; c++) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  let buffer = Buffer.alloc(0);
  socket.on('connect', () => { let batch = ''; for (let i = 0; i < depth; i++) batch += request(); socket.write(batch); });
  socket.on('data', (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    let more = '';
    for (;;) {
      const end = buffer.indexOf('\\r\\n\\r\\n');
      if (end < 0) break;
      const head = buffer.subarray(0, end).toString('latin1');
      const length = Number(/content-length: *(\\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) break;
      if (!head.startsWith('HTTP/1.1 200')) errors++;
      buffer = buffer.subarray(end + 4 + length);
      done++;
      if (Date.now() < deadline) more += request();
    }
    if (more) socket.write(more);
    else if (Date.now() >= deadline) socket.end();
  });
  socket.on('close', () => { if (--open === 0) parentPort.postMessage({ done, errors }); });
  socket.on('error', () => { errors++; });
}
`;

/** A complete CRL build of the issuer, then a delta after one more revocation. */
async function measureCrls(core: Core, service: RevocationService, issuer: IssuerRow) {
  let t0 = performance.now();
  const full = await service.builder.rebuild(issuer, 'full');
  const fullCrlMs = performance.now() - t0;
  if (parseCrl(full.der).entries.length !== REVOKED) throw new Error('the complete CRL does not list every revoked serial');
  await service.builder.rebuild(issuer, 'delta');
  await core.store.append(certificateStream(serialOf(REVOKED)), eventsFor(REVOKED, issuer.issuerId, new Date().toISOString()), { expectedRevision: 'no_stream' });
  await core.runner.waitFor(await core.store.headPosition());
  t0 = performance.now();
  const delta = await service.builder.rebuild(issuer, 'delta');
  return { fullCrlMs, fullCrlEntries: full.entries, fullCrlBytes: full.der.length, deltaCrlMs: performance.now() - t0, deltaCrlEntries: delta.entries };
}

async function main() {
  const dataDir = join(tmpdir(), `signet-revocation-bench-${process.pid}`);
  const config = loadConfig({ SIGNET_DATA_DIR: dataDir }, dataDir);
  const core = await openCore(config, createLogger('silent'), { pool: true });
  const results: Record<string, number> = {};
  try {
    await bootstrap(core);
    const issuer = core.queries.issuers.resolve('default')!;
    await core.commands.handle(CRL_CONFIG_STREAM, crlConfigDecider, { type: 'UpdateCrlConfig', data: { autoRebuild: true, enableDelta: true }, now: new Date() });

    console.error(`writing ${REVOKED} issued + revoked pairs...`);
    // Projections catch up afterwards in large batches, as after a bulk import or a restart.
    await core.runner.stop();
    let t0 = performance.now();
    const at = new Date().toISOString();
    for (let start = 0; start < REVOKED; start += IN_FLIGHT) {
      const end = Math.min(REVOKED, start + IN_FLIGHT);
      const appends = [];
      for (let i = start; i < end; i++) appends.push(core.store.append(certificateStream(serialOf(i)), eventsFor(i, issuer.issuerId, at), { expectedRevision: 'no_stream' }));
      await Promise.all(appends);
    }
    results.appendSeconds = (performance.now() - t0) / 1000;
    t0 = performance.now();
    await core.runner.catchUp(core.store);
    core.runner.start(core.store);
    results.projectionSeconds = (performance.now() - t0) / 1000;
    console.error(`appended in ${results.appendSeconds.toFixed(1)} s, projected in ${results.projectionSeconds.toFixed(1)} s`);

    const service = new RevocationService(core);
    const crls = OCSP_ONLY ? undefined : await measureCrls(core, service, issuer);

    const server = createServer(OCSP_FAST ? publicRequestHandler(core, service) : buildPublicApp(core, service).callback());

    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const cert = parseCertificate(Buffer.from(issuer.certificate, 'base64'));
    const hashes = issuerCertIdHashes(cert.subjectDer, cert.spkiDer, 'sha1');
    const paths = Array.from({ length: OCSP_SERIALS }, (_, i) =>
      `/v1/pki/ocsp/${encodeURIComponent(Buffer.from(encodeOcspRequest([{ hash: 'sha1', issuerNameHash: hashes.nameHash, issuerKeyHash: hashes.keyHash, serialHex: serialOf((i * 997) % REVOKED) }])).toString('base64'))}`,
    );
    for (const path of paths) await fetch(`http://127.0.0.1:${port}${path}`).then((r) => r.arrayBuffer());
    const cpu = process.cpuUsage();
    const serverCpu = serverThreadCpuSeconds();
    t0 = performance.now();
    const load = await new Promise<{ done: number; errors: number }>((resolve, reject) => {
      const worker = new Worker(CLIENT, { eval: true, workerData: { port, paths, seconds: SECONDS, connections: 8, depth: 16 } });
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const elapsed = (performance.now() - t0) / 1000;
    results.ocspPerSecond = load.done / elapsed;
    results.ocspErrors = load.errors;
    const processCpu = process.cpuUsage(cpu);
    results.ocspProcessCores = (processCpu.user + processCpu.system) / 1e6 / elapsed;
    results.ocspServerThreadCpuSeconds = serverThreadCpuSeconds() - serverCpu;
    results.ocspPerServerCpuSecond = load.done / results.ocspServerThreadCpuSeconds;
    server.closeAllConnections();
    server.close();

    console.log(`\n### Revocation at scale (${REVOKED.toLocaleString('en')} revoked certificates)\n`);
    console.log('| measurement | result |\n|---|---:|');
    console.log(`| write ${REVOKED.toLocaleString('en')} issued+revoked pairs (group commit, 1000 appends/txn) | ${results.appendSeconds.toFixed(1)} s |`);
    console.log(`| projections catch up (${(2 * REVOKED).toLocaleString('en')} events) | ${results.projectionSeconds.toFixed(1)} s |`);
    if (crls) {
      console.log(`| complete CRL build, ${crls.fullCrlEntries.toLocaleString('en')} entries, ${(crls.fullCrlBytes / 1e6).toFixed(1)} MB | ${(crls.fullCrlMs / 1000).toFixed(2)} s |`);
      console.log(`| delta CRL build after one more revocation (${crls.deltaCrlEntries} entry) | ${crls.deltaCrlMs.toFixed(1)} ms |`);
    }
    const path = OCSP_FAST ? 'fast path' : 'Koa app only';
    console.log(`| OCSP GET (${path}), cached answers, ${OCSP_SERIALS} serials, 8 connections × 16 pipelined | ${Math.round(results.ocspPerSecond).toLocaleString('en')} responses/s (${load.errors} errors) |`);
    console.log(`| … per CPU-second of the serving thread (client thread excluded) | ${Math.round(results.ocspPerServerCpuSecond).toLocaleString('en')} responses |`);
    console.log(JSON.stringify({ ...results, ...crls }));
  } finally {
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
