import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { WrongExpectedRevisionError, type RecordedEvent } from '../../src/eventstore/port.js';
import { DuplicateEventIdError } from '../../src/eventstore/shared.js';
import { SqliteEventStore, type FlushStats } from '../../src/eventstore/sqlite.js';
import { runAppendChild } from '../fixtures/spawn-append-child.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-sqlite-crash-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => path.join(dir, `events-${++files}.db`);

async function readEverything(file: string): Promise<RecordedEvent[]> {
  const store = new SqliteEventStore(file);
  try {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    return events;
  } finally {
    await store.close();
  }
}

describe('SQLite durability under kill -9', () => {
  const APPENDS = 1000;
  const PARTS = 3;
  // Small batches and a flush timer so the run spans well over a hundred commits and the kill lands mid-way.
  const childArgs = ['--count', String(APPENDS), '--events', String(PARTS), '--concurrency', '16', '--max-batch', '8', '--interval', '3', '--prefix', 'crash'];

  const runs = [25, 250, 600].map((killAfter) => ({ killAfter, writerThread: false })).concat([{ killAfter: 250, writerThread: true }]);
  for (const { killAfter, writerThread } of runs) {
    test(`killed after ${killAfter} acknowledged appends: every ack is stored, no append is partial${writerThread ? ' (writer thread)' : ''}`, { timeout: 20_000 }, async () => {
      const file = freshFile();
      const run = await runAppendChild(file, writerThread ? [...childArgs, '--writer-thread'] : childArgs, { killAfterAcks: killAfter });
      assert.equal(run.signal, 'SIGKILL');
      assert.equal(run.finished, false, 'the child was killed before it finished');
      assert.ok(run.acks.size >= killAfter && run.acks.size < APPENDS, `acks: ${run.acks.size}`);

      const events = await readEverything(file);
      assert.ok(events.length >= run.acks.size * PARTS, `${events.length} events stored for ${run.acks.size} acks`);
      assert.equal(events.length % PARTS, 0, 'whole appends only');
      events.forEach((event, i) => {
        const append = Math.floor(i / PARTS);
        const part = i % PARTS;
        // Appends are issued in index order and committed in queue order: what is stored is appends 0..k-1, whole.
        assert.equal(event.position, i + 1, 'positions are dense');
        assert.equal(event.streamId, `crash-${append}`, 'the stored appends are a prefix of those issued');
        assert.equal(event.revision, part);
        assert.deepEqual(event.data, { i: append, part, pad: 'x'.repeat(200) });
      });
      for (const [stream, position] of run.acks) {
        const last = events[position - 1];
        assert.ok(last && last.streamId === stream && last.revision === PARTS - 1, `acknowledged ${stream} at ${position} is stored`);
      }
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      } finally {
        db.close();
      }
    });
  }
});

describe('SQLite group commit', () => {
  test('many concurrent appends share a few transactions', async () => {
    const flushes: FlushStats[] = [];
    const store = new SqliteEventStore(freshFile(), { maxBatch: 100, onFlush: (stats) => flushes.push(stats) });
    try {
      const results = await Promise.all(Array.from({ length: 500 }, (_, i) => store.append(`batch-${i}`, [{ type: 'E', data: i }, { type: 'E', data: i }])));
      assert.deepEqual(results.map((r) => r.position).sort((a, b) => a - b), Array.from({ length: 500 }, (_, i) => 2 * (i + 1)));
      assert.deepEqual(flushes.map((f) => f.appends), [100, 100, 100, 100, 100], '500 appends, 5 transactions');
      assert.deepEqual(flushes.map((f) => [f.events, f.failed, f.latenciesMs.length]), flushes.map(() => [200, 0, 100]));
      assert.ok(flushes.every((f) => f.commitMs >= 0 && f.latenciesMs.every((ms) => ms >= f.commitMs)));
    } finally {
      await store.close();
    }
  });

  test('a conflicting append fails alone while the rest of its batch commits in order', async () => {
    const flushes: FlushStats[] = [];
    const store = new SqliteEventStore(freshFile(), { onFlush: (stats) => flushes.push(stats) });
    try {
      const ownId = '5a1f0c8e-2d0b-4c55-9b3e-1f1f9d4c2a10';
      const outcomes = await Promise.allSettled([
        store.append('x', [{ type: 'A', data: 1 }], { expectedRevision: 'no_stream' }),
        store.append('x', [{ type: 'B', data: 2 }], { expectedRevision: 'no_stream' }), // conflicts with the one before
        store.append('y', [{ type: 'C', data: 3, id: ownId }], { expectedRevision: 'no_stream' }),
        store.append('x', [{ type: 'D', data: 4 }], { expectedRevision: 0 }), // sees the first append of the batch
        store.append('z', [{ type: 'E', data: 5 }, { type: 'E', data: 6, id: ownId }]), // id already stored for y
      ]);
      assert.deepEqual(flushes.map((f) => [f.appends, f.events, f.failed]), [[5, 3, 2]], 'one transaction');
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'rejected']);
      const [a, b, c, d, e] = outcomes;
      assert.ok(b.status === 'rejected' && b.reason instanceof WrongExpectedRevisionError && b.reason.actual === 0);
      assert.ok(e.status === 'rejected' && e.reason instanceof DuplicateEventIdError);
      assert.deepEqual([a, c, d].map((o) => (o.status === 'fulfilled' ? o.value : undefined)), [
        { nextExpectedRevision: 0, position: 1 },
        { nextExpectedRevision: 0, position: 2 },
        { nextExpectedRevision: 1, position: 3 },
      ]);
      const stored: RecordedEvent[] = [];
      for await (const event of store.readAll()) stored.push(event);
      assert.deepEqual(stored.map((event) => [event.position, event.streamId, event.type]), [[1, 'x', 'A'], [2, 'y', 'C'], [3, 'x', 'D']]);
    } finally {
      await store.close();
    }
  });

  test('an append whose insert fails midway is rolled back to its savepoint; the batch still commits', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file);
    const admin = new Database(file);
    try {
      // A trigger stands in for an insert failing after the append's first event was written.
      admin.exec("CREATE TRIGGER poison BEFORE INSERT ON events WHEN NEW.type = 'Poison' BEGIN SELECT RAISE(ABORT, 'poisoned'); END");
      const outcomes = await Promise.allSettled([
        store.append('a', [{ type: 'E', data: 1 }]),
        store.append('b', [{ type: 'E', data: 2 }, { type: 'Poison', data: 3 }]),
        store.append('c', [{ type: 'E', data: 4 }]),
      ]);
      assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'fulfilled']);
      assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /poisoned/);
      assert.deepEqual(await store.readStream('b'), [], 'the first event of the failed append is gone');
      const stored: RecordedEvent[] = [];
      for await (const event of store.readAll()) stored.push(event);
      assert.deepEqual(stored.map((e) => [e.position, e.streamId]), [[1, 'a'], [2, 'c']]);
    } finally {
      admin.close();
      await store.close();
    }
  });

  test('while another connection holds the write lock, appends wait without blocking the event loop', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file, { busyTimeoutMs: 2_000 });
    const blocker = new Database(file);
    try {
      blocker.exec('BEGIN IMMEDIATE');
      const pending = Promise.all([store.append('p', [{ type: 'E', data: 1 }]), store.append('q', [{ type: 'E', data: 2 }])]);
      let ticks = 0;
      const ticker = setInterval(() => ticks++, 5);
      await new Promise((resolve) => setTimeout(resolve, 60));
      clearInterval(ticker);
      assert.ok(ticks >= 5, `timers kept firing while the append waited (${ticks} ticks)`);
      blocker.exec('COMMIT');
      assert.deepEqual((await pending).map((r) => r.position), [1, 2]);
    } finally {
      blocker.close();
      await store.close();
    }
  });

  test('when the transaction itself fails, every append in it rejects and nothing is written', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file, { busyTimeoutMs: 20 });
    const blocker = new Database(file);
    try {
      blocker.exec('BEGIN IMMEDIATE'); // another process holding the write lock
      const outcomes = await Promise.allSettled([store.append('p', [{ type: 'E', data: 1 }]), store.append('q', [{ type: 'E', data: 2 }])]);
      assert.deepEqual(outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'fulfilled')), ['SQLITE_BUSY', 'SQLITE_BUSY']);
      blocker.exec('ROLLBACK');
      assert.equal(await store.headPosition(), 0);
      assert.equal((await store.append('p', [{ type: 'E', data: 1 }])).position, 1, 'the store recovers once the lock is free');
    } finally {
      blocker.close();
      await store.close();
    }
  });
});
