/** EST profiles by name (the `{aps}` label), with their settings as recorded in the latest event. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import type { EstProfileSettings } from '../src/domain/est-profile.js';

export const estProfilesProjection: Projection = {
  name: 'est_profiles',
  version: 1,
  tables: {
    est_profiles: [
      `CREATE TABLE IF NOT EXISTS est_profiles (
        name TEXT PRIMARY KEY,
        revision INTEGER NOT NULL,
        settings TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: ['EstProfileCreated', 'EstProfileUpdated', 'EstProfileDeleted'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'EstProfileCreated': {
        const { name, settings, at } = event.data;
        return [{ op: 'insert', table: 'est_profiles', row: { name, revision: event.revision, settings: JSON.stringify(settings), created_at: at, updated_at: at } }];
      }
      case 'EstProfileUpdated': {
        const { name, settings, at } = event.data;
        return [{ op: 'update', table: 'est_profiles', where: { name }, set: { revision: event.revision, settings: JSON.stringify(settings), updated_at: at } }];
      }
      case 'EstProfileDeleted':
        return [{ op: 'delete', table: 'est_profiles', where: { name: event.data.name } }];
      default:
        return [];
    }
  },
};

export interface EstProfileRow {
  name: string;
  /** Revision of the profile's stream at its last change: a cache key that changes with every update. */
  revision: number;
  settings: EstProfileSettings;
  createdAt: string;
  updatedAt: string;
}

interface RawRow {
  name: string;
  revision: number;
  settings: string;
  created_at: string;
  updated_at: string;
}

const toRow = (raw: RawRow): EstProfileRow => ({
  name: raw.name,
  revision: raw.revision,
  settings: JSON.parse(raw.settings) as EstProfileSettings,
  createdAt: raw.created_at,
  updatedAt: raw.updated_at,
});

/**
 * Reads profiles. `get` is on every EST request: it checks only the revision in SQL and reuses the parsed row
 * while the revision is unchanged.
 */
export class EstProfileQueries {
  private readonly revisionOf;
  private readonly byName;
  private readonly all;
  private readonly cache = new Map<string, EstProfileRow>();

  constructor(db: ReadModelDb) {
    this.revisionOf = db.prepare<[string], { revision: number }>('SELECT revision FROM est_profiles WHERE name = ?');
    this.byName = db.prepare<[string], RawRow>('SELECT * FROM est_profiles WHERE name = ?');
    this.all = db.prepare<[], RawRow>('SELECT * FROM est_profiles ORDER BY name');
  }

  get(name: string): EstProfileRow | undefined {
    const current = this.revisionOf.get(name);
    if (!current) {
      this.cache.delete(name);
      return undefined;
    }
    const cached = this.cache.get(name);
    if (cached?.revision === current.revision) return cached;
    const raw = this.byName.get(name);
    if (!raw) return undefined;
    const row = toRow(raw);
    this.cache.set(name, row);
    return row;
  }

  list(): EstProfileRow[] {
    return this.all.all().map(toRow);
  }
}
