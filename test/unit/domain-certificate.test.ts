import { describe, test } from 'node:test';
import { certificateDecider, type CertificateEvent, type CertificateIssuedData } from '../../src/domain/certificate.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(certificateDecider);
const now = new Date('2026-11-23T10:00:00.000Z');
const issued: Omit<CertificateIssuedData, 'issuedAt'> = {
  serial: '4f0a',
  issuerId: 'iss-1',
  subject: 'CN=device-1',
  sans: [{ type: 'dns', value: 'device-1.example.com' }],
  notBefore: '2026-11-23T09:59:30.000Z',
  notAfter: '2027-11-23T10:00:00.000Z',
  der: 'AAAA',
  keyType: 'EC P-256',
  profile: 'default',
};
const issuedEvent: CertificateEvent = { type: 'CertificateIssued', data: { ...issued, issuedAt: now.toISOString() } };

describe('certificate decider', () => {
  test('records a new certificate on an empty stream', () => {
    given([]).when({ type: 'RecordIssuedCertificate', data: issued, now }).then([issuedEvent]);
  });

  test('refuses a serial that already exists', () => {
    given([issuedEvent]).when({ type: 'RecordIssuedCertificate', data: issued, now }).thenThrows('serial_in_use', 'conflict');
  });

  test('revokes an active certificate with reason and time', () => {
    const later = new Date('2026-12-01T00:00:00.000Z');
    given([issuedEvent])
      .when({ type: 'RevokeCertificate', data: { serial: '4f0a', reason: 'keyCompromise' }, now: later })
      .then([{ type: 'CertificateRevoked', data: { serial: '4f0a', issuerId: 'iss-1', reason: 'keyCompromise', revokedAt: later.toISOString() } }]);
  });

  test('revoking twice records nothing the second time', () => {
    const revoked: CertificateEvent = { type: 'CertificateRevoked', data: { serial: '4f0a', issuerId: 'iss-1', reason: 'superseded', revokedAt: now.toISOString() } };
    given([issuedEvent, revoked]).when({ type: 'RevokeCertificate', data: { serial: '4f0a', reason: 'keyCompromise' }, now }).then([]);
  });

  test('revoking an unknown serial is not found', () => {
    given([]).when({ type: 'RevokeCertificate', data: { serial: 'ff', reason: 'unspecified' }, now }).thenThrows('unknown_serial', 'not_found');
  });
});
