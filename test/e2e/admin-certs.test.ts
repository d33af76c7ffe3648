/**
 * Admin certificate lifecycle over real TLS: list with every filter and paging edge, detail (checked against
 * openssl and python cryptography), revocation with RFC 5280 reason names, and refusals.
 */
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { adminClient, issueCertificate, opensslCsr, type Paged } from '../support/admin.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';
import { openssl, pythonCertSummary } from '../support/tools.js';

interface CertSummary {
  serial: string;
  subject: string;
  issuer: string;
  not_before: string;
  not_after: string;
  status: string;
  ca_id: string;
}
type CertPage = Paged<'certs', CertSummary>;

let server: TestServer;
let admin: ReturnType<typeof adminClient>;
let dir: string;
/** Serials of device-1..5 (oldest first), the renewal of device-1, and a short-lived certificate. */
const devices: string[] = [];
let renewal: string;
let shortLived: string;

const page = (query: string) => admin.json<CertPage>(`/admin/certs${query}`);
const serials = (body: CertPage) => body.certs.map((c) => c.serial);
/** Upper case with colons, as openssl prints serials. */
const colonUpper = (serial: string) => serial.toUpperCase().match(/../g)!.join(':');

before(async () => {
  server = await startTestServer();
  admin = adminClient(server);
  dir = tempDir('signet-admin-certs-');
  for (let i = 1; i <= 5; i++) {
    const csr = opensslCsr(dir, `device-${i}`, `/O=Example/CN=device-${i}.example.com`);
    devices.push((await issueCertificate(server, csr.csrDer)).serial);
  }
  const again = opensslCsr(dir, 'device-1-renewal', '/O=Example/CN=device-1.example.com');
  renewal = (await issueCertificate(server, again.csrDer, { renews: devices[0], metadata: { action: 'reenroll', auth_method: 'mtls' } })).serial;
  shortLived = (await issueCertificate(server, opensslCsr(dir, 'brief', '/CN=brief.example.com').csrDer, { ttlSeconds: 1 })).serial;
  // Let the short-lived certificate expire (it is backdated 60 s, valid until issuance + 1 s).
  await new Promise((resolve) => setTimeout(resolve, 1_100));
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /admin/certs', () => {
  test('lists newest first in the spec shape, with a total', async () => {
    const { status, body } = await page('');
    assert.equal(status, 200);
    assert.deepEqual([body.page, body.per_page, body.total], [1, 50, 8], 'seven issued here plus the server TLS certificate');
    assert.deepEqual(serials(body).slice(0, 7), [shortLived, renewal, ...[...devices].reverse()]);
    const first = body.certs.find((c) => c.serial === devices[0])!;
    assert.deepEqual(Object.keys(first).sort(), ['ca_id', 'issuer', 'not_after', 'not_before', 'serial', 'status', 'subject']);
    assert.equal(first.subject, 'CN=device-1.example.com,O=Example');
    assert.equal(first.issuer, 'CN=Signet Issuing CA,O=Signet');
    assert.equal(first.ca_id, server.core.queries.issuers.resolve('default')!.issuerId);
    assert.equal(first.status, 'active');
    assert.match(first.not_after, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  test('paging: pages partition the list, a page past the end is empty with the right total', async () => {
    const seen: string[] = [];
    for (const p of [1, 2, 3, 4]) {
      const { body } = await page(`?subject=device-&per_page=2&page=${p}`);
      assert.deepEqual([body.total, body.page, body.per_page], [6, p, 2]);
      assert.equal(body.certs.length, 2 * p <= 6 ? 2 : 0);
      seen.push(...serials(body));
    }
    assert.deepEqual(seen, [renewal, ...[...devices].reverse()]);
    const far = await page('?page=1000000&per_page=1000');
    assert.deepEqual([far.status, far.body.certs, far.body.total], [200, [], 8]);
    assert.equal((await page('?per_page=1000')).status, 200);
    for (const bad of ['per_page=1001', 'per_page=0', 'page=0', 'page=-1', 'page=1.5', 'page=abc', 'per_page=', 'page=1&page=2']) {
      const result = await page(`?${bad}`);
      if (bad === 'per_page=') {
        assert.equal(result.status, 200, 'an empty parameter means its default');
        continue;
      }
      assert.equal(result.status, 400, bad);
      assert.match(String((result.body as unknown as { error: string }).error), /page|per_page/, bad);
    }
  });

  test('status filter: active, revoked, expired', async () => {
    await admin.json(`/admin/certs/${devices[4]}/revoke`, { method: 'POST', body: { reason: 'superseded' } });
    assert.deepEqual(serials((await page('?status=revoked')).body), [devices[4]]);
    assert.deepEqual(serials((await page('?status=expired')).body), [shortLived]);
    const active = (await page('?status=active')).body;
    assert.equal(active.total, 6);
    assert.ok(!serials(active).includes(devices[4]) && !serials(active).includes(shortLived));
    assert.equal((await page('?status=valid')).status, 400);
  });

  test('ca, subject (substring, any case), serial prefix (hex, colons, any case) filters', async () => {
    const caId = server.core.queries.issuers.resolve('default')!.issuerId;
    assert.equal((await page(`?ca=${caId}`)).body.total, 8);
    assert.equal((await page('?ca=issuing')).body.total, 8, 'a CA name resolves to its id');
    assert.equal((await page('?ca=root')).body.total, 0);
    assert.equal((await page('?ca=no-such-ca')).body.total, 0);
    assert.deepEqual(serials((await page('?subject=DEVICE-3.example')).body), [devices[2]]);
    assert.equal((await page('?subject=%25')).body.total, 0, 'LIKE wildcards in the input match themselves');
    assert.equal((await page('?subject=O%3DExample')).body.total, 6);
    const prefix = colonUpper(devices[1]).slice(0, 8); // e.g. "3A:1F:0C"
    assert.ok(serials((await page(`?serial=${encodeURIComponent(prefix)}`)).body).includes(devices[1]));
    assert.deepEqual(serials((await page(`?serial=${devices[1]}`)).body), [devices[1]]);
    assert.equal((await page('?serial=xyz')).status, 400);
  });

  test('not_after_from / not_after_to select by expiry (ISO 8601 dates or date-times, inclusive)', async () => {
    const in30Days = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    const soon = (await page(`?not_after_to=${in30Days}`)).body;
    assert.equal(soon.total, 7, 'the 7-day certificates, not the year-long TLS certificate');
    const later = (await page(`?not_after_from=${in30Days}`)).body;
    assert.deepEqual(later.certs.map((c) => c.subject), ['CN=localhost,O=Signet']);
    const exact = (await page(`?not_after_from=${(await page('')).body.certs[1].not_after}&not_after_to=${(await page('')).body.certs[1].not_after}`)).body;
    assert.ok(serials(exact).includes(renewal), 'both ends inclusive');
    for (const bad of ['not_after_to=2026-02-31', 'not_after_from=tomorrow', 'not_after_from=2030-01-02&not_after_to=2030-01-01', 'not_after_to=2026-06-24T10:15:30']) {
      assert.equal((await page(`?${bad}`)).status, 400, bad);
    }
  });
});

describe('GET /admin/certs/{serial}', () => {
  test('full detail; the PEM verifies with openssl and python agrees on serial, subject and SANs', async () => {
    for (const spelling of [devices[1], devices[1].toUpperCase(), colonUpper(devices[1])]) {
      assert.equal((await admin.json(`/admin/certs/${encodeURIComponent(spelling)}`)).status, 200, spelling);
    }
    const { status, body } = await admin.json<Record<string, unknown>>(`/admin/certs/${colonUpper(devices[1])}`);
    assert.equal(status, 200);
    assert.equal(body.serial, devices[1]);
    assert.equal(body.subject, 'CN=device-2.example.com,O=Example');
    assert.equal(body.issuer, 'CN=Signet Issuing CA,O=Signet');
    assert.equal(body.status, 'active');
    assert.equal(body.profile, 'admin-test');
    assert.equal(body.key_type, 'EC P-256');
    assert.deepEqual(body.sans, []);
    assert.deepEqual([body.revocation_time, body.revocation_reason, body.renews, body.renewed_by], [null, null, null, null]);
    const pemFile = join(dir, 'detail.pem');
    writeFileSync(pemFile, String(body.pem));
    assert.match(openssl(['verify', '-CAfile', join(server.dataDir, 'ca/root.pem'), '-untrusted', join(server.dataDir, 'ca/chain.pem'), pemFile]), /OK/);
    const [python] = pythonCertSummary(String(body.pem));
    assert.equal(python.serial.padStart(40, '0'), devices[1]);
    assert.equal(python.subject, body.subject);
    const notAfter = openssl(['x509', '-noout', '-enddate', '-in', pemFile]).trim().replace(/^notAfter=/, '');
    assert.equal(body.not_after, new Date(notAfter).toISOString().replace(/\.000Z$/, 'Z'));
    const trail = body.audit as { action: string; client_ip: string; auth_method: string; position: number }[];
    assert.deepEqual(trail.map((e) => [e.action, e.client_ip, e.auth_method]), [['enroll', '10.0.1.42', 'otp']]);
  });

  test('renewal links: renews on the new certificate, renewed_by on the old one', async () => {
    const renewed = (await admin.json(`/admin/certs/${renewal}`)).body;
    assert.equal(renewed.renews, devices[0]);
    assert.equal((await admin.json(`/admin/certs/${devices[0]}`)).body.renewed_by, renewal);
    assert.deepEqual((renewed.audit as { action: string }[]).map((e) => e.action), ['reenroll']);
  });

  test('an unknown serial is 404, a malformed one 400', async () => {
    const unknown = await admin.json('/admin/certs/0123456789abcdef');
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'no certificate with serial 0123456789abcdef' }]);
    assert.equal((await admin.json('/admin/certs/not-a-serial')).status, 400);
  });
});

describe('POST /admin/certs/{serial}/revoke', () => {
  test('revokes with a reason name; the answer is the spec shape; the detail and audit trail show it', async () => {
    const before = Date.now();
    const { status, body } = await admin.json(`/admin/certs/${colonUpper(devices[2]).toLowerCase()}/revoke`, { method: 'POST', body: { reason: 'keyCompromise' } });
    assert.equal(status, 200);
    assert.deepEqual(Object.keys(body).sort(), ['revocation_reason', 'revocation_time', 'serial', 'status']);
    assert.deepEqual([body.serial, body.status, body.revocation_reason], [devices[2], 'revoked', 'keyCompromise']);
    assert.ok(Date.parse(String(body.revocation_time)) >= before - 1000);
    const detail = (await admin.json(`/admin/certs/${devices[2]}`)).body;
    assert.deepEqual([detail.status, detail.revocation_reason, detail.revocation_time], ['revoked', 'keyCompromise', body.revocation_time]);
    const trail = detail.audit as { action: string; auth_method: string; actor: string; reason: string }[];
    assert.deepEqual(trail.map((e) => [e.action, e.auth_method, e.actor, e.reason]), [['enroll', 'otp', 'test', null], ['revoke', 'bearer', 'root', 'keyCompromise']]);
  });

  test('revoking again is idempotent: the first revocation stands', async () => {
    const first = await admin.json(`/admin/certs/${devices[3]}/revoke`, { method: 'POST', body: { reason: 'caCompromise' } });
    assert.equal(first.body.revocation_reason, 'caCompromise');
    const again = await admin.json(`/admin/certs/${devices[3]}/revoke`, { method: 'POST', body: { reason: 'superseded' } });
    assert.deepEqual(again.body, first.body);
    assert.equal(again.status, 200);
  });

  test('every reason the spec lists is accepted, by name (any spelling) or RFC 5280 code; no body means unspecified', async () => {
    const names = ['unspecified', 'keyCompromise', 'caCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'privilegeWithdrawn'];
    for (const [i, given] of ['unspecified', 'KEY_COMPROMISE', 'cacompromise', 3, 'superseded', 'cessation-of-operation', 9].entries()) {
      const serial = (await issueCertificate(server, opensslCsr(dir, `reason-${i}`, `/CN=reason-${i}`).csrDer)).serial;
      const result = await admin.json(`/admin/certs/${serial}/revoke`, { method: 'POST', body: { reason: given } });
      assert.deepEqual([result.status, result.body.revocation_reason], [200, names[i]], String(given));
    }
    const serial = (await issueCertificate(server, opensslCsr(dir, 'no-body', '/CN=no-body').csrDer)).serial;
    const bare = await admin.json(`/admin/certs/${serial}/revoke`, { method: 'POST' });
    assert.deepEqual([bare.status, bare.body.revocation_reason], [200, 'unspecified']);
  });

  test('refusals: unknown serial 404, bad reason or JSON 400, other content type 415', async () => {
    const target = `/admin/certs/${devices[1]}/revoke`;
    const unknown = await admin.json('/admin/certs/0abc/revoke', { method: 'POST', body: { reason: 'keyCompromise' } });
    assert.deepEqual([unknown.status, unknown.body], [404, { error: 'certificate with serial 0abc not found' }]);
    for (const reason of ['certificateHold', 'removeFromCRL', 'bogus', 7, true]) {
      const result = await admin.json(target, { method: 'POST', body: { reason } });
      assert.equal(result.status, 400, String(reason));
      assert.match(String(result.body.error), /"reason" must be one of unspecified, keyCompromise, caCompromise/);
    }
    assert.equal((await admin.json(target, { method: 'POST', body: { reason: 'superseded', when: 'now' } })).status, 400);
    assert.deepEqual((await admin.json(target, { method: 'POST', body: '{"reason":' })).body, { error: 'malformed JSON body' });
    assert.equal((await admin.json(target, { method: 'POST', body: 'reason=superseded', headers: { 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await admin.json('/admin/certs/zz/revoke', { method: 'POST', body: {} })).status, 400);
    assert.equal((await admin.json(`/admin/certs/${devices[1]}`)).body.status, 'active', 'nothing refused changed anything');
  });
});
