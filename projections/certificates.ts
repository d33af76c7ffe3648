/** Certificate index: one row per issued certificate, with its revocation state and renewal links. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { likeContains, SqlWhere } from './sql-where.js';
import type { San } from '../src/domain/x509.js';

export const certificatesProjection: Projection = {
  name: 'certificates',
  version: 2,
  tables: {
    certificates: [
      `CREATE TABLE IF NOT EXISTS certificates (
        serial TEXT NOT NULL UNIQUE,
        issuer_id TEXT NOT NULL,
        subject TEXT NOT NULL,
        sans TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        key_type TEXT NOT NULL,
        profile TEXT,
        role TEXT,
        renews TEXT,
        renewed_by TEXT,
        status TEXT NOT NULL,
        revoked_at TEXT,
        revocation_reason TEXT,
        der TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        position INTEGER PRIMARY KEY
      )`,
      // The row id is the log position (rows are written in position order, and "newest first" reads the table
      // itself); not_after ranges use the (not_after, serial) index. Fewer indexes: cheaper issuance and replay.
      'CREATE INDEX IF NOT EXISTS certificates_issuer ON certificates (issuer_id, status)',
      'CREATE INDEX IF NOT EXISTS certificates_issued_at ON certificates (issued_at)',
      // Keyset pages of the GraphQL API: a filter column followed by the order key.
      'CREATE INDEX IF NOT EXISTS certificates_issuer_position ON certificates (issuer_id, position)',
      'CREATE INDEX IF NOT EXISTS certificates_profile_position ON certificates (profile, position)',
      'CREATE INDEX IF NOT EXISTS certificates_status_position ON certificates (status, position)',
      'CREATE INDEX IF NOT EXISTS certificates_not_after_serial ON certificates (not_after, serial)',
      'CREATE INDEX IF NOT EXISTS certificates_profile_not_after ON certificates (profile, not_after, serial)',
    ],
  },
  canHandle: ['CertificateIssued', 'CertificateRevoked', 'CertificatesTidied'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertificateIssued': {
        const d = event.data;
        const ops: RowOp[] = [
          {
            op: 'insert',
            table: 'certificates',
            row: {
              serial: d.serial,
              issuer_id: d.issuerId,
              subject: d.subject,
              sans: JSON.stringify(d.sans),
              not_before: d.notBefore,
              not_after: d.notAfter,
              key_type: d.keyType,
              profile: d.profile ?? null,
              role: d.role ?? null,
              renews: d.renews ?? null,
              renewed_by: null,
              status: 'active',
              revoked_at: null,
              revocation_reason: null,
              der: d.der,
              issued_at: d.issuedAt,
              position: event.position,
            },
          },
        ];
        if (d.renews) ops.push({ op: 'update', table: 'certificates', where: { serial: d.renews }, set: { renewed_by: d.serial } });
        return ops;
      }
      case 'CertificateRevoked':
        return [
          {
            op: 'update',
            table: 'certificates',
            where: { serial: event.data.serial },
            set: { status: 'revoked', revoked_at: event.data.revokedAt, revocation_reason: event.data.reason },
          },
        ];
      // Tidy drops expired certificates from the index; their events stay in the log.
      case 'CertificatesTidied':
        return event.data.serials.map((serial): RowOp => ({ op: 'delete', table: 'certificates', where: { serial } }));
      default:
        return [];
    }
  },
};

export interface CertificateRow {
  serial: string;
  issuerId: string;
  subject: string;
  sans: San[];
  notBefore: string;
  notAfter: string;
  keyType: string;
  profile: string | null;
  role: string | null;
  renews: string | null;
  renewedBy: string | null;
  /** active, revoked, or expired (computed against `now`). */
  status: 'active' | 'revoked' | 'expired';
  revokedAt: string | null;
  revocationReason: string | null;
  der: string;
  issuedAt: string;
  position: number;
}

export interface RawCertificateRow {
  serial: string;
  issuer_id: string;
  subject: string;
  sans: string;
  not_before: string;
  not_after: string;
  key_type: string;
  profile: string | null;
  role: string | null;
  renews: string | null;
  renewed_by: string | null;
  status: 'active' | 'revoked';
  revoked_at: string | null;
  revocation_reason: string | null;
  der: string;
  issued_at: string;
  position: number;
}

export function toCertificateRow(raw: RawCertificateRow, now: Date): CertificateRow {
  const expired = raw.status === 'active' && Date.parse(raw.not_after) <= now.getTime();
  return {
    serial: raw.serial,
    issuerId: raw.issuer_id,
    subject: raw.subject,
    sans: JSON.parse(raw.sans) as San[],
    notBefore: raw.not_before,
    notAfter: raw.not_after,
    keyType: raw.key_type,
    profile: raw.profile,
    role: raw.role,
    renews: raw.renews,
    renewedBy: raw.renewed_by,
    status: expired ? 'expired' : raw.status,
    revokedAt: raw.revoked_at,
    revocationReason: raw.revocation_reason,
    der: raw.der,
    issuedAt: raw.issued_at,
    position: raw.position,
  };
}

/** Admin certificate search; every field optional, all given ones must match. */
export interface CertificateFilter {
  status?: CertificateRow['status'];
  issuerId?: string;
  /** Case-insensitive substring of the subject DN. */
  subjectContains?: string;
  /** Prefix of the lower-case hex serial. */
  serialPrefix?: string;
  /** not_after >= this ISO timestamp. */
  notAfterFrom?: string;
  /** not_after < this ISO timestamp. */
  notAfterTo?: string;
}

function certificateWhere(filter: CertificateFilter, now: Date): SqlWhere {
  const where = new SqlWhere();
  if (filter.status === 'revoked') where.add("status = 'revoked'");
  if (filter.status === 'active') where.add("status = 'active' AND not_after > ?", now.toISOString());
  if (filter.status === 'expired') where.add("status = 'active' AND not_after <= ?", now.toISOString());
  if (filter.issuerId !== undefined) where.add('issuer_id = ?', filter.issuerId);
  if (filter.subjectContains !== undefined) where.add("subject LIKE ? ESCAPE '\\'", likeContains(filter.subjectContains));
  // Hex digits sort below 'g', so [prefix, prefix + 'g') is exactly the serials starting with prefix (an index range).
  if (filter.serialPrefix !== undefined) where.add('serial >= ? AND serial < ?', filter.serialPrefix, `${filter.serialPrefix}g`);
  if (filter.notAfterFrom !== undefined) where.add('not_after >= ?', filter.notAfterFrom);
  if (filter.notAfterTo !== undefined) where.add('not_after < ?', filter.notAfterTo);
  return where;
}

export class CertificateQueries {
  private readonly bySerial;
  private readonly countByIssuer;
  private readonly activeByIssuer;
  constructor(private readonly db: ReadModelDb) {
    this.bySerial = db.prepare('SELECT * FROM certificates WHERE serial = ?');
    this.countByIssuer = db.prepare('SELECT COUNT(*) AS n FROM certificates WHERE issuer_id = ?');
    this.activeByIssuer = db.prepare("SELECT issuer_id, COUNT(*) AS n FROM certificates WHERE status = 'active' AND not_after > ? GROUP BY issuer_id");
  }

  /** One page of matching certificates, newest first, and how many match in all. */
  search(filter: CertificateFilter, page: { limit: number; offset: number }, now = new Date()): { rows: CertificateRow[]; total: number } {
    const where = certificateWhere(filter, now);
    const total = (this.db.prepare(`SELECT COUNT(*) AS n FROM certificates ${where}`).get(...where.params) as { n: number }).n;
    const raws = this.db.prepare(`SELECT * FROM certificates ${where} ORDER BY position DESC LIMIT ? OFFSET ?`).all(...where.params, page.limit, page.offset) as RawCertificateRow[];
    return { rows: raws.map((raw) => toCertificateRow(raw, now)), total };
  }

  /** Certificates neither revoked nor expired at `now`, per issuer (issuers without any are absent). */
  activeCountsByIssuer(now = new Date()): Map<string, number> {
    const rows = this.activeByIssuer.all(now.toISOString()) as { issuer_id: string; n: number }[];
    return new Map(rows.map((r) => [r.issuer_id, r.n]));
  }

  get(serial: string, now = new Date()): CertificateRow | undefined {
    const raw = this.bySerial.get(serial.toLowerCase()) as RawCertificateRow | undefined;
    return raw && toCertificateRow(raw, now);
  }

  countIssuedBy(issuerId: string): number {
    return (this.countByIssuer.get(issuerId) as { n: number }).n;
  }
}
