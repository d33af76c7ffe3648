/** One-time passwords listed for dashboards, newest first, by the status they have at a given time. */
import { toOtpRow, type OtpRow } from './credentials.js';
import type { ReadModelDb } from './readmodel-db.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';

export type OtpListStatus = 'active' | 'used_up' | 'expired' | 'revoked';

/** Pure: an OTP's status at `now`; revocation wins, then exhaustion, then expiry. */
export function otpStatusAt(row: OtpRow, now: Date): OtpListStatus {
  if (row.status === 'revoked') return 'revoked';
  if (row.uses >= row.maxUses) return 'used_up';
  return Date.parse(row.expiresAt) <= now.getTime() ? 'expired' : 'active';
}

/** The SQL form of otpStatusAt, one predicate per status (with `now` as the one parameter where it matters). */
const STATUS_WHERE: Record<OtpListStatus, { sql: string; usesNow: boolean }> = {
  revoked: { sql: "status = 'revoked'", usesNow: false },
  used_up: { sql: "status = 'active' AND uses >= max_uses", usesNow: false },
  expired: { sql: "status = 'active' AND uses < max_uses AND expires_at <= ?", usesNow: true },
  active: { sql: "status = 'active' AND uses < max_uses AND expires_at > ?", usesNow: true },
};

export class OtpListQueries {
  private readonly statement: PreparedStatements;
  constructor(db: ReadModelDb) {
    this.statement = statementCache(db);
  }

  list(status: OtpListStatus | undefined, limit: number, now: Date): OtpRow[] {
    const where = status ? STATUS_WHERE[status] : undefined;
    const sql = `SELECT * FROM otps ${where ? `WHERE ${where.sql}` : ''} ORDER BY issued_at DESC, token_id LIMIT ?`;
    const params = where?.usesNow ? [now.toISOString(), limit] : [limit];
    return (this.statement(sql).all(...params) as Record<string, unknown>[]).map(toOtpRow);
  }
}
