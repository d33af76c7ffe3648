/** The read-model database: a SQLite file rebuilt from the log whenever needed, so it trades durability for speed. */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { enableWal } from '../src/sqlite/wal.js';

export type ReadModelDb = Database.Database;

export function openReadModelDb(file: string): ReadModelDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // Several processes may open one file at once (CLI commands beside the server): they wait, not fail.
  enableWal(db, 5000);
  // Read models are derived data: a crash loses at most what the checkpoint also loses, and replay restores it.
  db.pragma('synchronous = NORMAL');
  db.exec(`CREATE TABLE IF NOT EXISTS projection_checkpoints (
    name TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    position INTEGER NOT NULL
  )`);
  return db;
}

/** A deterministic text dump of every read-model table (rows sorted), for comparing rebuilds. */
export function dumpReadModels(db: ReadModelDb, tables: string[]): string {
  const lines: string[] = [];
  for (const table of [...tables].sort()) {
    const rows = db.prepare(`SELECT * FROM ${table}`).raw().all() as unknown[][];
    const encoded = rows.map((row) => JSON.stringify(row)).sort();
    lines.push(`# ${table} (${encoded.length})`, ...encoded);
  }
  return lines.join('\n');
}
