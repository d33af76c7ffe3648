/** Pure parts of the admin API: parameter parsing, CA health, client-certificate verdicts, request bodies. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError } from '../../src/config/config.js';
import { adminBearerTokens, adminTlsOptions, classifyClientCert } from '../../src/http/admin/auth.js';
import { parseAdminReason, reasonName } from '../../src/http/admin/certs.js';
import { assessCa, formatUptime, worst } from '../../src/http/admin/health.js';
import { parseOtpRequest } from '../../src/http/admin/otp.js';
import { canonicalSerial, parseIsoInstant, parsePaging, parseTimeRange, serialPrefix, timestamp } from '../../src/http/admin/params.js';
import { HttpError } from '../../src/http/errors.js';

const status400 = (error: unknown) => error instanceof HttpError && error.status === 400;

describe('paging', () => {
  test('defaults, bounds and refusals', () => {
    assert.deepEqual(parsePaging({}, { perPage: 50, max: 1000 }), { page: 1, perPage: 50, offset: 0 });
    assert.deepEqual(parsePaging({ page: '3', per_page: '1000' }, { perPage: 50, max: 1000 }), { page: 3, perPage: 1000, offset: 2000 });
    for (const query of [{ per_page: '1001' }, { per_page: '0' }, { page: '0' }, { page: '-2' }, { page: '2.5' }, { page: '1e3' }, { page: ['1', '2'] }, { page: '9999999999' }]) {
      assert.throws(() => parsePaging(query, { perPage: 50, max: 1000 }), status400, JSON.stringify(query));
    }
  });
});

describe('time ranges', () => {
  test('ISO 8601 dates and date-times with a zone; impossible dates are refused', () => {
    assert.deepEqual(parseIsoInstant('2026-06-24'), { ms: Date.UTC(2026, 5, 24), spanMs: 86_400_000 });
    assert.deepEqual(parseIsoInstant('2026-06-24T10:15Z'), { ms: Date.UTC(2026, 5, 24, 10, 15), spanMs: 60_000 });
    assert.deepEqual(parseIsoInstant('2026-06-24T12:15:30+02:00'), { ms: Date.UTC(2026, 5, 24, 10, 15, 30), spanMs: 1_000 });
    assert.deepEqual(parseIsoInstant('2026-06-24T10:15:30.25Z'), { ms: Date.UTC(2026, 5, 24, 10, 15, 30, 250), spanMs: 10 });
    for (const bad of ['2026-02-29', '2026-02-31', '2026-13-01', '2026-06-24T25:00:00Z', '2026-06-24T10:60Z', '2026-06-24T10:15:30', '24/06/2026', 'yesterday', '']) {
      assert.equal(parseIsoInstant(bad), undefined, bad);
    }
    assert.ok(parseIsoInstant('2028-02-29'), 'a leap day exists');
  });

  test('both ends are inclusive at the precision written', () => {
    assert.deepEqual(parseTimeRange({ start: '2026-06-01', end: '2026-06-24' }, 'start', 'end'), { from: '2026-06-01T00:00:00.000Z', to: '2026-06-25T00:00:00.000Z' });
    assert.deepEqual(parseTimeRange({ end: '2026-06-24T10:15:30Z' }, 'start', 'end'), { to: '2026-06-24T10:15:31.000Z' });
    assert.deepEqual(parseTimeRange({}, 'start', 'end'), {});
    assert.deepEqual(parseTimeRange({ start: '2026-06-24', end: '2026-06-24' }, 'start', 'end'), { from: '2026-06-24T00:00:00.000Z', to: '2026-06-25T00:00:00.000Z' });
    assert.throws(() => parseTimeRange({ start: '2026-06-25', end: '2026-06-24' }, 'start', 'end'), /must not be after/);
    assert.throws(() => parseTimeRange({ start: 'now' }, 'start', 'end'), status400);
  });

  test('timestamps are written in whole seconds, UTC', () => {
    assert.equal(timestamp('2026-06-24T14:30:00.789Z'), '2026-06-24T14:30:00Z');
    assert.equal(timestamp(Date.UTC(2026, 5, 24)), '2026-06-24T00:00:00Z');
  });
});

describe('serials', () => {
  test('any case, colons, leading zeros: all mean the stored minimal hex', () => {
    assert.equal(canonicalSerial('0A:1B:2C'), '0a1b2c');
    assert.equal(canonicalSerial('a1b2c'), '0a1b2c');
    assert.equal(canonicalSerial('000A1B2C'), '0a1b2c');
    assert.equal(canonicalSerial('7F'), '7f');
    assert.equal(canonicalSerial('00'), '00');
    for (const bad of ['', 'xyz', '0x1f', '1f 2e', 'a'.repeat(65)]) assert.throws(() => canonicalSerial(bad), status400, bad);
    assert.equal(serialPrefix('AB:cd'), 'abcd');
    assert.throws(() => serialPrefix('g'), status400);
  });
});

describe('CA health', () => {
  const now = new Date('2026-06-24T00:00:00Z');
  const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();

  test('expired or keyless or revoked is unhealthy; within 30 days degraded; otherwise healthy', () => {
    assert.equal(assessCa({ notAfter: inDays(365), keyUsable: true, revoked: false }, now).status, 'healthy');
    assert.equal(assessCa({ notAfter: inDays(30.01), keyUsable: true, revoked: false }, now).status, 'healthy');
    assert.equal(assessCa({ notAfter: inDays(29.99), keyUsable: true, revoked: false }, now).status, 'degraded');
    assert.deepEqual(assessCa({ notAfter: inDays(-1), keyUsable: true, revoked: false }, now), { status: 'unhealthy', checks: { certificate: 'unhealthy', key: 'healthy', issuer: 'healthy' } });
    assert.deepEqual(assessCa({ notAfter: inDays(10), keyUsable: false, revoked: false }, now), { status: 'unhealthy', checks: { certificate: 'degraded', key: 'unhealthy', issuer: 'healthy' } });
    assert.equal(assessCa({ notAfter: inDays(365), keyUsable: true, revoked: true }, now).status, 'unhealthy');
  });

  test('the aggregate is the worst status; uptime reads as days, hours, minutes', () => {
    assert.equal(worst([]), 'healthy');
    assert.equal(worst(['healthy', 'degraded', 'healthy']), 'degraded');
    assert.equal(worst(['degraded', 'unhealthy', 'healthy']), 'unhealthy');
    assert.equal(formatUptime(((3 * 24 + 14) * 60 + 22) * 60_000 + 59_000), '3d 14h 22m');
  });
});

describe('admin TLS options', () => {
  test('mtls and both request client certificates against readable anchors; a bad anchors file is a config error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-anchors-'));
    try {
      const base = { enabled: true, auth: 'mtls' as const };
      assert.deepEqual(adminTlsOptions({ ...base, auth: 'bearer' }), {});
      assert.throws(() => adminTlsOptions({ ...base, trustAnchors: join(dir, 'missing.pem') }), (e: unknown) => e instanceof ConfigError && /cannot read/.test(e.message));
      writeFileSync(join(dir, 'empty.pem'), 'not a certificate\n');
      assert.throws(() => adminTlsOptions({ ...base, trustAnchors: join(dir, 'empty.pem') }), /no PEM certificate/);
      const pem = '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n';
      writeFileSync(join(dir, 'anchors.pem'), pem);
      assert.deepEqual(adminTlsOptions({ ...base, auth: 'both', trustAnchors: join(dir, 'anchors.pem') }), { requestCert: true, rejectUnauthorized: false, ca: pem });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bearer secrets: the root token, plus the configured variable when it is set', () => {
    const admin = { enabled: true, auth: 'bearer' as const, bearerTokenEnv: 'ADMIN_TOKEN' };
    assert.deepEqual(adminBearerTokens(admin, 'root-secret', {}), [{ actor: 'root', secret: 'root-secret' }]);
    assert.deepEqual(adminBearerTokens(admin, 'root-secret', { ADMIN_TOKEN: 'env-secret' }), [
      { actor: 'root', secret: 'root-secret' },
      { actor: 'env:ADMIN_TOKEN', secret: 'env-secret' },
    ]);
  });
});

describe('client certificates', () => {
  test('verdicts: none, trusted, a sound certificate from elsewhere (403), an invalid one (401)', () => {
    assert.equal(classifyClientCert(false, false, undefined), 'none');
    assert.equal(classifyClientCert(true, true, undefined), 'trusted');
    for (const code of ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']) {
      assert.equal(classifyClientCert(true, false, code), 'wrong_anchor', code);
    }
    for (const code of ['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_SIGNATURE_FAILURE', undefined]) {
      assert.equal(classifyClientCert(true, false, code), 'invalid', String(code));
    }
  });
});

describe('request bodies', () => {
  test('OTP requests: defaults, durations in seconds, strict fields', () => {
    assert.deepEqual(parseOtpRequest({ label: 'device-42' }), { label: 'device-42', ttl: 86_400, maxUses: 1 });
    assert.deepEqual(parseOtpRequest({ label: 'x', ttl: '1h30m', max_uses: 3, profile: 'iot' }), { label: 'x', ttl: 5_400, maxUses: 3, profile: 'iot' });
    for (const body of [{}, { label: '' }, { label: 'x', ttl: '1y' }, { label: 'x', ttl: '366d' }, { label: 'x', ttl: null }, { label: 'x', max_uses: '2' }, { label: 'x', profile: '' }, { label: 'x', extra: 1 }]) {
      assert.throws(() => parseOtpRequest(body), status400, JSON.stringify(body));
    }
  });

  test('revocation reasons: the spec’s names in any spelling, or their codes; displayed in the spec’s spelling', () => {
    assert.equal(parseAdminReason('caCompromise'), 'cACompromise');
    assert.equal(parseAdminReason('KEY_COMPROMISE'), 'keyCompromise');
    assert.equal(parseAdminReason(5), 'cessationOfOperation');
    assert.equal(reasonName('cACompromise'), 'caCompromise');
    assert.equal(reasonName('keyCompromise'), 'keyCompromise');
    assert.equal(reasonName(null), null);
    for (const bad of ['certificateHold', 'removeFromCRL', 'aACompromise', 6, 8, 'nope', null, {}]) assert.throws(() => parseAdminReason(bad), status400, String(bad));
  });
});
