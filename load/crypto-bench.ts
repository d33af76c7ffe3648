/**
 * Per-operation timings of the crypto layer on one thread. Usage: node --import tsx load/crypto-bench.ts
 * Prints a table, then the results as one JSON line. BENCH_MS sets the time per operation (default 1000); ~14 s.
 */
import { readFileSync } from 'node:fs';
import { signCertificate, parseCertificate } from '../src/crypto/certificate.js';
import { createSelfSignedCa } from '../src/crypto/ca.js';
import { csrFacts, parseCsr, verifyCsr } from '../src/crypto/csr.js';
import { issueFromCsr } from '../src/crypto/issue.js';
import { generateKeyPair } from '../src/crypto/keygen.js';
import { pemToDer } from '../src/crypto/pem.js';
import { encodeCertsOnlyPkcs7 } from '../src/crypto/pkcs7.js';
import { importPublicKey } from '../src/crypto/public-key.js';
import { randomSerialHex } from '../src/crypto/serial.js';
import { createSigner } from '../src/crypto/signer.js';
import { encodeTbs } from '../src/crypto/tbs.js';
import type { CertContent, CsrFacts } from '../src/domain/x509.js';

const MEASURE_MS = Number(process.env.BENCH_MS ?? 1000);
const WARMUP_MS = 200;

interface Result {
  operation: string;
  opsPerSecond: number;
  microsecondsPerOp: number;
}

const results: Result[] = [];

function runFor(ms: number, fn: () => unknown): { count: number; elapsedNs: bigint } {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let count = 0;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < 16; i++) fn();
    count += 16;
    now = process.hrtime.bigint();
  }
  return { count, elapsedNs: now - start };
}

function measure(operation: string, fn: () => unknown, ms = MEASURE_MS): void {
  runFor(WARMUP_MS, fn);
  const { count, elapsedNs } = runFor(ms, fn);
  const microsecondsPerOp = Number(elapsedNs) / 1000 / count;
  results.push({ operation, opsPerSecond: Math.round(1e6 / microsecondsPerOp), microsecondsPerOp: Number(microsecondsPerOp.toFixed(2)) });
}

const fixture = (name: string) =>
  pemToDer(readFileSync(new URL(`../test/fixtures/crypto/csr/${name}.csr.pem`, import.meta.url), 'utf8'), 'CERTIFICATE REQUEST');

const now = Date.now();
const caKey = generateKeyPair({ kind: 'ec', curve: 'P-256' });
const nodeSigner = createSigner(caKey.pkcs8Der);
const nobleSigner = createSigner(caKey.pkcs8Der, { impl: 'noble' });
const { template, certDer: caCertDer } = createSelfSignedCa(nodeSigner, {
  subject: [{ type: 'O', value: 'Bench' }, { type: 'CN', value: 'Bench CA' }],
  serialHex: randomSerialHex(),
  notBefore: now,
  notAfter: now + 365 * 86_400_000,
});

const leafContent = (facts: CsrFacts): CertContent => ({
  serialHex: randomSerialHex(),
  notBefore: now,
  notAfter: now + 30 * 86_400_000,
  subject: { der: facts.subjectDer },
  spkiDer: facts.spkiDer,
  sans: facts.sans,
  basicConstraints: { ca: false },
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['serverAuth', 'clientAuth'],
  crlDistributionPoints: ['http://pki.example/crl'],
  ocspServers: ['http://pki.example/ocsp'],
});

const csrDer = fixture('p256-full');
const csr = parseCsr(csrDer);
const content = leafContent(csrFacts(csr));
const tbs = encodeTbs(template, content);
const certDer = signCertificate(template, nodeSigner, content);

measure('parseCsr (P-256, 7 SANs)', () => parseCsr(csrDer));
measure('importPublicKey (P-256, JWK)', () => importPublicKey(csr.publicKeyInfo));
measure('verifyCsr (P-256)', () => verifyCsr(csr));
for (const name of ['p384', 'ed25519', 'rsa2048', 'rsa4096']) {
  const other = parseCsr(fixture(name));
  measure(`verifyCsr (${name})`, () => verifyCsr(other), MEASURE_MS / 2);
}
measure('encodeTbs (P-256 leaf, 8 extensions)', () => encodeTbs(template, content));
measure('sign P-256 (node:crypto)', () => nodeSigner.sign(tbs));
measure('sign P-256 (@noble/curves)', () => nobleSigner.sign(tbs));
measure('parseCertificate', () => parseCertificate(certDer));
measure('encodeCertsOnlyPkcs7 (leaf + CA)', () => encodeCertsOnlyPkcs7([certDer, caCertDer]));
measure('issueFromCsr (P-256, end to end)', () => {
  const result = issueFromCsr({ csrDer, template, signer: nodeSigner, decide: leafContent });
  if (!result.ok) throw new Error(result.message);
});

const width = Math.max(...results.map((r) => r.operation.length));
console.log(`${'operation'.padEnd(width)}  ${'ops/s'.padStart(9)}  ${'µs/op'.padStart(8)}`);
for (const r of results) {
  console.log(`${r.operation.padEnd(width)}  ${String(r.opsPerSecond).padStart(9)}  ${r.microsecondsPerOp.toFixed(2).padStart(8)}`);
}
console.log(JSON.stringify({ node: process.version, measuredMs: MEASURE_MS, results }));
