import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { compareEventLogs, copyEventLog } from '../../src/app/eventstore-copy.js';
import { KurrentEventStore } from '../../src/eventstore/kurrent.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { SqliteEventStore } from '../../src/eventstore/sqlite.js';
import { FakeKurrentDB } from '../fixtures/fake-kurrentdb.js';

async function seed(store: SqliteEventStore): Promise<void> {
  for (let i = 0; i < 30; i++) {
    await store.append(`cert-${i % 7}`, [{ type: 'T', data: { i, text: 'é' }, metadata: { actor: `a${i}` } }]);
    if (i % 5 === 0) await store.append('otp-x', [{ type: 'U', data: { i } }, { type: 'V', data: null }]);
  }
}

test('copy moves the log with ids, revisions, order and commit times; rerunning skips; tampering is found', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-copy-'));
  const source = new SqliteEventStore(join(dir, 'events.db'));
  try {
    await seed(source);
    const target = new KurrentEventStore(new FakeKurrentDB().asClient());
    const first = await copyEventLog(source, target);
    assert.equal(first.copied, 42);
    assert.equal(first.skipped, 0);
    assert.equal(first.streams, 8);
    assert.deepEqual(await compareEventLogs(source, target), { equal: true, events: 42 });
    const again = await copyEventLog(source, target);
    assert.deepEqual([again.copied, again.skipped], [0, 42]);

    const other = new MemoryEventStore();
    await copyEventLog(source, other);
    await other.append('cert-3', [{ type: 'T', data: 'extra' }]);
    const comparison = await compareEventLogs(source, other);
    assert.equal(comparison.equal, false);
    assert.equal(comparison.firstDifference?.index, 42);

    const diverged = new MemoryEventStore();
    await diverged.append('cert-0', [{ type: 'Different', data: 0 }]);
    await assert.rejects(copyEventLog(source, diverged), /diverges from the source at revision 0/);
  } finally {
    await source.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
