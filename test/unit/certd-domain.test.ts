import { describe, test } from 'node:test';
import { certdDecider, type CertdEvent } from '../../src/domain/certd.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(certdDecider);
const now = new Date('2026-11-23T10:00:00.000Z');
const at = now.toISOString();
const createdData = { certId: 'example1', serial: '0a1b', issuerId: 'iss-1', subject: 'CN=dev', chain: ['TEVBRg==', 'Q0E='] };
const created: CertdEvent = { type: 'CertdCertificateCreated', data: { ...createdData, at } };
const importedData = { certId: 'example1', subject: 'CN=imported', chain: ['SU1Q'] };
const imported: CertdEvent = { type: 'CertdCertificateImported', data: { ...importedData, at } };
const deleted: CertdEvent = { type: 'CertdCertificateDeleted', data: { certId: 'example1', at } };

describe('certd decider', () => {
  test('records a certificate created from a CSR, with its serial and chain', () => {
    given([]).when({ type: 'RecordCreatedCertificate', data: createdData, now }).then([created]);
  });

  test('creating or importing replaces what the ID held, as certd overwrites', () => {
    given([imported]).when({ type: 'RecordCreatedCertificate', data: createdData, now }).then([created]);
    given([created]).when({ type: 'ImportCertificate', data: importedData, now }).then([imported]);
  });

  test('imports a chain', () => {
    given([]).when({ type: 'ImportCertificate', data: importedData, now }).then([imported]);
  });

  test('deletes a present certificate; deleting an empty ID records nothing and is no error', () => {
    given([created]).when({ type: 'DeleteCertificate', data: { certId: 'example1' }, now }).then([deleted]);
    given([]).when({ type: 'DeleteCertificate', data: { certId: 'example1' }, now }).then([]);
    given([imported, deleted]).when({ type: 'DeleteCertificate', data: { certId: 'example1' }, now }).then([]);
  });

  test('refuses an empty chain and unusable certificate IDs', () => {
    given([]).when({ type: 'ImportCertificate', data: { ...importedData, chain: [] }, now }).thenThrows('empty_chain', 'invalid');
    given([]).when({ type: 'RecordCreatedCertificate', data: { ...createdData, certId: '' }, now }).thenThrows('invalid_cert_id', 'invalid');
    given([]).when({ type: 'ImportCertificate', data: { ...importedData, certId: 'a\nb' }, now }).thenThrows('invalid_cert_id', 'invalid');
    given([]).when({ type: 'ImportCertificate', data: { ...importedData, certId: 'x'.repeat(257) }, now }).thenThrows('invalid_cert_id', 'invalid');
  });
});
