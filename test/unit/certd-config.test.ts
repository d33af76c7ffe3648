import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { mayWriteCertificate } from '../../src/certd/authorization.js';
import { CertdConfigDirectory, readCertdConfigDir } from '../../src/certd/config-dir.js';
import { parseCertdConfigFile } from '../../src/certd/config-file.js';
import { createLogger } from '../../src/app/logger.js';
import { loadConfig } from '../../src/config/config.js';
import { tempDir } from '../support/server.js';

const SPEC_EXAMPLE = `
# Each user should be listed as a [[principal]]
[[principal]]
uid = 1000
certs = ["example1", "example2"]

[[principal]]
uid = 1001
certs = ["example*"]
`;

function parsedError(text: string): string {
  const result = parseCertdConfigFile(text);
  assert.ok(!result.ok, `expected a refusal of:\n${text}`);
  return result.error;
}

describe('certd config.d file', () => {
  test("reads the spec's example principals", () => {
    const result = parseCertdConfigFile(SPEC_EXAMPLE);
    assert.ok(result.ok);
    assert.deepEqual(result.config.principals, [
      { uid: 1000, certs: ['example1', 'example2'] },
      { uid: 1001, certs: ['example*'] },
    ]);
  });

  test('reads issuance settings: local CA, named issuer, role, upstream EST', () => {
    const result = parseCertdConfigFile(`
[cert_issuance]
local_ca = { issuer = "issuing" }
[cert_issuance.est]
urls = { default = "https://est.example.com/.well-known/est" }
username = "device"
password = "secret"
[cert_issuance.example1]
method = "local_ca"
expiry_days = 7
common_name = "device-1"
[cert_issuance.example2]
method = "issuer"
issuer = "edge-ca"
[cert_issuance.example3]
method = "role"
role = "edge-modules"
[cert_issuance."example.4"]
method = "est"
url = "https://est.example.com/.well-known/est/edge"
[cert_issuance.example5]
method = "est"
upstream = 3
`);
    assert.ok(result.ok, result.ok ? '' : result.error);
    const { config } = result;
    assert.equal(config.localCaIssuer, 'issuing');
    assert.deepEqual(config.est, { urls: { default: 'https://est.example.com/.well-known/est' }, trustedCerts: [], auth: { username: 'device', password: 'secret' } });
    assert.deepEqual(config.issuance.get('example1'), { method: 'local_ca', expiryDays: 7, commonName: 'device-1' });
    assert.deepEqual(config.issuance.get('example2'), { method: 'issuer', issuer: 'edge-ca' });
    assert.deepEqual(config.issuance.get('example3'), { method: 'role', role: 'edge-modules' });
    assert.deepEqual(config.issuance.get('example.4'), { method: 'est', url: 'https://est.example.com/.well-known/est/edge' });
    assert.deepEqual(config.issuance.get('example5'), { method: 'est', upstream: 3 });
  });

  test('names the problem of a malformed file', () => {
    assert.match(parsedError('[[principal]\nuid = 1'), /not valid TOML/);
    assert.match(parsedError('[[principal]]\nuid = -1\ncerts = []'), /principal\.0\.uid/);
    assert.match(parsedError('[[principal]]\nuid = 4294967296\ncerts = []'), /principal\.0\.uid/);
    assert.match(parsedError('[[principal]]\nuid = 1.5\ncerts = []'), /principal\.0\.uid: must be an integer/);
    assert.match(parsedError('[[principal]]\nuid = "1000"\ncerts = []'), /principal\.0\.uid/);
    assert.match(parsedError('[[principal]]\nuid = 1000\ncerts = "example*"'), /principal\.0\.certs/);
    assert.match(parsedError('[[principal]]\nuid = 1000'), /principal\.0\.certs/);
    assert.match(parsedError('[[principal]]\nuid = 1000\ncerts = [""]'), /must not be empty/);
    assert.match(parsedError('[[principals]]\nuid = 1000\ncerts = []'), /principals/, 'a typo is an error, not silence');
    assert.match(parsedError('[cert_issuance.x]\nmethod = "self_signed"'), /cert_issuance\.x.*self_signed/);
    assert.match(parsedError('[cert_issuance.x]\nmethod = "issuer"'), /cert_issuance\.x\.issuer/);
    assert.match(parsedError('[cert_issuance.x]\nmethod = "local_ca"\nexpiry_days = 0'), /expiry_days: must be greater than 0/);
    assert.match(parsedError('[cert_issuance.x]\nmethod = "est"\nurl = "ftp://x"'), /cert_issuance\.x\.url/);
    assert.match(parsedError('[cert_issuance.x]\nmethod = "est"\nupstream = 0'), /cert_issuance\.x\.upstream: must be the id of an EST configuration/);
    assert.match(parsedError('[cert_issuance.est]\nupstream = "one"'), /cert_issuance\.est\.upstream/);
  });
});

describe('certd config.d directory', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const newDir = () => {
    const dir = tempDir('signet-certd-config-');
    dirs.push(dir);
    return dir;
  };

  test('reads only regular *.toml files directly in the directory, in name order', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'b.toml'), '[[principal]]\nuid = 2\ncerts = ["b"]\n');
    writeFileSync(join(dir, 'a.toml'), '[[principal]]\nuid = 1\ncerts = ["a"]\n');
    writeFileSync(join(dir, 'c.toml.disabled'), '[[principal]]\nuid = 3\ncerts = ["*"]\n');
    writeFileSync(join(dir, 'notes.txt'), '[[principal]]\nuid = 3\ncerts = ["*"]\n');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'nested.toml'), '[[principal]]\nuid = 4\ncerts = ["*"]\n');
    mkdirSync(join(dir, 'dir.toml'));
    const outside = join(newDir(), 'outside.toml');
    writeFileSync(outside, '[[principal]]\nuid = 5\ncerts = ["*"]\n');
    symlinkSync(outside, join(dir, 'link.toml'));

    const { config, files } = readCertdConfigDir(dir);
    assert.deepEqual(files.map((f) => f.file), [join(dir, 'a.toml'), join(dir, 'b.toml')]);
    assert.deepEqual(config.principals.map((p) => p.uid), [1, 2]);
  });

  test('a malformed file grants nothing and is reported; the other files still apply', () => {
    const dir = newDir();
    writeFileSync(join(dir, 'good.toml'), '[[principal]]\nuid = 1000\ncerts = ["example*"]\n');
    writeFileSync(join(dir, 'bad.toml'), '[[principal]]\nuid = 1001\ncerts = ["*"]\n\n[[principal]]\nuid = "oops"\ncerts = ["*"]\n');
    const { config, files } = readCertdConfigDir(dir);
    assert.ok(mayWriteCertificate(config, 1000, 'example1'));
    assert.ok(!mayWriteCertificate(config, 1001, 'example1'), 'the valid principal of a malformed file does not apply either');
    const bad = files.find((f) => f.file.endsWith('bad.toml'));
    assert.match(bad?.error ?? '', /principal\.1\.uid/);
  });

  test('a file any user may write grants nothing', () => {
    const dir = newDir();
    const file = join(dir, 'open.toml');
    writeFileSync(file, '[[principal]]\nuid = 1000\ncerts = ["*"]\n');
    chmodSync(file, 0o666);
    const { config, files } = readCertdConfigDir(dir);
    assert.equal(config.principals.length, 0);
    assert.match(files[0].error ?? '', /writable by any user/);
  });

  test('a missing directory is created; changes are picked up by watching, without any lookup', async () => {
    const dir = join(newDir(), 'config.d');
    const watched = new CertdConfigDirectory(dir, createLogger('silent'), 50);
    watched.start();
    try {
      assert.equal(watched.config.principals.length, 0);
      const before = watched.generation;
      writeFileSync(join(dir, 'svc.toml'), '[[principal]]\nuid = 1000\ncerts = ["svc-*"]\n');
      const deadline = Date.now() + 5000;
      while (watched.generation === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(mayWriteCertificate(watched.config, 1000, 'svc-1'), 'the new principal applies after the reload');

      const reloaded = watched.generation;
      rmSync(join(dir, 'svc.toml'));
      while (watched.generation === reloaded && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.ok(!mayWriteCertificate(watched.config, 1000, 'svc-1'), 'removing the file revokes the access');
    } finally {
      watched.close();
    }
  });
});

describe('certd settings in signet.toml and the environment', () => {
  test('default to the data directory, as the issue says', () => {
    const config = loadConfig({ SIGNET_DATA_DIR: '/var/lib/signet' }, '/nowhere');
    assert.equal(config.certd.socket, '/var/lib/signet/certd.sock');
    assert.equal(config.certd.configDir, '/var/lib/signet/certd/config.d');
    assert.equal(config.certd.socketGroup, undefined);
    assert.equal(config.certd.enabled, process.platform === 'linux');
  });

  test('[certd] in signet.toml, overridden by SIGNET_CERTD_*', () => {
    const dir = tempDir('signet-certd-toml-');
    try {
      writeFileSync(join(dir, 'signet.toml'), '[certd]\nenabled = false\nsocket = "run/certd.sock"\nsocket_group = "aziotcs"\nconfig_dir = "/etc/signet/certd/config.d"\n');
      const fromToml = loadConfig({}, dir);
      assert.deepEqual(fromToml.certd, { enabled: false, socket: join(dir, 'run/certd.sock'), socketGroup: 'aziotcs', configDir: '/etc/signet/certd/config.d' });
      const fromEnv = loadConfig({ SIGNET_CERTD_SOCKET: '/run/signet/certd.sock', SIGNET_CERTD_SOCKET_GROUP: 'edge', SIGNET_CERTD_CONFIG_DIR: '/etc/x' }, dir);
      assert.deepEqual(fromEnv.certd, { enabled: false, socket: '/run/signet/certd.sock', socketGroup: 'edge', configDir: '/etc/x' });
      writeFileSync(join(dir, 'signet.toml'), '[certd]\nsockets = "typo"\n');
      assert.throws(() => loadConfig({}, dir), /certd: Unrecognized key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
