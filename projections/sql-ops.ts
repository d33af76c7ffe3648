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

/** Increments waiting to be written: one per counter row, with the sum of everything added to it. */
interface PendingIncrement {
  statement: Database.Statement;
  params: Cell[];
}

export interface RowOpApplierOptions {
  /**
   * Hold increments in memory and write each counter row once per flush() with the sum (a replay adds to the same
   * few hundred counter rows millions of times). Apply ops inside batch(), which writes them before it returns
   * (call it inside the transaction) and forgets them when the work throws. Increments are also flushed before any update or delete (which may fire triggers
   * that read counters) and before any other op on a table with pending increments, so the result is always the
   * one applying each op at once gives; triggers fired by inserts must only add to counters (upserts), as they do.
   */
  deferIncrements?: boolean;
}

export class RowOpApplier {
  private readonly statements = new Map<string, Database.Statement>();
  private readonly pending = new Map<string, PendingIncrement>();
  private readonly pendingTables = new Set<string>();

  constructor(
    private readonly db: Database.Database,
    private readonly options: RowOpApplierOptions = {},
  ) {}

  apply(op: RowOp): void {
    const shape = shapeOf(op);
    let statement = this.statements.get(shape);
    if (!statement) {
      statement = this.db.prepare(sqlFor(op));
      this.statements.set(shape, statement);
    }
    if (this.options.deferIncrements) {
      if (op.op === 'increment') return this.defer(shape, statement, op);
      if (this.pending.size > 0 && (op.op === 'update' || op.op === 'delete' || this.pendingTables.has(op.table))) this.flush();
    }
    statement.run(paramsOf(op));
  }

  /** Runs `work` (which applies ops) and writes the increments it deferred; none survive a throw into the next batch. */
  batch(work: () => void): void {
    try {
      work();
      this.flush();
    } finally {
      this.pending.clear();
      this.pendingTables.clear();
    }
  }

  private flush(): void {
    for (const { statement, params } of this.pending.values()) statement.run(params);
    this.pending.clear();
    this.pendingTables.clear();
  }

  private defer(shape: string, statement: Database.Statement, op: Extract<RowOp, { op: 'increment' }>): void {
    const key = Object.values(op.key);
    const id = `${shape}\u0000${JSON.stringify(key)}`;
    const waiting = this.pending.get(id);
    if (waiting) (waiting.params[key.length] as number) += op.by;
    else {
      this.pending.set(id, { statement, params: [...key, op.by] });
      this.pendingTables.add(op.table);
    }
  }
}
