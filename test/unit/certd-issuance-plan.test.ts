import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CertdConfig } from '../../src/certd/authorization.js';
import type { CertIssuanceSetting } from '../../src/certd/config-file.js';
import { certdPolicy, planIssuance, subjectOverride } from '../../src/certd/issuance-plan.js';
import { DomainError } from '../../src/domain/errors.js';

const config = (entries: [string, CertIssuanceSetting][], extra: Partial<CertdConfig> = {}): CertdConfig => ({ principals: [], issuance: new Map(entries), ...extra });
const requested = { certId: 'issuing', privateKeyHandle: 'issuing-key' };

describe('certd issuance plan', () => {
  test("the caller's issuer is used when given, with the setting's lifetime and name", () => {
    const setting: CertIssuanceSetting = { method: 'role', role: 'r', expiryDays: 5 };
    assert.deepEqual(planIssuance('x', requested, config([['x', setting]])), { kind: 'issuer', issuerRef: 'issuing', keyHandle: 'issuing-key', setting });
    assert.deepEqual(planIssuance('x', requested, config([])), { kind: 'issuer', issuerRef: 'issuing', keyHandle: 'issuing-key' });
  });

  test('without an issuer the setting decides: local CA (configured or default), named issuer, role', () => {
    assert.deepEqual(planIssuance('a', undefined, config([['a', { method: 'local_ca' }]])), { kind: 'issuer', issuerRef: 'default', setting: { method: 'local_ca' } });
    assert.equal((planIssuance('a', undefined, config([['a', { method: 'local_ca' }]], { localCaIssuer: 'edge-ca' })) as { issuerRef: string }).issuerRef, 'edge-ca');
    assert.deepEqual(planIssuance('b', undefined, config([['b', { method: 'issuer', issuer: 'root' }]])), { kind: 'issuer', issuerRef: 'root', setting: { method: 'issuer', issuer: 'root' } });
    assert.deepEqual(planIssuance('c', undefined, config([['c', { method: 'role', role: 'edge' }]])), { kind: 'role', role: 'edge', setting: { method: 'role', role: 'edge' } });
  });

  test("an EST setting wins and the caller's issuer is ignored, as the spec says; URL and auth fall back to [cert_issuance.est]", () => {
    const est = { urls: { default: 'https://est.example/.well-known/est', d: 'https://est.example/d' }, trustedCerts: [], auth: { username: 'u' } };
    assert.deepEqual(planIssuance('d', requested, config([['d', { method: 'est' }]], { est })), { kind: 'est', url: 'https://est.example/d', auth: { username: 'u' } });
    assert.deepEqual(planIssuance('e', undefined, config([['e', { method: 'est' }]], { est })), { kind: 'est', url: 'https://est.example/.well-known/est', auth: { username: 'u' } });
    assert.deepEqual(planIssuance('f', undefined, config([['f', { method: 'est', url: 'https://own' }]])), { kind: 'est', url: 'https://own' });
  });

  test("an EST setting's own upstream or url wins; then this ID's URL, the default configuration, the default URL", () => {
    const est = { urls: { default: 'https://est.example/.well-known/est', d: 'https://est.example/d' }, trustedCerts: [], upstream: 9 };
    const target = (certId: string, setting: CertIssuanceSetting, defaults = est) => {
      const { kind: _kind, ...rest } = planIssuance(certId, undefined, config([[certId, setting]], { est: defaults })) as { kind: 'est'; upstream?: number; url?: string };
      return rest;
    };
    assert.deepEqual(target('x', { method: 'est', upstream: 2 }), { upstream: 2 });
    assert.deepEqual(target('x', { method: 'est', url: 'https://own' }), { url: 'https://own' });
    assert.deepEqual(target('d', { method: 'est' }), { url: 'https://est.example/d' });
    assert.deepEqual(target('x', { method: 'est' }), { upstream: 9 });
    assert.deepEqual(target('x', { method: 'est' }, { ...est, upstream: undefined as never }), { url: 'https://est.example/.well-known/est' });
  });

  test('with neither an issuer nor a setting the request is refused as certd refuses it', () => {
    assert.throws(
      () => planIssuance('nothing', undefined, config([])),
      (error: unknown) => error instanceof DomainError && error.kind === 'invalid' && /^parameter "issuer" has an invalid value\ncaused by: issuer is required for locally-issued certs/.test(error.message),
    );
  });

  test("the policy takes certd's 30-day default or expiry_days, and any names", () => {
    assert.equal(certdPolicy('x').validitySeconds, 30 * 86_400);
    assert.equal(certdPolicy('x', { method: 'local_ca', expiryDays: 2 }).validitySeconds, 2 * 86_400);
    assert.equal(certdPolicy('x').names.allowAnyName, true);
    assert.deepEqual(subjectOverride({ method: 'local_ca', commonName: 'dev' }), [{ type: 'CN', value: 'dev' }]);
    assert.equal(subjectOverride({ method: 'local_ca' }), undefined);
  });
});
