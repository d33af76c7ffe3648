import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import type { RecordedEvent } from '../../src/eventstore/port.js';
import { SqliteEventStore } from '../../src/eventstore/sqlite.js';
import { runAppendChild } from '../fixtures/spawn-append-child.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-sqlite-multiprocess-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('two processes appending to one file get unique, dense positions, and a third process sees every commit live', { timeout: 30_000 }, async () => {
  const file = path.join(dir, 'shared.db');
  const perProcess = 300;
  const observer = new SqliteEventStore(file, { pollIntervalMs: 20 });
  const subscription = observer.subscribeToAll({ batchSize: 50 });
  const delivered: RecordedEvent[] = [];
  const following = (async () => {
    for await (const batch of subscription) {
      delivered.push(...batch);
      if (delivered.length >= 2 * perProcess) return;
    }
  })();

  try {
    // Small batches, started together: the two writers contend for the lock many times. Each keeps fewer appends in
    // flight than a batch holds and flushes on a 2 ms timer, so after a commit the other process's retry gets the
    // lock; with a full queue a writer re-takes the lock on the next tick and, on a quiet machine, could keep it.
    const args = (prefix: string) => ['--count', String(perProcess), '--events', '1', '--concurrency', '3', '--max-batch', '4', '--interval', '2', '--prefix', prefix];
    let ready = 0;
    let bothReady!: () => void;
    const startWhen = new Promise<void>((resolve) => (bothReady = resolve));
    const onReady = () => ++ready === 2 && bothReady();
    const runs = await Promise.all(['p0', 'p1'].map((prefix) => runAppendChild(file, args(prefix), { startWhen, onReady })));
    for (const run of runs) {
      assert.equal(run.code, 0);
      assert.ok(run.finished);
      assert.equal(run.acks.size, perProcess);
    }

    const acked = runs.flatMap((run) => [...run.acks.values()]).sort((a, b) => a - b);
    assert.deepEqual(acked, Array.from({ length: 2 * perProcess }, (_, i) => i + 1), 'acknowledged positions are unique and dense');

    const stored: RecordedEvent[] = [];
    for await (const event of observer.readAll()) stored.push(event);
    assert.equal(stored.length, 2 * perProcess);
    const handoffs = stored.filter((e, i) => i > 0 && e.streamId.slice(0, 2) !== stored[i - 1].streamId.slice(0, 2)).length;
    assert.ok(handoffs >= 5, `the write lock passed between the processes only ${handoffs} times`);
    for (const [i, run] of runs.entries()) {
      for (const [stream, position] of run.acks) {
        assert.equal(stored[position - 1].streamId, stream, `p${i}: ${stream} is at its acknowledged position`);
      }
    }

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`subscription saw ${delivered.length} events`)), 5_000);
    });
    await Promise.race([following, timeout]).finally(() => clearTimeout(timer));
    assert.deepEqual(delivered.map((e) => e.position), stored.map((e) => e.position), 'the subscription delivered foreign commits in order');
  } finally {
    await subscription.close();
    await observer.close();
  }
});
