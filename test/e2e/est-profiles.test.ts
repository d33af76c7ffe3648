/**
 * EST profiles as CA state: the admin API's JSON CRUD over real TLS, profiles declared in signet.toml, and
 * enrollment following each change at once.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { estProfileStream } from '../../src/domain/est-profile.js';
import { curl, csrPem, csrPool } from '../support/est.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

function clientFor(server: TestServer) {
  const ca = join(server.dataDir, 'ca/root.pem');
  const admin = async (method: string, path: string, body?: unknown, auth = true) => {
    const answer = await curl([
      '--cacert', ca, '-X', method,
      ...(auth ? ['-H', `Authorization: Bearer ${server.boot.rootToken}`] : []),
      ...(body === undefined ? [] : ['-H', 'Content-Type: application/json', '-d', JSON.stringify(body)]),
      `${server.listeners.admin!.url}/admin/est/profiles${path}`,
    ]);
    const text = answer.body.toString();
    return { status: answer.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
  const enroll = async (label: string, auth: string) => {
    const csr = join(server.dataDir, 'profile-test.csr');
    writeFileSync(csr, csrPem(csrPool(1, 'field.example')[0]));
    return curl(['--cacert', ca, '-u', auth, '-H', 'Content-Type: application/pkcs10', '--data-binary', `@${csr}`, `${server.listeners.est.url}/.well-known/est/${label}/simpleenroll`]);
  };
  return { admin, enroll };
}

describe('EST profiles', () => {
  test('admin JSON CRUD: create, read, patch, replace, delete; enrollment follows every change', async () => {
    const server = await startTestServer();
    const { admin, enroll } = clientFor(server);
    try {
      assert.equal((await admin('GET', '', undefined, false)).status, 401);
      const listed = await admin('GET', '');
      assert.equal(listed.status, 200);
      assert.deepEqual((listed.json as unknown as { name: string }[]).map((p) => p.name), ['default']);

      const created = await admin('POST', '', { name: 'field', validity: '10d', basic_users: [{ username: 'tech', password: 'field password' }], auth_methods: ['otp', 'basic'] });
      assert.equal(created.status, 201);
      assert.equal(created.json?.validity, 864_000);
      assert.deepEqual(created.json?.basic_users, [{ username: 'tech' }]);
      assert.deepEqual(created.json?.allowed_keys, [{ type: 'ec', curves: ['P-256', 'P-384'] }, { type: 'ed25519' }, { type: 'rsa', min_bits: 2048 }]);
      assert.doesNotMatch(JSON.stringify(created.json), /scrypt|field password/);
      assert.equal((await admin('POST', '', { name: 'field' })).status, 409);
      assert.match(String((await admin('POST', '', { name: 'other', validty: '1d' })).json?.error), /unknown field "validty"/);
      assert.equal((await admin('POST', '', { name: 'other', issuer_ref: 'nosuchissuer' })).status, 400);
      assert.equal((await admin('POST', '', { name: 'simpleenroll' })).status, 400);
      assert.equal((await admin('GET', '/field')).json?.revision, 0);
      assert.equal((await admin('GET', '/nosuch')).status, 404);

      assert.equal((await enroll('field', 'tech:field password')).status, 200);
      const patched = await admin('PATCH', '/field', { auth_methods: ['otp'], names: { allow_ip_sans: false } });
      assert.equal(patched.status, 200);
      assert.equal(patched.json?.validity, 864_000, 'PATCH keeps what it does not name');
      assert.equal((patched.json?.names as Record<string, unknown>).allow_any_name, true);
      assert.equal((patched.json?.names as Record<string, unknown>).allow_ip_sans, false);
      assert.equal((await enroll('field', 'tech:field password')).status, 403, 'basic was just removed from the profile');

      const replaced = await admin('PUT', '/field', { auth_methods: ['basic'], basic_users: [{ username: 'tech' }] });
      assert.equal(replaced.status, 200);
      assert.equal(replaced.json?.validity, 365 * 86_400, 'PUT starts from the defaults');
      assert.equal((await enroll('field', 'tech:field password')).status, 200, 'the user kept its password hash');
      assert.equal((await admin('PUT', '/field', { name: 'renamed' })).status, 400);
      assert.equal((await admin('PUT', '/nosuch', {})).status, 404);

      assert.equal((await admin('DELETE', '/field')).status, 204);
      assert.equal((await admin('GET', '/field')).status, 404);
      assert.equal((await enroll('field', 'tech:field password')).status, 404);
      assert.equal((await admin('DELETE', '/default')).status, 403);

      await server.core.runner.waitFor(await server.core.store.headPosition());
      const actions = server.core.queries.audit.recent(50).filter((a) => a.profile === 'field' && a.action.startsWith('est_profile')).map((a) => a.action);
      assert.deepEqual(actions, ['est_profile_delete', 'est_profile_update', 'est_profile_update', 'est_profile_create']);
    } finally {
      await server.stop();
    }
  });

  test('profiles declared in signet.toml are created at start, updated when changed, untouched when not', async () => {
    const dataDir = tempDir();
    const anchors = join(dataDir, 'anchors.pem');
    const toml = (validity: string) => `
[[est.profiles]]
name = "lab"
auth_methods = ["basic", "otp"]
basic_users = [{ username = "robot", password = "lab password 1" }]
validity = "${validity}"
names = { allow_any_name = false, allowed_domains = ["lab.example"], allow_subdomains = true }
csrattrs = ["1.2.840.113549.1.9.7"]
`;
    writeFileSync(join(dataDir, 'signet.toml'), toml('7d'));
    let server = await startTestServer({ dataDir });
    const lab = async () => (await server.core.store.readStream(estProfileStream('lab'))).map((e) => e.type);
    try {
      assert.deepEqual(await lab(), ['EstProfileCreated']);
      assert.equal(server.core.queries.issuers.resolve('default') !== undefined, true);
      const otp = await new OtpService(server.core.commands).create({ label: 'lab', ttl: '1h', maxUses: 2 });
      const { enroll } = clientFor(server);
      assert.equal((await enroll('lab', `:${otp.token}`)).status, 403, 'CN field.example-0 is outside lab.example');
      writeFileSync(anchors, readFileSync(join(dataDir, 'ca/root.pem')));
    } finally {
      await server.stop({ keepData: true });
    }

    server = await startTestServer({ dataDir });
    try {
      assert.deepEqual(await lab(), ['EstProfileCreated'], 'the same declaration records nothing, the password included');
    } finally {
      await server.stop({ keepData: true });
    }

    writeFileSync(join(dataDir, 'signet.toml'), `${toml('14d')}trust_anchors = "${anchors}"\n`);
    server = await startTestServer({ dataDir });
    try {
      assert.deepEqual(await lab(), ['EstProfileCreated', 'EstProfileUpdated']);
      const { admin } = clientFor(server);
      const shown = (await admin('GET', '/lab')).json;
      assert.equal(shown?.validity, 14 * 86_400);
      assert.equal(shown?.trust_anchors, readFileSync(anchors, 'utf8'));
    } finally {
      await server.stop();
    }
  });

  test('a bad declaration stops the start with a config error naming it', async () => {
    const dataDir = tempDir();
    writeFileSync(join(dataDir, 'signet.toml'), '[[est.profiles]]\nname = "bad"\nauth_methods = ["telepathy"]\n');
    await assert.rejects(startTestServer({ dataDir }), /config error: est\.profiles\[0\]: auth_methods\[0\]: expected one of mtls, basic, otp/);
  });
});
