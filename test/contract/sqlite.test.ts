import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteEventStore } from '../../src/eventstore/sqlite.js';
import { DuplicateEventIdError } from '../../src/eventstore/shared.js';
import { runEventStoreContract } from './eventstore.contract.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-sqlite-contract-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshFile = () => path.join(dir, `events-${++files}.db`);

runEventStoreContract('sqlite', async () => new SqliteEventStore(freshFile()), { atomicMultiple: true });
runEventStoreContract('sqlite with a writer thread', async () => new SqliteEventStore(freshFile(), { writerThread: true }), { atomicMultiple: true });

describe('SqliteEventStore specifics', () => {
  for (const writerThread of [false, true]) {
  test(`appends queued when close() is called are committed and survive a reopen${writerThread ? ' (writer thread)' : ''}`, async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file, { flushIntervalMs: 50, writerThread });
    const pending = Array.from({ length: 10 }, (_, i) => store.append(`s-${i}`, [{ type: 'E', data: i }]));
    await store.close();
    assert.deepEqual((await Promise.all(pending)).map((r) => r.position), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

    const reopened = new SqliteEventStore(file);
    try {
      assert.equal(await reopened.headPosition(), 10);
      assert.deepEqual((await reopened.readStream('s-7')).map((e) => e.data), [7]);
      assert.equal((await reopened.append('s-7', [{ type: 'E', data: 'again' }], { expectedRevision: 0 })).position, 11);
    } finally {
      await reopened.close();
    }
  });
  }

  test('a writer thread that dies fails the appends waiting on it and every later one, and says so in error', async () => {
    const store = new SqliteEventStore(freshFile(), { writerThread: true });
    const failure = () => store.error;
    try {
      await store.append('before', [{ type: 'E', data: 1 }]);
      assert.equal(failure(), undefined);
      // Fault injection: the thread ends as if it had crashed.
      await (store as unknown as { writer: { worker: { terminate(): Promise<number> } } }).writer.worker.terminate();
      await assert.rejects(store.append('after', [{ type: 'E', data: 2 }]), /writer thread exited/);
      assert.match(failure()?.message ?? '', /writer thread exited/);
      assert.deepEqual((await store.readStream('before')).map((e) => e.data), [1], 'reads go on');
    } finally {
      await store.close();
    }
    assert.equal(failure(), undefined, 'after close() the exit is an orderly one');
  });

  test('stores the JSON text exactly as serialised at append time', async () => {
    const file = freshFile();
    const store = new SqliteEventStore(file);
    await store.append('json', [{ type: 'E', data: { b: 1, a: [2, { c: 'é' }] }, metadata: { z: 1, actor: 'x' } }]);
    await store.close();
    const db = new Database(file, { readonly: true });
    try {
      assert.deepEqual(db.prepare('SELECT data, metadata FROM events').get(), { data: '{"b":1,"a":[2,{"c":"é"}]}', metadata: '{"z":1,"actor":"x"}' });
    } finally {
      db.close();
    }
  });

  test('an event id stored by a different append is rejected and nothing is written', async () => {
    const store = new SqliteEventStore(freshFile());
    try {
      const id = randomUUID();
      await store.append('first', [{ type: 'E', data: 1, id }]);
      await assert.rejects(store.append('second', [{ type: 'E', data: 0 }, { type: 'E', data: 2, id }]), DuplicateEventIdError);
      await assert.rejects(store.append('first', [{ type: 'E', data: 3, id }, { type: 'E', data: 4 }]), DuplicateEventIdError);
      assert.deepEqual(await store.readStream('second'), []);
      assert.equal(await store.headPosition(), 1);
    } finally {
      await store.close();
    }
  });

  test('a subscription notices events committed through another connection to the same file', async () => {
    const file = freshFile();
    const reader = new SqliteEventStore(file, { pollIntervalMs: 20 });
    const writer = new SqliteEventStore(file);
    try {
      const subscription = reader.subscribeToAll();
      const iterator = subscription[Symbol.asyncIterator]();
      const next = iterator.next();
      await new Promise((resolve) => setTimeout(resolve, 50)); // the reader is now idle, waiting
      const written = await writer.append('foreign', [{ type: 'E', data: 1 }]);
      const result = await Promise.race([next, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 2_000))]);
      assert.ok(result !== 'timeout' && !result.done, 'the foreign commit was noticed');
      assert.deepEqual(result.value.map((e) => [e.streamId, e.position]), [['foreign', written.position]]);
      await subscription.close();
    } finally {
      await writer.close();
      await reader.close();
    }
  });
});
