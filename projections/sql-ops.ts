/** Turns RowOps into SQLite statements, prepared once per shape. */
import type Database from 'better-sqlite3';
import type { Cell, Row, RowOp } from './projection.js';

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function ident(name: string): string {
  if (!IDENTIFIER.test(name)) throw new Error(`invalid SQL identifier in projection: ${name}`);
  return name;
}

function columns(row: Row): string[] {
  return Object.keys(row).map(ident);
}

function sqlFor(op: RowOp): { sql: string; params: Cell[] } {
  switch (op.op) {
    case 'insert': {
      const cols = columns(op.row);
      return { sql: `INSERT INTO ${ident(op.table)} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`, params: Object.values(op.row) };
    }
    case 'upsert': {
      const cols = columns(op.row);
      const updates = cols.filter((c) => !op.key.includes(c));
      const action = updates.length ? `DO UPDATE SET ${updates.map((c) => `${c}=excluded.${c}`).join(',')}` : 'DO NOTHING';
      return {
        sql: `INSERT INTO ${ident(op.table)} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')}) ON CONFLICT(${op.key.map(ident).join(',')}) ${action}`,
        params: Object.values(op.row),
      };
    }
    case 'update': {
      const set = columns(op.set);
      const where = columns(op.where);
      return {
        sql: `UPDATE ${ident(op.table)} SET ${set.map((c) => `${c}=?`).join(',')} WHERE ${where.map((c) => `${c} IS ?`).join(' AND ')}`,
        params: [...Object.values(op.set), ...Object.values(op.where)],
      };
    }
    case 'increment': {
      const keyCols = columns(op.key);
      const col = ident(op.column);
      return {
        sql: `INSERT INTO ${ident(op.table)} (${[...keyCols, col].join(',')}) VALUES (${[...keyCols, col].map(() => '?').join(',')}) ON CONFLICT(${keyCols.join(',')}) DO UPDATE SET ${col}=${col}+excluded.${col}`,
        params: [...Object.values(op.key), op.by],
      };
    }
    case 'delete': {
      const where = columns(op.where);
      return { sql: `DELETE FROM ${ident(op.table)} WHERE ${where.map((c) => `${c} IS ?`).join(' AND ')}`, params: Object.values(op.where) };
    }
  }
}

export class RowOpApplier {
  private readonly statements = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}

  apply(op: RowOp): void {
    const { sql, params } = sqlFor(op);
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    statement.run(...params);
  }
}
