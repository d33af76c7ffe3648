/**
 * Revocation state, built from CertificateRevoked: one row per revoked certificate with its CRL entry already
 * DER-encoded (stored as hex; SQLite's unhex() turns a whole run of entries back into one blob), the log position
 * it was revoked at (a delta CRL lists the entries after its base CRL's position), the CRL numbers allocated per
 * issuer, and the revocation configuration (config/crl).
 */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { DEFAULT_CRL_CONFIG, type CrlConfig } from '../src/domain/crl-config.js';
import { REVOCATION_REASONS, type RevocationReason } from '../src/domain/revocation-reason.js';
import { encodeRevokedEntry } from '../src/crypto/crl.js';
import { toHex } from '../src/crypto/bytes.js';

export const revocationProjection: Projection = {
  name: 'revocation',
  version: 1,
  tables: {
    revocations: [
      `CREATE TABLE IF NOT EXISTS revocations (
        issuer_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        serial TEXT NOT NULL,
        revoked_at TEXT NOT NULL,
        reason TEXT NOT NULL,
        invalidity_date TEXT,
        entry TEXT NOT NULL,
        PRIMARY KEY (issuer_id, position)
      ) WITHOUT ROWID`,
      'CREATE UNIQUE INDEX IF NOT EXISTS revocations_serial ON revocations (serial)',
      'CREATE INDEX IF NOT EXISTS revocations_position ON revocations (position)',
    ],
    crl_numbers: [
      `CREATE TABLE IF NOT EXISTS crl_numbers (
        issuer_id TEXT PRIMARY KEY,
        last_number INTEGER NOT NULL,
        full_number INTEGER,
        full_position INTEGER,
        full_at TEXT,
        delta_number INTEGER,
        delta_position INTEGER,
        delta_at TEXT
      )`,
    ],
    crl_config: [
      `CREATE TABLE IF NOT EXISTS crl_config (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        config TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: ['CertificateRevoked', 'CertificatesTidied', 'CrlNumberAllocated', 'CrlConfigUpdated'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'CertificateRevoked': {
        const d = event.data;
        const entry = encodeRevokedEntry({
          serialHex: d.serial,
          revokedAt: Date.parse(d.revokedAt),
          reasonCode: REVOCATION_REASONS[d.reason],
          ...(d.invalidityDate ? { invalidityDate: Date.parse(d.invalidityDate) } : {}),
        });
        return [
          {
            op: 'upsert',
            table: 'revocations',
            key: ['serial'],
            row: { issuer_id: d.issuerId, position: event.position, serial: d.serial, revoked_at: d.revokedAt, reason: d.reason, invalidity_date: d.invalidityDate ?? null, entry: toHex(entry) },
          },
        ];
      }
      case 'CertificatesTidied':
        return event.data.serials.map((serial): RowOp => ({ op: 'delete', table: 'revocations', where: { serial } }));
      case 'CrlNumberAllocated': {
        const d = event.data;
        const prefix = d.kind === 'full' ? 'full' : 'delta';
        return [
          {
            op: 'upsert',
            table: 'crl_numbers',
            key: ['issuer_id'],
            row: { issuer_id: d.issuerId, last_number: d.number, [`${prefix}_number`]: d.number, [`${prefix}_position`]: d.coversPosition, [`${prefix}_at`]: d.at },
          },
        ];
      }
      case 'CrlConfigUpdated': {
        const { at, ...config } = event.data;
        return [{ op: 'upsert', table: 'crl_config', key: ['id'], row: { id: 1, config: JSON.stringify(config), updated_at: at } }];
      }
      default:
        return [];
    }
  },
};

export interface RevocationRow {
  issuerId: string;
  serial: string;
  position: number;
  revokedAt: string;
  reason: RevocationReason;
  invalidityDate: string | null;
}

export interface CrlNumbersRow {
  lastNumber: number;
  full?: { number: number; position: number; at: string };
  delta?: { number: number; position: number; at: string };
}

/** How many entries an issuer's CRL holds up to a position, and their total DER size. */
export interface EntryTotals {
  count: number;
  bytes: number;
  /** The highest revocation position included (0 when there is none). */
  position: number;
}

export class RevocationQueries {
  private readonly bySerial;
  private readonly totals;
  private readonly chunk;
  private readonly numbers;
  private readonly configRow;
  private readonly revokedSince;
  private readonly lastPosition;

  constructor(db: ReadModelDb) {
    this.bySerial = db.prepare('SELECT issuer_id, serial, position, revoked_at, reason, invalidity_date FROM revocations WHERE serial = ?');
    this.totals = db.prepare(
      'SELECT count(*) AS count, coalesce(sum(length(entry)), 0) / 2 AS bytes, coalesce(max(position), 0) AS position FROM revocations WHERE issuer_id = ? AND position > ? AND position <= ?',
    );
    // One C-level concatenation per page: unhex(group_concat(...)) hands back the page's entries as one blob.
    this.chunk = db.prepare(
      `SELECT unhex(group_concat(entry, '')) AS der, max(position) AS last, count(*) AS n FROM
        (SELECT entry, position FROM revocations WHERE issuer_id = ? AND position > ? AND position <= ? ORDER BY position LIMIT ?)`,
    );
    this.numbers = db.prepare('SELECT * FROM crl_numbers WHERE issuer_id = ?');
    this.configRow = db.prepare('SELECT config FROM crl_config WHERE id = 1');
    this.lastPosition = db.prepare('SELECT coalesce(max(position), 0) AS position FROM revocations WHERE issuer_id = ?');
    this.revokedSince = db.prepare('SELECT serial, issuer_id, position FROM revocations WHERE position > ? ORDER BY position LIMIT ?');
  }

  get(serial: string): RevocationRow | undefined {
    const raw = this.bySerial.get(serial.toLowerCase()) as Record<string, string | number | null> | undefined;
    if (!raw) return undefined;
    return {
      issuerId: raw.issuer_id as string,
      serial: raw.serial as string,
      position: raw.position as number,
      revokedAt: raw.revoked_at as string,
      reason: raw.reason as RevocationReason,
      invalidityDate: raw.invalidity_date as string | null,
    };
  }

  /** Entries of one issuer revoked in (afterPosition, upToPosition]. */
  entryTotals(issuerId: string, afterPosition = 0, upToPosition = Number.MAX_SAFE_INTEGER): EntryTotals {
    return this.totals.get(issuerId, afterPosition, upToPosition) as EntryTotals;
  }

  /** The position of the issuer's latest revocation (an index seek, unlike entryTotals). */
  latestPosition(issuerId: string): number {
    return (this.lastPosition.get(issuerId) as { position: number }).position;
  }

  /**
   * Concatenated entry DERs of (afterPosition, upToPosition], in position order, one page of at most `pageRows`
   * entries per call: the caller yields to the event loop between pages. `last` is where the next page starts.
   */
  entryPage(issuerId: string, afterPosition: number, upToPosition: number, pageRows: number): { der: Buffer; last: number; count: number } | undefined {
    const row = this.chunk.get(issuerId, afterPosition, upToPosition, pageRows) as { der: Buffer | null; last: number | null; n: number };
    return row.n === 0 || !row.der ? undefined : { der: row.der, last: row.last!, count: row.n };
  }

  crlNumbers(issuerId: string): CrlNumbersRow {
    const raw = this.numbers.get(issuerId) as Record<string, string | number | null> | undefined;
    if (!raw) return { lastNumber: 0 };
    const part = (prefix: 'full' | 'delta') =>
      raw[`${prefix}_number`] === null ? undefined : { number: raw[`${prefix}_number`] as number, position: raw[`${prefix}_position`] as number, at: raw[`${prefix}_at`] as string };
    return { lastNumber: raw.last_number as number, full: part('full'), delta: part('delta') };
  }

  /** The configuration in force, and whether it was ever written (OpenBao answers defaults until then). */
  config(): { config: CrlConfig; written: boolean } {
    const raw = this.configRow.get() as { config: string } | undefined;
    return raw ? { config: { ...DEFAULT_CRL_CONFIG, ...(JSON.parse(raw.config) as Partial<CrlConfig>) }, written: true } : { config: DEFAULT_CRL_CONFIG, written: false };
  }

  /** Revocations after a position, oldest first (what changed since the OCSP cache last looked). */
  revokedAfter(position: number, limit: number): { serial: string; issuerId: string; position: number }[] {
    return (this.revokedSince.all(position, limit) as { serial: string; issuer_id: string; position: number }[]).map((r) => ({ serial: r.serial, issuerId: r.issuer_id, position: r.position }));
  }
}
