/**
 * Point-in-time replay: rebuilds every read model from the log into a separate database, up to a position or a
 * time, without touching the live read models.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore, RecordedEvent } from '../eventstore/port.js';
import { projections } from '../../projections/index.js';
import { openReadModelDb, type ReadModelDb } from '../../projections/readmodel-db.js';
import { ProjectionRunner } from '../../projections/runner.js';

export type ReplayPoint = { position: number } | { time: Date } | 'head';

/** "1234" is a position; anything Date can parse is a time. */
export function parseReplayPoint(text: string | undefined): ReplayPoint {
  if (text === undefined || text === '' || text === 'head') return 'head';
  if (/^\d+$/.test(text)) return { position: Number(text) };
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw new Error(`--until: expected a store position or an ISO time, got "${text}"`);
  return { time };
}

export interface ReplayResult {
  db: ReadModelDb;
  file: string;
  position: number;
  events: number;
  tables: { name: string; rows: number }[];
}

function beyond(point: ReplayPoint, event: RecordedEvent): boolean {
  if (point === 'head') return false;
  return 'position' in point ? event.position > point.position : event.created > point.time.getTime();
}

export async function replayInto(
  store: EventStore,
  outDir: string,
  point: ReplayPoint,
  onProgress?: (events: number, position: number) => void,
): Promise<ReplayResult> {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'readmodels.db');
  for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });
  const db = openReadModelDb(file);
  const runner = new ProjectionRunner(db, projections);
  let batch: RecordedEvent[] = [];
  let events = 0;
  const flush = () => {
    runner.applyBatch(batch);
    events += batch.length;
    batch = [];
    onProgress?.(events, runner.position);
  };
  const toPosition = point !== 'head' && 'position' in point ? point.position : undefined;
  for await (const event of store.readAll({ toPosition })) {
    if (beyond(point, event)) break;
    batch.push(event);
    if (batch.length >= 5000) flush();
  }
  flush();
  const tables = runner.tableNames().map((name) => ({ name, rows: (db.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n }));
  return { db, file, position: runner.position, events, tables };
}
