/**
 * The OpenBao-compatible API driven as the spec's examples drive it: X-Vault-Token, LIST, --data @payload.json.
 * Every issued chain is checked by openssl, every certificate and key by python cryptography.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openssl, pythonCertSummary } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { baoClient, envelopeData, pythonKeyMatches, verifyChain, type BaoClient } from '../support/openbao.js';

let server: TestServer;
let bao: BaoClient;

function opensslCsr(subject: string, sans: string): { csr: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'signet-csr-'));
  try {
    const keyFile = join(dir, 'key.pem');
    const csr = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyFile, '-subj', subject, '-addext', `subjectAltName=${sans}`]);
    return { csr, key: readFileSync(keyFile, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenBao PKI API', () => {
  before(async () => {
    server = await startTestServer();
    bao = baoClient(server);
    const role = await bao.call('POST', '/v1/pki/roles/web', { data: { allowed_domains: ['example.com'], allow_subdomains: true, max_ttl: '72h', key_type: 'ec', organization: 'Example Ltd' } });
    envelopeData(role);
  });
  after(async () => {
    await server?.stop();
  });

  test('roles: write, read with defaults, LIST verb and ?list=true, merge-patch, delete', async () => {
    const role = envelopeData(await bao.call('GET', '/v1/pki/roles/web'));
    assert.deepEqual(role.allowed_domains, ['example.com']);
    assert.equal(role.max_ttl, 72 * 3600);
    assert.equal(role.key_type, 'ec');
    assert.equal(role.key_bits, 256);
    assert.equal(role.allow_localhost, true);
    assert.equal(role.server_flag, true);
    assert.deepEqual(role.key_usage, ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment']);
    assert.equal(role.not_before_duration, 30);

    envelopeData(await bao.call('POST', '/v1/pki/roles/scratch', { data: { allow_any_name: true } }));
    assert.deepEqual(envelopeData(await bao.call('LIST', '/v1/pki/roles')).keys, ['scratch', 'web']);
    assert.deepEqual(envelopeData(await bao.call('GET', '/v1/pki/roles?list=true')).keys, ['scratch', 'web']);
    assert.equal((await bao.call('PATCH', '/v1/pki/roles/scratch', { data: { ttl: '1h' } })).status, 415);
    const patched = envelopeData(await bao.call('PATCH', '/v1/pki/roles/scratch', { data: { ttl: '1h' }, headers: { 'Content-Type': 'application/merge-patch+json' } }));
    assert.equal(patched.ttl, 3600);
    assert.equal(patched.allow_any_name, true, 'a patch keeps what it does not name');
    assert.equal((await bao.call('DELETE', '/v1/pki/roles/scratch')).status, 204);
    const gone = await bao.call('GET', '/v1/pki/roles/scratch');
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.json, { errors: [] });
  });

  test('issue/:role generates the key server-side; openssl verifies the chain, python parses cert and key', async () => {
    const issued = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'www.example.com', alt_names: 'api.example.com', ip_sans: '192.0.2.10', ttl: '24h' } });
    const data = envelopeData(issued);
    assert.equal(issued.json.lease_id, '');
    assert.match(data.serial_number, /^([0-9a-f]{2}:){19}[0-9a-f]{2}$/);
    assert.equal(data.private_key_type, 'ec');
    assert.match(data.private_key, /^-----BEGIN EC PRIVATE KEY-----/);
    assert.equal(data.ca_chain.length, 2);
    assert.equal(data.issuing_ca, data.ca_chain[0]);
    assert.match(verifyChain(bao.rootPem, data.ca_chain, data.certificate, 'sslserver'), /OK/);
    const [leaf] = pythonCertSummary(data.certificate);
    assert.equal(leaf.subject, 'CN=www.example.com,O=Example Ltd');
    assert.deepEqual(leaf.sans.sort(), ['192.0.2.10', 'api.example.com', 'www.example.com']);
    assert.ok(pythonKeyMatches(data.private_key, data.certificate));
    assert.ok(data.expiration - data.not_before >= 24 * 3600, 'the TTL is honoured (plus the 30s backdate)');

    // The issuer/:ref variant picks the issuer from the path; der + pkcs8 formats.
    const der = envelopeData(await bao.call('POST', '/v1/pki/issuer/default/issue/web', { data: { common_name: 'db.example.com', format: 'der', private_key_format: 'pkcs8' } }));
    const certPem = openssl(['x509', '-inform', 'DER'], Buffer.from(der.certificate, 'base64'));
    assert.match(verifyChain(bao.rootPem, [data.ca_chain[0]], certPem), /OK/);
    assert.ok(pythonKeyMatches(der.private_key, certPem));

    // Any-key roles take key_type from the request; RSA and Ed25519 keys come out in OpenBao's formats.
    envelopeData(await bao.call('POST', '/v1/pki/roles/any', { data: { allow_any_name: true, key_type: 'any' } }));
    for (const keyType of ['rsa', 'ed25519']) {
      const other = envelopeData(await bao.call('POST', '/v1/pki/issue/any', { data: { common_name: `${keyType}.example.org`, key_type: keyType } }));
      assert.equal(other.private_key_type, keyType);
      assert.ok(pythonKeyMatches(other.private_key, other.certificate));
      assert.match(verifyChain(bao.rootPem, other.ca_chain, other.certificate), /OK/);
    }
  });

  test('sign/:role takes the CSR key and CN; sign-verbatim keeps the CSR subject as it is', async () => {
    const { csr } = opensslCsr('/C=DE/O=Ignored/CN=app.example.com', 'DNS:app.example.com,DNS:www.app.example.com');
    const signed = envelopeData(await bao.call('POST', '/v1/pki/sign/web', { data: { csr, ttl: '1h' } }));
    assert.match(verifyChain(bao.rootPem, signed.ca_chain, signed.certificate), /OK/);
    const [leaf] = pythonCertSummary(signed.certificate);
    assert.equal(leaf.subject, 'CN=app.example.com,O=Example Ltd', 'the role decides the subject, the CSR gives the CN');
    assert.deepEqual(leaf.sans.sort(), ['app.example.com', 'www.app.example.com']);
    assert.equal(signed.private_key, undefined);

    const verbatim = envelopeData(await bao.call('POST', '/v1/pki/sign-verbatim', { data: { csr, ext_key_usage: 'ClientAuth' } }));
    assert.match(verifyChain(bao.rootPem, verbatim.ca_chain, verbatim.certificate, 'sslclient'), /OK/);
    assert.equal(pythonCertSummary(verbatim.certificate)[0].subject, 'CN=app.example.com,O=Ignored,C=DE');
    const viaRole = envelopeData(await bao.call('POST', '/v1/pki/issuer/default/sign-verbatim/web', { data: { csr } }));
    assert.ok(viaRole.expiration - viaRole.not_before <= 72 * 3600 + 30, 'a named role lends its max_ttl');
  });

  test("refusals: names outside the role, TTL over max_ttl, unknown role, malformed JSON, and OpenBao's status codes", async () => {
    const outside = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'www.evil.org' } });
    assert.equal(outside.status, 400);
    assert.deepEqual(outside.json, { errors: ['common name www.evil.org not allowed by this role'] });
    const san = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'a.example.com', alt_names: 'b.evil.org' } });
    assert.deepEqual(san.json, { errors: ['subject alternate name b.evil.org not allowed by this role'] });
    const { csr } = opensslCsr('/CN=csr.evil.org', 'DNS:csr.evil.org');
    assert.deepEqual((await bao.call('POST', '/v1/pki/sign/web', { data: { csr } })).json, { errors: ['common name csr.evil.org not allowed by this role'] });
    const ttl = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'a.example.com', ttl: '100h' } });
    assert.equal(ttl.status, 400);
    assert.deepEqual(ttl.json, { errors: ['TTL "100h0m0s" is longer than permitted maxTTL "72h0m0s"'] });
    const unknown = await bao.call('POST', '/v1/pki/issue/nope', { data: { common_name: 'a.example.com' } });
    assert.deepEqual([unknown.status, unknown.json], [400, { errors: ['unknown role: nope'] }]);
    const malformed = await bao.call('POST', '/v1/pki/issue/web', { body: '{"common_name": ', headers: { 'Content-Type': 'application/json' } });
    assert.equal(malformed.status, 400);
    assert.match(malformed.json.errors[0], /^failed to parse JSON input/);
    const badField = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'a.example.com', ttl: 'soon' } });
    assert.equal(badField.status, 400);
    assert.equal((await bao.call('DELETE', '/v1/pki/issue/web')).status, 405);
    assert.equal((await bao.call('GET', '/v1/pki/no/such/path')).status, 404);
    // Refusals are audited as EnrollmentRejected events.
    const rejected = server.core.queries.audit.recent(50).filter((row) => row.type === 'EnrollmentRejected' && row.profile === 'web');
    assert.ok(rejected.some((row) => row.reason === 'common name www.evil.org not allowed by this role'));
  });

  test('missing or unknown tokens get 403 permission denied; unauthenticated paths stay open', async () => {
    for (const token of [null, 'sgn_not-a-token']) {
      const denied = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'a.example.com' }, token });
      assert.deepEqual([denied.status, denied.json], [403, { errors: ['permission denied'] }]);
      assert.equal((await bao.call('LIST', '/v1/pki/certs', { token })).status, 403);
    }
    const bearer = await bao.call('GET', '/v1/pki/roles/web', { token: null, headers: { Authorization: `Bearer ${bao.rootToken}` } });
    assert.equal(bearer.status, 200, 'Authorization: Bearer works too');
    assert.equal((await bao.call('GET', '/v1/pki/ca/pem', { token: null })).status, 200);
    assert.equal((await bao.call('LIST', '/v1/pki/issuers', { token: null })).status, 200);
  });

  test('a policy limits a token to pki/issue/web; tokens are created, looked up and revoked as in OpenBao', async () => {
    const policy = 'path "pki/issue/web" {\n  capabilities = ["update"]\n}\n';
    assert.equal((await bao.call('PUT', '/v1/sys/policies/acl/issue-web', { data: { policy } })).status, 204);
    assert.equal(envelopeData(await bao.call('GET', '/v1/sys/policies/acl/issue-web')).policy, policy);
    assert.ok(envelopeData(await bao.call('LIST', '/v1/sys/policies/acl')).keys.includes('issue-web'));
    assert.equal((await bao.call('PUT', '/v1/sys/policies/acl/broken', { data: { policy: 'path "x" { capabilities = ["fly"] }' } })).status, 400);

    const created = await bao.call('POST', '/v1/auth/token/create', { data: { policies: ['issue-web'], ttl: '1h', display_name: 'ci', meta: { team: 'web' } } });
    assert.equal(created.status, 200);
    const { auth } = created.json;
    assert.deepEqual(auth.policies, ['default', 'issue-web']);
    assert.equal(auth.lease_duration, 3600);
    assert.equal(auth.token_type, 'service');
    assert.deepEqual(auth.metadata, { team: 'web' });
    const token = auth.client_token as string;

    const issued = await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'ci.example.com' }, token });
    assert.equal(issued.status, 200);
    for (const [method, path] of [['GET', '/v1/pki/roles/web'], ['POST', '/v1/pki/issue/any'], ['LIST', '/v1/pki/certs'], ['POST', '/v1/pki/roles/web']]) {
      const denied = await bao.call(method, path, { data: method === 'POST' ? { common_name: 'x.example.com' } : undefined, token });
      assert.deepEqual([denied.status, denied.json], [403, { errors: ['permission denied'] }], `${method} ${path}`);
    }
    const self = envelopeData(await bao.call('GET', '/v1/auth/token/lookup-self', { token }));
    assert.deepEqual([self.accessor, self.display_name, self.policies, self.id], [auth.accessor, 'token-ci', ['default', 'issue-web'], token]);
    assert.ok(self.ttl > 3500 && self.ttl <= 3600);

    // A child may not hold policies its parent lacks.
    const beyond = await bao.call('POST', '/v1/auth/token/create', { data: { policies: ['root'] }, token });
    assert.equal(beyond.status, 403);
    assert.equal((await bao.call('POST', '/v1/auth/token/revoke', { data: { token } })).status, 204);
    assert.equal((await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'ci.example.com' }, token })).status, 403);
  });

  test('certificate reads (JSON, DER, PEM), CA reads, listings, and the public plain-http listener', async () => {
    const issued = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'read.example.com' } }));
    const serial = issued.serial_number as string;
    const json = envelopeData(await bao.call('GET', `/v1/pki/cert/${serial}`, { token: null }));
    assert.equal(json.certificate, issued.certificate.trim());
    assert.equal(json.revocation_time, 0);
    const raw = await bao.call('GET', `/v1/pki/cert/${serial.replace(/:/g, '-')}/raw`, { token: null });
    assert.equal(raw.headers['content-type'], 'application/pkix-cert');
    assert.match(openssl(['x509', '-inform', 'DER', '-noout', '-subject'], raw.body), /read\.example\.com/);
    assert.equal((await bao.call('GET', `/v1/pki/cert/${serial}/raw/pem`, { token: null })).text, issued.certificate.trim());
    assert.equal((await bao.call('GET', '/v1/pki/cert/00:11/raw')).status, 204);
    assert.match(envelopeData(await bao.call('GET', '/v1/pki/cert/crl', { token: null })).certificate, /BEGIN X509 CRL/, 'cert/crl stays with the revocation endpoints');
    assert.equal((await bao.call('GET', '/v1/pki/cert/00:11')).status, 404);

    const ca = await bao.call('GET', '/v1/pki/ca', { token: null });
    assert.equal(ca.headers['content-type'], 'application/pkix-cert');
    assert.equal(openssl(['x509', '-inform', 'DER'], ca.body).trim(), issued.issuing_ca.trim());
    const chain = (await bao.call('GET', '/v1/pki/ca_chain', { token: null })).text;
    assert.equal(pythonCertSummary(chain).length, 2);
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/cert/ca_chain', { token: null })).ca_chain, chain);
    assert.ok(envelopeData(await bao.call('LIST', '/v1/pki/certs')).keys.includes(serial));

    // The same unauthenticated reads over plain http, and nothing else.
    assert.equal((await bao.publicCall('GET', '/v1/pki/ca/pem')).text, issued.issuing_ca.trim());
    assert.equal(envelopeData(await bao.publicCall('GET', `/v1/pki/cert/${serial}`)).certificate, json.certificate);
    const issuers = envelopeData(await bao.publicCall('LIST', '/v1/pki/issuers'));
    assert.equal(issuers.keys.length, 2);
    assert.equal(Object.values(issuers.key_info as Record<string, { is_default: boolean }>).filter((i) => i.is_default).length, 1);
    for (const path of ['/v1/pki/certs?list=true', '/v1/pki/roles/web']) assert.equal((await bao.publicCall('GET', path)).status, 404, path);
  });

  test('revoke by serial and by certificate; revoke-with-key proves possession; issuers cannot be revoked here', async () => {
    const a = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'revoke-a.example.com' } }));
    const revoked = envelopeData(await bao.call('POST', '/v1/pki/revoke', { data: { serial_number: a.serial_number } }));
    assert.equal(revoked.state, 'revoked');
    assert.ok(Math.abs(revoked.revocation_time - Date.now() / 1000) < 10);
    const again = envelopeData(await bao.call('POST', '/v1/pki/revoke', { data: { serial_number: a.serial_number } }));
    assert.equal(again.revocation_time, revoked.revocation_time, 'revoking twice answers the first revocation');
    const read = envelopeData(await bao.call('GET', `/v1/pki/cert/${a.serial_number}`));
    assert.equal(read.revocation_time, revoked.revocation_time);
    assert.ok(read.issuer_id);
    assert.ok(envelopeData(await bao.call('LIST', '/v1/pki/certs/revoked')).keys.includes(a.serial_number));

    const b = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'revoke-b.example.com' } }));
    const other = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'other.example.com' } }));
    const wrongKey = await bao.call('POST', '/v1/pki/revoke-with-key', { data: { certificate: b.certificate, private_key: other.private_key } });
    assert.deepEqual(wrongKey.json, { errors: ["provided private key does not match certificate's public key"] });
    assert.equal(envelopeData(await bao.call('POST', '/v1/pki/revoke-with-key', { data: { serial_number: b.serial_number, private_key: b.private_key } })).state, 'revoked');
    const byCert = envelopeData(await bao.call('POST', '/v1/pki/revoke', { data: { certificate: other.certificate } }));
    assert.equal(byCert.state, 'revoked');

    assert.equal((await bao.call('POST', '/v1/pki/revoke', { data: {} })).status, 400);
    assert.deepEqual((await bao.call('POST', '/v1/pki/revoke', { data: { serial_number: '01:02' } })).json, { errors: ['certificate with serial 01:02 not found.'] });
    const issuer = envelopeData(await bao.call('GET', '/v1/pki/issuer/default'));
    const serialOfIssuer = pythonCertSummary(issuer.certificate)[0].serial.padStart(40, '0').match(/../g)!.join(':');
    const refused = await bao.call('POST', '/v1/pki/revoke', { data: { certificate: issuer.ca_chain[0] } });
    assert.equal(refused.status, 400, serialOfIssuer);
  });

  test('config/urls go into issued certificates; no_store certificates are recorded but not listed', async () => {
    const urls = { issuing_certificates: 'http://pki.example.com/ca', crl_distribution_points: 'http://pki.example.com/crl', ocsp_servers: 'http://pki.example.com/ocsp' };
    const set = envelopeData(await bao.call('POST', '/v1/pki/config/urls', { data: urls }));
    assert.deepEqual(set.ocsp_servers, ['http://pki.example.com/ocsp']);
    assert.deepEqual(envelopeData(await bao.call('POST', '/v1/pki/config/urls', { data: { ocsp_servers: [] } })).crl_distribution_points, ['http://pki.example.com/crl'], 'fields left out keep their values');
    envelopeData(await bao.call('POST', '/v1/pki/config/urls', { data: urls }));
    const issued = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'aia.example.com' } }));
    const text = openssl(['x509', '-noout', '-text'], Buffer.from(issued.certificate));
    assert.match(text, /URI:http:\/\/pki\.example\.com\/crl/);
    assert.match(text, /OCSP - URI:http:\/\/pki\.example\.com\/ocsp/);
    assert.match(text, /CA Issuers - URI:http:\/\/pki\.example\.com\/ca/);
    // Templated AIA: {{cluster_aia_path}} from config/cluster, {{issuer_id}} of the issuing CA.
    const cluster = envelopeData(await bao.call('POST', '/v1/pki/config/cluster', { data: { path: 'https://pki.example.com/v1/pki', aia_path: 'http://aia.example.com/v1/pki' } }));
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/config/cluster')).aia_path, cluster.aia_path);
    envelopeData(await bao.call('POST', '/v1/pki/config/urls', { data: { issuing_certificates: '{{cluster_aia_path}}/issuer/{{issuer_id}}/der', crl_distribution_points: [], ocsp_servers: [], enable_templating: true } }));
    const templated = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'aia2.example.com' } }));
    const defaultIssuer = envelopeData(await bao.call('GET', '/v1/pki/issuer/default')).issuer_id as string;
    assert.match(openssl(['x509', '-noout', '-text'], Buffer.from(templated.certificate)), new RegExp(`CA Issuers - URI:http://aia\\.example\\.com/v1/pki/issuer/${defaultIssuer}/der`));
    envelopeData(await bao.call('POST', '/v1/pki/config/urls', { data: { issuing_certificates: [], crl_distribution_points: [], ocsp_servers: [], enable_templating: false } }));
    assert.equal((await bao.call('POST', '/v1/pki/config/urls', { data: { ocsp_servers: 'not a url' } })).status, 400);

    envelopeData(await bao.call('POST', '/v1/pki/roles/ephemeral', { data: { allow_any_name: true, no_store: true, key_type: 'ec' } }));
    const quiet = envelopeData(await bao.call('POST', '/v1/pki/issue/ephemeral', { data: { common_name: 'quiet.example.com' } }));
    assert.ok(!envelopeData(await bao.call('LIST', '/v1/pki/certs')).keys.includes(quiet.serial_number));
    const hex = quiet.serial_number.replace(/:/g, '');
    assert.equal((await server.core.store.readStream(`cert-${hex}`)).length, 1, 'the issuance is still an event');
  });

  test('tidy drops expired certificates from the read models after the safety buffer; the log keeps them', async () => {
    const expired = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'old.example.com', not_after: new Date(Date.now() - 10_000).toISOString().replace(/\.\d+Z$/, 'Z') } }));
    const fresh = envelopeData(await bao.call('POST', '/v1/pki/issue/web', { data: { common_name: 'fresh.example.com' } }));
    assert.ok(envelopeData(await bao.call('LIST', '/v1/pki/certs')).keys.includes(expired.serial_number));
    const cancel = await bao.call('POST', '/v1/pki/tidy-cancel');
    assert.deepEqual(cancel.json.warnings, ['Tidy operation cannot be cancelled as none is currently running.']);
    const started = await bao.call('POST', '/v1/pki/tidy', { data: { tidy_cert_store: true, safety_buffer: '1s' } });
    assert.equal(started.status, 202);
    let status = envelopeData(await bao.call('GET', '/v1/pki/tidy-status'));
    for (let i = 0; i < 50 && status.state === 'Running'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      status = envelopeData(await bao.call('GET', '/v1/pki/tidy-status'));
    }
    assert.equal(status.state, 'Finished');
    assert.ok(status.cert_store_deleted_count >= 1);
    assert.equal(status.safety_buffer, 1);
    const listed = envelopeData(await bao.call('LIST', '/v1/pki/certs')).keys;
    assert.ok(!listed.includes(expired.serial_number));
    assert.ok(listed.includes(fresh.serial_number));
    assert.equal((await bao.call('GET', `/v1/pki/cert/${expired.serial_number}`)).status, 404);
    const events = await server.core.store.readStream(`cert-${expired.serial_number.replace(/:/g, '')}`);
    assert.equal(events[0].type, 'CertificateIssued', 'tidy never rewrites history');

    const auto = envelopeData(await bao.call('POST', '/v1/pki/config/auto-tidy', { data: { enabled: true, tidy_cert_store: true, interval_duration: '24h' } }));
    assert.deepEqual([auto.enabled, auto.interval_duration, auto.safety_buffer], [true, 86400, 259200]);
    assert.equal((await bao.call('POST', '/v1/pki/config/auto-tidy', { data: { enabled: true, tidy_cert_store: false } })).status, 400);
    assert.equal(envelopeData(await bao.call('GET', '/v1/pki/config/auto-tidy')).enabled, true);
  });
});
