/**
 * Dashboard counters: issuance, renewal, revocation and refusal counts per UTC hour, and certificate counts by
 * (revoked, expiry, issuer, profile) at three grains — expiry month, day and hour — so that "how many active
 * certificates" over millions of rows is a sum over a few hundred counter rows instead of a scan: later months,
 * later days of this month, later hours of today, and the current hour split exactly with the not_after index.
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

/** Just above every key that starts with `prefix` (keys are digits, '-' and 'T'). */
const afterPrefix = (prefix: string) => `${prefix}~`;

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

  /** Sum of the counters at one grain with expiry in (after, before), optionally revoked or not. */
  private sum(grain: Grain, revoked: 0 | 1 | undefined, after: string, before: string, scope: StatsScope): number {
    const params: (string | number)[] = [grain, after, before];
    const scopeParams: string[] = [];
    const scoped = scopeClause(scope, scopeParams);
    const revokedClause = revoked === undefined ? '' : ` AND revoked = ${revoked}`;
    const sql = `SELECT COALESCE(SUM(n), 0) AS n FROM stats_expiry_counts WHERE grain = ?${revokedClause} AND expiry > ? AND expiry < ?${scoped}`;
    return (this.statement(sql).get(...params, ...scopeParams) as { n: number }).n;
  }

  /** Certificates not revoked whose notAfter is after `now`: later months, later days, later hours, then the current hour exactly. */
  private activeCount(scope: StatsScope, now: Date): number {
    const nowIso = now.toISOString();
    const [month, day, hour] = [nowIso.slice(0, GRAINS.month), nowIso.slice(0, GRAINS.day), hourKey(nowIso)];
    const nextHour = new Date(Date.parse(`${hour}:00:00.000Z`) + 3_600_000).toISOString();
    const certificateScope: string[] = [];
    // `+column` keeps SQLite on the not_after index: the range is at most an hour of expiries.
    const certificateScoped = scopeClause(scope, certificateScope, { issuer: '+issuer_id', profile: "COALESCE(profile, '')" });
    const validThisHour = this.statement(`SELECT COUNT(*) AS n FROM certificates WHERE not_after > ? AND not_after < ? AND +status = 'active'${certificateScoped}`).get(
      nowIso,
      nextHour,
      ...certificateScope,
    ) as { n: number };
    return (
      this.sum('month', 0, month, '~', scope) +
      this.sum('day', 0, day, afterPrefix(month), scope) +
      this.sum('hour', 0, hour, afterPrefix(day), scope) +
      validThisHour.n
    );
  }

  /** Certificates in the index with a status at `now` (all of them when status is undefined), from the counters. */
  certificateCount(status: CountedStatus | undefined, scope: StatsScope, now: Date): number {
    switch (status) {
      case undefined:
        return this.sum('month', undefined, '', '~', scope);
      case 'revoked':
        return this.sum('month', 1, '', '~', scope);
      case 'active':
        return this.activeCount(scope, now);
      case 'expired':
        return this.sum('month', 0, '', '~', scope) - this.activeCount(scope, now);
    }
  }
}
