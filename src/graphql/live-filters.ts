/** Pure predicates for subscription filters: the same meaning as the query filters, applied to one live row. */
import type { AuditFilter, AuditRow } from '../../projections/audit.js';
import type { CertificateRow } from '../../projections/certificates.js';

export interface LiveCertificateFilter {
  issuerId?: string;
  profile?: string;
  subjectContains?: string;
}

const contains = (text: string | null, part: string) => text !== null && text.toLowerCase().includes(part.toLowerCase());

export function certificateMatches(row: CertificateRow, filter: LiveCertificateFilter): boolean {
  if (filter.issuerId !== undefined && row.issuerId !== filter.issuerId) return false;
  if (filter.profile !== undefined && row.profile !== filter.profile) return false;
  return filter.subjectContains === undefined || contains(row.subject, filter.subjectContains);
}

export function auditMatches(row: AuditRow, filter: AuditFilter): boolean {
  if (filter.actions?.length && !filter.actions.includes(row.action)) return false;
  if (filter.results?.length && !filter.results.includes(row.result)) return false;
  if (filter.subjectContains !== undefined && !contains(row.subject, filter.subjectContains)) return false;
  if (filter.issuerId !== undefined && row.issuerId !== filter.issuerId) return false;
  if (filter.serial !== undefined && row.serial !== filter.serial) return false;
  if (filter.from !== undefined && row.time < filter.from) return false;
  return filter.to === undefined || row.time < filter.to;
}
