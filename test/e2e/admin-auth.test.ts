/**
 * Admin authentication over real TLS, in each mode of signet.toml `[admin] auth`: bearer (root token and the
 * bearer_token_env token), mtls (a client certificate from a test admin CA made with openssl; another CA's
 * certificate is 403, none or an expired one 401), both, and enabled = false (no admin listener at all).
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminClient, makeTestPki, type TestPki } from '../support/admin.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';
import { python } from '../support/tools.js';

const ENV_TOKEN_VAR = 'SIGNET_TEST_ADMIN_TOKEN';
const execFileAsync = promisify(execFile);

let dir: string;
let adminPki: TestPki;
let otherPki: TestPki;
let expiredClient: { cert: string; key: string };

function configWith(name: string, admin: string): Record<string, string> {
  const file = join(dir, `${name}.toml`);
  writeFileSync(file, `[admin]\n${admin}\n`);
  return { SIGNET_CONFIG: file };
}

/** A clientAuth certificate from the admin CA whose validity ended yesterday (python cryptography). */
function expiredCertificate(pki: TestPki): { cert: string; key: string } {
  const script = `
import sys, datetime
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
ca_cert = x509.load_pem_x509_certificate(open(${JSON.stringify(pki.caFile)}, 'rb').read())
ca_key = serialization.load_pem_private_key(open(${JSON.stringify(pki.caKeyFile)}, 'rb').read(), None)
key = ec.generate_private_key(ec.SECP256R1())
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, 'expired operator')]))
  .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
  .not_valid_before(now - datetime.timedelta(days=3)).not_valid_after(now - datetime.timedelta(days=1))
  .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
  .sign(ca_key, hashes.SHA256()))
sys.stdout.write(cert.public_bytes(serialization.Encoding.PEM).decode())
sys.stdout.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode())
`;
  const out = python(script);
  const split = out.indexOf('-----BEGIN PRIVATE KEY-----');
  return { cert: out.slice(0, split), key: out.slice(split) };
}

before(() => {
  dir = tempDir('signet-admin-auth-');
  adminPki = makeTestPki(dir, 'admin');
  otherPki = makeTestPki(dir, 'other');
  expiredClient = expiredCertificate(adminPki);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('admin auth = bearer (the default), with bearer_token_env', () => {
  let server: TestServer;
  const envToken = 'env-admin-token-1f6e2c0b9a';
  before(async () => {
    process.env[ENV_TOKEN_VAR] = envToken;
    server = await startTestServer({ env: configWith('bearer', `auth = "bearer"\nbearer_token_env = "${ENV_TOKEN_VAR}"`) });
  });
  after(async () => {
    delete process.env[ENV_TOKEN_VAR];
    await server.stop();
  });

  test('probes answer without credentials; everything else needs a valid bearer token', async () => {
    const anonymous = adminClient(server, {});
    assert.equal((await anonymous.json('/admin/health/live')).status, 200);
    const ready = await anonymous.json('/admin/health/ready');
    assert.deepEqual([ready.status, ready.body.status], [200, 'ready']);

    for (const path of ['/admin/health', '/admin/ca', '/admin/otp', '/admin/certs', '/admin/audit', '/admin/metrics']) {
      const none = await anonymous.json(path);
      assert.equal(none.status, 401, path);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.match(String(none.body.error), /bearer token/);
    }
    const wrong = await anonymous.json('/admin/health', { token: `${server.boot.rootToken}x` });
    assert.deepEqual([wrong.status, wrong.body], [401, { error: 'invalid bearer token' }]);
    const malformed = await anonymous.json('/admin/health', { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    assert.equal(malformed.status, 401);
    // The listener does not even ask for client certificates in bearer mode: one from the admin CA is ignored.
    assert.equal((await anonymous.json('/admin/health', { clientCert: adminPki.client })).status, 401);
  });

  test('the root token and the environment token both work, and the audit trail says which was used', async () => {
    const root = adminClient(server);
    assert.equal((await root.json('/admin/health')).status, 200);
    const viaEnv = adminClient(server, { token: envToken });
    const created = await viaEnv.json<{ token_id: string }>('/admin/otp', { method: 'POST', body: { label: 'env-token-otp' } });
    assert.equal(created.status, 201);
    const audit = await root.json<{ events: { action: string; actor: string; auth_method: string; subject: string }[] }>('/admin/audit?action=otp_generate');
    assert.deepEqual(
      audit.body.events.map((e) => [e.subject, e.actor, e.auth_method]),
      [['env-token-otp', `env:${ENV_TOKEN_VAR}`, 'bearer']],
    );
  });
});

describe('admin auth = mtls', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: configWith('mtls', `auth = "mtls"\ntrust_anchors = "${adminPki.caFile}"`) });
  });
  after(() => server.stop());

  test('a client certificate from the admin trust anchor is accepted and named in the audit trail', async () => {
    const admin = adminClient(server, { clientCert: adminPki.client });
    const health = await admin.json('/admin/health');
    assert.deepEqual([health.status, health.body.status], [200, 'healthy']);
    assert.equal((await admin.json('/admin/otp', { method: 'POST', body: { label: 'mtls-otp' } })).status, 201);
    const audit = await admin.json<{ events: { actor: string; auth_method: string }[] }>('/admin/audit?action=otp_generate');
    assert.deepEqual(audit.body.events.map((e) => [e.actor, e.auth_method]), [['CN=admin operator', 'mtls']]);
  });

  test('another CA’s certificate is 403; no certificate, an expired one, or a bearer token is 401', async () => {
    const other = await adminClient(server, { clientCert: otherPki.client }).json('/admin/health');
    assert.equal(other.status, 403);
    assert.match(String(other.body.error), /not issued by an admin trust anchor/);
    const none = await adminClient(server, {}).json('/admin/health');
    assert.deepEqual([none.status, none.body.error], [401, 'authentication required: present a client certificate']);
    assert.equal(none.headers['www-authenticate'], undefined, 'no Bearer challenge when bearer is not accepted');
    const expired = await adminClient(server, { clientCert: expiredClient }).json('/admin/health');
    assert.equal(expired.status, 401);
    assert.match(String(expired.body.error), /CERT_HAS_EXPIRED/);
    assert.equal((await adminClient(server).json('/admin/health')).status, 401, 'the root token alone is not enough in mtls mode');
  });

  test('curl with the admin client certificate, as the README shows', async (t) => {
    if (spawnSync('curl', ['--version']).error) {
      t.skip('curl is not installed');
      return;
    }
    const admin = adminClient(server, {});
    // Asynchronously: the server answering curl runs in this process.
    const curl = async (...args: string[]) => {
      const { stdout } = await execFileAsync('curl', ['-s', '--fail-with-body', '--cert', adminPki.clientFiles.cert, '--key', adminPki.clientFiles.key, '--cacert', join(server.dataDir, 'ca/root.pem'), ...args]);
      return JSON.parse(stdout) as unknown;
    };
    assert.equal(((await curl(`${admin.base}/admin/ca`)) as unknown[]).length, 2);
    const created = await curl('-X', 'POST', `${admin.base}/admin/otp`, '-H', 'Content-Type: application/json', '-d', '{"label": "device-42", "ttl": "24h", "max_uses": 1}');
    assert.deepEqual(Object.keys(created as object).sort(), ['expires', 'label', 'max_uses', 'token', 'token_id']);
  });

  test('probes stay open to orchestrators without a certificate', async () => {
    const anonymous = adminClient(server, {});
    assert.equal((await anonymous.json('/admin/health/live')).status, 200);
    assert.equal((await anonymous.json('/admin/health/ready')).status, 200);
  });
});

describe('admin auth = both', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ env: configWith('both', `auth = "both"\ntrust_anchors = "${adminPki.caFile}"`) });
  });
  after(() => server.stop());

  test('either a trusted client certificate or the bearer token is enough', async () => {
    assert.equal((await adminClient(server, { clientCert: adminPki.client }).json('/admin/ca')).status, 200);
    assert.equal((await adminClient(server).json('/admin/ca')).status, 200);
    assert.equal((await adminClient(server, { clientCert: otherPki.client, token: server.boot.rootToken }).json('/admin/ca')).status, 200);
  });

  test('refusals: nothing 401 (with a Bearer challenge), a wrong token 401, a foreign certificate alone 403', async () => {
    const none = await adminClient(server, {}).json('/admin/ca');
    assert.deepEqual([none.status, none.body.error], [401, 'authentication required: present a client certificate or a bearer token']);
    assert.equal(none.headers['www-authenticate'], 'Bearer');
    assert.equal((await adminClient(server, { token: 'nope' }).json('/admin/ca')).status, 401);
    assert.equal((await adminClient(server, { clientCert: otherPki.client }).json('/admin/ca')).status, 403);
  });
});

test('admin enabled = false opens no admin listener; the others still serve', async () => {
  const server = await startTestServer({ env: configWith('disabled', 'enabled = false') });
  try {
    assert.equal(server.listeners.admin, undefined);
    const ca = await fetch(`${server.listeners.public.url}/v1/pki/ca/pem`);
    assert.equal(ca.status, 200);
  } finally {
    await server.stop();
  }
});
