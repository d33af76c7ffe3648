/**
 * Upstream EST configurations by id (IDIAL `/pki/est`), with the outcome of their last validation. Deleted ones
 * keep a row (flagged) so ids are never reused.
 */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import type { EstUpstreamSettings } from '../src/domain/est-upstream.js';

export const estUpstreamsProjection: Projection = {
  name: 'est_upstreams',
  version: 1,
  tables: {
    est_upstreams: [
      `CREATE TABLE IF NOT EXISTS est_upstreams (
        id INTEGER PRIMARY KEY,
        revision INTEGER NOT NULL,
        settings TEXT NOT NULL,
        last_validated TEXT,
        cacert TEXT,
        last_failure TEXT,
        deleted INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: ['EstUpstreamCreated', 'EstUpstreamUpdated', 'EstUpstreamValidated', 'EstUpstreamValidationFailed', 'EstUpstreamDeleted'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'EstUpstreamCreated': {
        const { id, settings, at } = event.data;
        return [{ op: 'insert', table: 'est_upstreams', row: { id, revision: event.revision, settings: JSON.stringify(settings), last_validated: null, cacert: null, last_failure: null, deleted: 0, created_at: at, updated_at: at } }];
      }
      case 'EstUpstreamUpdated': {
        const { id, settings, at } = event.data;
        return [{ op: 'update', table: 'est_upstreams', where: { id }, set: { revision: event.revision, settings: JSON.stringify(settings), last_validated: null, last_failure: null, updated_at: at } }];
      }
      case 'EstUpstreamValidated': {
        const { id, cacert, at } = event.data;
        return [{ op: 'update', table: 'est_upstreams', where: { id }, set: { revision: event.revision, last_validated: at, cacert, last_failure: null } }];
      }
      case 'EstUpstreamValidationFailed': {
        const { id, reason } = event.data;
        return [{ op: 'update', table: 'est_upstreams', where: { id }, set: { revision: event.revision, last_validated: null, last_failure: reason } }];
      }
      case 'EstUpstreamDeleted':
        return [{ op: 'update', table: 'est_upstreams', where: { id: event.data.id }, set: { revision: event.revision, deleted: 1, updated_at: event.data.at } }];
      default:
        return [];
    }
  },
};

export interface EstUpstreamRow {
  id: number;
  settings: EstUpstreamSettings;
  /** ISO time of the last successful validation of the current settings; undefined = not validated. */
  lastValidated?: string;
  /** Base64 certs-only PKCS#7 from the upstream's /cacerts at the last successful validation. */
  cacert?: string;
  lastFailure?: string;
  createdAt: string;
  updatedAt: string;
}

interface RawRow {
  id: number;
  settings: string;
  last_validated: string | null;
  cacert: string | null;
  last_failure: string | null;
  created_at: string;
  updated_at: string;
}

const toRow = (raw: RawRow): EstUpstreamRow => ({
  id: raw.id,
  settings: JSON.parse(raw.settings) as EstUpstreamSettings,
  ...(raw.last_validated ? { lastValidated: raw.last_validated } : {}),
  ...(raw.cacert ? { cacert: raw.cacert } : {}),
  ...(raw.last_failure ? { lastFailure: raw.last_failure } : {}),
  createdAt: raw.created_at,
  updatedAt: raw.updated_at,
});

export class EstUpstreamQueries {
  private readonly byId;
  private readonly all;
  private readonly maxId;

  constructor(db: ReadModelDb) {
    this.byId = db.prepare<[number], RawRow>('SELECT * FROM est_upstreams WHERE id = ? AND deleted = 0');
    this.all = db.prepare<[], RawRow>('SELECT * FROM est_upstreams WHERE deleted = 0 ORDER BY id');
    this.maxId = db.prepare<[], { id: number | null }>('SELECT MAX(id) AS id FROM est_upstreams');
  }

  get(id: number): EstUpstreamRow | undefined {
    const raw = this.byId.get(id);
    return raw && toRow(raw);
  }

  list(): EstUpstreamRow[] {
    return this.all.all().map(toRow);
  }

  /** The lowest id never used (deleted ones included). */
  nextId(): number {
    return (this.maxId.get()?.id ?? 0) + 1;
  }
}
