/** Issuers and keys: what the CA can sign with, which issuer is the default, and how much each issued. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { statementCache, type PreparedStatements } from './statement-cache.js';
import type { IssuerUrls, IssuerUsage, LeafNotAfterBehavior } from '../src/domain/issuer.js';
import type { KeySpec } from '../src/domain/x509.js';

export const issuersProjection: Projection = {
  name: 'issuers',
  version: 1,
  tables: {
    issuers: [
      `CREATE TABLE IF NOT EXISTS issuers (
        issuer_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        certificate TEXT NOT NULL,
        chain TEXT NOT NULL,
        key_id TEXT,
        subject TEXT NOT NULL,
        serial TEXT NOT NULL,
        not_before TEXT NOT NULL,
        not_after TEXT NOT NULL,
        usage TEXT NOT NULL,
        leaf_not_after_behavior TEXT NOT NULL,
        urls TEXT,
        status TEXT NOT NULL,
        is_default INTEGER NOT NULL,
        created_at TEXT NOT NULL
      )`,
      'CREATE INDEX IF NOT EXISTS issuers_name ON issuers (name)',
    ],
    issuer_daily_issued: [
      `CREATE TABLE IF NOT EXISTS issuer_daily_issued (
        issuer_id TEXT NOT NULL,
        day TEXT NOT NULL,
        issued INTEGER NOT NULL,
        PRIMARY KEY (issuer_id, day)
      )`,
    ],
    keys: [
      `CREATE TABLE IF NOT EXISTS keys (
        key_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        spki TEXT NOT NULL,
        wrapped TEXT NOT NULL,
        origin TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: [
    'IssuerCreated',
    'IssuerUpdated',
    'IssuerRevoked',
    'IssuerDeleted',
    'DefaultIssuerSet',
    'CertificateIssued',
    'KeyGenerated',
    'KeyImported',
    'KeyUpdated',
    'KeyDeleted',
  ],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'IssuerCreated': {
        const d = event.data;
        return [
          {
            op: 'insert',
            table: 'issuers',
            row: {
              issuer_id: d.issuerId,
              name: d.name,
              kind: d.kind,
              certificate: d.certificate,
              chain: JSON.stringify(d.chain),
              key_id: d.keyId ?? null,
              subject: d.subject,
              serial: d.serial,
              not_before: d.notBefore,
              not_after: d.notAfter,
              usage: JSON.stringify(d.usage),
              leaf_not_after_behavior: d.leafNotAfterBehavior,
              urls: null,
              status: 'active',
              is_default: 0,
              created_at: d.at,
            },
          },
        ];
      }
      case 'IssuerUpdated': {
        const d = event.data;
        const set: Record<string, string> = {};
        if (d.name !== undefined) set.name = d.name;
        if (d.usage !== undefined) set.usage = JSON.stringify(d.usage);
        if (d.leafNotAfterBehavior !== undefined) set.leaf_not_after_behavior = d.leafNotAfterBehavior;
        if (d.urls !== undefined) set.urls = JSON.stringify(d.urls);
        return Object.keys(set).length ? [{ op: 'update', table: 'issuers', where: { issuer_id: d.issuerId }, set }] : [];
      }
      case 'IssuerRevoked':
        return [{ op: 'update', table: 'issuers', where: { issuer_id: event.data.issuerId }, set: { status: 'revoked' } }];
      case 'IssuerDeleted':
        return [{ op: 'delete', table: 'issuers', where: { issuer_id: event.data.issuerId } }];
      case 'DefaultIssuerSet':
        return [
          { op: 'update', table: 'issuers', where: { is_default: 1 }, set: { is_default: 0 } },
          { op: 'update', table: 'issuers', where: { issuer_id: event.data.issuerId }, set: { is_default: 1 } },
        ];
      case 'CertificateIssued':
        return [{ op: 'increment', table: 'issuer_daily_issued', key: { issuer_id: event.data.issuerId, day: event.data.issuedAt.slice(0, 10) }, column: 'issued', by: 1 }];
      case 'KeyGenerated':
      case 'KeyImported': {
        const d = event.data;
        return [
          {
            op: 'insert',
            table: 'keys',
            row: { key_id: d.keyId, name: d.name, spec: JSON.stringify(d.spec), spki: d.spki, wrapped: d.wrapped, origin: event.type === 'KeyGenerated' ? 'generated' : 'imported', created_at: d.at },
          },
        ];
      }
      case 'KeyUpdated':
        return [{ op: 'update', table: 'keys', where: { key_id: event.data.keyId }, set: { name: event.data.name } }];
      case 'KeyDeleted':
        return [{ op: 'delete', table: 'keys', where: { key_id: event.data.keyId } }];
      default:
        return [];
    }
  },
};

export interface IssuerRow {
  issuerId: string;
  name: string;
  kind: string;
  /** base64 DER */
  certificate: string;
  chain: string[];
  keyId: string | null;
  subject: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  usage: IssuerUsage[];
  leafNotAfterBehavior: LeafNotAfterBehavior;
  urls: IssuerUrls | null;
  status: 'active' | 'revoked';
  isDefault: boolean;
  createdAt: string;
}

export interface KeyRow {
  keyId: string;
  name: string;
  spec: KeySpec;
  spki: string;
  wrapped: string;
  origin: 'generated' | 'imported';
  createdAt: string;
}

function toIssuerRow(raw: Record<string, unknown>): IssuerRow {
  return {
    issuerId: raw.issuer_id as string,
    name: raw.name as string,
    kind: raw.kind as string,
    certificate: raw.certificate as string,
    chain: JSON.parse(raw.chain as string) as string[],
    keyId: raw.key_id as string | null,
    subject: raw.subject as string,
    serial: raw.serial as string,
    notBefore: raw.not_before as string,
    notAfter: raw.not_after as string,
    usage: JSON.parse(raw.usage as string) as IssuerUsage[],
    leafNotAfterBehavior: raw.leaf_not_after_behavior as LeafNotAfterBehavior,
    urls: raw.urls ? (JSON.parse(raw.urls as string) as IssuerUrls) : null,
    status: raw.status as 'active' | 'revoked',
    isDefault: raw.is_default === 1,
    createdAt: raw.created_at as string,
  };
}

function toKeyRow(raw: Record<string, unknown>): KeyRow {
  return {
    keyId: raw.key_id as string,
    name: raw.name as string,
    spec: JSON.parse(raw.spec as string) as KeySpec,
    spki: raw.spki as string,
    wrapped: raw.wrapped as string,
    origin: raw.origin as 'generated' | 'imported',
    createdAt: raw.created_at as string,
  };
}

export class IssuerQueries {
  /** Prepared once per SQL text: these lookups sit on the issuance path. */
  private readonly statement: PreparedStatements;
  constructor(private readonly db: ReadModelDb) {
    this.statement = statementCache(db);
  }

  list(): IssuerRow[] {
    return (this.statement('SELECT * FROM issuers ORDER BY created_at, issuer_id').all() as Record<string, unknown>[]).map(toIssuerRow);
  }

  /** Resolves "default", an id or a name, as OpenBao issuer references do. */
  resolve(ref: string): IssuerRow | undefined {
    const raw =
      ref === 'default'
        ? this.statement('SELECT * FROM issuers WHERE is_default = 1').get()
        : (this.statement('SELECT * FROM issuers WHERE issuer_id = ?').get(ref) ?? this.statement('SELECT * FROM issuers WHERE name = ?').get(ref));
    return raw ? toIssuerRow(raw as Record<string, unknown>) : undefined;
  }

  issuedCounts(issuerId: string, today: string): { today: number; total: number } {
    const row = this.db
      .prepare('SELECT COALESCE(SUM(issued), 0) AS total, COALESCE(SUM(CASE WHEN day = ? THEN issued END), 0) AS today FROM issuer_daily_issued WHERE issuer_id = ?')
      .get(today, issuerId) as { total: number; today: number };
    return row;
  }

  key(keyId: string): KeyRow | undefined {
    const raw = this.statement('SELECT * FROM keys WHERE key_id = ?').get(keyId);
    return raw ? toKeyRow(raw as Record<string, unknown>) : undefined;
  }

  keys(): KeyRow[] {
    return (this.statement('SELECT * FROM keys ORDER BY created_at, key_id').all() as Record<string, unknown>[]).map(toKeyRow);
  }
}
