/**
 * The privileged revocation endpoints on the API listener (OpenBao shapes, X-Vault-Token): config/crl, crl/rotate,
 * crl/rotate-delta, sign-revocation-list, resign-crls; and the issuing distribution point once config/urls is set.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseCrl } from '../../src/crypto/crl.js';
import { derToPem, pemToDer } from '../../src/crypto/pem.js';
import { httpsCall } from '../support/admin.js';
import { openssl } from '../support/tools.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
let dir: string;
let rootPem: string;

function api(path: string, options: { method?: string; body?: object; token?: string | null } = {}) {
  const token = options.token === undefined ? server.boot.rootToken : options.token;
  return httpsCall(`${server.listeners.api.url.replace('127.0.0.1', 'localhost')}/v1/pki/${path}`, rootPem, {
    method: options.method ?? (options.body ? 'POST' : 'GET'),
    ...(options.body ? { body: options.body } : {}),
    headers: token ? { 'x-vault-token': token } : {},
  });
}

async function apiJson<T = Record<string, unknown>>(path: string, options: Parameters<typeof api>[1] = {}): Promise<{ status: number; body: { data: T; errors?: string[] } }> {
  const result = await api(path, options);
  return { status: result.status, body: JSON.parse(result.body) as { data: T; errors?: string[] } };
}

function verifyCrlPem(pem: string, name: string): string {
  const file = join(dir, name);
  writeFileSync(file, pem);
  return openssl(['crl', '-in', file, '-noout', '-text', '-verify', '-CAfile', join(server.dataDir, 'ca/chain.pem')]);
}

before(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'signet-revocation-api-'));
  rootPem = readFileSync(join(server.dataDir, 'ca/root.pem'), 'utf8');
});

after(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('revocation API (privileged endpoints)', () => {
  it('config/crl answers the defaults, takes OpenBao-style values, validates, and needs a token', async () => {
    const defaults = await apiJson('config/crl');
    assert.equal(defaults.status, 200);
    assert.deepEqual(
      { ...defaults.body.data },
      { expiry: '72h', disable: false, ocsp_disable: false, ocsp_expiry: '12h', auto_rebuild: false, auto_rebuild_grace_period: '12h', enable_delta: false, delta_rebuild_interval: '15m', cross_cluster_revocation: false, unified_crl: false, unified_crl_on_existing_paths: false },
    );
    const invalid = await apiJson('config/crl', { body: { enable_delta: true } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.errors![0], /auto rebuild/);
    const written = await apiJson<Record<string, unknown>>('config/crl', { body: { expiry: '48h', auto_rebuild: 'true', enable_delta: true, delta_rebuild_interval: '10m' } });
    assert.equal(written.status, 200);
    assert.equal(written.body.data.expiry, '48h');
    assert.equal(written.body.data.enable_delta, true);
    assert.equal((await apiJson<Record<string, unknown>>('config/crl')).body.data.delta_rebuild_interval, '10m');
    assert.equal((await api('config/crl', { token: null })).status, 403);
  });

  it('config/crl reads a JSON body under curl --data\'s form content type, and real form fields too', async () => {
    const post = (body: string) =>
      httpsCall(`${server.listeners.api.url.replace('127.0.0.1', 'localhost')}/v1/pki/config/crl`, rootPem, {
        method: 'POST',
        body,
        headers: { 'x-vault-token': server.boot.rootToken, 'content-type': 'application/x-www-form-urlencoded' },
      });
    const json = await post('{"expiry":"24h"}');
    assert.equal(json.status, 200, json.body);
    assert.equal((JSON.parse(json.body) as { data: { expiry: string } }).data.expiry, '24h');
    const form = await post('expiry=48h');
    assert.equal(form.status, 200, form.body);
    assert.equal((JSON.parse(form.body) as { data: { expiry: string } }).data.expiry, '48h');
    const broken = await post('{"expiry":');
    assert.equal(broken.status, 400);
    assert.match((JSON.parse(broken.body) as { errors: string[] }).errors[0]!, /failed to parse JSON input/);
  });

  it('crl/rotate and crl/rotate-delta rebuild with rising numbers; the delta names the complete CRL', async () => {
    assert.deepEqual((await apiJson('crl/rotate')).body.data, { success: true });
    const full = parseCrl(pemToDer((await api('crl/pem')).body, 'X509 CRL'));
    assert.deepEqual((await apiJson('crl/rotate-delta')).body.data, { success: true });
    const delta = parseCrl(pemToDer((await api('crl/delta/pem')).body, 'X509 CRL'));
    assert.equal(delta.deltaBaseCrlNumber, full.crlNumber);
    assert.ok(delta.crlNumber! > full.crlNumber!);
    assert.equal(full.nextUpdate! - full.thisUpdate, 48 * 3600_000, 'nextUpdate follows config/crl expiry');
    assert.equal((await api('crl/rotate', { token: null })).status, 403);
  });

  it('sign-revocation-list signs the given entries verbatim and refuses reserved extensions', async () => {
    const body = {
      crl_number: '10',
      next_update: '24h',
      format: 'pem',
      revoked_certs: [
        { serial_number: '39:dd:2e:90:b7:23:1f:8d:d3:7d:31:c5:1b:da:84:d0:5b:65:31:58', revocation_time: '2009-11-10T23:00:00Z' },
        { serial_number: '40-33-2e', revocation_time: '1257894000', extensions: [{ id: '2.5.29.21', critical: false, value: Buffer.from([0x0a, 0x01, 0x01]).toString('base64') }] },
      ],
    };
    const signed = await apiJson<{ crl: string }>('issuer/default/sign-revocation-list', { body });
    assert.equal(signed.status, 200, JSON.stringify(signed.body));
    const text = verifyCrlPem(signed.body.data.crl, 'signed.pem');
    assert.match(text, /CRL Number:\s*\n\s*10/);
    assert.match(text, /Serial Number: 39DD2E90B7231F8DD37D31C51BDA84D05B653158\s*\n\s*Revocation Date: Nov 10 23:00:00 2009 GMT/);
    assert.match(text, /Serial Number: 40332E[\s\S]*?Key Compromise/);
    const reserved = await apiJson('issuer/default/sign-revocation-list', { body: { crl_number: 1, extensions: [{ id: '2.5.29.20', critical: false, value: 'AgEB' }] } });
    assert.equal(reserved.status, 400);
    const missing = await apiJson('issuer/default/sign-revocation-list', { body: { revoked_certs: [] } });
    assert.equal(missing.status, 400);
    assert.equal((await api('issuer/default/sign-revocation-list', { body, token: null })).status, 403);
  });

  it('resign-crls combines CRLs of the issuer into one with the given number and delta base', async () => {
    const first = await apiJson<{ crl: string }>('issuer/default/sign-revocation-list', { body: { crl_number: 1, revoked_certs: [{ serial_number: '0a', revocation_time: 1700000000 }] } });
    const second = await apiJson<{ crl: string }>('issuer/default/sign-revocation-list', { body: { crl_number: 2, revoked_certs: [{ serial_number: '0b', revocation_time: 1700000001 }, { serial_number: '0a', revocation_time: 1600000000 }] } });
    const combined = await apiJson<{ crl: string }>('issuer/default/resign-crls', { body: { crl_number: 7, delta_crl_base_number: 5, format: 'der', crls: [first.body.data.crl, second.body.data.crl] } });
    assert.equal(combined.status, 200, JSON.stringify(combined.body));
    const der = Buffer.from(combined.body.data.crl, 'base64');
    const parsed = parseCrl(der);
    assert.equal(parsed.crlNumber, 7);
    assert.equal(parsed.deltaBaseCrlNumber, 5);
    assert.deepEqual(parsed.entries.map((e) => [e.serialHex, e.revokedAt / 1000]).sort(), [['0a', 1600000000], ['0b', 1700000001]]);
    verifyCrlPem(derToPem(der, 'X509 CRL'), 'combined.pem');
    const rootCrl = (await apiJson<{ crl: string }>(`issuer/root/crl`)).body.data.crl;
    const foreign = await apiJson('issuer/default/resign-crls', { body: { crl_number: 8, crls: [rootCrl] } });
    assert.equal(foreign.status, 400, 'a CRL signed by another issuer is refused');
  });

  it('with config/urls set, CRLs carry an issuing distribution point naming those URLs', async () => {
    const urls = await api('config/urls', { body: { crl_distribution_points: ['http://crl.example/{{issuer_id}}.crl'], enable_templating: true } });
    assert.ok(urls.status === 200 || urls.status === 204, urls.body);
    await apiJson('crl/rotate');
    const issuerId = server.core.queries.issuers.resolve('default')!.issuerId;
    const crl = parseCrl(pemToDer((await api('crl/pem')).body, 'X509 CRL'));
    assert.deepEqual(crl.distributionPointUrls, [`http://crl.example/${issuerId}.crl`]);
    const delta = parseCrl(pemToDer((await api('crl/delta/pem')).body, 'X509 CRL'));
    assert.deepEqual(delta.distributionPointUrls, crl.distributionPointUrls, 'a delta has the same IDP as its base');
  });
});
