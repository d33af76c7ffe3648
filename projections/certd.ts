/** certd's certificate store: the PEM chain each certificate ID currently holds, as `GET /certificates/{certId}` serves it. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { dersToPem } from '../src/crypto/pem.js';

const chainPem = (chain: string[]) => dersToPem(chain.map((b64) => Buffer.from(b64, 'base64')), 'CERTIFICATE');

export const certdProjection: Projection = {
  name: 'certd',
  version: 1,
  tables: {
    certd_certificates: [
      `CREATE TABLE IF NOT EXISTS certd_certificates (
        cert_id TEXT PRIMARY KEY,
        pem TEXT NOT NULL,
        source TEXT NOT NULL,
        serial TEXT,
        issuer_id TEXT,
        subject TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        position INTEGER NOT NULL
      )`,
    ],
  },
  canHandle: ['CertdCertificateCreated', 'CertdCertificateImported', 'CertdCertificateDeleted'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertdCertificateCreated':
      case 'CertdCertificateImported': {
        const d = event.data;
        const created = event.type === 'CertdCertificateCreated' ? event.data : undefined;
        return [
          {
            op: 'upsert',
            table: 'certd_certificates',
            key: ['cert_id'],
            row: {
              cert_id: d.certId,
              pem: chainPem(d.chain),
              source: created ? 'created' : 'imported',
              serial: created?.serial ?? null,
              issuer_id: created?.issuerId ?? null,
              subject: d.subject,
              updated_at: d.at,
              position: event.position,
            },
          },
        ];
      }
      case 'CertdCertificateDeleted':
        return [{ op: 'delete', table: 'certd_certificates', where: { cert_id: event.data.certId } }];
      default:
        return [];
    }
  },
};

export interface CertdCertificateRow {
  certId: string;
  /** The chain, leaf first, as concatenated PEM CERTIFICATE blocks. */
  pem: string;
  source: 'created' | 'imported';
  serial: string | null;
  issuerId: string | null;
  subject: string;
  updatedAt: string;
}

export class CertdQueries {
  private readonly byId;
  constructor(db: ReadModelDb) {
    this.byId = db.prepare('SELECT * FROM certd_certificates WHERE cert_id = ?');
  }

  get(certId: string): CertdCertificateRow | undefined {
    const raw = this.byId.get(certId) as Record<string, unknown> | undefined;
    if (!raw) return undefined;
    return {
      certId: raw.cert_id as string,
      pem: raw.pem as string,
      source: raw.source as 'created' | 'imported',
      serial: raw.serial as string | null,
      issuerId: raw.issuer_id as string | null,
      subject: raw.subject as string,
      updatedAt: raw.updated_at as string,
    };
  }
}
