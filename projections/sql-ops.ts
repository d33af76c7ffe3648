/**
 * Turns RowOps into SQLite statements, prepared once per shape. The shape (operation, table, column names) is a
 * short key; the SQL text is only built, and identifiers only checked, the first time a shape is seen. Replays
 * apply millions of ops, so the per-op path stays small: one key, one lookup, one run.
 */
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

/** The statement for an op's shape. */
function sqlFor(op: RowOp): string {
  switch (op.op) {
    case 'insert': {
      const cols = columns(op.row);
      return `INSERT INTO ${ident(op.table)} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')})`;
    }
    case 'upsert': {
      const cols = columns(op.row);
      const updates = cols.filter((c) => !op.key.includes(c));
      const action = updates.length ? `DO UPDATE SET ${updates.map((c) => `${c}=excluded.${c}`).join(',')}` : 'DO NOTHING';
      return `INSERT INTO ${ident(op.table)} (${cols.join(',')}) VALUES (${cols.map(() => '?').join(',')}) ON CONFLICT(${op.key.map(ident).join(',')}) ${action}`;
    }
    case 'update': {
      const set = columns(op.set);
      const where = columns(op.where);
      return `UPDATE ${ident(op.table)} SET ${set.map((c) => `${c}=?`).join(',')} WHERE ${where.map((c) => `${c} IS ?`).join(' AND ')}`;
    }
    case 'increment': {
      const keyCols = columns(op.key);
      const col = ident(op.column);
      return `INSERT INTO ${ident(op.table)} (${[...keyCols, col].join(',')}) VALUES (${[...keyCols, col].map(() => '?').join(',')}) ON CONFLICT(${keyCols.join(',')}) DO UPDATE SET ${col}=${col}+excluded.${col}`;
    }
    case 'delete': {
      const where = columns(op.where);
      return `DELETE FROM ${ident(op.table)} WHERE ${where.map((c) => `${c} IS ?`).join(' AND ')}`;
    }
  }
}

const names = (row: Row) => Object.keys(row).join(',');

/** What distinguishes one statement from another, cheaply; the same key always means the same SQL. */
function shapeOf(op: RowOp): string {
  switch (op.op) {
    case 'insert':
      return `i ${op.table} ${names(op.row)}`;
    case 'upsert':
      return `u ${op.table} ${names(op.row)} ${op.key.join(',')}`;
    case 'update':
      return `s ${op.table} ${names(op.set)} ${names(op.where)}`;
    case 'increment':
      return `+ ${op.table} ${names(op.key)} ${op.column}`;
    case 'delete':
      return `d ${op.table} ${names(op.where)}`;
  }
}

function paramsOf(op: RowOp): Cell[] {
  switch (op.op) {
    case 'insert':
    case 'upsert':
      return Object.values(op.row);
    case 'update':
      return [...Object.values(op.set), ...Object.values(op.where)];
    case 'increment':
      return [...Object.values(op.key), op.by];
    case 'delete':
      return Object.values(op.where);
  }
}

export class RowOpApplier {
  private readonly statements = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}

  apply(op: RowOp): void {
    const shape = shapeOf(op);
    let statement = this.statements.get(shape);
    if (!statement) {
      statement = this.db.prepare(sqlFor(op));
      this.statements.set(shape, statement);
    }
    statement.run(paramsOf(op));
  }
}
