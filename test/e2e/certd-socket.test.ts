/**
 * certd over its Unix socket, called by real users: the test creates a socket group and users, writes config.d
 * principals for them, and calls the socket with curl running as each user (setpriv with their real groups), so
 * the uid certd authorizes is the kernel's (SO_PEERCRED). Needs root, as the suite has.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { decodePem, derToPem } from '../../src/crypto/pem.js';
import { ROLE_DEFAULTS, roleDecider, roleStream } from '../../src/domain/role.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';
import { openssl, pythonCertSummary } from '../support/tools.js';

const API = '?api-version=2020-09-01';
const isRoot = process.getuid?.() === 0;

interface TestUser {
  name: string;
  uid: number;
}

interface CertdResponse {
  status: number;
  body: { pem?: string; message?: string } | undefined;
  curlExit: number;
  stderr: string;
}

describe('certd API over a Unix socket, callers identified by uid', { skip: isRoot ? false : 'needs root to create test users and run clients as them' }, () => {
  const tag = randomBytes(3).toString('hex');
  const group = `sgc${tag}`;
  const createdUsers: string[] = [];
  const dirs: string[] = [];
  let server: TestServer;
  let socket: string;
  let configDir: string;
  let work: string;
  let alice: TestUser; // example*
  let bob: TestUser; // dev-?
  let carol: TestUser; // in the socket group, no principal (until the reload test)
  let dave: TestUser; // not in the socket group

  function addUser(suffix: string, inGroup: boolean): TestUser {
    const name = `sgc${tag}${suffix}`;
    execFileSync('useradd', ['-M', '-N', '-s', '/usr/sbin/nologin', ...(inGroup ? ['-G', group] : []), name]);
    createdUsers.push(name);
    return { name, uid: Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim()) };
  }

  /** curl on the socket as `user` (with the groups /etc/group gives it), or as root. */
  function call(user: TestUser | 'root', method: string, path: string, body?: unknown): Promise<CertdResponse> {
    const curl = ['curl', '-sS', '--unix-socket', socket, '-X', method, '-w', '\n%{http_code}'];
    if (body !== undefined) curl.push('-H', 'content-type: application/json', '--data-binary', '@-');
    curl.push(`http://localhost${path}`);
    const argv = user === 'root' ? curl : ['setpriv', `--reuid=${user.name}`, '--regid=users', '--init-groups', ...curl];
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0], argv.slice(1));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (stdout += chunk));
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.on('error', reject);
      child.on('close', (code) => {
        const cut = stdout.lastIndexOf('\n');
        const text = stdout.slice(0, cut);
        resolve({ status: Number(stdout.slice(cut + 1)), body: text ? JSON.parse(text) : undefined, curlExit: code ?? -1, stderr });
      });
      child.stdin.end(body === undefined ? '' : JSON.stringify(body));
    });
  }

  function newCsr(commonName: string): { base64Der: string; pem: string; publicKeyPem: string } {
    const key = join(work, `${commonName}.key`);
    const pem = openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', key]);
    return { base64Der: Buffer.from(decodePem(pem)[0].der).toString('base64'), pem, publicKeyPem: openssl(['pkey', '-in', key, '-pubout']) };
  }

  async function waitForConfigReload(since: number): Promise<void> {
    const deadline = Date.now() + 5000;
    while (server.certd!.configDir.generation === since) {
      assert.ok(Date.now() < deadline, 'config.d change was not picked up within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  async function writeConfig(file: string, text: string): Promise<void> {
    const since = server.certd!.configDir.generation;
    writeFileSync(join(configDir, file), text, { mode: 0o644 });
    await waitForConfigReload(since);
  }

  before(async () => {
    execFileSync('groupadd', [group]);
    alice = addUser('a', true);
    bob = addUser('b', true);
    carol = addUser('c', true);
    dave = addUser('d', false);

    const socketDir = tempDir('signet-certd-sock-');
    chmodSync(socketDir, 0o755);
    configDir = tempDir('signet-certd-conf-');
    work = tempDir('signet-certd-work-');
    dirs.push(socketDir, configDir, work);
    socket = join(socketDir, 'certd.sock');
    writeFileSync(
      join(configDir, 'services.toml'),
      `[[principal]]
uid = ${alice.uid}
certs = ["example*"]

[[principal]]
uid = ${bob.uid}
certs = ["dev-?"]

[cert_issuance.example1]
method = "local_ca"

[cert_issuance.dev-1]
method = "issuer"
issuer = "issuing"
expiry_days = 2

[cert_issuance.example-role]
method = "role"
role = "edge-modules"

[cert_issuance.example-est]
method = "est"
url = "https://est.example.com/.well-known/est"
`,
    );
    server = await startTestServer({ env: { SIGNET_CERTD_SOCKET: socket, SIGNET_CERTD_SOCKET_GROUP: group, SIGNET_CERTD_CONFIG_DIR: configDir } });
  });

  after(async () => {
    await server?.stop();
    for (const name of createdUsers) execFileSync('userdel', [name]);
    execFileSync('groupdel', [group]);
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test('the socket is mode 0660 and belongs to the configured group', () => {
    const stat = statSync(socket);
    assert.ok(stat.isSocket());
    assert.equal(stat.mode & 0o777, 0o660);
    const gid = Number(execFileSync('getent', ['group', group], { encoding: 'utf8' }).split(':')[2]);
    assert.equal(stat.gid, gid);
  });

  test('a user outside the socket group cannot even connect', async () => {
    const response = await call(dave, 'GET', `/certificates/example1${API}`);
    assert.equal(response.curlExit, 7, `curl should fail to connect: ${response.stderr}`);
    assert.match(response.stderr, /Couldn't connect|Permission denied/i);
  });

  test('api-version is required and must be 2020-09-01', async () => {
    const missing = await call(carol, 'GET', '/certificates/example1');
    assert.equal(missing.status, 400);
    assert.equal(missing.body?.message, 'api-version not specified');
    const wrong = await call(alice, 'POST', '/certificates?api-version=2021-01-01', { certId: 'example1', csr: newCsr('x').base64Der });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body?.message ?? '', /invalid api-version "2021-01-01".*2020-09-01/);
  });

  test('an allowed caller creates a certificate from a CSR; it verifies against its chain with openssl', async () => {
    const csr = newCsr('example-device');
    const response = await call(alice, 'POST', `/certificates${API}`, { certId: 'example1', csr: csr.base64Der });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    const pem = response.body!.pem!;
    const blocks = decodePem(pem);
    assert.equal(blocks.length, 3, 'leaf, issuing CA, root');
    const summary = pythonCertSummary(pem);
    assert.equal(summary[0].subject, 'CN=example-device');
    assert.equal(summary[0].ca, false);
    assert.equal(summary[1].ca, true);
    assert.equal(summary[0].issuer, summary[1].subject, 'leaf first, then its issuer');

    const leaf = join(work, 'leaf.pem');
    const intermediates = join(work, 'intermediates.pem');
    const rootFromChain = join(work, 'root-from-chain.pem');
    writeFileSync(leaf, derToPem(blocks[0].der, 'CERTIFICATE'));
    writeFileSync(intermediates, derToPem(blocks[1].der, 'CERTIFICATE'));
    writeFileSync(rootFromChain, derToPem(blocks[2].der, 'CERTIFICATE'));
    assert.match(openssl(['verify', '-CAfile', rootFromChain, '-untrusted', intermediates, leaf]), /OK/);
    assert.match(openssl(['verify', '-CAfile', join(server.dataDir, 'ca', 'root.pem'), '-untrusted', intermediates, leaf]), /OK/);
    assert.equal(openssl(['x509', '-in', leaf, '-noout', '-pubkey']), csr.publicKeyPem, 'certified key is the CSR key');

    const read = await call(carol, 'GET', `/certificates/example1${API}`);
    assert.equal(read.status, 200, 'reading needs no authorization');
    assert.equal(read.body?.pem, pem);
  });

  test('the change is an event on certd-<certId>, by the kernel-identified uid', async () => {
    const events = await server.core.store.readStream('certd-example1');
    assert.equal(events.at(-1)?.type, 'CertdCertificateCreated');
    assert.equal(events.at(-1)?.metadata.actor, `uid:${alice.uid}`);
    assert.equal(events.at(-1)?.metadata.auth_method, 'peercred');
    const serial = (events.at(-1)?.data as { serial: string }).serial;
    assert.equal(server.core.queries.certificates.get(serial)?.issuerId, (events.at(-1)?.data as { issuerId: string }).issuerId, 'issued through IssuanceService');
    const audited = server.core.queries.audit.recent(50).find((row) => row.action === 'certd_create' && row.stream === 'certd-example1');
    assert.equal(audited?.actor, `uid:${alice.uid}`);
    assert.equal(audited?.serial, serial);
  });

  test('wildcards: example* and dev-? match as the spec says', async () => {
    const key = server.core.queries.issuers.key(server.core.queries.issuers.resolve('issuing')!.keyId!)!;
    const issuer = { certId: 'issuing', privateKeyHandle: key.name };
    const viaPattern = await call(alice, 'POST', `/certificates${API}`, { certId: 'example-edge-42', csr: newCsr('edge').pem, issuer });
    assert.equal(viaPattern.status, 201, JSON.stringify(viaPattern.body));
    const byKeyId = await call(alice, 'POST', `/certificates${API}`, { certId: 'example', csr: newCsr('bare').base64Der, issuer: { certId: 'issuing', privateKeyHandle: key.keyId } });
    assert.equal(byKeyId.status, 201, '* also matches nothing; the key id is a key reference too');

    const dev1 = await call(bob, 'POST', `/certificates${API}`, { certId: 'dev-1', csr: newCsr('dev-1').base64Der });
    assert.equal(dev1.status, 201, JSON.stringify(dev1.body));
    const notAfter = openssl(['x509', '-noout', '-enddate'], Buffer.from(derToPem(decodePem(dev1.body!.pem!)[0].der, 'CERTIFICATE')));
    const days = (Date.parse(notAfter.split('=')[1]) - Date.now()) / 86_400_000;
    assert.ok(days > 1.9 && days <= 2, `expiry_days = 2 applies, got ${days}`);

    for (const certId of ['dev-12', 'dev-', 'dev1']) {
      const refused = await call(bob, 'POST', `/certificates${API}`, { certId, csr: newCsr('x').base64Der, issuer });
      assert.equal(refused.status, 403, `${certId} is outside dev-?`);
    }
  });

  test('unlisted callers and IDs outside a principal get 403 with a JSON error', async () => {
    const csr = newCsr('intruder').base64Der;
    const outside = await call(alice, 'POST', `/certificates${API}`, { certId: 'dev-1', csr });
    assert.equal(outside.status, 403);
    assert.equal(outside.body?.message, `user ${alice.uid} is not authorized to modify the cert dev-1`);
    const unlisted = await call(carol, 'POST', `/certificates${API}`, { certId: 'example1', csr });
    assert.equal(unlisted.status, 403);
    assert.match(unlisted.body?.message ?? '', /not authorized/);
    assert.equal((await call(carol, 'DELETE', `/certificates/example1${API}`)).status, 403);
    assert.equal((await call(carol, 'PUT', `/certificates/example1${API}`, { pem: 'x' })).status, 403, 'authorization comes before the body is looked at');
    assert.equal((await call(carol, 'GET', `/certificates/example1${API}`)).status, 200, 'the refused calls changed nothing');
  });

  test("the caller's issuer must exist and its key handle must match", async () => {
    const csr = newCsr('x').base64Der;
    const unknown = await call(alice, 'POST', `/certificates${API}`, { certId: 'example9', csr, issuer: { certId: 'no-such-ca', privateKeyHandle: 'k' } });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body?.message ?? '', /^parameter "issuer.certId" has an invalid value/);
    const wrongKey = await call(alice, 'POST', `/certificates${API}`, { certId: 'example9', csr, issuer: { certId: 'issuing', privateKeyHandle: 'root-key' } });
    assert.equal(wrongKey.status, 403);
    const noSetting = await call(alice, 'POST', `/certificates${API}`, { certId: 'example9', csr });
    assert.equal(noSetting.status, 400, 'no issuer and no [cert_issuance] setting');
    assert.match(noSetting.body?.message ?? '', /issuer is required for locally-issued certs/);
    const badCsr = await call(alice, 'POST', `/certificates${API}`, { certId: 'example1', csr: 'bm90IGEgY3Ny' });
    assert.equal(badCsr.status, 400);
    assert.match(badCsr.body?.message ?? '', /^parameter "csr" has an invalid value/);
    const shape = await call(alice, 'POST', `/certificates${API}`, { certId: 7, csr });
    assert.equal(shape.status, 422);
  });

  test('import round trip, refusal of anything but certificates, DELETE 204', async () => {
    const selfSigned = openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=imported', '-days', '1']);
    const pem = selfSigned + readFileSync(join(server.dataDir, 'ca', 'root.pem'), 'utf8');
    const put = await call(alice, 'PUT', `/certificates/example-imported${API}`, { pem });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal(put.body?.pem, pem);
    const got = await call(bob, 'GET', `/certificates/example-imported${API}`);
    assert.equal(got.status, 200);
    assert.equal(got.body?.pem, pem, 'GET returns what was imported');

    const withKey = openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    const refused = await call(alice, 'PUT', `/certificates/example-imported${API}`, { pem: selfSigned + withKey });
    assert.equal(refused.status, 400);
    assert.match(refused.body?.message ?? '', /only CERTIFICATE blocks/);
    assert.equal((await call(bob, 'GET', `/certificates/example-imported${API}`)).body?.pem, pem, 'nothing half-written');

    assert.equal((await call(bob, 'DELETE', `/certificates/example-imported${API}`)).status, 403);
    const deleted = await call(alice, 'DELETE', `/certificates/example-imported${API}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, undefined);
    assert.equal((await call(bob, 'GET', `/certificates/example-imported${API}`)).status, 404);
    assert.equal((await call(alice, 'DELETE', `/certificates/example-imported${API}`)).status, 204, 'deleting again is no error, as in certd');
    const types = (await server.core.store.readStream('certd-example-imported')).map((e) => e.type);
    assert.deepEqual(types, ['CertdCertificateImported', 'CertdCertificateDeleted']);
  });

  test('an issuance setting can name an OpenBao role: the role decides through the /v1/pki sign path', async () => {
    const written = await server.core.commands.handle(roleStream('edge-modules'), roleDecider, {
      type: 'WriteRole',
      data: { name: 'edge-modules', role: { ...ROLE_DEFAULTS, allowedDomains: ['modules.local'], allowSubdomains: true, keyType: 'ec', keyBits: 256, ttl: 3600, maxTtl: 7200 } },
      now: new Date(),
    });
    await server.core.runner.waitFor(written.position!);
    const allowed = await call(alice, 'POST', `/certificates${API}`, { certId: 'example-role', csr: newCsr('hub.modules.local').base64Der });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    const [leaf] = pythonCertSummary(allowed.body!.pem!);
    assert.equal(leaf.subject, 'CN=hub.modules.local');
    const created = (await server.core.store.readStream('certd-example-role')).at(-1)!.data as { serial: string; role?: string };
    assert.equal(created.role, 'edge-modules');
    assert.equal(server.core.queries.certificates.get(created.serial)?.role, 'edge-modules');

    const refused = await call(alice, 'POST', `/certificates${API}`, { certId: 'example-role', csr: newCsr('elsewhere.example.com').base64Der });
    assert.equal(refused.status, 400, 'the role refuses names outside its domains');
  });

  test('an upstream EST setting whose URL names no EST configuration (/pki/est) is refused: 400, nothing recorded', async () => {
    // Issuing through a configured upstream is covered with a real upstream Signet in idial-ra.test.ts.
    const response = await call(alice, 'POST', `/certificates${API}`, { certId: 'example-est', csr: newCsr('est').base64Der });
    assert.equal(response.status, 400);
    assert.match(response.body?.message ?? '', /est\.example\.com.*matches no EST configuration/);
    assert.equal((await server.core.store.readStream('certd-example-est')).length, 0);
  });

  test('root may write any certificate, as in certd', async () => {
    const response = await call('root', 'POST', `/certificates${API}`, { certId: 'dev-1', csr: newCsr('by-root').base64Der });
    assert.equal(response.status, 201);
  });

  test('a malformed config file does not open access, and the valid files still apply', async () => {
    await writeConfig('zz-broken.toml', `[[principal]]\nuid = ${carol.uid}\ncerts = ["*"]\n\n[[principal]\nuid = ${carol.uid}\n`);
    assert.ok(server.certd!.configDir.files.some((f) => f.file.endsWith('zz-broken.toml') && f.error));
    const carolTries = await call(carol, 'POST', `/certificates${API}`, { certId: 'example1', csr: newCsr('c').base64Der });
    assert.equal(carolTries.status, 403);
    const aliceStill = await call(alice, 'POST', `/certificates${API}`, { certId: 'example1', csr: newCsr('a').base64Der });
    assert.equal(aliceStill.status, 201);
  });

  test('a new principal is picked up when config.d changes', async () => {
    await writeConfig('carol.toml', `[[principal]]\nuid = ${carol.uid}\ncerts = ["carol-*"]\n\n[cert_issuance.carol-1]\nmethod = "local_ca"\n`);
    const response = await call(carol, 'POST', `/certificates${API}`, { certId: 'carol-1', csr: newCsr('carol').base64Der });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    assert.equal((await call(carol, 'POST', `/certificates${API}`, { certId: 'example1', csr: newCsr('c').base64Der })).status, 403);

    const since = server.certd!.configDir.generation;
    rmSync(join(configDir, 'carol.toml'));
    await waitForConfigReload(since);
    assert.equal((await call(carol, 'DELETE', `/certificates/carol-1${API}`)).status, 403, 'removing the file revokes it');
  });
});
