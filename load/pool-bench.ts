/**
 * Signing pool and durable issuance throughput on this machine.
 *   1. pool only: SigningPool.issue (CSR verify + policy + TBS + sign in workers, micro-batched)
 *   2. durable: IssuanceService against a real SQLite event store — every certificate's CertificateIssued event is
 *      group-committed before it counts.
 * Usage: npm run bench:pool   (BENCH_SECONDS per scenario, default 3; BENCH_CSRS, default 3000)
 */
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { createLogger } from '../src/app/logger.js';
import { bootstrap } from '../src/app/bootstrap.js';
import { IssuanceService, type ProfilePolicy } from '../src/app/issuance.js';
import { openCore } from '../src/core.js';
import { makeCsrPool } from './csr-pool.js';
import { latencySummary, printResults, type BenchResult } from './report.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CSRS = Number(process.env.BENCH_CSRS ?? 3000);
/** Comma-separated subset of scenarios to run: pool, durable. */
const ONLY = (process.env.BENCH_ONLY ?? 'pool,durable').split(',');
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,32,256').split(',').map(Number);

const policy: ProfilePolicy = {
  name: 'bench',
  validitySeconds: 86400 * 30,
  backdateSeconds: 30,
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['clientAuth'],
  allowedKeys: [{ kind: 'ec', curves: ['P-256', 'P-384'] }, { kind: 'ed25519' }, { kind: 'rsa', minBits: 2048 }],
  requireCommonName: true,
  names: { allowAnyName: true, allowedDomains: [], allowSubdomains: false, allowBareDomains: false, allowGlobDomains: false, allowIpSans: true, allowedUriSans: [], allowEmailSans: true },
};

/** Runs `op` from `concurrency` loops for SECONDS; returns throughput and latency. */
async function closedLoop(name: string, concurrency: number, op: (i: number) => Promise<unknown>): Promise<BenchResult> {
  const latencies: number[] = [];
  let next = 0;
  let errors = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          await op(next++);
          latencies.push(performance.now() - t0);
        } catch {
          errors++;
        }
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  return {
    scenario: name,
    concurrency,
    perSecond: latencies.length / elapsed,
    errors,
    ...latencySummary(latencies),
    processCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    rssMb: process.memoryUsage().rss / 1e6,
  };
}

async function main() {
  console.error(`generating ${CSRS} P-256 CSRs...`);
  const csrs = makeCsrPool(CSRS);
  const dataDir = join(tmpdir(), `signet-bench-${process.pid}`);
  const config = loadConfig({ SIGNET_DATA_DIR: dataDir }, dataDir);
  const core = await openCore(config, createLogger('silent'), { pool: true });
  try {
    await bootstrap(core);
    const issuance = new IssuanceService(core, core.pool!);
    const issuer = issuance.issuer('default');
    const key = core.queries.issuers.key(issuer.keyId!)!;
    const issuerRef = { issuerId: issuer.issuerId, certificate: Buffer.from(issuer.certificate, 'base64'), keyId: key.keyId, wrapped: key.wrapped };
    const fullPolicy = { ...policy, issuerNotAfter: Date.parse(issuer.notAfter), leafNotAfterBehavior: 'truncate' as const, crlDistributionPoints: [], ocspServers: [], issuingCertificateUrls: [] };
    const results: BenchResult[] = [];
    for (const concurrency of ONLY.includes('pool') ? CONCURRENCY : []) {
      results.push(
        await closedLoop('pool: verify+sign', concurrency, async (i) => {
          const outcome = await core.pool!.issue({ csr: csrs[i % csrs.length], policy: fullPolicy, ctx: { serialHex: (i + 1).toString(16).padStart(40, '1'), now: Date.now() }, issuer: issuerRef });
          if (!outcome.ok) throw new Error(outcome.message);
        }),
      );
    }
    for (const concurrency of ONLY.includes('durable') ? CONCURRENCY : []) {
      results.push(
        await closedLoop('durable issuance (sqlite)', concurrency, (i) => issuance.issueFromCsr({ csrDer: csrs[i % csrs.length], issuer, policy, metadata: { action: 'bench' } })),
      );
    }
    printResults(`signing pool (${config.pool.threads} threads) and durable issuance, P-256`, results);
  } finally {
    await core.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
