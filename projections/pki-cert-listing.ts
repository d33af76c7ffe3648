/**
 * What OpenBao's `LIST certs` shows: every certificate in the index except those issued under a `no_store` role.
 * Their CertificateIssued events are recorded like any other (events are forever, and audit needs them); only the
 * listing hides them. Tidied certificates leave this table as they leave the index.
 */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';

export const pkiCertListingProjection: Projection = {
  name: 'pki-cert-listing',
  version: 1,
  tables: {
    unlisted_certificates: [`CREATE TABLE IF NOT EXISTS unlisted_certificates (serial TEXT PRIMARY KEY)`],
  },
  canHandle: ['CertificateIssued', 'CertificatesTidied'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertificateIssued':
        return event.data.noStore ? [{ op: 'insert', table: 'unlisted_certificates', row: { serial: event.data.serial } }] : [];
      case 'CertificatesTidied':
        return event.data.serials.map((serial): RowOp => ({ op: 'delete', table: 'unlisted_certificates', where: { serial } }));
      default:
        return [];
    }
  },
};

/** A page of an OpenBao LIST: entries sorted, strictly after `after`, at most `limit` (0 = all). */
export interface ListPage {
  after?: string;
  limit?: number;
}

function pageSql(page: ListPage): { clause: string; params: (string | number)[] } {
  const params: (string | number)[] = [];
  let clause = '';
  if (page.after) {
    clause += ' AND c.serial > ?';
    params.push(page.after);
  }
  clause += ' ORDER BY c.serial';
  if (page.limit && page.limit > 0) {
    clause += ' LIMIT ?';
    params.push(page.limit);
  }
  return { clause, params };
}

export interface TidyCandidate {
  serial: string;
  revoked: boolean;
}

export class PkiCertListingQueries {
  constructor(private readonly db: ReadModelDb) {}

  /** Serials (lower-case hex) of listed certificates. */
  serials(page: ListPage = {}): string[] {
    const { clause, params } = pageSql(page);
    const sql = `SELECT c.serial FROM certificates c WHERE c.serial NOT IN (SELECT serial FROM unlisted_certificates)${clause}`;
    return (this.db.prepare(sql).all(...params) as { serial: string }[]).map((r) => r.serial);
  }

  revokedSerials(page: ListPage = {}): string[] {
    const { clause, params } = pageSql(page);
    const sql = `SELECT c.serial FROM certificates c WHERE c.status = 'revoked'${clause}`;
    return (this.db.prepare(sql).all(...params) as { serial: string }[]).map((r) => r.serial);
  }

  /** Certificates whose notAfter is before `cutoff` (ISO time), for tidy. */
  expiredBefore(cutoff: string): TidyCandidate[] {
    const rows = this.db.prepare('SELECT serial, status FROM certificates WHERE not_after < ? ORDER BY not_after').all(cutoff) as { serial: string; status: string }[];
    return rows.map((r) => ({ serial: r.serial, revoked: r.status === 'revoked' }));
  }
}
