/** Admin OTP provisioning over real TLS: create (shown once, stored as a hash), list active, revoke, refusals. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hashSecret } from '../../src/app/secrets.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { adminClient } from '../support/admin.js';
import { startTestServer, type TestServer } from '../support/server.js';

interface CreatedOtp {
  token_id: string;
  token: string;
  expires: string;
  label: string;
  max_uses: number;
}

let server: TestServer;
let admin: ReturnType<typeof adminClient>;

before(async () => {
  server = await startTestServer();
  admin = adminClient(server);
});
after(() => server.stop());

const create = (body: unknown, options = {}) => admin.json<CreatedOtp>('/admin/otp', { method: 'POST', body: body as object, ...options });
const listed = async () => (await admin.json<{ token_id: string }[]>('/admin/otp')).body.map((otp) => otp.token_id);

function rawLog(): string {
  return ['events.db', 'events.db-wal'].map((f) => join(server.dataDir, f)).filter(existsSync).map((f) => readFileSync(f).toString('latin1')).join('');
}

async function consume(tokenId: string): Promise<void> {
  const result = await server.core.commands.handle(otpStream(tokenId), otpDecider, { type: 'ConsumeOtp', data: { tokenId, profile: 'default', clientIp: '10.0.0.7' }, now: new Date() });
  await server.core.runner.waitFor(result.position!);
}

test('POST /admin/otp answers exactly the spec fields once; only the hash is recorded', async () => {
  const before = Date.now();
  const { status, body, headers } = await create({ label: 'device-42', ttl: '1h30m', max_uses: 1 });
  assert.equal(status, 201);
  assert.deepEqual(Object.keys(body).sort(), ['expires', 'label', 'max_uses', 'token', 'token_id']);
  assert.match(body.token_id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  assert.equal(body.label, 'device-42');
  assert.equal(body.max_uses, 1);
  assert.match(body.expires, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  const expiresIn = Date.parse(body.expires) - before;
  assert.ok(Math.abs(expiresIn - 90 * 60_000) < 5_000, `expires in ${expiresIn} ms`);
  assert.equal(headers['cache-control'], 'no-store');

  const log = rawLog();
  assert.match(log, /OtpIssued/, 'the raw log is readable here, so the next check can fail');
  assert.doesNotMatch(log, new RegExp(body.token));
  assert.equal(server.core.queries.credentials.otpByTokenHash(hashSecret(body.token))?.tokenId, body.token_id);
});

test('ttl accepts 7d, 1h30m or seconds; the defaults are 24h and one use', async () => {
  const now = Date.now();
  const week = await create({ label: 'week', ttl: '7d', max_uses: 5 });
  assert.ok(Math.abs(Date.parse(week.body.expires) - now - 7 * 86_400_000) < 5_000);
  assert.equal(week.body.max_uses, 5);
  const seconds = await create({ label: 'seconds', ttl: 600 });
  assert.ok(Math.abs(Date.parse(seconds.body.expires) - now - 600_000) < 5_000);
  const defaults = await create({ label: 'defaults' });
  assert.ok(Math.abs(Date.parse(defaults.body.expires) - now - 86_400_000) < 5_000);
  assert.equal(defaults.body.max_uses, 1);
});

test('GET /admin/otp lists active tokens without secrets; used-up and revoked ones leave the list', async () => {
  const once = (await create({ label: 'single-use', ttl: '1h' })).body;
  const twice = (await create({ label: 'two-uses', ttl: '1h', max_uses: 2 })).body;
  const { status, body } = await admin.json<Record<string, unknown>[]>('/admin/otp');
  assert.equal(status, 200);
  const entry = body.find((otp) => otp.token_id === twice.token_id);
  assert.deepEqual(Object.keys(entry ?? {}).sort(), ['created', 'expires', 'label', 'max_uses', 'profile', 'token_id', 'uses']);
  assert.deepEqual([entry?.label, entry?.max_uses, entry?.uses], ['two-uses', 2, 0]);
  const text = JSON.stringify(body);
  assert.ok(!text.includes(once.token) && !text.includes(twice.token) && !text.includes(hashSecret(once.token)), 'no secret nor hash is listed');

  await consume(once.token_id);
  await consume(twice.token_id);
  const afterUse = await admin.json<{ token_id: string; uses: number }[]>('/admin/otp');
  assert.ok(!afterUse.body.some((otp) => otp.token_id === once.token_id), 'a used-up token is not active');
  assert.equal(afterUse.body.find((otp) => otp.token_id === twice.token_id)?.uses, 1);
});

test('DELETE /admin/otp/{token_id} revokes (204, idempotent); an unknown id is 404', async () => {
  const otp = (await create({ label: 'to-revoke', ttl: '1h' })).body;
  assert.ok((await listed()).includes(otp.token_id));
  const revoked = await admin.call(`/admin/otp/${otp.token_id}`, { method: 'DELETE' });
  assert.deepEqual([revoked.status, revoked.body], [204, '']);
  assert.ok(!(await listed()).includes(otp.token_id));
  assert.equal(server.core.queries.credentials.otp(otp.token_id)?.status, 'revoked');
  await assert.rejects(consume(otp.token_id), /revoked/);
  assert.equal((await admin.call(`/admin/otp/${otp.token_id}`, { method: 'DELETE' })).status, 204);
  const unknown = await admin.json('/admin/otp/00000000-0000-4000-8000-000000000000', { method: 'DELETE' });
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.body.error), /not found/);
});

test('refusals are precise: 400 for bad fields or JSON, 415 for another content type, 413 for a huge body', async () => {
  const cases: [unknown, RegExp][] = [
    [{}, /"label" is required/],
    [{ label: '   ' }, /"label" is required/],
    [{ label: 7 }, /"label" is required/],
    [{ label: 'x', ttl: 'soon' }, /"ttl" must be a duration/],
    [{ label: 'x', ttl: '0s' }, /"ttl" must be a duration/],
    [{ label: 'x', ttl: -5 }, /"ttl" must be a duration/],
    [{ label: 'x', ttl: '400d' }, /at most 365d/],
    [{ label: 'x', max_uses: 0 }, /max_uses must be an integer from 1/],
    [{ label: 'x', max_uses: '1' }, /"max_uses" must be an integer/],
    [{ label: 'x', max_uses: 1.5 }, /"max_uses" must be an integer/],
    [{ label: 'x', maxUses: 2 }, /unknown field "maxUses"/],
    [[{ label: 'x' }], /JSON body must be an object/],
  ];
  for (const [body, message] of cases) {
    const result = await create(body);
    assert.equal(result.status, 400, JSON.stringify(body));
    assert.match(String((result.body as unknown as { error: string }).error), message, JSON.stringify(body));
  }
  const malformed = await admin.json('/admin/otp', { method: 'POST', body: '{"label": "x",' });
  assert.deepEqual([malformed.status, malformed.body], [400, { error: 'malformed JSON body' }]);
  const wrongType = await admin.json('/admin/otp', { method: 'POST', body: 'label=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.equal(wrongType.status, 415);
  const huge = await admin.json('/admin/otp', { method: 'POST', body: { label: 'x'.repeat(70_000) } });
  assert.equal(huge.status, 413);
  const wrongMethod = await admin.json('/admin/otp', { method: 'PUT', body: {} });
  assert.deepEqual([wrongMethod.status, wrongMethod.body], [405, { error: 'method PUT is not allowed on /admin/otp (allowed: POST, HEAD, GET)' }]);
  const nowhere = await admin.json('/admin/otps');
  assert.deepEqual([nowhere.status, nowhere.body], [404, { error: 'no such endpoint: GET /admin/otps' }]);
});
