/** Admin audit log over real TLS: query by every filter with paging, and the streaming NDJSON export. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { OtpService } from '../../src/app/otp-service.js';
import { ENROLLMENT_REJECTED_STREAM } from '../../src/domain/enrollment.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { adminClient, issueCertificate, opensslCsr, type Paged } from '../support/admin.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

interface AuditEvent {
  position: number;
  timestamp: string;
  action: string;
  subject: string | null;
  ca_id: string | null;
  result: string;
  client_ip: string | null;
  auth_method: string | null;
  serial: string | null;
  actor: string | null;
  profile: string | null;
  reason: string | null;
}
type AuditPage = Paged<'events', AuditEvent>;

let server: TestServer;
let admin: ReturnType<typeof adminClient>;
let dir: string;
let alpha: string;
let beta: string;
let caId: string;

const audit = (query: string) => admin.json<AuditPage>(`/admin/audit${query}`);

before(async () => {
  server = await startTestServer();
  admin = adminClient(server);
  dir = tempDir('signet-admin-audit-');
  caId = server.core.queries.issuers.resolve('default')!.issuerId;
  alpha = (await issueCertificate(server, opensslCsr(dir, 'alpha', '/CN=alpha.example.com').csrDer)).serial;
  beta = (await issueCertificate(server, opensslCsr(dir, 'beta', '/CN=beta.example.com').csrDer, { metadata: { action: 'reenroll', auth_method: 'mtls', client_ip: '10.0.1.43' } })).serial;
  await admin.json(`/admin/certs/${alpha}/revoke`, { method: 'POST', body: { reason: 'keyCompromise' } });
  const otp = await new OtpService(server.core.commands).create({ label: 'line-3', ttl: '1h' }, { actor: 'test', auth_method: 'local' });
  await server.core.commands.handle(otpStream(otp.tokenId), otpDecider, { type: 'ConsumeOtp', data: { tokenId: otp.tokenId, profile: 'default', clientIp: '10.0.9.9' }, now: new Date() });
  const rejected = await server.core.store.append(
    ENROLLMENT_REJECTED_STREAM,
    [{ type: 'EnrollmentRejected', data: { action: 'enroll', result: 'forbidden', reason: 'one-time password has expired', subject: 'CN=gamma.example.com', at: new Date().toISOString() }, metadata: { v: 1, auth_method: 'otp', client_ip: '10.0.1.44' } }],
    { expectedRevision: 'any' },
  );
  await server.core.runner.waitFor(rejected.position);
});
after(async () => {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('events carry the spec fields plus their position, newest first', async () => {
  const { status, body } = await audit('?action=enroll');
  assert.equal(status, 200);
  assert.deepEqual([body.page, body.per_page, body.total], [1, 100, 2]);
  const [rejection, enrolled] = body.events;
  assert.deepEqual(Object.keys(enrolled).sort(), ['action', 'actor', 'auth_method', 'ca_id', 'client_ip', 'position', 'profile', 'reason', 'result', 'serial', 'subject', 'timestamp']);
  assert.deepEqual(
    { ...enrolled, position: 0, timestamp: '' },
    { position: 0, timestamp: '', action: 'enroll', subject: 'CN=alpha.example.com', ca_id: caId, result: 'success', client_ip: '10.0.1.42', auth_method: 'otp', serial: alpha, actor: 'test', profile: 'admin-test', reason: null },
  );
  assert.match(enrolled.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  assert.deepEqual([rejection.result, rejection.subject, rejection.client_ip, rejection.reason], ['forbidden', 'CN=gamma.example.com', '10.0.1.44', 'one-time password has expired']);
  assert.ok(rejection.position > enrolled.position);
  const events = await server.core.store.readStream(`cert-${alpha}`);
  assert.equal(enrolled.position, events[0].position, 'the position is the event-store position');
});

test('filters: action (one or a list), subject (also finds the revocation), ca, result, serial', async () => {
  const actions = (body: AuditPage) => body.events.map((e) => e.action);
  assert.deepEqual(actions((await audit('?action=enroll,reenroll&result=success')).body), ['reenroll', 'enroll']);
  assert.deepEqual(actions((await audit('?subject=ALPHA.example')).body), ['revoke', 'enroll']);
  const revoke = (await audit('?action=revoke')).body.events[0];
  assert.deepEqual([revoke.subject, revoke.reason, revoke.auth_method, revoke.actor, revoke.serial], ['CN=alpha.example.com', 'keyCompromise', 'bearer', 'root', alpha]);
  assert.deepEqual(actions((await audit(`?ca=${caId}&action=enroll,reenroll,revoke`)).body), ['revoke', 'reenroll', 'enroll']);
  assert.equal((await audit('?ca=issuing&action=enroll,reenroll,revoke')).body.total, 3);
  assert.deepEqual(actions((await audit('?result=forbidden')).body), ['enroll']);
  assert.deepEqual(actions((await audit(`?serial=${beta.toUpperCase()}`)).body), ['reenroll']);
  const otpUse = (await audit('?action=otp_use')).body.events;
  assert.deepEqual(otpUse.map((e) => e.client_ip), ['10.0.9.9']);
  assert.deepEqual(actions((await audit('?action=otp_generate')).body), ['otp_generate']);
  assert.equal((await audit('?action=no_such_action')).body.total, 0);
  assert.equal((await audit('?action=enroll;drop')).status, 400);
});

test('time range: start and end are ISO 8601, inclusive; nonsense is 400', async () => {
  const all = (await audit('')).body.total;
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  assert.equal((await audit(`?start=${today}&end=${today}`)).body.total, all);
  assert.equal((await audit(`?end=${yesterday}`)).body.total, 0);
  const newest = (await audit('?per_page=1')).body.events[0];
  const sameSecond = (await audit(`?start=${newest.timestamp}&end=${newest.timestamp}`)).body;
  assert.ok(sameSecond.events.some((e) => e.position === newest.position));
  assert.equal((await audit(`?start=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body.total, 0);
  for (const bad of ['start=2026-02-30', 'end=yesterday', 'start=2026-06-24T25:00:00Z', `start=${today}&end=${yesterday}`]) {
    assert.equal((await audit(`?${bad}`)).status, 400, bad);
  }
});

test('paging: per_page default 100, max 1000; a page past the end is empty with the right total', async () => {
  const all = (await audit('?per_page=1000')).body;
  const collected: number[] = [];
  for (let p = 1; p <= Math.ceil(all.total / 3); p++) collected.push(...(await audit(`?per_page=3&page=${p}`)).body.events.map((e) => e.position));
  assert.deepEqual(collected, all.events.map((e) => e.position));
  assert.deepEqual(collected, [...collected].sort((a, b) => b - a), 'newest first');
  const past = await audit('?per_page=3&page=999');
  assert.deepEqual([past.status, past.body.events, past.body.total], [200, [], all.total]);
  assert.equal((await audit('?per_page=1001')).status, 400);
  assert.equal((await audit('?page=0')).status, 400);
});

test('GET /admin/audit/export streams every matching event as JSON lines, oldest first, across chunks', async () => {
  // More events than one export chunk (500), so the stream has to continue from where a chunk ended.
  await Promise.all(Array.from({ length: 520 }, (_, i) => new OtpService(server.core.commands).create({ label: `bulk-${i}`, ttl: '1h' })));
  await server.core.runner.waitFor(await server.core.store.headPosition());
  const result = await admin.call('/admin/audit/export');
  assert.equal(result.status, 200);
  assert.equal(result.headers['content-type'], 'application/x-ndjson');
  assert.equal(result.headers['transfer-encoding'], 'chunked', 'streamed, not buffered into one body');
  assert.match(String(result.headers['content-disposition']), /^attachment; filename="signet-audit-.*\.ndjson"$/);
  assert.ok(result.body.endsWith('\n'));
  const lines = result.body.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent);
  const total = (await audit('')).body.total;
  assert.equal(lines.length, total);
  const positions = lines.map((e) => e.position);
  assert.deepEqual(positions, [...new Set(positions)].sort((a, b) => a - b), 'oldest first, no duplicates across chunks');
  assert.deepEqual(lines.find((e) => e.serial === alpha && e.action === 'revoke')?.reason, 'keyCompromise');

  const filtered = await admin.call(`/admin/audit/export?action=otp_generate&subject=bulk-1`);
  const bulk = filtered.body.trimEnd().split('\n').map((line) => JSON.parse(line) as AuditEvent);
  assert.equal(bulk.length, (await audit('?action=otp_generate&subject=bulk-1')).body.total);
  assert.ok(bulk.every((e) => e.action === 'otp_generate' && e.subject?.startsWith('bulk-1')));
  const empty = await admin.call('/admin/audit/export?action=nothing_like_this');
  assert.deepEqual([empty.status, empty.body], [200, '']);
  assert.equal((await admin.call('/admin/audit/export?start=never')).status, 400);
});
