/**
 * The IDIAL PKI configuration API (/pki on the API listener) over real TLS with curl: every example of the spec,
 * auth (X-API-Key, ACL policies), EST configurations as events with the password stored wrapped, the CA and CRL
 * downloads, and internal CSR signing checked with openssl.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { curl, opensslCsr } from '../support/est.js';
import { openssl } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { decodeCertsOnlyPkcs7, encodeCertsOnlyPkcs7 } from '../../src/crypto/pkcs7.js';
import { opensslStreamedSignedData, pythonBerCertsOnly } from '../support/ber.js';
import { decodePem } from '../../src/crypto/pem.js';
import { UpstreamService } from '../../src/app/idial/upstream-service.js';

let server: TestServer;
let dir: string;
let base: string;
let key: string;
let rootPem: string;

async function api(method: string, path: string, options: { key?: string | null; body?: unknown; headers?: string[]; out?: string } = {}) {
  const args = ['-X', method, `${base}${path}`, '--cacert', rootPem];
  const apiKey = options.key === undefined ? key : options.key;
  if (apiKey !== null) args.push('-H', `X-API-Key: ${apiKey}`);
  for (const header of options.headers ?? []) args.push('-H', header);
  if (options.body !== undefined) args.push('-H', 'Content-Type: application/json', '-d', typeof options.body === 'string' ? options.body : JSON.stringify(options.body));
  const answer = await curl(args);
  const text = answer.body.toString('utf8');
  const json = answer.headers['content-type']?.startsWith('application/json') ? JSON.parse(text) : undefined;
  return { ...answer, text, json };
}

const SPEC_EXAMPLE = {
  server: 'est.example.com',
  port: 8443,
  enroll_endpoint: '/.well-known/est/profile1/simpleenroll',
  renew_endpoint: '/.well-known/est/profile1/simplereenroll',
  validate_server: true,
  description: 'Production EST',
};

before(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'signet-idial-'));
  base = server.listeners.api.url.replace('127.0.0.1', 'localhost');
  key = server.boot.rootToken;
  rootPem = join(server.dataDir, 'ca/root.pem');
});

after(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('IDIAL /pki authentication', () => {
  it('answers 401 {"error"} without a key or with a wrong one', async () => {
    for (const apiKey of [null, 'not-a-token']) {
      const answer = await api('GET', '/pki/est', { key: apiKey });
      assert.equal(answer.status, 401);
      assert.equal(typeof answer.json.error, 'string');
    }
  });

  it('applies the token policies of the OpenBao API (pki/... ACL paths)', async () => {
    const vault = (method: string, path: string, body: unknown) =>
      curl(['-X', method, `${base}${path}`, '--cacert', rootPem, '-H', `X-Vault-Token: ${key}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body)]);
    assert.equal((await vault('PUT', '/v1/sys/policies/acl/idial-read', { policy: 'path "pki/est" { capabilities = ["read"] }' })).status, 204);
    const created = JSON.parse((await vault('POST', '/v1/auth/token/create', { policies: ['idial-read'] })).body.toString());
    const reader = created.auth.client_token as string;
    assert.equal((await api('GET', '/pki/est', { key: reader })).status, 200);
    const refused = await api('POST', '/pki/est', { key: reader, body: SPEC_EXAMPLE });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error, 'permission denied');
    assert.equal((await api('GET', '/pki/ca', { key: reader })).status, 403);
  });
});

describe('IDIAL /pki spec examples', () => {
  it('GET /pki lists the local issuer', async () => {
    const answer = await api('GET', '/pki');
    assert.equal(answer.status, 200);
    const local = (answer.json as { protocol: string; default: boolean; name: string }[]).find((entry) => entry.protocol === 'internal' && entry.default);
    assert.ok(local, answer.text);
    for (const field of ['id', 'name', 'url', 'auth_method', 'tls_validation']) assert.ok(field in local, field);
  });

  it('GET /pki/ca downloads the CA certificate as PEM (-o ca.pem), DER on request', async () => {
    const out = join(dir, 'ca.pem');
    const answer = await curl(['-X', 'GET', `${base}/pki/ca`, '--cacert', rootPem, '-H', `X-API-Key: ${key}`]);
    assert.equal(answer.status, 200);
    writeFileSync(out, answer.body);
    const issuing = server.core.queries.issuers.resolve('default')!;
    assert.equal(openssl(['x509', '-in', out, '-outform', 'DER']).length > 0, true);
    assert.equal(Buffer.from(decodePem(readFileSync(out, 'utf8'))[0].der).toString('base64'), issuing.certificate);
    for (const variant of [{ headers: ['Accept: application/pkix-cert'] }, { path: '/pki/ca?format=der' }]) {
      const der = await api('GET', variant.path ?? '/pki/ca', { headers: variant.headers ?? [] });
      assert.equal(der.status, 200);
      assert.equal(der.headers['content-type'], 'application/pkix-cert');
      assert.equal(der.body.toString('base64'), issuing.certificate);
    }
  });

  it('GET /pki/crl downloads the default issuer CRL as PEM, DER on request', async () => {
    const pem = await api('GET', '/pki/crl');
    assert.equal(pem.status, 200);
    assert.match(pem.text, /^-----BEGIN X509 CRL-----/);
    const der = await api('GET', '/pki/crl', { headers: ['Accept: application/pkix-crl'] });
    assert.equal(der.headers['content-type'], 'application/pkix-crl');
    writeFileSync(join(dir, 'crl.der'), der.body);
    assert.match(openssl(['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-noout', '-issuer']), /issuer=/);
    assert.equal((await api('GET', '/pki/crl?format=der')).body.toString('base64'), der.body.toString('base64'));
  });

  it('GET, POST, PATCH and DELETE /pki/est as in the examples', async () => {
    assert.deepEqual((await api('GET', '/pki/est')).json, []);
    const created = await api('POST', '/pki/est', { body: SPEC_EXAMPLE });
    assert.equal(created.status, 200);
    const { id } = created.json as { id: number };
    assert.equal(typeof id, 'number');
    const [listed] = (await api('GET', '/pki/est')).json as Record<string, unknown>[];
    assert.deepEqual(
      { ...listed },
      {
        id, last_validated: '', server: 'est.example.com', port: 8443, enroll_endpoint: SPEC_EXAMPLE.enroll_endpoint, renew_endpoint: SPEC_EXAMPLE.renew_endpoint,
        username: '', password_hash: '', enroll_auth: 'none', renew_auth: 'certificate', tlschain: '', cacert: '', validate_server: true, description: 'Production EST',
      },
    );
    const patched = await api('PATCH', `/pki/est/${id}`, { body: { description: 'Renamed', port: '9443' } });
    assert.equal(patched.status, 200);
    const [after] = (await api('GET', '/pki/est')).json as Record<string, unknown>[];
    assert.equal(after.description, 'Renamed');
    assert.equal(after.port, 9443);
    assert.equal((await api('PATCH', '/pki/est/999', { body: { description: 'x' } })).status, 404);
    const deleted = await api('DELETE', `/pki/est/${id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual((await api('GET', '/pki/est')).json, []);
    assert.equal((await api('DELETE', `/pki/est/${id}`)).status, 404);
    const actions = server.core.readDb.prepare("SELECT action FROM audit_events WHERE stream = ? ORDER BY position").all(`est-upstream-${id}`) as { action: string }[];
    assert.deepEqual(actions.map((row) => row.action), ['est_upstream_create', 'est_upstream_update', 'est_upstream_delete']);
  });

  it('stores the password only wrapped and shows its SHA-256; an empty password means no credentials', async () => {
    const password = 'correct horse battery staple';
    const { id } = (await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, username: 'estuser', password, enroll_auth: 'basic' } })).json as { id: number };
    const row = ((await api('GET', '/pki/est')).json as Record<string, unknown>[]).find((entry) => entry.id === id)!;
    assert.equal(row.password_hash, createHash('sha256').update(password).digest('hex'));
    assert.equal(row.username, 'estuser');
    assert.equal(row.enroll_auth, 'basic');
    const events = await server.core.store.readStream(`est-upstream-${id}`);
    assert.ok(!JSON.stringify(events).includes(password), 'the password must not be in the event log');
    const empty = await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, username: 'estuser', password: '', enroll_auth: 'basic' } });
    assert.equal(empty.status, 400);
    assert.match(empty.json.error, /no username and password/);
    const none = await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, username: 'estuser', password: '' } });
    assert.equal(none.status, 200);
    const noCreds = ((await api('GET', '/pki/est')).json as Record<string, unknown>[]).find((entry) => entry.id === none.json.id)!;
    assert.equal(noCreds.password_hash, '');
    assert.equal(noCreds.enroll_auth, 'none');
  });

  it('refuses bad EST configurations with a precise 400/415 and writes nothing', async () => {
    const before = ((await api('GET', '/pki/est')).json as unknown[]).length;
    const cases: [unknown, RegExp][] = [
      [{ ...SPEC_EXAMPLE, server: undefined }, /missing required field: server/],
      [{ ...SPEC_EXAMPLE, port: 70000 }, /port/],
      [{ ...SPEC_EXAMPLE, port: 'eighty' }, /port/],
      [{ ...SPEC_EXAMPLE, enroll_endpoint: 'simpleenroll' }, /enroll_endpoint/],
      [{ ...SPEC_EXAMPLE, tlschain: 'MIIBxDCC...' }, /tlschain/],
      [{ ...SPEC_EXAMPLE, enroll_auth: 'kerberos' }, /enroll_auth/],
      [{ ...SPEC_EXAMPLE, validate_server: 'yes' }, /validate_server/],
      [{ ...SPEC_EXAMPLE, colour: 'blue' }, /unknown field: colour/],
      ['{not json', /malformed JSON/],
    ];
    for (const [body, message] of cases) {
      const answer = await api('POST', '/pki/est', { body });
      assert.equal(answer.status, 400, `${JSON.stringify(body)}: ${answer.text}`);
      assert.match(answer.json.error, message);
    }
    const typed = await curl(['-X', 'POST', `${base}/pki/est`, '--cacert', rootPem, '-H', `X-API-Key: ${key}`, '-H', 'Content-Type: text/plain', '-d', 'x']);
    assert.equal(typed.status, 415);
    const tlschain = Buffer.from(encodeCertsOnlyPkcs7(decodePem(readFileSync(rootPem, 'utf8')).map((block) => block.der))).toString('base64');
    assert.equal((await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, tlschain } })).status, 200);
    assert.equal(((await api('GET', '/pki/est')).json as unknown[]).length, before + 1);
  });
});

describe('IDIAL sign-client-csr / sign-server-csr', () => {
  const csr = (name: string) => readFileSync(opensslCsr(dir, name, `/CN=${name}`), 'utf8');
  const chainFile = () => join(server.dataDir, 'ca/chain.pem');

  it('signs a client CSR with the local issuer (internal, the spec example)', async () => {
    const answer = await api('POST', '/pki/sign-client-csr', { body: { csr: csr('opc-client'), pki_protocol: 'internal' } });
    assert.equal(answer.status, 200, answer.text);
    writeFileSync(join(dir, 'client.pem'), answer.json.x509);
    assert.match(openssl(['verify', '-CAfile', rootPem, '-untrusted', chainFile(), join(dir, 'client.pem')]), /OK/);
    const text = openssl(['x509', '-in', join(dir, 'client.pem'), '-noout', '-text']);
    assert.match(text, /TLS Web Client Authentication/);
    assert.doesNotMatch(text, /TLS Web Server Authentication/);
    const recorded = server.core.readDb.prepare("SELECT profile FROM certificates WHERE subject LIKE '%opc-client%'").get() as { profile: string };
    assert.equal(recorded.profile, 'idial-client');
  });

  it('signs a server CSR with a server-auth certificate; pki_protocol defaults to internal', async () => {
    const answer = await api('POST', '/pki/sign-server-csr', { body: { csr: csr('opc-server') } });
    assert.equal(answer.status, 200, answer.text);
    writeFileSync(join(dir, 'server.pem'), answer.json.x509);
    assert.match(openssl(['x509', '-in', join(dir, 'server.pem'), '-noout', '-text']), /TLS Web Server Authentication/);
  });

  it('answers 501 for cmp, 400 for est without a validated configuration and for bad input', async () => {
    const cmp = await api('POST', '/pki/sign-client-csr', { body: { csr: csr('cmp'), pki_protocol: 'cmp' } });
    assert.equal(cmp.status, 501);
    assert.match(cmp.json.error, /cmp.*not implemented/);
    const est = await api('POST', '/pki/sign-client-csr', { body: { csr: csr('est'), pki_protocol: 'est' } });
    assert.equal(est.status, 400);
    assert.match(est.json.error, /no validated EST configuration/);
    for (const body of [{}, { csr: 'garbage' }, { csr: csr('x'), pki_protocol: 'scep' }]) {
      const answer = await api('POST', '/pki/sign-client-csr', { body });
      assert.equal(answer.status, 400, answer.text);
      assert.equal(typeof answer.json.error, 'string');
    }
  });

  it('records every refused sign request as EnrollmentRejected: endpoint, result, reason, subject and who asked', async () => {
    const since = await server.core.store.headPosition();
    assert.equal((await api('POST', '/pki/sign-client-csr', { body: { csr: csr('refused-cmp'), pki_protocol: 'cmp' } })).status, 501);
    assert.equal((await api('POST', '/pki/sign-server-csr', { body: { csr: csr('refused-est'), pki_protocol: 'est' } })).status, 400);
    assert.equal((await api('POST', '/pki/sign-server-csr', { key: 'not-a-token', body: { csr: csr('refused-key') } })).status, 401);
    const renewInternal = await api('POST', '/pki/sign-client-csr', { body: { csr: csr('refused-renew'), certificate: readFileSync(join(dir, 'client.pem'), 'utf8') } });
    assert.equal(renewInternal.status, 400);
    assert.match(renewInternal.json.error, /need pki_protocol "est"/);
    await server.core.runner.waitFor(await server.core.store.headPosition());
    const rows = server.core.readDb
      .prepare("SELECT type, action, result, actor, auth_method, subject, profile, reason FROM audit_events WHERE position > ? AND action LIKE 'idial_sign_%' ORDER BY position")
      .all(since) as Record<string, string | null>[];
    const { actor } = server.core.readDb.prepare("SELECT actor FROM audit_events WHERE type = 'CertificateIssued' AND subject = 'CN=opc-client'").get() as { actor: string };
    assert.ok(actor, 'the successful sign recorded who asked');
    assert.deepEqual(
      rows.map((row) => [row.type, row.action, row.result, row.actor, row.auth_method, row.subject, row.profile]),
      [
        ['EnrollmentRejected', 'idial_sign_client_csr', 'not_implemented', actor, 'api_key', 'CN=refused-cmp', 'idial-client'],
        ['EnrollmentRejected', 'idial_sign_server_csr', 'bad_request', actor, 'api_key', 'CN=refused-est', 'idial-server'],
        ['EnrollmentRejected', 'idial_sign_server_csr', 'unauthorized', null, 'api_key', null, 'idial-server'],
        ['EnrollmentRejected', 'idial_sign_client_csr', 'bad_request', actor, 'api_key', 'CN=refused-renew', 'idial-client'],
      ],
    );
    assert.match(rows[0].reason!, /cmp.*not implemented/);
    assert.match(rows[1].reason!, /no validated EST configuration/);
    assert.match(rows[2].reason!, /invalid API key/);
  });
});

/** An HTTPS server with Signet's own TLS certificate that answers every request with `handler`. */
async function fakeUpstream(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  const fake = createHttpsServer({ key: server.boot.tls.keyPem, cert: server.boot.tls.certPem }, handler);
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  return { fake, port: (fake.address() as AddressInfo).port };
}
const tlschain = () => Buffer.from(encodeCertsOnlyPkcs7(decodePem(readFileSync(join(server.dataDir, 'ca/chain.pem'), 'utf8') + readFileSync(rootPem, 'utf8')).map((block) => block.der))).toString('base64');

describe('IDIAL upstream answering BER (libest-style indefinite lengths)', () => {
  it('validates and enrolls against an upstream whose /cacerts and /simpleenroll answers are BER PKCS#7', async () => {
    // The upstream CA and the certificate it will issue, made with openssl; the answers in BER by openssl and python.
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ber-ca.key'), '-out', join(dir, 'ber-ca.pem'), '-subj', '/CN=BER upstream CA', '-days', '2']);
    const csrFile = opensslCsr(dir, 'ber-device', '/CN=ber-device');
    openssl(['x509', '-req', '-in', csrFile, '-CA', join(dir, 'ber-ca.pem'), '-CAkey', join(dir, 'ber-ca.key'), '-CAcreateserial', '-days', '1', '-out', join(dir, 'ber-device.pem')]);
    const caPem = readFileSync(join(dir, 'ber-ca.pem'), 'utf8');
    const leafPem = readFileSync(join(dir, 'ber-device.pem'), 'utf8');
    const cacerts = opensslStreamedSignedData(join(dir, 'ber-ca.pem'), join(dir, 'ber-ca.key'));
    const enrolled = pythonBerCertsOnly(leafPem + caPem);
    assert.deepEqual([cacerts[1], enrolled[1]], [0x80, 0x80], 'both answers use indefinite lengths');
    const { fake, port } = await fakeUpstream((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        if (req.url?.endsWith('/simpleenroll') && body.length < 16) return void res.writeHead(400).end('not a CSR');
        res.writeHead(200, { 'Content-Type': 'application/pkcs7-mime; smime-type=certs-only', 'Content-Transfer-Encoding': 'base64' });
        res.end(`${(req.url?.endsWith('/cacerts') ? cacerts : enrolled).toString('base64').replace(/.{64}/g, '$&\r\n')}\r\n`);
      });
    });
    try {
      const { id } = (await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, server: '127.0.0.1', port, tlschain: tlschain() } })).json as { id: number };
      const validated = await api('POST', `/pki/est/validate/${id}`);
      assert.equal(validated.status, 200, validated.text);
      const caDer = Buffer.from(decodePem(caPem)[0].der);
      assert.deepEqual(decodeCertsOnlyPkcs7(Buffer.from(validated.json.cacert, 'base64')).map((der) => Buffer.from(der)), [caDer], 'cacert is the BER answer re-encoded in DER');
      const signed = await api('POST', '/pki/sign-client-csr', { body: { csr: readFileSync(csrFile, 'utf8'), pki_protocol: 'est', est_id: id } });
      assert.equal(signed.status, 200, signed.text);
      assert.equal(signed.json.x509, leafPem.replace(/\r\n/g, '\n'));
      const recorded = server.core.readDb.prepare("SELECT issuer_id FROM certificates WHERE subject = 'CN=ber-device'").get() as { issuer_id: string };
      assert.equal(recorded.issuer_id, `est-upstream-${id}`);
    } finally {
      fake.close();
    }
  });
});

describe('IDIAL upstream failures', () => {
  it('a garbage /cacerts answer fails validation with 502 naming it', async () => {
    const { fake, port } = await fakeUpstream((_req, res) => res.end('hello, I am not EST'));
    try {
      const { id } = (await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, server: '127.0.0.1', port, tlschain: tlschain() } })).json as { id: number };
      const answer = await api('POST', `/pki/est/validate/${id}`);
      assert.equal(answer.status, 502, answer.text);
      assert.match(answer.json.error, /unusable answer/);
    } finally {
      fake.close();
    }
  });

  it('an upstream that never answers fails within the deadline as 504, recorded as a failed validation', async () => {
    const { fake, port } = await fakeUpstream(() => {});
    try {
      const upstreams = new UpstreamService(server.core, { timeoutMs: 300 });
      const { id } = (await api('POST', '/pki/est', { body: { ...SPEC_EXAMPLE, server: '127.0.0.1', port, tlschain: tlschain() } })).json as { id: number };
      const started = Date.now();
      const result = await upstreams.validate(id, { actor: 'test' });
      assert.ok(Date.now() - started < 3000);
      assert.deepEqual(result.ok ? undefined : [result.httpStatus, /no answer within 300 ms/.test(result.reason)], [504, true]);
      assert.match(upstreams.get(id).lastFailure ?? '', /no answer within 300 ms/);
    } finally {
      fake.closeAllConnections();
      fake.close();
    }
  });
});
