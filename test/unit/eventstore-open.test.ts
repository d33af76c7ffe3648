import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { openEventStore, parseEventStoreSpec } from '../../src/eventstore/open.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'signet-open-'));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

test('parseEventStoreSpec picks the adapter from the spec', () => {
  for (const spec of ['kurrentdb://admin:changeit@localhost:2113?tls=false', 'esdb://localhost:2113', 'esdb+discover://cluster.example:2113', 'KurrentDB+discover://h:1']) {
    assert.deepEqual(parseEventStoreSpec(` ${spec} `, '/data'), { kind: 'kurrentdb', connectionString: spec });
  }
  assert.deepEqual(parseEventStoreSpec('memory:', '/data'), { kind: 'memory' });
  assert.deepEqual(parseEventStoreSpec('', '/data'), { kind: 'sqlite', file: '/data/events.db' });
  assert.deepEqual(parseEventStoreSpec('/var/lib/signet/log.db', '/data'), { kind: 'sqlite', file: '/var/lib/signet/log.db' });
  assert.deepEqual(parseEventStoreSpec('rel/log.db', '/data'), { kind: 'sqlite', file: path.resolve('rel/log.db') });
});

test('openEventStore opens each kind; the SQLite default lives in a created data directory', async () => {
  const dataDir = path.join(dir, 'nested', 'data');
  const sqlite = await openEventStore('', dataDir);
  assert.equal(sqlite.kind, 'sqlite');
  assert.equal((await sqlite.append('s', [{ type: 'E', data: 1 }])).position, 1);
  await sqlite.close();
  assert.ok(fs.existsSync(path.join(dataDir, 'events.db')));

  const memory = await openEventStore('memory:', dataDir);
  assert.equal(memory.kind, 'memory');
  await memory.close();

  const kurrent = await openEventStore('kurrentdb://localhost:1?tls=false', dataDir); // connects lazily: no server needed
  assert.equal(kurrent.kind, 'kurrentdb');
  await kurrent.close();
});
