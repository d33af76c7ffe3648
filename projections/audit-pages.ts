/** Keyset pages over the audit view (GraphQL connections), ordered by store position, newest first. */
import { AUDIT_SELECT, auditWhere, toAuditRow, type AuditFilter, type AuditRow } from './audit.js';
import type { ReadModelDb } from './readmodel-db.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';

export interface AuditPageRequest {
  /** Only events older than this position. */
  afterPosition?: number;
  /** Only events newer than this position. */
  beforePosition?: number;
  limit: number;
  /** Take the oldest `limit` events of the range instead of the newest (Relay `last`). */
  fromEnd: boolean;
}

/** The audit view, joined with the certificate index only when a subject filter needs it. */
const fromFor = (filter: AuditFilter) => (filter.subjectContains === undefined ? 'audit_events a' : 'audit_events a LEFT JOIN certificates c ON c.serial = a.serial');

export class AuditPageQueries {
  private readonly statement: PreparedStatements;

  constructor(db: ReadModelDb) {
    this.statement = statementCache(db);
  }

  /** Newest first; `more` says whether events exist past the far end of the page. */
  page(filter: AuditFilter, request: AuditPageRequest): { rows: AuditRow[]; more: boolean } {
    const where = auditWhere(filter);
    if (request.afterPosition !== undefined) where.add('a.position < ?', request.afterPosition);
    if (request.beforePosition !== undefined) where.add('a.position > ?', request.beforePosition);
    const raws = this.statement(`${AUDIT_SELECT} ${where} ORDER BY a.position ${request.fromEnd ? 'ASC' : 'DESC'} LIMIT ?`).all(...where.params, request.limit + 1);
    const rows = (raws as Record<string, unknown>[]).slice(0, request.limit).map(toAuditRow);
    return { rows: request.fromEnd ? rows.reverse() : rows, more: raws.length > request.limit };
  }

  /** Whether a matching event exists at or newer than `position` (side 'newer'), or at or older. */
  anyBeyond(filter: AuditFilter, position: number, side: 'newer' | 'older'): boolean {
    const where = auditWhere(filter).add(side === 'newer' ? 'a.position >= ?' : 'a.position <= ?', position);
    return this.statement(`SELECT 1 FROM ${fromFor(filter)} ${where} LIMIT 1`).get(...where.params) !== undefined;
  }

  count(filter: AuditFilter): number {
    const where = auditWhere(filter);
    return (this.statement(`SELECT COUNT(*) AS n FROM ${fromFor(filter)} ${where}`).get(...where.params) as { n: number }).n;
  }

  /** The newest audited position at or before `time` (0 if none): how far a replay until `time` reaches, about. */
  lastPositionAt(time: Date): number {
    return (this.statement('SELECT COALESCE(MAX(position), 0) AS p FROM audit_events WHERE time <= ?').get(time.toISOString()) as { p: number }).p;
  }

  /** One audited event by position (a live subscription's payload). */
  at(position: number): AuditRow | undefined {
    const raw = this.statement(`${AUDIT_SELECT} WHERE a.position = ?`).get(position);
    return raw ? toAuditRow(raw as Record<string, unknown>) : undefined;
  }

  /** The events of the certificates' own streams (`cert-<serial>`), oldest first, through the serial index. */
  forCertificates(serials: readonly string[]): AuditRow[] {
    const raws = this.statement(`${AUDIT_SELECT} WHERE a.serial IN (SELECT value FROM json_each(?)) AND a.stream = 'cert-' || a.serial ORDER BY a.position`).all(JSON.stringify(serials));
    return (raws as Record<string, unknown>[]).map(toAuditRow);
  }
}
