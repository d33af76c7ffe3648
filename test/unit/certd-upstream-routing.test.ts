/** Which EST configuration a certd `method = "est"` setting enrolls through, and the in_use it adds to a delete. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { CertdConfig } from '../../src/certd/authorization.js';
import type { CertIssuanceSetting } from '../../src/certd/config-file.js';
import { certdUpstreamOf, certdUpstreamUsers, upstreamForUrl, type UpstreamCandidate } from '../../src/certd/upstream-routing.js';

const candidate = (id: number, server: string, port: number, enrollEndpoint: string, validated = true): UpstreamCandidate => ({
  id,
  settings: { server, port, enrollEndpoint },
  ...(validated ? { lastValidated: '2026-11-23T10:00:00.000Z' } : {}),
});
const candidates = [
  candidate(1, 'est.example.com', 8443, '/.well-known/est/simpleenroll', false),
  candidate(2, 'est.example.com', 8443, '/.well-known/est/simpleenroll'),
  candidate(3, 'est.example.com', 443, '/.well-known/est/edge/simpleenroll'),
  candidate(4, '::1', 9443, '/est/enroll'),
];
const config = (entries: [string, CertIssuanceSetting][], extra: Partial<CertdConfig> = {}): CertdConfig => ({ principals: [], issuance: new Map(entries), ...extra });

describe('certd upstream routing', () => {
  test("a certd EST URL (the EST base path, or the enroll URL itself) names a configuration, a validated one first", () => {
    assert.equal(upstreamForUrl(candidates, 'https://est.example.com:8443/.well-known/est'), 2);
    assert.equal(upstreamForUrl(candidates, 'https://est.example.com:8443/.well-known/est/'), 2);
    assert.equal(upstreamForUrl(candidates, 'https://est.example.com/.well-known/est/edge'), 3, 'https without a port is 443');
    assert.equal(upstreamForUrl(candidates, 'https://[::1]:9443/est/enroll'), 4);
    assert.equal(upstreamForUrl([candidates[0]], 'https://est.example.com:8443/.well-known/est'), 1, 'an unvalidated one is still the one named');
    for (const url of ['https://est.example.com/.well-known/est', 'https://other.example.com:8443/.well-known/est', 'not a url']) assert.equal(upstreamForUrl(candidates, url), undefined, url);
  });

  test('settings resolve by id or URL; in_use lists the certd IDs that route through a configuration', () => {
    const certd = config(
      [
        ['by-id', { method: 'est', upstream: 3 }],
        ['by-url', { method: 'est', url: 'https://est.example.com:8443/.well-known/est' }],
        ['by-default', { method: 'est' }],
        ['local', { method: 'local_ca' }],
      ],
      { est: { urls: {}, trustedCerts: [], upstream: 3 } },
    );
    assert.equal(certdUpstreamOf(certd, 'by-id', candidates), 3);
    assert.equal(certdUpstreamOf(certd, 'by-url', candidates), 2);
    assert.equal(certdUpstreamOf(certd, 'local', candidates), undefined);
    assert.deepEqual(certdUpstreamUsers(certd, candidates, 3), ['certd:by-id', 'certd:by-default']);
    assert.deepEqual(certdUpstreamUsers(certd, candidates, 2), ['certd:by-url']);
    assert.deepEqual(certdUpstreamUsers(certd, candidates, 4), []);
    assert.deepEqual(certdUpstreamUsers(undefined, candidates, 3), [], 'no certd, no certd users');
  });
});
