import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { OtpService } from '../../src/app/otp-service.js';
import { SqliteEventStore } from '../../src/eventstore/sqlite.js';
import { CredentialQueries } from '../../projections/credentials.js';
import { projections } from '../../projections/index.js';
import { dumpReadModels, openReadModelDb } from '../../projections/readmodel-db.js';
import { ProjectionRunner } from '../../projections/runner.js';
import { ThreadedProjectionRunner } from '../../projections/threaded-runner.js';

describe('projections in their own thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'signet-threaded-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('applies what this process commits, answers read-your-writes waits, and matches an inline rebuild', async () => {
    const data = { eventStore: join(dir, 'events.db'), dataDir: dir, readModels: join(dir, 'readmodels.db') };
    const store = new SqliteEventStore(data.eventStore);
    const otps = new OtpService(new CommandHandler(store));
    const before = await otps.create({ label: 'written-before-start', ttl: '1h' });
    const db = openReadModelDb(data.readModels);
    const runner = new ThreadedProjectionRunner(db, projections, data);
    const credentials = new CredentialQueries(db);
    try {
      await runner.waitFor(await store.headPosition(), 30_000);
      assert.equal(credentials.otp(before.tokenId)?.label, 'written-before-start');
      for (let i = 0; i < 20; i++) {
        const created = await otps.create({ label: `live-${i}`, ttl: '1h' });
        runner.noticeCommits();
        await runner.waitFor(created.position, 10_000);
        assert.equal(credentials.otp(created.tokenId)?.label, `live-${i}`, 'visible here once waitFor resolves');
      }
      assert.equal(runner.position, await store.headPosition());
      assert.equal(runner.error, undefined);
    } finally {
      await runner.stop();
    }
    const rebuilt = openReadModelDb(':memory:');
    const inline = new ProjectionRunner(rebuilt, projections);
    await inline.catchUp(store);
    assert.equal(dumpReadModels(db, inline.tableNames()), dumpReadModels(rebuilt, inline.tableNames()));
    rebuilt.close();
    db.close();
    await store.close();
  });

  test('a thread that cannot open its read models fails every wait with the reason instead of hanging', async () => {
    const broken = join(dir, 'broken');
    mkdirSync(join(broken, 'readmodels.db'), { recursive: true });
    const db = openReadModelDb(':memory:');
    const runner = new ThreadedProjectionRunner(db, projections, { eventStore: join(broken, 'events.db'), dataDir: broken, readModels: join(broken, 'readmodels.db') });
    await assert.rejects(runner.waitFor(1, 30_000), /readmodels\.db|directory|unable to open/i);
    assert.ok(runner.error);
    await runner.stop();
    db.close();
  });
});
