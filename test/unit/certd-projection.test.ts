import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { certdProjection } from '../../projections/certd.js';
import type { SignetRecordedEvent } from '../../projections/projection.js';
import { decodePem } from '../../src/crypto/pem.js';

const recorded = (position: number, event: Pick<SignetRecordedEvent, 'type' | 'data'>) =>
  ({ ...event, id: `e${position}`, streamId: 'certd-example1', revision: position - 1, position, metadata: {}, created: 0 }) as SignetRecordedEvent;

describe('certd projection', () => {
  test('serves the chain as PEM, leaf first, and forgets a deleted ID', () => {
    const chain = [Buffer.from('leaf'), Buffer.from('ca')];
    const [created] = certdProjection.reduce(
      recorded(1, { type: 'CertdCertificateCreated', data: { certId: 'example1', serial: 'ab', issuerId: 'i', subject: 'CN=x', chain: chain.map((b) => b.toString('base64')), at: 't' } }),
    );
    assert.equal(created.op, 'upsert');
    const row = (created as { row: Record<string, unknown> }).row;
    assert.deepEqual(decodePem(row.pem as string).map((b) => Buffer.from(b.der).toString()), ['leaf', 'ca']);
    assert.equal(row.serial, 'ab');
    assert.equal(row.source, 'created');

    const [imported] = certdProjection.reduce(recorded(2, { type: 'CertdCertificateImported', data: { certId: 'example1', subject: 'CN=y', chain: [Buffer.from('x').toString('base64')], at: 't' } }));
    assert.equal((imported as { row: Record<string, unknown> }).row.source, 'imported');
    assert.deepEqual(certdProjection.reduce(recorded(3, { type: 'CertdCertificateDeleted', data: { certId: 'example1', at: 't' } })), [
      { op: 'delete', table: 'certd_certificates', where: { cert_id: 'example1' } },
    ]);
  });
});
