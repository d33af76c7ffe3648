/**
 * Keyset pages over the certificate index (GraphQL connections): a page starts after or ends before a row's
 * order key, so page N costs the same as page 1 and rows never shift between pages the way OFFSET does.
 * Counts use the stats counters when the filter allows it, and an indexed COUNT otherwise.
 */
import { toCertificateRow, type CertificateFilter, type CertificateRow, type RawCertificateRow } from './certificates.js';
import type { ReadModelDb } from './readmodel-db.js';
import { likeContains, SqlWhere } from './sql-where.js';
import { StatsQueries } from './stats.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';

export interface CertificateSearch extends CertificateFilter {
  /** null = certificates without a profile. */
  profile?: string | null;
  role?: string;
  /** Exact SAN value; DNS names and emails match in any case (they are indexed lower-case). */
  san?: string;
  /** issued_at >= this ISO timestamp. */
  issuedFrom?: string;
  /** issued_at < this ISO timestamp. */
  issuedTo?: string;
}

export type CertificateOrderField = 'issued' | 'not_after' | 'serial';

export interface CertificateOrder {
  field: CertificateOrderField;
  direction: 'asc' | 'desc';
}

/** A row's place in an order: its order-key value and its serial (the tie-breaker). */
export interface OrderKey {
  key: string | number;
  serial: string;
}

export interface PageRequest {
  order: CertificateOrder;
  /** Only rows after this key in the order. */
  after?: OrderKey;
  /** Only rows before this key in the order. */
  before?: OrderKey;
  limit: number;
  /** Take the last `limit` rows of the range instead of the first (Relay `last`). */
  fromEnd: boolean;
}

export interface CertificatePage {
  rows: CertificateRow[];
  /** More rows exist past the far end of the page (after it, or before it when fromEnd). */
  more: boolean;
}

/** Order-key columns: the key itself, then the serial when the key alone is not unique. */
const ORDER_COLUMNS: Record<CertificateOrderField, string[]> = {
  issued: ['position'],
  not_after: ['not_after', 'serial'],
  serial: ['serial'],
};

export function orderKeyOf(row: CertificateRow, field: CertificateOrderField): OrderKey {
  const key = field === 'issued' ? row.position : field === 'not_after' ? row.notAfter : row.serial;
  return { key, serial: row.serial };
}

/** `(a, b) > (?, ?)`: rows strictly past `key` in ascending column order (`<` for descending). */
function beyond(where: SqlWhere, field: CertificateOrderField, key: OrderKey, ascending: boolean, inclusive = false): void {
  const columns = ORDER_COLUMNS[field];
  const values = columns.length === 1 ? [key.key] : [key.key, key.serial];
  const op = `${ascending ? '>' : '<'}${inclusive ? '=' : ''}`;
  const lhs = columns.length === 1 ? columns[0] : `(${columns.join(', ')})`;
  const rhs = columns.length === 1 ? '?' : `(${columns.map(() => '?').join(', ')})`;
  where.add(`${lhs} ${op} ${rhs}`, ...values);
}

/** Filters the stats counters can count without touching the certificate rows. */
const COUNTER_FILTERS = new Set(['status', 'issuerId', 'profile', 'notAfterFrom', 'notAfterTo']);

/** The counters' view of a countable search. */
function counted(stats: StatsQueries, search: CertificateSearch, now: Date): number {
  return stats.certificateCount(search.status, { issuerId: search.issuerId, profile: search.profile }, now, { from: search.notAfterFrom, to: search.notAfterTo });
}

type FilterColumn = 'status' | 'not_after' | 'issuer_id' | 'profile' | 'role' | 'serial' | 'issued_at';

/**
 * The columns whose indexes may drive a query; the others are written `+column`, which keeps SQLite from using
 * their indexes. Without statistics SQLite prefers any equality index (status = 'active' matches most rows), then
 * sorts what it found; reading the order index and filtering is what stays fast for a page of 100.
 */
function drivingColumns(search: CertificateSearch, order?: CertificateOrder): Set<FilterColumn> {
  if (search.san !== undefined || search.serialPrefix !== undefined) return new Set(['serial']);
  if (order) {
    // The (issuer_id | profile | status, position) indexes match an equality filter and give position order.
    if (order.field === 'issued') return new Set(['status', 'issuer_id', 'profile']);
    // (profile, not_after, serial) serves "expiring first in profile P": profiles skew strongly by validity.
    if (order.field === 'not_after') return new Set(['not_after', 'profile']);
    return new Set(['serial']);
  }
  if (search.issuedFrom !== undefined || search.issuedTo !== undefined) return new Set(['issued_at']);
  if (search.notAfterFrom !== undefined || search.notAfterTo !== undefined) return new Set(['not_after']);
  return new Set(['status', 'issuer_id', 'profile', 'role']);
}

/** Below this many matching rows, reading them through an equality index and sorting beats walking the order index. */
const SORT_BELOW = 5000;

function searchWhere(search: CertificateSearch, now: Date, driving: Set<FilterColumn>): SqlWhere {
  const c = (column: FilterColumn) => (driving.has(column) ? column : `+${column}`);
  const where = new SqlWhere();
  const nowIso = now.toISOString();
  if (search.status === 'revoked') where.add(`${c('status')} = 'revoked'`);
  if (search.status === 'active') where.add(`${c('status')} = 'active' AND ${c('not_after')} > ?`, nowIso);
  if (search.status === 'expired') where.add(`${c('status')} = 'active' AND ${c('not_after')} <= ?`, nowIso);
  if (search.issuerId !== undefined) where.add(`${c('issuer_id')} = ?`, search.issuerId);
  if (search.profile !== undefined) where.add(search.profile === null ? 'profile IS NULL' : `${c('profile')} = ?`, ...(search.profile === null ? [] : [search.profile]));
  if (search.role !== undefined) where.add(`${c('role')} = ?`, search.role);
  if (search.subjectContains !== undefined) where.add("subject LIKE ? ESCAPE '\\'", likeContains(search.subjectContains));
  if (search.san !== undefined) where.add('serial IN (SELECT serial FROM certificate_sans WHERE value IN (?, ?))', search.san, search.san.toLowerCase());
  // Hex digits sort below 'g', so [prefix, prefix + 'g') is exactly the serials starting with prefix (an index range).
  if (search.serialPrefix !== undefined) where.add(`${c('serial')} >= ? AND ${c('serial')} < ?`, search.serialPrefix, `${search.serialPrefix}g`);
  if (search.notAfterFrom !== undefined) where.add(`${c('not_after')} >= ?`, search.notAfterFrom);
  if (search.notAfterTo !== undefined) where.add(`${c('not_after')} < ?`, search.notAfterTo);
  if (search.issuedFrom !== undefined) where.add(`${c('issued_at')} >= ?`, search.issuedFrom);
  if (search.issuedTo !== undefined) where.add(`${c('issued_at')} < ?`, search.issuedTo);
  return where;
}

export class CertificatePageQueries {
  private readonly statement: PreparedStatements;
  private readonly stats: StatsQueries;

  constructor(db: ReadModelDb) {
    this.statement = statementCache(db);
    this.stats = new StatsQueries(db);
  }

  /** Only filters on status, issuer, profile and notAfter, so the counters can size the result. */
  private countable(search: CertificateSearch): boolean {
    return Object.entries(search).every(([name, value]) => value === undefined || COUNTER_FILTERS.has(name));
  }

  /**
   * When the counters say few rows match (say revoked certificates of one issuer), the columns to find them by:
   * the (issuer_id, status) index when both are given, else the single most selective equality filter.
   */
  private sortedPlan(search: CertificateSearch, now: Date): Set<FilterColumn> | undefined {
    const { status, issuerId, profile } = search;
    const narrowing = issuerId !== undefined || profile !== undefined || status === 'revoked';
    if (!narrowing || !this.countable(search)) return undefined;
    if (counted(this.stats, search, now) >= SORT_BELOW) return undefined;
    if (issuerId !== undefined && status !== undefined) return new Set(['issuer_id', 'status']);
    const alone: [FilterColumn, number][] = [];
    if (status !== undefined) alone.push(['status', this.stats.certificateCount(status, {}, now)]);
    if (issuerId !== undefined) alone.push(['issuer_id', this.stats.certificateCount(undefined, { issuerId }, now)]);
    if (profile !== undefined) alone.push(['profile', this.stats.certificateCount(undefined, { profile }, now)]);
    return new Set([alone.sort((a, b) => a[1] - b[1])[0][0]]);
  }

  page(search: CertificateSearch, request: PageRequest, now: Date): CertificatePage {
    const { order } = request;
    const ascending = order.direction === 'asc';
    const sorted = this.sortedPlan(search, now);
    const where = searchWhere(search, now, sorted ?? drivingColumns(search, order));
    if (request.after) beyond(where, order.field, request.after, ascending);
    if (request.before) beyond(where, order.field, request.before, !ascending);
    const scanAscending = ascending !== request.fromEnd;
    const orderBy = (prefix: string) => ORDER_COLUMNS[order.field].map((column) => `${prefix}${column} ${scanAscending ? 'ASC' : 'DESC'}`).join(', ');
    // The sorted plan sorts row ids only (not whole rows), and `+column` keeps SQLite off the order indexes.
    const sql = sorted
      ? `SELECT * FROM certificates WHERE rowid IN (SELECT rowid FROM certificates ${where} ORDER BY ${orderBy('+')} LIMIT ?) ORDER BY ${orderBy('')}`
      : `SELECT * FROM certificates ${where} ORDER BY ${orderBy('')} LIMIT ?`;
    const raws = this.statement(sql).all(...where.params, request.limit + 1) as RawCertificateRow[];
    const more = raws.length > request.limit;
    const rows = raws.slice(0, request.limit).map((raw) => toCertificateRow(raw, now));
    return { rows: request.fromEnd ? rows.reverse() : rows, more };
  }

  /** Whether any matching row lies at or before `key` in the order (`side` before), or at or after it. */
  anyBeyond(search: CertificateSearch, order: CertificateOrder, key: OrderKey, side: 'before' | 'after', now: Date): boolean {
    const where = searchWhere(search, now, this.sortedPlan(search, now) ?? drivingColumns(search, order));
    beyond(where, order.field, key, (order.direction === 'asc') === (side === 'after'), true);
    return this.statement(`SELECT 1 FROM certificates ${where} LIMIT 1`).get(...where.params) !== undefined;
  }

  count(search: CertificateSearch, now: Date): number {
    if (this.countable(search)) return counted(this.stats, search, now);
    const where = searchWhere(search, now, drivingColumns(search));
    return (this.statement(`SELECT COUNT(*) AS n FROM certificates ${where}`).get(...where.params) as { n: number }).n;
  }

  /** Certificates by serial (lower-case hex), in no particular order; unknown serials are absent. */
  bySerials(serials: readonly string[], now: Date): CertificateRow[] {
    const raws = this.statement('SELECT * FROM certificates WHERE serial IN (SELECT value FROM json_each(?))').all(JSON.stringify(serials)) as RawCertificateRow[];
    return raws.map((raw) => toCertificateRow(raw, now));
  }
}
