/**
 * Dashboard counters: issuance, renewal, revocation and refusal counts per UTC hour, and certificate counts by
 * (revoked, expiry, issuer, profile) at three grains — expiry month, day and hour — so that "how many active
 * certificates (expiring before X)" over millions of rows is a sum over a few hundred counter rows instead of a
 * scan: a notAfter range is whole months, whole days and whole hours from the counters, plus the partial hours at
 * its ends counted exactly with the certificate index's not_after index.
 *
 * A revocation or a tidy names only the serial, so the reducer keeps one narrow row per certificate
 * (`stats_certificates`) and SQLite triggers on that table move its count between counter rows. Everything the
 * triggers read is this projection's own, so it rebuilds on its own like any other projection.
 */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';

/** `2025-01-31T12` from an ISO timestamp: the UTC hour bucket key. */
export const hourKey = (iso: string): string => iso.slice(0, 13);

const NO_VALUE = '';

/** Expiry grains: each key is a prefix of the hour key (`2025-01`, `2025-01-31`, `2025-01-31T12`). */
const GRAINS = { month: 7, day: 10, hour: 13 } as const;
type Grain = keyof typeof GRAINS;
const GRAIN_ROWS = Object.entries(GRAINS)
  .map(([grain, length]) => `('${grain}', ${length})`)
  .join(', ');

/** The certificate row `row` (NEW or OLD) counted once per grain. */
const grainsOf = (row: 'NEW' | 'OLD') => `SELECT column1 AS grain, substr(${row}.expiry_hour, 1, column2) AS expiry FROM (VALUES ${GRAIN_ROWS})`;
const addCounts = (revoked: string) => `INSERT INTO stats_expiry_counts (grain, revoked, expiry, issuer_id, profile, n)
        SELECT grain, ${revoked}, expiry, NEW.issuer_id, NEW.profile, 1 FROM (${grainsOf('NEW')}) WHERE true
        ON CONFLICT (grain, revoked, expiry, issuer_id, profile) DO UPDATE SET n = n + 1;`;
const removeCounts = `UPDATE stats_expiry_counts SET n = n - 1
        WHERE revoked = (OLD.revoked_hour IS NOT NULL) AND issuer_id = OLD.issuer_id AND profile = OLD.profile
        AND (grain, expiry) IN (${grainsOf('OLD')});`;

export const statsProjection: Projection = {
  name: 'stats',
  version: 2,
  tables: {
    stats_hourly: [
      `CREATE TABLE IF NOT EXISTS stats_hourly (
        hour TEXT NOT NULL,
        issuer_id TEXT NOT NULL,
        profile TEXT NOT NULL,
        issued INTEGER NOT NULL DEFAULT 0,
        renewed INTEGER NOT NULL DEFAULT 0,
        revoked INTEGER NOT NULL DEFAULT 0,
        refused INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, issuer_id, profile)
      ) WITHOUT ROWID`,
    ],
    stats_issuer_totals: [
      `CREATE TABLE IF NOT EXISTS stats_issuer_totals (
        issuer_id TEXT PRIMARY KEY,
        issued INTEGER NOT NULL
      ) WITHOUT ROWID`,
    ],
    stats_expiry_counts: [
      `CREATE TABLE IF NOT EXISTS stats_expiry_counts (
        grain TEXT NOT NULL,
        revoked INTEGER NOT NULL,
        expiry TEXT NOT NULL,
        issuer_id TEXT NOT NULL,
        profile TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (grain, revoked, expiry, issuer_id, profile)
      ) WITHOUT ROWID`,
    ],
    stats_certificates: [
      `CREATE TABLE IF NOT EXISTS stats_certificates (
        serial TEXT PRIMARY KEY,
        issuer_id TEXT NOT NULL,
        profile TEXT NOT NULL,
        expiry_hour TEXT NOT NULL,
        revoked_hour TEXT
      ) WITHOUT ROWID`,
      `CREATE TRIGGER IF NOT EXISTS stats_certificate_added AFTER INSERT ON stats_certificates BEGIN
        ${addCounts('NEW.revoked_hour IS NOT NULL')}
      END`,
      `CREATE TRIGGER IF NOT EXISTS stats_certificate_revoked AFTER UPDATE OF revoked_hour ON stats_certificates
      WHEN OLD.revoked_hour IS NULL AND NEW.revoked_hour IS NOT NULL BEGIN
        ${removeCounts}
        ${addCounts('1')}
        INSERT INTO stats_hourly (hour, issuer_id, profile, revoked) VALUES (NEW.revoked_hour, NEW.issuer_id, NEW.profile, 1)
          ON CONFLICT (hour, issuer_id, profile) DO UPDATE SET revoked = revoked + 1;
      END`,
      `CREATE TRIGGER IF NOT EXISTS stats_certificate_removed AFTER DELETE ON stats_certificates BEGIN
        ${removeCounts}
      END`,
    ],
  },
  canHandle: ['CertificateIssued', 'CertificateRevoked', 'CertificatesTidied', 'EnrollmentRejected'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertificateIssued': {
        const d = event.data;
        const bucket = { hour: hourKey(d.issuedAt), issuer_id: d.issuerId, profile: d.profile ?? NO_VALUE };
        const ops: RowOp[] = [
          { op: 'insert', table: 'stats_certificates', row: { serial: d.serial, issuer_id: d.issuerId, profile: d.profile ?? NO_VALUE, expiry_hour: hourKey(d.notAfter), revoked_hour: null } },
          { op: 'increment', table: 'stats_hourly', key: bucket, column: 'issued', by: 1 },
          { op: 'increment', table: 'stats_issuer_totals', key: { issuer_id: d.issuerId }, column: 'issued', by: 1 },
        ];
        if (d.renews) ops.push({ op: 'increment', table: 'stats_hourly', key: bucket, column: 'renewed', by: 1 });
        return ops;
      }
      case 'CertificateRevoked':
        return [{ op: 'update', table: 'stats_certificates', where: { serial: event.data.serial }, set: { revoked_hour: hourKey(event.data.revokedAt) } }];
      case 'CertificatesTidied':
        return event.data.serials.map((serial): RowOp => ({ op: 'delete', table: 'stats_certificates', where: { serial } }));
      case 'EnrollmentRejected':
        return [{ op: 'increment', table: 'stats_hourly', key: { hour: hourKey(event.data.at), issuer_id: NO_VALUE, profile: event.data.profile ?? NO_VALUE }, column: 'refused', by: 1 }];
      default:
        return [];
    }
  },
};

export type StatsBucketSize = 'hour' | 'day';

/** Which certificates or events to count: every given field must match. */
export interface StatsScope {
  issuerId?: string;
  /** null = certificates without a profile. */
  profile?: string | null;
}

export interface BucketCounts {
  /** `2025-01-31T12` (hour) or `2025-01-31` (day). */
  bucket: string;
  issued: number;
  renewed: number;
  revoked: number;
  refused: number;
  expiring: number;
}

export type CountedStatus = 'active' | 'revoked' | 'expired';

/** ` AND issuer_id = ? AND profile = ?` for the given fields (column spellings overridable), pushing their values. */
function scopeClause(scope: StatsScope, params: string[], columns = { issuer: 'issuer_id', profile: 'profile' }): string {
  let sql = '';
  if (scope.issuerId !== undefined) {
    sql += ` AND ${columns.issuer} = ?`;
    params.push(scope.issuerId);
  }
  if (scope.profile !== undefined) {
    sql += ` AND ${columns.profile} = ?`;
    params.push(scope.profile ?? NO_VALUE);
  }
  return sql;
}

export class StatsQueries {
  private readonly statement: PreparedStatements;
  constructor(db: ReadModelDb) {
    this.statement = statementCache(db);
  }

  /** Counts per bucket for buckets in [fromHour, toHour) (hour keys); buckets without any activity are absent. */
  buckets(size: StatsBucketSize, fromHour: string, toHour: string, scope: StatsScope): BucketCounts[] {
    const length = GRAINS[size];
    const activityParams: string[] = [fromHour, toHour];
    const activity = this.statement(
      `SELECT substr(hour, 1, ${length}) AS bucket, SUM(issued) AS issued, SUM(renewed) AS renewed, SUM(revoked) AS revoked, SUM(refused) AS refused
       FROM stats_hourly WHERE hour >= ? AND hour < ?${scopeClause(scope, activityParams)} GROUP BY bucket`,
    ).all(...activityParams) as Omit<BucketCounts, 'expiring'>[];
    const expiryParams: string[] = [size, fromHour.slice(0, length), toHour.slice(0, length)];
    const expiring = this.statement(
      `SELECT expiry AS bucket, SUM(n) AS n FROM stats_expiry_counts
       WHERE grain = ? AND revoked = 0 AND expiry >= ? AND expiry < ?${scopeClause(scope, expiryParams)} GROUP BY expiry`,
    ).all(...expiryParams) as { bucket: string; n: number }[];
    const byBucket = new Map<string, BucketCounts>(activity.map((row) => [row.bucket, { ...row, expiring: 0 }]));
    for (const row of expiring) {
      const counts = byBucket.get(row.bucket) ?? { bucket: row.bucket, issued: 0, renewed: 0, revoked: 0, refused: 0, expiring: 0 };
      counts.expiring = row.n;
      byBucket.set(row.bucket, counts);
    }
    return [...byBucket.values()].sort((a, b) => a.bucket.localeCompare(b.bucket));
  }

  /** Certificates ever recorded per issuer (tidied ones included). */
  issuedTotals(issuerIds: readonly string[]): Map<string, number> {
    const rows = this.statement('SELECT issuer_id, issued FROM stats_issuer_totals WHERE issuer_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(issuerIds)) as {
      issuer_id: string;
      issued: number;
    }[];
    return new Map(rows.map((row) => [row.issuer_id, row.issued]));
  }

  /** Sum of the counters at one grain for expiry keys in [fromKey, toKey), revoked or not. */
  private sum(grain: Grain, revoked: 0 | 1, fromKey: string, toKey: string, scope: StatsScope): number {
    if (fromKey >= toKey) return 0;
    const scopeParams: string[] = [];
    const sql = `SELECT COALESCE(SUM(n), 0) AS n FROM stats_expiry_counts WHERE grain = ? AND revoked = ? AND expiry >= ? AND expiry < ?${scopeClause(scope, scopeParams)}`;
    return (this.statement(sql).get(grain, revoked, fromKey, toKey, ...scopeParams) as { n: number }).n;
  }

  /**
   * Counters for whole hours in [from, to) (both on the hour): the hours before the first whole day and after the
   * last, the days before the first whole month and after the last, and the months between.
   */
  private wholeHours(revoked: 0 | 1, from: number, to: number, scope: StatsScope): number {
    const key = (ms: number, grain: Grain) => new Date(ms).toISOString().slice(0, GRAINS[grain]);
    const firstDay = ceilTo(from, 'day');
    const lastDay = floorTo(to, 'day');
    if (firstDay >= lastDay) return this.sum('hour', revoked, key(from, 'hour'), key(to, 'hour'), scope);
    const hours = this.sum('hour', revoked, key(from, 'hour'), key(firstDay, 'hour'), scope) + this.sum('hour', revoked, key(lastDay, 'hour'), key(to, 'hour'), scope);
    const firstMonth = ceilTo(firstDay, 'month');
    const lastMonth = floorTo(lastDay, 'month');
    if (firstMonth >= lastMonth) return hours + this.sum('day', revoked, key(firstDay, 'day'), key(lastDay, 'day'), scope);
    const days = this.sum('day', revoked, key(firstDay, 'day'), key(firstMonth, 'day'), scope) + this.sum('day', revoked, key(lastMonth, 'day'), key(lastDay, 'day'), scope);
    return hours + days + this.sum('month', revoked, key(firstMonth, 'month'), key(lastMonth, 'month'), scope);
  }

  /** Certificates, revoked or not, whose notAfter lies between the bounds: whole hours from the counters, the partial hours at either end counted exactly. */
  private expiringBetween(revoked: 0 | 1, lower: Bound, upper: Bound, scope: StatsScope): number {
    const lowerHour = floorTo(Date.parse(lower.at), 'hour');
    const upperHour = floorTo(Date.parse(upper.at), 'hour');
    if (lowerHour === upperHour) return this.exact(revoked, lower, upper, scope);
    const afterLowerHour: Bound = { at: new Date(lowerHour + HOUR_MS).toISOString(), inclusive: false };
    const upperHourStart: Bound = { at: new Date(upperHour).toISOString(), inclusive: true };
    return this.exact(revoked, lower, afterLowerHour, scope) + this.wholeHours(revoked, lowerHour + HOUR_MS, upperHour, scope) + this.exact(revoked, upperHourStart, upper, scope);
  }

  /** Within at most an hour of expiries: the certificate index's not_after index (`+column` keeps SQLite on it). */
  private exact(revoked: 0 | 1, lower: Bound, upper: Bound, scope: StatsScope): number {
    const scopeParams: string[] = [];
    const scoped = scopeClause(scope, scopeParams, { issuer: '+issuer_id', profile: "COALESCE(profile, '')" });
    const sql = `SELECT COUNT(*) AS n FROM certificates WHERE not_after >${lower.inclusive ? '=' : ''} ? AND not_after <${upper.inclusive ? '=' : ''} ? AND +status = ?${scoped}`;
    return (this.statement(sql).get(lower.at, upper.at, revoked ? 'revoked' : 'active', ...scopeParams) as { n: number }).n;
  }

  /**
   * Certificates in the index with a status at `now` (all of them when status is undefined) and, optionally, a
   * notAfter in [expiry.from, expiry.to), from the counters.
   */
  certificateCount(status: CountedStatus | undefined, scope: StatsScope, now: Date, expiry: { from?: string; to?: string } = {}): number {
    const lower: Bound = expiry.from ? { at: expiry.from, inclusive: true } : EARLIEST;
    const upper: Bound = expiry.to ? { at: expiry.to, inclusive: false } : LATEST;
    const nowIso = now.toISOString();
    const between = (revoked: 0 | 1, from: Bound, to: Bound) => (isEmpty(from, to) ? 0 : this.expiringBetween(revoked, from, to, scope));
    switch (status) {
      case undefined:
        return between(0, lower, upper) + between(1, lower, upper);
      case 'revoked':
        return between(1, lower, upper);
      case 'active':
        return between(0, laterLower(lower, { at: nowIso, inclusive: false }), upper);
      case 'expired':
        return between(0, lower, earlierUpper(upper, { at: nowIso, inclusive: true }));
    }
  }
}

/** One end of a notAfter range; `at` is an ISO instant. */
interface Bound {
  at: string;
  inclusive: boolean;
}

const HOUR_MS = 3_600_000;
const EARLIEST: Bound = { at: '1970-01-01T00:00:00.000Z', inclusive: true };
const LATEST: Bound = { at: '9999-12-31T00:00:00.000Z', inclusive: false };

function floorTo(ms: number, grain: 'hour' | 'day' | 'month'): number {
  const date = new Date(ms);
  if (grain === 'hour') return Math.floor(ms / HOUR_MS) * HOUR_MS;
  if (grain === 'day') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

function ceilTo(ms: number, grain: 'day' | 'month'): number {
  const floor = floorTo(ms, grain);
  if (floor === ms) return ms;
  const date = new Date(floor);
  return grain === 'day' ? floor + 24 * HOUR_MS : Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** The stricter of two lower bounds. */
const laterLower = (a: Bound, b: Bound): Bound => (a.at > b.at || (a.at === b.at && !a.inclusive) ? a : b);
/** The stricter of two upper bounds. */
const earlierUpper = (a: Bound, b: Bound): Bound => (a.at < b.at || (a.at === b.at && !a.inclusive) ? a : b);
const isEmpty = (lower: Bound, upper: Bound) => lower.at > upper.at || (lower.at === upper.at && !(lower.inclusive && upper.inclusive));
