/**
 * Replay and verification of a long log: `npm run bench:audit [-- events] [--log FILE] [--only replay|verify]`
 * (default 1,000,000 events). `--log FILE` keeps the generated log in FILE, or reuses FILE when it exists (no
 * generation: profile replay or verify alone on the same log, e.g. `node --cpu-prof --import tsx load/audit-bench.ts
 * 200000 --log /tmp/audit-200k.db --only verify`).
 *
 * 1. Generates the log into a temporary SQLite store through the adapter, 2,000 appends in flight (one group
 *    commit each), synchronous=NORMAL: 90 % CertificateIssued (each its own `cert-<serial>` stream, ~1 KB like a
 *    real P-256 leaf), 5 % CertificateRevoked, 5 % OtpIssued. Every 10,000 events the tree head service signs
 *    a head, as a server with steady traffic would; the audit key is an in-process Ed25519 key.
 * 2. Replay: every read model rebuilt from position 0 into a new database (replayInto, what `signet replay` runs).
 * 3. Verify: the whole log re-hashed and every head checked (verifyStore, what `signet audit verify` runs).
 *
 * Prints events/s by wall clock and per CPU second of this process (the machine may be shared), a Markdown table
 * and one JSON line. Bounded: about 3 minutes for 1M events on 2 cores.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TreeHeadService } from '../src/audit/head-service.js';
import { verifyStore } from '../src/audit/verify-log.js';
import { replayInto } from '../src/app/replay.js';
import { SqliteEventStore } from '../src/eventstore/sqlite.js';
import type { NewEvent } from '../src/eventstore/port.js';

const args = process.argv.slice(2);
const option = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const total = Number(args.find((arg, i) => /^\d+$/.test(arg) && !args[i - 1]?.startsWith('--')) ?? 1_000_000);
const keptLog = option('--log');
const only = option('--only');
if (only !== undefined && only !== 'replay' && only !== 'verify') throw new Error('--only: replay or verify');
const IN_FLIGHT = 2000;
const HEAD_EVERY = 10_000;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-audit-bench-'));
const der = Buffer.alloc(450, 7).toString('base64');
const key = generateKeyPairSync('ed25519');

function eventAt(i: number): { stream: string; event: NewEvent; expected: 'no_stream' | number } {
  const serial = (0x10_0000_0000 + i).toString(16);
  const at = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
  const metadata = { actor: `est:device-${i}`, auth_method: 'mtls', client_ip: '10.0.0.12', request_id: `req-${i}`, v: 1 };
  if (i % 20 === 19) {
    const revoked = (0x10_0000_0000 + i - 10).toString(16);
    return { stream: `cert-${revoked}`, expected: 0, event: { type: 'CertificateRevoked', data: { serial: revoked, issuerId: 'issuer-1', reason: 'superseded', revokedAt: at }, metadata } };
  }
  if (i % 20 === 18) {
    return { stream: `otp-${i}`, expected: 'no_stream', event: { type: 'OtpIssued', data: { tokenId: String(i), label: `line-${i}`, hash: i.toString(16).padStart(64, '0'), maxUses: 1, expiresAt: at, issuedAt: at }, metadata } };
  }
  return {
    stream: `cert-${serial}`,
    expected: 'no_stream',
    event: {
      type: 'CertificateIssued',
      data: { serial, issuerId: 'issuer-1', subject: `O=Signet Bench,CN=device-${i}`, sans: [{ type: 'dns', value: `device-${i}.example.net` }], notBefore: at, notAfter: '2027-01-01T00:00:00.000Z', der, keyType: 'EC P-256', profile: 'devices', issuedAt: at },
      metadata,
    },
  };
}

function measure<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; cpuSeconds: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  return run().then((result) => {
    const used = process.cpuUsage(cpu);
    return { result, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
  });
}

async function generate(store: SqliteEventStore): Promise<number> {
  await store.append('key-audit', [
    { type: 'KeyGenerated', data: { keyId: 'audit', name: 'audit-key', spec: { kind: 'ed25519' }, spki: key.publicKey.export({ type: 'spki', format: 'der' }).toString('base64'), wrapped: 'AQ', at: new Date().toISOString() } },
  ]);
  const heads = new TreeHeadService({ store, signer: async () => ({ keyId: 'audit', sign: async (payload) => sign(null, payload, key.privateKey) }) });
  let lastReport = Date.now();
  for (let i = 0; i < total; i += IN_FLIGHT) {
    const batch = Array.from({ length: Math.min(IN_FLIGHT, total - i) }, (_, j) => eventAt(i + j));
    await Promise.all(batch.map(({ stream, event, expected }) => store.append(stream, [event], { expectedRevision: expected })));
    if ((i + IN_FLIGHT) % HEAD_EVERY < IN_FLIGHT) await heads.record();
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      console.error(`generated ${i + batch.length} events`);
    }
  }
  await heads.record();
  return store.headPosition();
}

const rate = (events: number, seconds: number) => Math.round(events / seconds);

try {
  const file = keptLog ?? path.join(dir, 'events.db');
  let generation: { seconds: number } | undefined;
  if (!fs.existsSync(file)) {
    const generated = await measure(() => generate(new SqliteEventStore(file, { synchronous: 'NORMAL', maxBatch: IN_FLIGHT })));
    generation = generated;
    console.error(`generated ${generated.result} events in ${generated.seconds.toFixed(1)} s (${(fs.statSync(file).size / 2 ** 20).toFixed(0)} MiB)`);
  }

  const store = new SqliteEventStore(file);
  const events = await store.headPosition();
  const rows: { step: string; events: number; seconds: number; cpuSeconds: number }[] = [];
  if (only !== 'verify') {
    const replay = await measure(() => replayInto(store, path.join(dir, 'replay'), 'head', (n) => n % 100_000 === 0 && console.error(`replayed ${n}`)));
    replay.result.db.close();
    rows.push({ step: 'replay (every read model, from position 0)', events: replay.result.events, seconds: replay.seconds, cpuSeconds: replay.cpuSeconds });
  }
  if (only !== 'replay') {
    const verify = await measure(() => verifyStore(store, { onProgress: (n) => console.error(`verified ${n}`) }));
    if (!verify.result.ok) throw new Error(`verification failed: ${JSON.stringify(verify.result.failure)}`);
    rows.push({ step: `verify (re-hash, ${verify.result.headsVerified} signed heads)`, events: verify.result.events, seconds: verify.seconds, cpuSeconds: verify.cpuSeconds });
  }
  await store.close();
  console.log(`Audit log: ${events} events, ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)} at the end\n`);
  console.log('| step | events | seconds | events/s | events per CPU-second |');
  console.log('|---|---:|---:|---:|---:|');
  for (const r of rows) console.log(`| ${r.step} | ${r.events} | ${r.seconds.toFixed(1)} | ${rate(r.events, r.seconds)} | ${rate(r.events, r.cpuSeconds)} |`);
  if (generation) console.log(`\ngeneration: ${rate(events, generation.seconds)} events/s (appends through the adapter, heads included)\n`);
  console.log(JSON.stringify({ events, rows: rows.map((r) => ({ ...r, eventsPerSec: rate(r.events, r.seconds), eventsPerCpuSec: rate(r.events, r.cpuSeconds) })) }));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
