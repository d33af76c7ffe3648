/**
 * SAN lookup: one row per (SAN value, certificate), so "which certificates name host X" is an index lookup rather
 * than a scan of every certificate's SAN list. DNS names and emails are stored lower-case; otherName SANs (opaque
 * DER) are not indexed.
 */
import type { Projection, RowOp } from './projection.js';
import type { San } from '../src/domain/x509.js';

/** The form a SAN value is stored and looked up in. */
export function sanLookupValue(san: Pick<San, 'type' | 'value'>): string {
  return san.type === 'dns' || san.type === 'email' ? san.value.toLowerCase() : san.value;
}

export const certificateSansProjection: Projection = {
  name: 'certificate_sans',
  version: 1,
  tables: {
    certificate_sans: [
      `CREATE TABLE IF NOT EXISTS certificate_sans (
        value TEXT NOT NULL,
        serial TEXT NOT NULL,
        PRIMARY KEY (value, serial)
      ) WITHOUT ROWID`,
      'CREATE INDEX IF NOT EXISTS certificate_sans_serial ON certificate_sans (serial)',
    ],
  },
  canHandle: ['CertificateIssued', 'CertificatesTidied'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertificateIssued': {
        const values = new Set(event.data.sans.filter((san) => san.type !== 'other').map(sanLookupValue));
        return [...values].map((value): RowOp => ({ op: 'insert', table: 'certificate_sans', row: { value, serial: event.data.serial } }));
      }
      case 'CertificatesTidied':
        return event.data.serials.map((serial): RowOp => ({ op: 'delete', table: 'certificate_sans', where: { serial } }));
      default:
        return [];
    }
  },
};
