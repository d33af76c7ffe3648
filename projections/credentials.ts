/** One-time passwords and API tokens, looked up by the hash of the presented secret. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';

export const credentialsProjection: Projection = {
  name: 'credentials',
  version: 2,
  tables: {
    otps: [
      `CREATE TABLE IF NOT EXISTS otps (
        token_id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        label TEXT NOT NULL,
        max_uses INTEGER NOT NULL,
        uses INTEGER NOT NULL,
        profile TEXT,
        expires_at TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        status TEXT NOT NULL
      )`,
    ],
    api_tokens: [
      `CREATE TABLE IF NOT EXISTS api_tokens (
        accessor TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        policies TEXT NOT NULL,
        expires_at TEXT,
        parent TEXT,
        meta TEXT,
        created_at TEXT NOT NULL,
        status TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS api_tokens_parent ON api_tokens (parent)',
    ],
  },
  canHandle: ['OtpIssued', 'OtpConsumed', 'OtpRevoked', 'TokenCreated', 'TokenRevoked'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'OtpIssued': {
        const d = event.data;
        return [
          {
            op: 'insert',
            table: 'otps',
            row: { token_id: d.tokenId, hash: d.hash, label: d.label, max_uses: d.maxUses, uses: 0, profile: d.profile ?? null, expires_at: d.expiresAt, issued_at: d.issuedAt, status: 'active' },
          },
        ];
      }
      case 'OtpConsumed':
        return [{ op: 'update', table: 'otps', where: { token_id: event.data.tokenId }, set: { uses: event.data.use } }];
      case 'OtpRevoked':
        return [{ op: 'update', table: 'otps', where: { token_id: event.data.tokenId }, set: { status: 'revoked' } }];
      case 'TokenCreated': {
        const d = event.data;
        return [
          {
            op: 'insert',
            table: 'api_tokens',
            row: { accessor: d.accessor, hash: d.hash, display_name: d.displayName, policies: JSON.stringify(d.policies), expires_at: d.expiresAt ?? null, parent: d.parent ?? null, meta: d.meta ? JSON.stringify(d.meta) : null, created_at: d.createdAt, status: 'active' },
          },
        ];
      }
      case 'TokenRevoked':
        return [{ op: 'update', table: 'api_tokens', where: { accessor: event.data.accessor }, set: { status: 'revoked' } }];
      default:
        return [];
    }
  },
};

export interface OtpRow {
  tokenId: string;
  label: string;
  maxUses: number;
  uses: number;
  profile: string | null;
  expiresAt: string;
  issuedAt: string;
  status: 'active' | 'revoked';
}

export interface ApiTokenRow {
  accessor: string;
  displayName: string;
  policies: string[];
  expiresAt: string | null;
  parent: string | null;
  meta: Record<string, string> | null;
  createdAt: string;
  status: 'active' | 'revoked';
}

export const toOtpRow = (r: Record<string, unknown>): OtpRow => ({
  tokenId: r.token_id as string,
  label: r.label as string,
  maxUses: r.max_uses as number,
  uses: r.uses as number,
  profile: r.profile as string | null,
  expiresAt: r.expires_at as string,
  issuedAt: r.issued_at as string,
  status: r.status as 'active' | 'revoked',
});

const toTokenRow = (r: Record<string, unknown>): ApiTokenRow => ({
  accessor: r.accessor as string,
  displayName: r.display_name as string,
  policies: JSON.parse(r.policies as string) as string[],
  expiresAt: r.expires_at as string | null,
  parent: r.parent as string | null,
  meta: r.meta ? (JSON.parse(r.meta as string) as Record<string, string>) : null,
  createdAt: r.created_at as string,
  status: r.status as 'active' | 'revoked',
});

export class CredentialQueries {
  /** Prepared once per SQL text: OTP and token lookups sit on every authenticated request. */
  private readonly statement: PreparedStatements;
  constructor(db: ReadModelDb) {
    this.statement = statementCache(db);
  }

  otpByTokenHash(hash: string): OtpRow | undefined {
    const raw = this.statement('SELECT * FROM otps WHERE hash = ?').get(hash);
    return raw ? toOtpRow(raw as Record<string, unknown>) : undefined;
  }

  otp(tokenId: string): OtpRow | undefined {
    const raw = this.statement('SELECT * FROM otps WHERE token_id = ?').get(tokenId);
    return raw ? toOtpRow(raw as Record<string, unknown>) : undefined;
  }

  /** Tokens that can still be used at `now`. */
  activeOtps(now: Date): OtpRow[] {
    return (this.statement("SELECT * FROM otps WHERE status = 'active' AND uses < max_uses AND expires_at > ? ORDER BY issued_at").all(now.toISOString()) as Record<string, unknown>[]).map(toOtpRow);
  }

  apiTokenByHash(hash: string): ApiTokenRow | undefined {
    const raw = this.statement('SELECT * FROM api_tokens WHERE hash = ?').get(hash);
    return raw ? toTokenRow(raw as Record<string, unknown>) : undefined;
  }

  /** Active tokens created by `accessor` (OpenBao revokes a token's children with it). */
  childTokens(accessor: string): ApiTokenRow[] {
    return (this.statement("SELECT * FROM api_tokens WHERE parent = ? AND status = 'active'").all(accessor) as Record<string, unknown>[]).map(toTokenRow);
  }

  apiToken(accessor: string): ApiTokenRow | undefined {
    const raw = this.statement('SELECT * FROM api_tokens WHERE accessor = ?').get(accessor);
    return raw ? toTokenRow(raw as Record<string, unknown>) : undefined;
  }
}
