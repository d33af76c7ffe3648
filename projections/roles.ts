/** OpenBao roles: one row per role with its complete definition. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import type { RoleDefinition } from '../src/domain/role.js';

export const rolesProjection: Projection = {
  name: 'roles',
  version: 1,
  tables: {
    pki_roles: [
      `CREATE TABLE IF NOT EXISTS pki_roles (
        name TEXT PRIMARY KEY,
        definition TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: ['RoleWritten', 'RoleDeleted'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'RoleWritten':
        return [{ op: 'upsert', table: 'pki_roles', key: ['name'], row: { name: event.data.name, definition: JSON.stringify(event.data.role), updated_at: event.data.at } }];
      case 'RoleDeleted':
        return [{ op: 'delete', table: 'pki_roles', where: { name: event.data.name } }];
      default:
        return [];
    }
  },
};

export class RoleQueries {
  private readonly byName;
  constructor(private readonly db: ReadModelDb) {
    this.byName = db.prepare('SELECT definition FROM pki_roles WHERE name = ?');
  }

  get(name: string): RoleDefinition | undefined {
    const row = this.byName.get(name) as { definition: string } | undefined;
    return row && (JSON.parse(row.definition) as RoleDefinition);
  }

  names(): string[] {
    return (this.db.prepare('SELECT name FROM pki_roles ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }
}
