/**
 * Signet as an EST registration authority: a second Signet started here is the upstream CA. Validation succeeds
 * and fails for the right reasons (wrong tlschain, wrong password, nothing listening), sign-client-csr with `est`
 * and an RA-mode EST profile get certificates from the upstream CA, and both instances record their side.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { curl, opensslCsr, pkcs7BodyToPem } from '../support/est.js';
import { openssl } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { decodeCertsOnlyPkcs7, encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { decodePem } from '../../src/crypto/pem.js';

let ra: TestServer;
let upstream: TestServer;
let dir: string;
let upstreamPort: number;
const RA_USER = { username: 'signet-ra', password: 'ra-password-123' };

const pemFile = (server: TestServer, name: string) => join(server.dataDir, 'ca', name);
const pkcs7Of = (...files: string[]) => Buffer.from(encodeCertsOnlyPkcs7(files.flatMap((file) => decodePem(readFileSync(file, 'utf8')).map((block) => block.der)))).toString('base64');

async function call(server: TestServer, method: string, path: string, body?: unknown) {
  const args = ['-X', method, `${server.listeners.api.url.replace('127.0.0.1', 'localhost')}${path}`, '--cacert', pemFile(server, 'root.pem'), '-H', `X-API-Key: ${server.boot.rootToken}`];
  if (body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
  const answer = await curl(args);
  const text = answer.body.toString('utf8');
  return { status: answer.status, text, json: text && answer.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : undefined };
}

async function admin(server: TestServer, method: string, path: string, body: unknown) {
  const answer = await curl(['-X', method, `${server.listeners.admin!.url.replace('127.0.0.1', 'localhost')}${path}`, '--cacert', pemFile(server, 'root.pem'), '-H', `Authorization: Bearer ${server.boot.rootToken}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body)]);
  assert.ok(answer.status < 300, `${path}: ${answer.status} ${answer.body.toString()}`);
}

function configuration(overrides: Record<string, unknown> = {}) {
  return {
    server: '127.0.0.1',
    port: upstreamPort,
    enroll_endpoint: '/.well-known/est/simpleenroll',
    renew_endpoint: '/.well-known/est/simplereenroll',
    username: RA_USER.username,
    password: RA_USER.password,
    enroll_auth: 'basic',
    renew_auth: 'certificate',
    tlschain: pkcs7Of(pemFile(upstream, 'chain.pem'), pemFile(upstream, 'root.pem')),
    description: 'upstream Signet',
    ...overrides,
  };
}

async function create(overrides: Record<string, unknown> = {}): Promise<number> {
  const answer = await call(ra, 'POST', '/pki/est', configuration(overrides));
  assert.equal(answer.status, 200, answer.text);
  return answer.json.id as number;
}

function rows<T>(server: TestServer, sql: string, ...params: unknown[]): T[] {
  return server.core.readDb.prepare(sql).all(...params) as T[];
}

const serialOf = (pemPath: string) => openssl(['x509', '-in', pemPath, '-noout', '-serial']).trim().split('=')[1].toLowerCase().replace(/^0+/, '');
const normalized = (serial: string) => serial.toLowerCase().replace(/^0+/, '');

/** A port on which nothing listens. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

before(async () => {
  [ra, upstream] = await Promise.all([startTestServer(), startTestServer()]);
  dir = mkdtempSync(join(tmpdir(), 'signet-idial-ra-'));
  upstreamPort = Number(new URL(upstream.listeners.est.url).port);
  await admin(upstream, 'PATCH', '/admin/est/profiles/default', { auth_methods: ['basic', 'otp', 'mtls'], basic_users: [RA_USER] });
});

after(async () => {
  await Promise.all([ra?.stop(), upstream?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('IDIAL validation against an upstream Signet', () => {
  it('validates a correct configuration: TLS against tlschain, /cacerts into cacert, Basic auth accepted', async () => {
    const id = await create();
    const answer = await call(ra, 'POST', `/pki/est/validate/${id}`);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.json.last_validated, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    const cacerts = decodeCertsOnlyPkcs7(Buffer.from(answer.json.cacert, 'base64')).map((der) => Buffer.from(der).toString('base64'));
    assert.ok(cacerts.includes(upstream.core.queries.issuers.resolve('default')!.certificate), 'cacert holds the upstream issuing CA');
    const endpoints = (await call(ra, 'GET', '/pki')).json as { id: unknown; protocol: string; auth_method: string; url: string }[];
    const est = endpoints.find((entry) => entry.protocol === 'est' && entry.id === id);
    assert.ok(est, JSON.stringify(endpoints));
    assert.equal(est.auth_method, 'basic_auth');
    assert.equal(est.url, `https://127.0.0.1:${upstreamPort}/.well-known/est/simpleenroll`);
    const audit = rows<{ action: string; result: string }>(ra, 'SELECT action, result FROM audit_events WHERE stream = ? ORDER BY position', `est-upstream-${id}`);
    assert.deepEqual(audit.at(-1), { action: 'est_upstream_validate', result: 'success' });
  });

  const failures: [string, () => Promise<Record<string, unknown>>, RegExp][] = [
    ['a wrong password', async () => ({ password: 'wrong-password-1' }), /refused our credentials.*HTTP 401/],
    ['a wrong tlschain', async () => ({ tlschain: pkcs7Of(pemFile(ra, 'root.pem')) }), /TLS server certificate not trusted/],
    ['nothing listening', async () => ({ port: await closedPort() }), /connection refused/],
  ];
  for (const [what, overrides, reason] of failures) {
    it(`fails validation with ${what}, answering 502 and recording why`, async () => {
      const id = await create(await overrides());
      const answer = await call(ra, 'POST', `/pki/est/validate/${id}`);
      assert.equal(answer.status, 502, answer.text);
      assert.match(answer.json.error, reason);
      const [row] = ((await call(ra, 'GET', '/pki/est')).json as Record<string, unknown>[]).filter((entry) => entry.id === id);
      assert.equal(row.last_validated, '');
      const [failed] = rows<{ result: string; reason: string }>(ra, "SELECT result, reason FROM audit_events WHERE stream = ? AND action = 'est_upstream_validate'", `est-upstream-${id}`);
      assert.equal(failed.result, 'failure');
      assert.match(failed.reason, reason);
      const assign = await call(ra, 'POST', '/pki/sign-client-csr', { csr: readFileSync(opensslCsr(dir, `unvalidated-${id}`, '/CN=x'), 'utf8'), pki_protocol: 'est', est_id: id });
      assert.equal(assign.status, 400);
      assert.match(assign.json.error, /not validated/);
    });
  }

  it('validate_server false skips the TLS chain check', async () => {
    const id = await create({ tlschain: pkcs7Of(pemFile(ra, 'root.pem')), validate_server: false });
    assert.equal((await call(ra, 'POST', `/pki/est/validate/${id}`)).status, 200);
  });
});

describe('Signet as RA: certificates from the upstream CA', () => {
  let id: number;
  before(async () => {
    id = await create({ description: 'RA upstream', server: 'localhost' });
    assert.equal((await call(ra, 'POST', `/pki/est/validate/${id}`)).status, 200);
  });

  it('sign-client-csr with est returns a certificate issued by the upstream CA, recorded on both sides', async () => {
    const csr = readFileSync(opensslCsr(dir, 'ra-client', '/CN=ra-client'), 'utf8');
    const answer = await call(ra, 'POST', '/pki/sign-client-csr', { csr, pki_protocol: 'est', est_id: id });
    assert.equal(answer.status, 200, answer.text);
    const certFile = join(dir, 'ra-client.pem');
    writeFileSync(certFile, answer.json.x509);
    assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', pemFile(upstream, 'chain.pem'), certFile]), /OK/);
    assert.throws(() => openssl(['verify', '-CAfile', pemFile(ra, 'root.pem'), '-untrusted', pemFile(ra, 'chain.pem'), certFile]));
    const serial = serialOf(certFile);
    const local = rows<{ serial: string; issuer_id: string; profile: string }>(ra, 'SELECT serial, issuer_id, profile FROM certificates').find((row) => normalized(row.serial) === serial);
    assert.deepEqual(local && { issuer: local.issuer_id, profile: local.profile }, { issuer: `est-upstream-${id}`, profile: 'idial-client' });
    const [issued] = await ra.core.store.readStream(`cert-${local!.serial}`);
    assert.equal((issued.data as { upstream?: number }).upstream, id);
    const remote = rows<{ serial: string }>(upstream, 'SELECT serial FROM certificates').find((row) => normalized(row.serial) === serial);
    assert.ok(remote, 'the upstream recorded the certificate it issued');
    const remoteAudit = rows<{ actor: string; auth_method: string }>(upstream, "SELECT actor, auth_method FROM audit_events WHERE type = 'CertificateIssued' AND serial = ?", remote.serial);
    assert.deepEqual(remoteAudit, [{ actor: RA_USER.username, auth_method: 'basic' }]);
  });

  it('renews over renew_endpoint with TLS client authentication by the certificate being renewed', async () => {
    const certificate = readFileSync(join(dir, 'ra-client.pem'), 'utf8');
    const privateKey = readFileSync(join(dir, 'ra-client.key'), 'utf8');
    const renewCsr = readFileSync(opensslCsr(dir, 'ra-client-renewed', '/CN=ra-client'), 'utf8');
    const answer = await call(ra, 'POST', '/pki/sign-client-csr', { csr: renewCsr, pki_protocol: 'est', est_id: id, certificate, private_key: privateKey });
    assert.equal(answer.status, 200, answer.text);
    const renewedFile = join(dir, 'ra-client-renewed.pem');
    writeFileSync(renewedFile, answer.json.x509);
    assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', pemFile(upstream, 'chain.pem'), renewedFile]), /OK/);
    const serial = serialOf(renewedFile);
    const local = rows<{ serial: string; renews: string }>(ra, 'SELECT serial, renews FROM certificates').find((row) => normalized(row.serial) === serial);
    assert.equal(normalized(local?.renews ?? ''), serialOf(join(dir, 'ra-client.pem')), 'the RA records what was renewed');
    const remote = rows<{ serial: string }>(upstream, 'SELECT serial FROM certificates').find((row) => normalized(row.serial) === serial)!;
    const remoteAudit = rows<{ action: string; auth_method: string; actor: string }>(upstream, "SELECT action, auth_method, actor FROM audit_events WHERE type = 'CertificateIssued' AND serial = ?", remote.serial);
    assert.deepEqual(remoteAudit.map((row) => [row.action, row.auth_method]), [['reenroll', 'mtls']], 'the upstream saw a reenroll authenticated by the device certificate, not the RA password');
    assert.match(remoteAudit[0].actor, /ra-client/);
  });

  it('refuses renewals it cannot authenticate, before or at the upstream', async () => {
    const issuedUpstream = () => rows<{ n: number }>(upstream, 'SELECT COUNT(*) AS n FROM certificates')[0].n;
    const before = issuedUpstream();
    const certificate = readFileSync(join(dir, 'ra-client.pem'), 'utf8');
    const renewCsr = readFileSync(opensslCsr(dir, 'ra-client-again', '/CN=ra-client'), 'utf8');
    const noKey = await call(ra, 'POST', '/pki/sign-client-csr', { csr: renewCsr, pki_protocol: 'est', est_id: id, certificate });
    assert.equal(noKey.status, 400, noKey.text);
    assert.match(noKey.json.error, /renew_auth "certificate".*private_key/);
    const otherKey = await call(ra, 'POST', '/pki/sign-client-csr', { csr: renewCsr, pki_protocol: 'est', est_id: id, certificate, private_key: readFileSync(join(dir, 'ra-client-again.key'), 'utf8') });
    assert.equal(otherKey.status, 400, otherKey.text);
    assert.match(otherKey.json.error, /does not belong to certificate/);
    assert.equal(issuedUpstream(), before, 'nothing went upstream');

    // A certificate the upstream CA did not issue (the RA's own) authenticates nothing there.
    const localCsr = opensslCsr(dir, 'ra-local', '/CN=ra-local');
    const local = await call(ra, 'POST', '/pki/sign-client-csr', { csr: readFileSync(localCsr, 'utf8'), pki_protocol: 'internal' });
    assert.equal(local.status, 200, local.text);
    const foreign = await call(ra, 'POST', '/pki/sign-client-csr', { csr: readFileSync(localCsr, 'utf8'), pki_protocol: 'est', est_id: id, certificate: local.json.x509, private_key: readFileSync(join(dir, 'ra-local.key'), 'utf8') });
    assert.equal(foreign.status, 502, foreign.text);
    assert.match(foreign.json.error, /upstream EST server refused .*simplereenroll/);
    assert.equal(issuedUpstream(), before);
  });

  it('uses the first validated configuration when est_id is not given', async () => {
    const answer = await call(ra, 'POST', '/pki/sign-server-csr', { csr: readFileSync(opensslCsr(dir, 'ra-default', '/CN=ra-default'), 'utf8'), pki_protocol: 'est' });
    assert.equal(answer.status, 200, answer.text);
  });

  it('PATCH resets last_validated, so the configuration cannot be used until validated again', async () => {
    assert.equal((await call(ra, 'PATCH', `/pki/est/${id}`, { description: 'changed' })).status, 200);
    const [row] = ((await call(ra, 'GET', '/pki/est')).json as Record<string, unknown>[]).filter((entry) => entry.id === id);
    assert.equal(row.last_validated, '');
    const refused = await call(ra, 'POST', '/pki/sign-client-csr', { csr: readFileSync(opensslCsr(dir, 'after-patch', '/CN=p'), 'utf8'), pki_protocol: 'est', est_id: id });
    assert.equal(refused.status, 400);
    assert.equal((await call(ra, 'POST', `/pki/est/validate/${id}`)).status, 200);
  });

  it('an EST profile in RA mode gets device certificates from the upstream CA; delete is refused while it is in use', async () => {
    const device = { username: 'device-1', password: 'device-password-1' };
    await admin(ra, 'POST', '/admin/est/profiles', { name: 'ra', auth_methods: ['basic'], basic_users: [device], upstream: id });
    const csrFile = opensslCsr(dir, 'device', '/CN=device-1');
    const csrDer = Buffer.from(decodePem(readFileSync(csrFile, 'utf8'))[0].der);
    const answer = await curl([
      `${ra.listeners.est.url.replace('127.0.0.1', 'localhost')}/.well-known/est/ra/simpleenroll`, '--cacert', pemFile(ra, 'root.pem'),
      '-u', `${device.username}:${device.password}`, '-H', 'Content-Type: application/pkcs10', '--data-binary', csrDer.toString('base64'),
    ]);
    assert.equal(answer.status, 200, answer.body.toString());
    const certFile = join(dir, 'device.pem');
    writeFileSync(certFile, pkcs7BodyToPem(answer.body));
    assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', pemFile(upstream, 'chain.pem'), certFile]), /OK/);
    const serial = serialOf(certFile);
    const local = rows<{ serial: string; issuer_id: string; profile: string }>(ra, 'SELECT serial, issuer_id, profile FROM certificates').find((row) => normalized(row.serial) === serial);
    assert.deepEqual(local && [local.issuer_id, local.profile], [`est-upstream-${id}`, 'ra']);
    const audit = rows<{ actor: string; auth_method: string }>(ra, "SELECT actor, auth_method FROM audit_events WHERE type = 'CertificateIssued' AND serial = ?", local!.serial);
    assert.deepEqual(audit, [{ actor: device.username, auth_method: 'basic' }]);

    const wrong = await curl([`${ra.listeners.est.url.replace('127.0.0.1', 'localhost')}/.well-known/est/ra/simpleenroll`, '--cacert', pemFile(ra, 'root.pem'), '-u', `${device.username}:nope`, '-H', 'Content-Type: application/pkcs10', '--data-binary', csrDer.toString('base64')]);
    assert.equal(wrong.status, 401, 'Signet authenticates the device before anything goes upstream');

    // Reenrollment: the device authenticates to Signet with its upstream-issued certificate (mTLS); Signet renews upstream.
    const anchors = readFileSync(pemFile(upstream, 'chain.pem'), 'utf8') + readFileSync(pemFile(upstream, 'root.pem'), 'utf8');
    await admin(ra, 'PATCH', '/admin/est/profiles/ra', { auth_methods: ['basic', 'mtls'], trust_anchors: anchors });
    const renewed = await curl([
      `${ra.listeners.est.url.replace('127.0.0.1', 'localhost')}/.well-known/est/ra/simplereenroll`, '--cacert', pemFile(ra, 'root.pem'),
      '--cert', certFile, '--key', join(dir, 'device.key'), '-H', 'Content-Type: application/pkcs10', '--data-binary', csrDer.toString('base64'),
    ]);
    assert.equal(renewed.status, 200, renewed.body.toString());
    const renewedFile = join(dir, 'device-renewed.pem');
    writeFileSync(renewedFile, pkcs7BodyToPem(renewed.body));
    assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', pemFile(upstream, 'chain.pem'), renewedFile]), /OK/);
    const successor = rows<{ serial: string; renews: string }>(ra, 'SELECT serial, renews FROM certificates').find((row) => normalized(row.serial) === serialOf(renewedFile));
    assert.equal(successor?.renews, local!.serial);

  });

  it('an OpenBao role in RA mode signs through the upstream CA after its own name checks', async () => {
    const bao = async (method: string, path: string, body: unknown) => {
      const answer = await curl(['-X', method, `${ra.listeners.api.url.replace('127.0.0.1', 'localhost')}${path}`, '--cacert', pemFile(ra, 'root.pem'), '-H', `X-Vault-Token: ${ra.boot.rootToken}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body)]);
      return { status: answer.status, json: JSON.parse(answer.body.toString() || '{}') };
    };
    const unvalidated = await create({ password: 'wrong-password-2' });
    const refusedRole = await bao('POST', '/v1/pki/roles/unvalidated', { allowed_domains: 'example.com', allow_subdomains: true, upstream: unvalidated });
    assert.equal(refusedRole.status, 400);
    assert.match(refusedRole.json.errors[0], /not validated/);
    const written = await bao('POST', '/v1/pki/roles/ra-role', { allowed_domains: 'example.com', allow_subdomains: true, key_type: 'ec', upstream: id });
    assert.equal(written.status, 200, JSON.stringify(written.json));
    const csr = (cn: string) => readFileSync(opensslCsr(dir, cn, `/CN=${cn}`), 'utf8');
    const signed = await bao('POST', '/v1/pki/sign/ra-role', { csr: csr('gw.example.com'), common_name: 'gw.example.com' });
    assert.equal(signed.status, 200, JSON.stringify(signed.json));
    const certFile = join(dir, 'role.pem');
    writeFileSync(certFile, signed.json.data.certificate);
    assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', pemFile(upstream, 'chain.pem'), certFile]), /OK/);
    const local = rows<{ serial: string; issuer_id: string; role: string }>(ra, 'SELECT serial, issuer_id, role FROM certificates').find((row) => normalized(row.serial) === serialOf(certFile));
    assert.deepEqual(local && [local.issuer_id, local.role], [`est-upstream-${id}`, 'ra-role']);
    const before = rows<{ n: number }>(upstream, 'SELECT COUNT(*) AS n FROM certificates')[0].n;
    const outside = await bao('POST', '/v1/pki/sign/ra-role', { csr: csr('evil.test'), common_name: 'evil.test' });
    assert.equal(outside.status, 400, 'the role refuses names it does not allow before anything goes upstream');
    assert.equal(rows<{ n: number }>(upstream, 'SELECT COUNT(*) AS n FROM certificates')[0].n, before);
  });

  it('certd method = "est" issues through the configuration, named by id or by its URL', async () => {
    const certd = ra.certd!;
    const since = certd.configDir.generation;
    writeFileSync(
      join(certd.configDir.dir, 'ra.toml'),
      `[cert_issuance.edge-by-id]\nmethod = "est"\nupstream = ${id}\n\n[cert_issuance.edge-by-url]\nmethod = "est"\nurl = "https://localhost:${upstreamPort}/.well-known/est"\n\n[cert_issuance.edge-nowhere]\nmethod = "est"\nurl = "https://est.example.com/.well-known/est"\n`,
    );
    for (const deadline = Date.now() + 5000; certd.configDir.generation === since; ) {
      assert.ok(Date.now() < deadline, 'config.d change was not picked up');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const create = async (certId: string) => {
      const csrDer = Buffer.from(decodePem(readFileSync(opensslCsr(dir, certId, `/CN=${certId}`), 'utf8'))[0].der);
      const answer = await curl(['--unix-socket', certd.listener.path, '-X', 'POST', 'http://localhost/certificates?api-version=2020-09-01', '-H', 'Content-Type: application/json', '-d', JSON.stringify({ certId, csr: csrDer.toString('base64') })]);
      return { status: answer.status, json: JSON.parse(answer.body.toString() || '{}') as { pem?: string; message?: string } };
    };
    for (const certId of ['edge-by-id', 'edge-by-url']) {
      const created = await create(certId);
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const chainFile = join(dir, `${certId}-chain.pem`);
      writeFileSync(chainFile, created.json.pem!);
      assert.match(openssl(['verify', '-CAfile', pemFile(upstream, 'root.pem'), '-untrusted', chainFile, chainFile]), /OK/);
      const serial = serialOf(chainFile);
      const local = rows<{ serial: string; issuer_id: string }>(ra, 'SELECT serial, issuer_id FROM certificates').find((row) => normalized(row.serial) === serial);
      assert.equal(local?.issuer_id, `est-upstream-${id}`);
      assert.ok(rows(upstream, 'SELECT serial FROM certificates').some((row) => normalized((row as { serial: string }).serial) === serial), 'the upstream CA issued it');
      assert.deepEqual((await ra.core.store.readStream(`certd-${certId}`)).map((event) => event.type), ['CertdCertificateCreated']);
    }
    const nowhere = await create('edge-nowhere');
    assert.equal(nowhere.status, 400);
    assert.match(nowhere.json.message ?? '', /matches no EST configuration/);
  });

  it('refuses to delete a configuration that profiles, roles or certd settings still route through', async () => {
    const refused = await call(ra, 'DELETE', `/pki/est/${id}`);
    assert.equal(refused.status, 409, refused.text);
    assert.deepEqual(refused.json.in_use, ['est-profile:ra', 'role:ra-role', 'certd:edge-by-id', 'certd:edge-by-url']);
    assert.equal(typeof refused.json.error, 'string');
  });
});
