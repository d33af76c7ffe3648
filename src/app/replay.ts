/**
 * Point-in-time replay: rebuilds every read model from the log into a separate database, up to a position or a
 * time, without touching the live read models. `signet replay` writes one to a directory; GraphQL `asOf`
 * (src/graphql/as-of.ts) keeps a few in a small LRU cache, bounded by how many events a rebuild may apply.
 *
 * The target is new and private until the rebuild ends, so it is loaded the fast way: no journal, no fsync, a
 * large page cache, plain indexes built once at the end; then it is switched to the live read models' settings.
 * A crash half-way leaves a half-built file that the next replay into the same directory replaces.
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

/** Events applied per read-model transaction. */
const BATCH = 10_000;

function beginBulkLoad(db: ReadModelDb): void {
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -131072');
}

function endBulkLoad(db: ReadModelDb): void {
  db.pragma('cache_size = -2000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
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
  beginBulkLoad(db);
  const runner = new ProjectionRunner(db, projections, { deferIndexes: true });
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
    if (batch.length >= BATCH) flush();
  }
  flush();
  runner.createDeferredIndexes();
  endBulkLoad(db);
  const tables = runner.tableNames().map((name) => ({ name, rows: (db.prepare(`SELECT COUNT(*) AS n FROM ${name}`).get() as { n: number }).n }));
  return { db, file, position: runner.position, events, tables };
}

/**
 * A progress callback for long replays: at most one line a second, with the share of the log done (by position,
 * which is exact for SQLite and close for KurrentDB's byte offsets) and the rate.
 */
export function progressReporter(head: number, print: (line: string) => void, everyMs = 1000): (events: number, position: number) => void {
  const started = Date.now();
  let last = started;
  return (events, position) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    const share = head > 0 ? ` of ${head}, ${Math.floor((position / head) * 100)}%` : '';
    print(`replayed ${events} events (position ${position}${share}), ${Math.round(events / ((now - started) / 1000))} events/s`);
  };
}
