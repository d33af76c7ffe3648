import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { progressReporter, replayInto } from '../../src/app/replay.js';
import { PendingLeaves } from '../../src/audit/pending-leaves.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { projections } from '../../projections/index.js';
import { dumpReadModels, openReadModelDb } from '../../projections/readmodel-db.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { tempDir } from '../support/server.js';

test('a replay (bulk-loaded, indexes built at the end) equals the live read models, indexes and all', async () => {
  const store = new MemoryEventStore();
  const commands = new CommandHandler(store);
  const now = new Date('2026-11-23T10:00:00.000Z');
  for (let i = 0; i < 300; i++) {
    const serial = (0x5000 + i).toString(16);
    await commands.handle(certificateStream(serial), certificateDecider, {
      type: 'RecordIssuedCertificate',
      data: { serial, issuerId: `iss-${i % 3}`, subject: `CN=device-${i}`, sans: [{ type: 'dns', value: `d${i}.example` }], notBefore: now.toISOString(), notAfter: '2027-11-23T10:00:00.000Z', der: 'AA', keyType: 'EC P-256', profile: 'devices' },
      now,
    });
    if (i % 7 === 0) await commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'keyCompromise' }, now });
  }
  const live = openReadModelDb(':memory:');
  const runner = new ProjectionRunner(live, projections);
  await runner.catchUp(store);

  const dir = tempDir();
  try {
    const lines: string[] = [];
    const replayed = await replayInto(store, dir, 'head', progressReporter(await store.headPosition(), (line) => lines.push(line), 0));
    const tables = runner.tableNames();
    assert.equal(dumpReadModels(replayed.db, tables), dumpReadModels(live, tables));
    const indexes = (db: typeof live) => (db.prepare("SELECT name FROM sqlite_master WHERE type IN ('index', 'trigger') AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(indexes(replayed.db), indexes(live));
    assert.equal(replayed.db.pragma('journal_mode', { simple: true }), 'wal', 'the replayed database ends with the live settings');
    assert.match(lines.at(-1) ?? '', new RegExp(`^replayed ${replayed.events} events \\(position ${replayed.position} of ${replayed.position}, 100%\\), \\d+ events/s$`));
    replayed.db.close();
  } finally {
    live.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pending leaves keep order, positions and head flags across growth and compaction', () => {
  const pending = new PendingLeaves();
  const leaf = (i: number) => Buffer.alloc(32, i % 251);
  let dropped = 0;
  for (let i = 0; i < 5000; i++) {
    pending.push(leaf(i), i * 10, i % 3 === 0);
    if (i % 700 === 699) {
      pending.drop(600);
      dropped += 600;
    }
  }
  assert.equal(pending.length, 5000 - dropped);
  for (let i = 0; i < pending.length; i++) {
    assert.deepEqual(pending.leaf(i), leaf(dropped + i));
    assert.equal(pending.position(i), (dropped + i) * 10);
  }
  const heads = Array.from({ length: pending.length }, (_, i) => (dropped + i) % 3 === 0).filter(Boolean).length;
  assert.equal(pending.countNonHeads(), pending.length - heads);
  assert.equal(pending.leaf(pending.length), undefined);
  assert.equal(pending.position(-1), undefined);
});
