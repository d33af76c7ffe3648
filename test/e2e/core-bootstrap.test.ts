import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openssl, pythonCertSummary } from '../support/tools.js';
import { startTestServer, tempDir } from '../support/server.js';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;

/** The raw bytes of the SQLite event log, write-ahead log included. */
function rawLog(dataDir: string): string {
  const files = ['events.db', 'events.db-wal'].map((f) => join(dataDir, f)).filter((f) => existsSync(f));
  assert.ok(files.length > 0, 'event log exists');
  return files.map((f) => readFileSync(f).toString('latin1')).join('');
}

function httpsGet(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request(url, { ca, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });
}

describe('CA bootstrap and restart', () => {
  test('first start creates a verifiable CA, TLS cert and 0600 secrets; a second start keeps the same CA', async () => {
    const server = await startTestServer();
    const { dataDir } = server;
    const rootPem = readFileSync(join(dataDir, 'ca/root.pem'), 'utf8');
    const chainPem = readFileSync(join(dataDir, 'ca/chain.pem'), 'utf8');
    const tlsPem = readFileSync(join(dataDir, 'tls/server.pem'), 'utf8');
    assert.equal(server.boot.ca.created, true);

    // openssl agrees the chain is sound.
    assert.match(openssl(['verify', '-CAfile', join(dataDir, 'ca/root.pem'), join(dataDir, 'ca/chain.pem')]), /OK/);
    assert.match(openssl(['verify', '-CAfile', join(dataDir, 'ca/root.pem'), '-untrusted', join(dataDir, 'ca/chain.pem'), '-purpose', 'sslserver', join(dataDir, 'tls/server.pem')]), /OK/);

    // python cryptography parses every certificate, and sees the roles we meant.
    const [root] = pythonCertSummary(rootPem);
    const [issuing, rootAgain] = pythonCertSummary(chainPem);
    const [leaf] = pythonCertSummary(tlsPem);
    assert.equal(root.subject, 'CN=Signet Root CA,O=Signet');
    assert.equal(root.issuer, root.subject);
    assert.equal(root.ca, true);
    assert.equal(issuing.issuer, root.subject);
    assert.equal(issuing.ca, true);
    assert.equal(rootAgain.serial, root.serial);
    assert.equal(leaf.ca, false);
    assert.equal(leaf.issuer, issuing.subject);
    assert.deepEqual(leaf.sans.sort(), ['127.0.0.1', '::1', 'localhost'].sort());

    for (const secret of ['root-token', 'kek', 'tls/server-key.pem']) {
      assert.equal(statSync(join(dataDir, secret)).mode & 0o777, 0o600, `${secret} must be 0600`);
    }
    // No private key material in the event log in clear.
    const log = rawLog(dataDir);
    assert.match(log, /KeyGenerated/, 'the raw log is readable here, so the checks below can fail');
    assert.doesNotMatch(log, /PRIVATE KEY/);
    assert.doesNotMatch(log, new RegExp(readFileSync(join(dataDir, 'root-token'), 'utf8').trim()));

    // The listeners answer over real TLS with the issued certificate.
    const admin = server.listeners.admin!.url.replace('127.0.0.1', 'localhost');
    assert.equal((await httpsGet(`${admin}/admin/health/ready`, rootPem)).status, 200);
    assert.equal((await httpsGet(`${admin}/admin/health`, rootPem)).status, 401);
    const token = readFileSync(join(dataDir, 'root-token'), 'utf8').trim();
    const health = await httpsGet(`${admin}/admin/health`, rootPem, { authorization: `Bearer ${token}` });
    assert.equal(health.status, 200);
    assert.equal(JSON.parse(health.body).status, 'healthy');
    const fingerprint = server.boot.ca.rootFingerprint;
    await server.stop({ keepData: true });

    const again = await startTestServer({ dataDir });
    try {
      assert.equal(again.boot.ca.created, false);
      assert.equal(again.boot.ca.rootFingerprint, fingerprint);
      assert.equal(again.boot.tls.created, false, 'the TLS certificate is reused');
      assert.equal(readFileSync(join(dataDir, 'ca/root.pem'), 'utf8'), rootPem);
      assert.equal(again.core.queries.issuers.list().length, 2, 'no second CA');
      const plain = await fetch(`${again.listeners.public.url}/v1/pki/ca/pem`);
      assert.equal(plain.status, 200);
      // The issuing CA's certificate, first in chain.pem (OpenBao sends it without a trailing newline).
      assert.equal((await plain.text()).trim(), chainPem.slice(0, chainPem.indexOf('-----END CERTIFICATE-----') + 25));
    } finally {
      await again.stop();
    }
  });

  test('a lost root-token file gets a new root token; the old secret stops working', async () => {
    const server = await startTestServer();
    const { dataDir } = server;
    const first = readFileSync(join(dataDir, 'root-token'), 'utf8').trim();
    await server.stop({ keepData: true });
    rmSync(join(dataDir, 'root-token'));
    const again = await startTestServer({ dataDir });
    try {
      const second = readFileSync(join(dataDir, 'root-token'), 'utf8').trim();
      assert.notEqual(second, first);
      const rootPem = readFileSync(join(dataDir, 'ca/root.pem'), 'utf8');
      const admin = again.listeners.admin!.url.replace('127.0.0.1', 'localhost');
      assert.equal((await httpsGet(`${admin}/admin/health`, rootPem, { authorization: `Bearer ${first}` })).status, 401);
      assert.equal((await httpsGet(`${admin}/admin/health`, rootPem, { authorization: `Bearer ${second}` })).status, 200);
    } finally {
      await again.stop();
    }
  });
});

describe('a CA whose issuers were all deleted', () => {
  test('restarts without a CA (no new bootstrap, no hang) and serves again once a root is generated', async () => {
    const server = await startTestServer();
    const { dataDir } = server;
    const token = server.boot.rootToken;
    const rootPem = readFileSync(join(dataDir, 'ca/root.pem'), 'utf8');
    const api = server.listeners.api.url.replace('127.0.0.1', 'localhost');
    const call = (method: string, path: string, body?: object) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${api}${path}`, { method, ca: rootPem, headers: { 'x-vault-token': token, 'content-type': 'application/json' } }, (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        });
        req.on('error', reject);
        req.end(body ? JSON.stringify(body) : undefined);
      });
    assert.ok([200, 204].includes((await call('DELETE', '/v1/pki/root')).status));
    await server.stop({ keepData: true });

    const started = Date.now();
    const again = await startTestServer({ dataDir });
    try {
      assert.ok(Date.now() - started < 30_000, 'no wait for a bootstrap that will never come');
      assert.equal(again.boot.ca.present, false);
      assert.equal(again.core.queries.issuers.list().length, 0, 'deleting the CA is respected: no silent new CA');
      const generated = await new Promise<{ status: number }>((resolve, reject) => {
        const req = request(`${again.listeners.api.url.replace('127.0.0.1', 'localhost')}/v1/pki/root/generate/internal`, { method: 'POST', ca: rootPem, headers: { 'x-vault-token': token, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        });
        req.on('error', reject);
        req.end(JSON.stringify({ common_name: 'Replacement Root' }));
      });
      assert.equal(generated.status, 200);
      assert.equal(again.core.queries.issuers.list().length, 1);
    } finally {
      await again.stop();
    }
  });
});

describe('signet CLI', () => {
  test('a config error exits non-zero with one clear line', () => {
    const result = spawnSync(process.execPath, [SIGNET, 'serve'], { env: { ...process.env, SIGNET_EST_LISTEN: 'nonsense' }, encoding: 'utf8' });
    assert.equal(result.status, 2);
    assert.equal(result.stderr.trim().split('\n').length, 1);
    assert.match(result.stderr, /SIGNET_EST_LISTEN: expected host:port/);
  });

  test('an unknown key in signet.toml is reported with its path', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'signet.toml'), '[server]\nest_lisen = "127.0.0.1:1"\n');
    const result = spawnSync(process.execPath, [SIGNET, 'init'], { cwd: dir, env: { ...process.env, SIGNET_DATA_DIR: join(dir, 'data') }, encoding: 'utf8' });
    rmSync(dir, { recursive: true, force: true });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /signet\.toml: server: Unrecognized key/i);
  });

  test('serve shuts down cleanly on SIGTERM', async () => {
    const dir = tempDir();
    const env = { ...process.env, SIGNET_DATA_DIR: dir, SIGNET_EST_LISTEN: '127.0.0.1:0', SIGNET_API_LISTEN: '127.0.0.1:0', SIGNET_ADMIN_LISTEN: '127.0.0.1:0', SIGNET_PUBLIC_LISTEN: '127.0.0.1:0', SIGNET_LOG_LEVEL: 'info' };
    const child = spawn(process.execPath, [SIGNET, 'serve'], { env });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
      child.stdout.on('data', () => {
        if (out.includes('signet ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    rmSync(dir, { recursive: true, force: true });
    assert.equal(code, 0);
    assert.match(out, /"msg":"stopped"/);
  });

  test('otp create prints a token once and records only its hash', async () => {
    const dir = tempDir();
    const env = { ...process.env, SIGNET_DATA_DIR: dir };
    const result = spawnSync(process.execPath, [SIGNET, 'otp', 'create', '--label', 'line-7', '--ttl', '1h', '--max-uses', '5', '--json'], { env, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const created = JSON.parse(result.stdout) as { token: string; max_uses: number; label: string };
    assert.equal(created.max_uses, 5);
    assert.equal(created.label, 'line-7');
    const log = rawLog(dir);
    assert.match(log, /OtpIssued/);
    assert.doesNotMatch(log, new RegExp(created.token));
    const bad = spawnSync(process.execPath, [SIGNET, 'otp', 'create', '--label', 'x', '--ttl', 'soon'], { env, encoding: 'utf8' });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid ttl "soon"/);
    rmSync(dir, { recursive: true, force: true });
  });
});
