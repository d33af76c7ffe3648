/** Admin health (aggregate, ready, live) and CAs (list, detail, chain, health states) over real TLS. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { issuerDecider, issuerStream } from '../../src/domain/issuer.js';
import { keyDecider, keyStream } from '../../src/domain/key.js';
import { wrapPrivateKey } from '../../src/crypto/keywrap.js';
import { VERSION } from '../../src/version.js';
import { startProjections } from '../../src/core.js';
import { adminClient, issueCertificate, opensslCsr } from '../support/admin.js';
import { parsePrometheusText, sampleSum } from '../support/prometheus-text.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';
import { openssl } from '../support/tools.js';

interface CaSummary {
  id: string;
  name: string;
  status: string;
  last_check: string;
  cert_not_after: string;
  certs_issued_today: number;
  certs_issued_total: number;
}

let server: TestServer;
let admin: ReturnType<typeof adminClient>;
let dir: string;

before(async () => {
  server = await startTestServer();
  admin = adminClient(server);
  dir = tempDir('signet-admin-ca-');
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

const issuing = () => server.core.queries.issuers.resolve('issuing')!;
const root = () => server.core.queries.issuers.resolve('root')!;

/** openssl's notAfter of a PEM certificate, as the admin API writes timestamps. */
function opensslNotAfter(pem: string): string {
  const line = openssl(['x509', '-noout', '-enddate'], Buffer.from(pem)).trim().replace(/^notAfter=/, '');
  return new Date(line).toISOString().replace(/\.000Z$/, 'Z');
}

describe('health', () => {
  test('GET /admin/health: every component healthy, uptime and version', async () => {
    const { status, body } = await admin.json<{ status: string; components: Record<string, unknown>; projection_lag: number; uptime: string; version: string }>('/admin/health');
    assert.equal(status, 200);
    assert.equal(body.status, 'healthy');
    assert.deepEqual(body.components, { database: 'healthy', projections: 'healthy', signing_pool: 'healthy', cas: { [issuing().issuerId]: 'healthy', [root().issuerId]: 'healthy' } });
    assert.equal(body.projection_lag, 0);
    assert.match(body.uptime, /^\d+d \d+h \d+m$/);
    assert.equal(body.version, VERSION);
  });

  test('ready is 503 while the read models lag behind the log, 200 once they caught up; live is always 200', async () => {
    const { store } = server.core;
    await server.core.runner.stop();
    try {
      await new OtpService(server.core.commands).create({ label: 'written-while-projections-stopped', ttl: '1h' });
      const lagging = await admin.json('/admin/health/ready', { token: undefined });
      assert.deepEqual(lagging.body, { status: 'not_ready', projection_lag: 1 });
      assert.equal(lagging.status, 503);
      assert.equal((await admin.json('/admin/health/live', { token: undefined })).status, 200);
    } finally {
      server.core.runner = startProjections(server.core, { threads: true });
    }
    await server.core.runner.waitFor(await store.headPosition());
    const ready = await admin.json('/admin/health/ready', { token: undefined });
    assert.deepEqual([ready.status, ready.body], [200, { status: 'ready', projection_lag: 0 }]);
  });
});

describe('CAs', () => {
  test('GET /admin/ca lists both CAs in the spec shape, with expiry from the certificate and issuance counts', async () => {
    const csr = opensslCsr(dir, 'count', '/CN=count.example.com');
    await issueCertificate(server, csr.csrDer);
    await issueCertificate(server, csr.csrDer);
    const { status, body } = await admin.json<CaSummary[]>('/admin/ca');
    assert.equal(status, 200);
    assert.deepEqual(body.map((ca) => ca.name).sort(), ['issuing', 'root']);
    const byName = Object.fromEntries(body.map((ca) => [ca.name, ca]));
    for (const ca of body) {
      assert.deepEqual(Object.keys(ca).sort(), ['cert_not_after', 'certs_issued_today', 'certs_issued_total', 'id', 'last_check', 'name', 'status']);
      assert.equal(ca.status, 'healthy');
      assert.match(ca.last_check, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    }
    assert.equal(byName.issuing.id, issuing().issuerId);
    const chainPem = readFileSync(join(server.dataDir, 'ca/chain.pem'), 'utf8');
    assert.equal(byName.issuing.cert_not_after, opensslNotAfter(chainPem));
    assert.equal(byName.root.cert_not_after, opensslNotAfter(readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8')));
    // The server's own TLS certificate plus the two just issued.
    assert.deepEqual([byName.issuing.certs_issued_today, byName.issuing.certs_issued_total], [3, 3]);
    assert.deepEqual([byName.root.certs_issued_today, byName.root.certs_issued_total], [0, 0]);
  });

  test('GET /admin/ca/{id} by id, name or "default" adds the health checks; unknown ids are 404', async () => {
    const byId = await admin.json<Record<string, unknown>>(`/admin/ca/${issuing().issuerId}`);
    assert.equal(byId.status, 200);
    assert.equal(byId.body.id, issuing().issuerId);
    assert.equal(byId.body.subject, 'CN=Signet Issuing CA,O=Signet');
    assert.equal(byId.body.default, true);
    assert.deepEqual(byId.body.checks, { certificate: 'healthy', key: 'healthy', issuer: 'healthy' });
    assert.deepEqual((byId.body.key as { type: string }).type, 'EC P-256');
    const withoutCheckTime = (ca: Record<string, unknown>) => ({ ...ca, last_check: undefined });
    assert.deepEqual(withoutCheckTime((await admin.json<Record<string, unknown>>('/admin/ca/issuing')).body), withoutCheckTime(byId.body));
    assert.equal((await admin.json('/admin/ca/default')).body.id, issuing().issuerId);
    const missing = await admin.json('/admin/ca/no-such-ca');
    assert.deepEqual([missing.status, missing.body], [404, { error: 'no CA "no-such-ca"' }]);
  });

  test('GET /admin/ca/{id}/chain is the PEM chain up to the root, and openssl verifies it', async () => {
    const result = await admin.call(`/admin/ca/${issuing().issuerId}/chain`);
    assert.equal(result.status, 200);
    assert.equal(result.headers['content-type'], 'application/pem-certificate-chain');
    assert.equal(result.body, readFileSync(join(server.dataDir, 'ca/chain.pem'), 'utf8'));
    const chainFile = join(dir, 'chain.pem');
    writeFileSync(chainFile, result.body);
    assert.match(openssl(['verify', '-CAfile', join(server.dataDir, 'ca/root.pem'), chainFile]), /OK/);
    const rootChain = await admin.call('/admin/ca/root/chain');
    assert.equal(rootChain.body, readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8'));
    assert.equal((await admin.call('/admin/ca/nope/chain')).status, 404);
  });

  test('a CA expiring within 30 days is degraded, one without a usable key unhealthy; health and metrics follow', async () => {
    const now = new Date();
    const soon = await importCa('expiring-soon', 10, true, now);
    const keyless = await importCa('keyless', 400, false, now);
    const list = await admin.json<CaSummary[]>('/admin/ca');
    const status = Object.fromEntries(list.body.map((ca) => [ca.name, ca.status]));
    assert.deepEqual(status, { issuing: 'healthy', root: 'healthy', 'expiring-soon': 'degraded', keyless: 'unhealthy' });
    assert.deepEqual((await admin.json(`/admin/ca/${soon}`)).body.checks, { certificate: 'degraded', key: 'healthy', issuer: 'healthy' });
    assert.deepEqual((await admin.json(`/admin/ca/${keyless}`)).body.checks, { certificate: 'healthy', key: 'unhealthy', issuer: 'healthy' });

    const health = await admin.json<{ status: string; components: { cas: Record<string, string> } }>('/admin/health');
    assert.equal(health.body.status, 'unhealthy', 'the worst component wins');
    assert.equal(health.body.components.cas[soon], 'degraded');

    const metrics = parsePrometheusText((await admin.call('/admin/metrics')).body);
    assert.equal(sampleSum(metrics, 'signet_ca_health', { ca: issuing().issuerId }), 1);
    assert.equal(sampleSum(metrics, 'signet_ca_health', { ca: soon }), 0.5);
    assert.equal(sampleSum(metrics, 'signet_ca_health', { ca: keyless }), 0);
  });
});

/** Records an imported self-signed CA (openssl) valid for `days`, with its key wrapped under the KEK or none. */
async function importCa(name: string, days: number, withKey: boolean, now: Date): Promise<string> {
  const keyPem = join(dir, `${name}.key`);
  const certPem = join(dir, `${name}.pem`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPem, '-out', certPem, '-days', String(days), '-subj', `/CN=${name}`]);
  const der = readDer(['x509', '-in', certPem, '-outform', 'DER']);
  const issuerId = randomUUID();
  let keyId: string | undefined;
  if (withKey) {
    keyId = randomUUID();
    const pkcs8 = readDer(['pkcs8', '-topk8', '-nocrypt', '-in', keyPem, '-outform', 'DER']);
    const spki = readDer(['pkey', '-in', keyPem, '-pubout', '-outform', 'DER']);
    await server.core.commands.handle(keyStream(keyId), keyDecider, {
      type: 'RegisterKey',
      origin: 'imported',
      data: { keyId, name: `${name}-key`, spec: { kind: 'ec', curve: 'P-256' }, spki: spki.toString('base64'), wrapped: wrapPrivateKey(pkcs8, server.core.kek, keyId) },
      now,
    });
  }
  const notAfter = new Date(openssl(['x509', '-in', certPem, '-noout', '-enddate']).trim().replace(/^notAfter=/, '')).toISOString();
  const notBefore = new Date(openssl(['x509', '-in', certPem, '-noout', '-startdate']).trim().replace(/^notBefore=/, '')).toISOString();
  const serial = openssl(['x509', '-in', certPem, '-noout', '-serial']).trim().replace(/^serial=/, '').toLowerCase();
  const result = await server.core.commands.handle(issuerStream(issuerId), issuerDecider, {
    type: 'CreateIssuer',
    data: { issuerId, name, kind: 'imported', certificate: der.toString('base64'), chain: [], ...(keyId ? { keyId } : {}), subject: `CN=${name}`, serial, notBefore, notAfter, usage: ['issuing-certificates'], leafNotAfterBehavior: 'err' },
    now,
  });
  await server.core.runner.waitFor(result.position!);
  return issuerId;
}

function readDer(args: string[]): Buffer {
  const out = join(dir, `tmp-${randomUUID()}.der`);
  openssl([...args, '-out', out]);
  return readFileSync(out);
}
