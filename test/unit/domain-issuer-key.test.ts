import { describe, test } from 'node:test';
import { issuerDecider, type IssuerEvent, type IssuerCreatedData } from '../../src/domain/issuer.js';
import { keyDecider, type KeyEvent } from '../../src/domain/key.js';
import { deciderSpec } from '../support/decider-spec.js';

const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();

describe('issuer decider', () => {
  const given = deciderSpec(issuerDecider);
  const created: Omit<IssuerCreatedData, 'at'> = {
    issuerId: 'i1', name: 'root-2026', kind: 'root', certificate: 'AAAA', chain: [], keyId: 'k1', subject: 'CN=Root', serial: '01',
    notBefore: at, notAfter: '2046-11-23T10:00:00.000Z', usage: ['issuing-certificates', 'crl-signing', 'ocsp-signing'], leafNotAfterBehavior: 'err',
  };
  const createdEvent: IssuerEvent = { type: 'IssuerCreated', data: { ...created, at } };

  test('creates an issuer once', () => {
    given([]).when({ type: 'CreateIssuer', data: created, now }).then([createdEvent]);
    given([createdEvent]).when({ type: 'CreateIssuer', data: created, now }).thenThrows('issuer_exists', 'conflict');
  });

  test('refuses an empty name', () => {
    given([]).when({ type: 'CreateIssuer', data: { ...created, name: '' }, now }).thenThrows('issuer_name_required', 'invalid');
  });

  test('revocation is idempotent and removes issuing usage', () => {
    const revoked: IssuerEvent = { type: 'IssuerRevoked', data: { issuerId: 'i1', at } };
    given([createdEvent]).when({ type: 'RevokeIssuer', data: { issuerId: 'i1' }, now }).then([revoked]);
    given([createdEvent, revoked]).when({ type: 'RevokeIssuer', data: { issuerId: 'i1' }, now }).then([]);
    given([createdEvent, revoked])
      .when({ type: 'UpdateIssuer', data: { issuerId: 'i1', usage: ['issuing-certificates'] }, now })
      .thenThrows('issuer_revoked', 'invalid');
  });

  test('updating an unknown issuer is not found', () => {
    given([]).when({ type: 'UpdateIssuer', data: { issuerId: 'nope', name: 'x' }, now }).thenThrows('unknown_issuer', 'not_found');
  });
});

describe('key decider', () => {
  const given = deciderSpec(keyDecider);
  const registered = { keyId: 'k1', name: 'root-key', spec: { kind: 'ec' as const, curve: 'P-256' as const }, spki: 'AA', wrapped: 'BB' };
  const generated: KeyEvent = { type: 'KeyGenerated', data: { ...registered, at } };

  test('registers generated and imported keys with the matching event', () => {
    given([]).when({ type: 'RegisterKey', origin: 'generated', data: registered, now }).then([generated]);
    given([]).when({ type: 'RegisterKey', origin: 'imported', data: registered, now }).then([{ type: 'KeyImported', data: { ...registered, at } }]);
  });

  test('rename is a no-op when the name is unchanged', () => {
    given([generated]).when({ type: 'RenameKey', data: { keyId: 'k1', name: 'root-key' }, now }).then([]);
    given([generated]).when({ type: 'RenameKey', data: { keyId: 'k1', name: 'new' }, now }).then([{ type: 'KeyUpdated', data: { keyId: 'k1', name: 'new', at } }]);
  });

  test('a key in use by an issuer cannot be deleted', () => {
    given([generated]).when({ type: 'DeleteKey', data: { keyId: 'k1', usedByIssuers: ['i1'] }, now }).thenThrows('key_in_use', 'conflict');
    given([generated]).when({ type: 'DeleteKey', data: { keyId: 'k1', usedByIssuers: [] }, now }).then([{ type: 'KeyDeleted', data: { keyId: 'k1', at } }]);
  });
});
