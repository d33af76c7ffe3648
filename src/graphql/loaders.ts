/**
 * Per-request, per-state batching (DataLoader): a page of 100 certificates asks for its issuers, renewal links and
 * event histories in one query each, not one per certificate.
 */
import DataLoader from 'dataloader';
import type { AuditRow } from '../../projections/audit.js';
import type { CertificateRow } from '../../projections/certificates.js';
import type { IssuerRow } from '../../projections/issuers.js';
import type { GraphReads } from './reads.js';

export interface CrlSummary {
  number: number;
  thisUpdate: string;
  nextUpdate: string;
  entries: number;
}

export interface Loaders {
  issuer: DataLoader<string, IssuerRow | undefined>;
  certificate: DataLoader<string, CertificateRow | undefined>;
  certificateEvents: DataLoader<string, AuditRow[]>;
  issuedTotal: DataLoader<string, number>;
  activeCertificates: DataLoader<string, number>;
  crl: DataLoader<string, CrlSummary | undefined>;
}

function byKey<Row, Key>(keys: readonly Key[], rows: Row[], keyOf: (row: Row) => Key): (Row | undefined)[] {
  const found = new Map(rows.map((row) => [keyOf(row), row]));
  return keys.map((key) => found.get(key));
}

function crlSummary(reads: GraphReads, issuerId: string): CrlSummary | undefined {
  const full = reads.revocation.crlNumbers(issuerId).full;
  if (!full) return undefined;
  const validFor = reads.revocation.config().config.expirySeconds * 1000;
  return {
    number: full.number,
    thisUpdate: full.at,
    nextUpdate: new Date(Date.parse(full.at) + validFor).toISOString(),
    entries: reads.revocation.entryTotals(issuerId, 0, full.position).count,
  };
}

export function createLoaders(reads: GraphReads, now: Date): Loaders {
  return {
    // Issuers are few: one query answers every issuer a request needs.
    issuer: new DataLoader(async (ids) => byKey(ids, reads.issuers.list(), (issuer) => issuer.issuerId)),
    certificate: new DataLoader(async (serials) => byKey(serials, reads.certificates.bySerials(serials, now), (row) => row.serial)),
    certificateEvents: new DataLoader(async (serials) => {
      const bySerial = new Map<string, AuditRow[]>(serials.map((serial) => [serial, []]));
      for (const event of reads.audit.forCertificates(serials)) bySerial.get(event.serial ?? '')?.push(event);
      return serials.map((serial) => bySerial.get(serial) ?? []);
    }),
    issuedTotal: new DataLoader(async (ids) => {
      const totals = reads.stats.issuedTotals(ids);
      return ids.map((id) => totals.get(id) ?? 0);
    }),
    activeCertificates: new DataLoader(async (ids) => ids.map((issuerId) => reads.stats.certificateCount('active', { issuerId }, now))),
    crl: new DataLoader(async (ids) => ids.map((id) => crlSummary(reads, id))),
  };
}
