/** Given/when/then for the CRL number decider and the config/crl decider. */
import { describe, test } from 'node:test';
import { crlDecider, type CrlEvent } from '../../src/domain/crl.js';
import { DEFAULT_CRL_CONFIG, crlConfigDecider, type CrlConfigEvent } from '../../src/domain/crl-config.js';
import { deciderSpec } from '../support/decider-spec.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();
const allocated = (number: number, kind: 'full' | 'delta', coversPosition: number, base?: { number: number; position: number }): CrlEvent => ({
  type: 'CrlNumberAllocated',
  data: { issuerId: 'i1', number, kind, ...(base === undefined ? {} : { baseNumber: base.number, basePosition: base.position }), coversPosition, at },
});
const allocate = (kind: 'full' | 'delta', coversPosition: number) => ({ type: 'AllocateCrlNumber' as const, data: { issuerId: 'i1', kind, coversPosition }, now });

describe('crl number decider', () => {
  const given = deciderSpec(crlDecider);

  test('the first complete CRL gets number 1', () => {
    given([]).when(allocate('full', 10)).then([allocated(1, 'full', 10)]);
  });

  test('numbers keep rising across complete and delta CRLs, and a delta names the latest complete CRL as its base', () => {
    given([allocated(1, 'full', 10)]).when(allocate('delta', 12)).then([allocated(2, 'delta', 12, { number: 1, position: 10 })]);
    given([allocated(1, 'full', 10), allocated(2, 'delta', 12, { number: 1, position: 10 })]).when(allocate('full', 15)).then([allocated(3, 'full', 15)]);
    given([allocated(1, 'full', 10), allocated(2, 'delta', 12, { number: 1, position: 10 }), allocated(3, 'full', 15)]).when(allocate('delta', 15)).then([allocated(4, 'delta', 15, { number: 3, position: 15 })]);
  });

  test('a delta needs a complete CRL to extend, covering at least as much', () => {
    given([]).when(allocate('delta', 1)).thenThrows('no_base_crl', 'invalid');
    given([allocated(1, 'full', 10)]).when(allocate('delta', 9)).thenThrows('delta_before_base', 'invalid');
  });

  test('externally supplied CRLs are recorded with their own numbers and do not move the sequence', () => {
    const signed: CrlEvent = { type: 'RevocationListSigned', data: { issuerId: 'i1', source: 'sign-revocation-list', number: 99, entries: 2, at } };
    given([]).when({ type: 'RecordSignedRevocationList', data: { issuerId: 'i1', source: 'sign-revocation-list', number: 99, entries: 2 }, now }).then([signed]);
    given([signed]).when(allocate('full', 1)).then([allocated(1, 'full', 1)]);
    given([]).when({ type: 'RecordSignedRevocationList', data: { issuerId: 'i1', source: 'resign-crls', number: -1, entries: 0 }, now }).thenThrows('invalid_crl_number', 'invalid');
  });
});

describe('config/crl decider', () => {
  const given = deciderSpec(crlConfigDecider);
  const updated = (changes: Partial<typeof DEFAULT_CRL_CONFIG>): CrlConfigEvent => ({ type: 'CrlConfigUpdated', data: { ...DEFAULT_CRL_CONFIG, ...changes, at } });

  test('the first write records the whole configuration, defaults filled in', () => {
    given([]).when({ type: 'UpdateCrlConfig', data: { expirySeconds: 48 * 3600 }, now }).then([updated({ expirySeconds: 48 * 3600 })]);
    given([]).when({ type: 'UpdateCrlConfig', data: {}, now }).then([updated({})]);
  });

  test('updates merge into the current configuration; an unchanged one records nothing', () => {
    given([updated({ expirySeconds: 48 * 3600 })]).when({ type: 'UpdateCrlConfig', data: { ocspDisable: true }, now }).then([updated({ expirySeconds: 48 * 3600, ocspDisable: true })]);
    given([updated({ ocspDisable: true })]).when({ type: 'UpdateCrlConfig', data: { ocspDisable: true }, now }).then([]);
  });

  test('delta CRLs require auto_rebuild', () => {
    given([]).when({ type: 'UpdateCrlConfig', data: { enableDelta: true }, now }).thenThrows('delta_requires_auto_rebuild', 'invalid');
    given([]).when({ type: 'UpdateCrlConfig', data: { enableDelta: true, autoRebuild: true }, now }).then([updated({ enableDelta: true, autoRebuild: true })]);
  });

  test('grace period and delta interval must be shorter than the expiry', () => {
    given([]).when({ type: 'UpdateCrlConfig', data: { expirySeconds: 3600, autoRebuildGracePeriodSeconds: 3600 }, now }).thenThrows('invalid_grace_period', 'invalid');
    given([]).when({ type: 'UpdateCrlConfig', data: { expirySeconds: 3600, autoRebuildGracePeriodSeconds: 60, deltaRebuildIntervalSeconds: 7200 }, now }).thenThrows('invalid_delta_interval', 'invalid');
    given([]).when({ type: 'UpdateCrlConfig', data: { expirySeconds: 0 }, now }).thenThrows('invalid_expiry', 'invalid');
  });
});
