import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DomainError } from '../../src/domain/errors.js';
import { EMPTY_URLS, expandUrlTemplates, pkiConfigDecider, type UrlsConfig } from '../../src/domain/pki-config.js';
import { AUTO_TIDY_DEFAULTS, TIDY_DEFAULTS, tidyDecider, type TidyEvent } from '../../src/domain/tidy.js';
import { deciderSpec } from '../support/decider-spec.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();

describe('pki config decider', () => {
  const given = deciderSpec(pkiConfigDecider);
  const urls: UrlsConfig = { ...EMPTY_URLS, crlDistributionPoints: ['http://pki.example.com/crl'], ocspServers: ['http://pki.example.com/ocsp'] };

  test('config/urls: valid URLs are recorded, templates allowed only with enable_templating', () => {
    given([]).when({ type: 'SetUrls', data: urls, now }).then([{ type: 'UrlsConfigured', data: { ...urls, at } }]);
    given([]).when({ type: 'SetUrls', data: { ...EMPTY_URLS, issuingCertificates: ['not a url'] }, now }).thenThrows('invalid_url', 'invalid');
    const templated = { ...EMPTY_URLS, issuingCertificates: ['{{cluster_aia_path}}/issuer/{{issuer_id}}/der'], enableTemplating: true };
    given([]).when({ type: 'SetUrls', data: { ...templated, enableTemplating: false }, now }).thenThrows('invalid_url');
    given([]).when({ type: 'SetUrls', data: templated, now }).then([{ type: 'UrlsConfigured', data: { ...templated, at } }]);
  });

  test('config/cluster, default key (idempotent), auto-tidy', () => {
    given([]).when({ type: 'SetCluster', data: { path: 'https://a.example.com/v1/pki', aiaPath: 'http://a.example.com/v1/pki' }, now }).then([
      { type: 'ClusterConfigured', data: { path: 'https://a.example.com/v1/pki', aiaPath: 'http://a.example.com/v1/pki', at } },
    ]);
    given([]).when({ type: 'SetCluster', data: { path: 'nope', aiaPath: '' }, now }).thenThrows('invalid_url');
    given([]).when({ type: 'SetDefaultKey', data: { keyId: 'k1' }, now }).then([{ type: 'DefaultKeySet', data: { keyId: 'k1', at } }]);
    given([{ type: 'DefaultKeySet', data: { keyId: 'k1', at } }]).when({ type: 'SetDefaultKey', data: { keyId: 'k1' }, now }).then([]);
    given([]).when({ type: 'SetAutoTidy', data: { ...AUTO_TIDY_DEFAULTS, intervalDuration: 0 }, now }).thenThrows('invalid_interval');
  });

  test('templates expand per issuer and need config/cluster', () => {
    assert.deepEqual(expandUrlTemplates(['{{cluster_aia_path}}/issuer/{{issuer_id}}/der'], 'i1', { path: 'https://x/v1/pki', aiaPath: 'http://x/v1/pki' }), ['http://x/v1/pki/issuer/i1/der']);
    assert.throws(() => expandUrlTemplates(['{{cluster_path}}/ocsp'], 'i1', undefined), DomainError);
  });
});

describe('tidy decider', () => {
  const given = deciderSpec(tidyDecider);
  const options = { ...TIDY_DEFAULTS, tidyCertStore: true };
  const started: TidyEvent = { type: 'TidyStarted', data: { tidyId: 't1', options, auto: false, at } };

  test('a run starts once, records tidied serials in batches, and ends once', () => {
    given([]).when({ type: 'StartTidy', data: { tidyId: 't1', options, auto: false }, now }).then([started]);
    given([started]).when({ type: 'StartTidy', data: { tidyId: 't1', options, auto: false }, now }).thenThrows('tidy_exists', 'conflict');
    given([started]).when({ type: 'RecordTidied', data: { kind: 'cert_store', serials: ['aa', 'bb'] }, now }).then([
      { type: 'CertificatesTidied', data: { tidyId: 't1', kind: 'cert_store', serials: ['aa', 'bb'], at } },
    ]);
    given([started]).when({ type: 'RecordTidied', data: { kind: 'revoked', serials: [] }, now }).then([]);
    const finished: TidyEvent = { type: 'TidyFinished', data: { tidyId: 't1', state: 'Cancelled', at } };
    given([started]).when({ type: 'FinishTidy', data: { state: 'Cancelled' }, now }).then([finished]);
    given([started, finished]).when({ type: 'RecordTidied', data: { kind: 'cert_store', serials: ['aa'] }, now }).thenThrows('tidy_not_running');
  });

  test('refuses zero safety buffers and negative pauses', () => {
    given([]).when({ type: 'StartTidy', data: { tidyId: 't1', options: { ...options, safetyBuffer: 0 }, auto: false }, now }).thenThrows('invalid_safety_buffer', 'invalid');
    given([]).when({ type: 'StartTidy', data: { tidyId: 't1', options: { ...options, pauseDurationMs: -1 }, auto: false }, now }).thenThrows('invalid_pause_duration', 'invalid');
  });
});
