/** ACL policies by name, with their parsed rules, for token authorization. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import type { PolicyRule } from '../src/domain/acl.js';

export const policiesProjection: Projection = {
  name: 'policies',
  version: 1,
  tables: {
    acl_policies: [
      `CREATE TABLE IF NOT EXISTS acl_policies (
        name TEXT PRIMARY KEY,
        text TEXT NOT NULL,
        rules TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
  },
  canHandle: ['PolicyWritten', 'PolicyDeleted'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'PolicyWritten': {
        const { name, text, rules, at } = event.data;
        return [{ op: 'upsert', table: 'acl_policies', key: ['name'], row: { name, text, rules: JSON.stringify(rules), updated_at: at } }];
      }
      case 'PolicyDeleted':
        return [{ op: 'delete', table: 'acl_policies', where: { name: event.data.name } }];
      default:
        return [];
    }
  },
};

export interface PolicyRow {
  name: string;
  text: string;
  rules: PolicyRule[];
}

export class PolicyQueries {
  private readonly byName;
  constructor(private readonly db: ReadModelDb) {
    this.byName = db.prepare('SELECT name, text, rules FROM acl_policies WHERE name = ?');
  }

  get(name: string): PolicyRow | undefined {
    const row = this.byName.get(name) as { name: string; text: string; rules: string } | undefined;
    return row && { name: row.name, text: row.text, rules: JSON.parse(row.rules) as PolicyRule[] };
  }

  names(): string[] {
    return (this.db.prepare('SELECT name FROM acl_policies ORDER BY name').all() as { name: string }[]).map((r) => r.name);
  }
}
