import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RowOp } from '../../projections/projection.js';
import { dumpReadModels } from '../../projections/readmodel-db.js';
import { RowOpApplier } from '../../projections/sql-ops.js';

/** Counters per (day, kind), items moving counts between days with a trigger that decrements (needs the row to exist). */
function schema(): Database.Database {
  const db = new Database(':memory:');
  db.exec(`CREATE TABLE counts (day TEXT NOT NULL, kind TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (day, kind)) WITHOUT ROWID;
    CREATE TABLE items (id TEXT PRIMARY KEY, day TEXT NOT NULL);
    CREATE TRIGGER item_moved AFTER UPDATE OF day ON items BEGIN
      UPDATE counts SET n = n - 1 WHERE day = OLD.day AND kind = 'item';
      INSERT INTO counts (day, kind, n) VALUES (NEW.day, 'item', 1) ON CONFLICT (day, kind) DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER item_removed AFTER DELETE ON items BEGIN
      UPDATE counts SET n = n - 1 WHERE day = OLD.day AND kind = 'item';
    END;`);
  return db;
}

function opsFor(i: number): RowOp[] {
  const day = `d${i % 3}`;
  const ops: RowOp[] = [
    { op: 'insert', table: 'items', row: { id: `i${i}`, day } },
    { op: 'increment', table: 'counts', key: { day, kind: 'item' }, column: 'n', by: 1 },
    { op: 'increment', table: 'counts', key: { day, kind: 'seen' }, column: 'n', by: i },
  ];
  if (i % 5 === 4) ops.push({ op: 'update', table: 'items', where: { id: `i${i - 2}` }, set: { day: 'moved' } });
  if (i % 7 === 6) ops.push({ op: 'delete', table: 'items', where: { id: `i${i - 1}` } });
  if (i % 11 === 10) ops.push({ op: 'upsert', table: 'counts', key: ['day', 'kind'], row: { day: 'd0', kind: 'reset', n: i } });
  return ops;
}

describe('RowOpApplier', () => {
  test('deferred increments end in exactly the rows that applying each op at once gives', () => {
    const now = schema();
    const deferred = schema();
    const direct = new RowOpApplier(now);
    const batched = new RowOpApplier(deferred, { deferIncrements: true });
    for (let from = 0; from < 60; from += 25) {
      batched.batch(() => {
        for (let i = from; i < Math.min(from + 25, 60); i++) for (const op of opsFor(i)) batched.apply(op);
      });
    }
    for (let i = 0; i < 60; i++) for (const op of opsFor(i)) direct.apply(op);
    assert.equal(dumpReadModels(deferred, ['counts', 'items']), dumpReadModels(now, ['counts', 'items']));
    assert.equal((now.prepare("SELECT n FROM counts WHERE day = 'moved' AND kind = 'item'").get() as { n: number }).n > 0, true, 'the trigger ran on counted rows');
  });

  test('holds increments until the batch ends, writing each counter row once with the sum', () => {
    const db = schema();
    const applier = new RowOpApplier(db, { deferIncrements: true });
    applier.batch(() => {
      for (let i = 0; i < 3; i++) applier.apply({ op: 'increment', table: 'counts', key: { day: 'd', kind: 'k' }, column: 'n', by: 2 });
      applier.apply({ op: 'increment', table: 'counts', key: { day: 'd', kind: 'k' }, column: 'n', by: -1 });
      assert.deepEqual(db.prepare('SELECT COUNT(*) AS c FROM counts').get(), { c: 0 });
    });
    assert.deepEqual(db.prepare('SELECT day, kind, n FROM counts').all(), [{ day: 'd', kind: 'k', n: 5 }]);
    applier.batch(() => {});
    assert.deepEqual(db.prepare('SELECT n FROM counts').get(), { n: 5 }, 'the next batch writes nothing again');
  });

  test('a batch that throws leaves nothing deferred for the next one', () => {
    const db = schema();
    const applier = new RowOpApplier(db, { deferIncrements: true });
    assert.throws(() =>
      applier.batch(() => {
        applier.apply({ op: 'increment', table: 'counts', key: { day: 'd', kind: 'k' }, column: 'n', by: 1 });
        throw new Error('reducer failed');
      }),
    );
    applier.batch(() => applier.apply({ op: 'increment', table: 'counts', key: { day: 'd', kind: 'k' }, column: 'n', by: 1 }));
    assert.deepEqual(db.prepare('SELECT n FROM counts').all(), [{ n: 1 }]);
  });

  test('an update or delete first writes the pending increments, so triggers see them', () => {
    const db = schema();
    const applier = new RowOpApplier(db, { deferIncrements: true });
    applier.batch(() => {
      applier.apply({ op: 'insert', table: 'items', row: { id: 'a', day: 'd' } });
      applier.apply({ op: 'increment', table: 'counts', key: { day: 'd', kind: 'item' }, column: 'n', by: 1 });
      applier.apply({ op: 'delete', table: 'items', where: { id: 'a' } });
    });
    assert.deepEqual(db.prepare('SELECT n FROM counts').all(), [{ n: 0 }]);
  });
});
