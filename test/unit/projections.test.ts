import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { CommandHandler } from '../../src/app/command-handler.js';
import { certificateDecider, certificateStream } from '../../src/domain/certificate.js';
import { otpDecider, otpStream } from '../../src/domain/otp.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import { AuditQueries } from '../../projections/audit.js';
import { CertificateQueries } from '../../projections/certificates.js';
import { CredentialQueries } from '../../projections/credentials.js';
import { projections } from '../../projections/index.js';
import { dumpReadModels, openReadModelDb } from '../../projections/readmodel-db.js';
import { ProjectionRunner } from '../../projections/runner.js';

const now = new Date('2026-11-23T10:00:00.000Z');

async function seed(store: MemoryEventStore, certificates: number): Promise<number> {
  const commands = new CommandHandler(store);
  let position = 0;
  for (let i = 0; i < certificates; i++) {
    const serial = (0x1000 + i).toString(16);
    const result = await commands.handle(
      certificateStream(serial),
      certificateDecider,
      {
        type: 'RecordIssuedCertificate',
        data: { serial, issuerId: 'iss-1', subject: `CN=device-${i}`, sans: [], notBefore: now.toISOString(), notAfter: '2027-11-23T10:00:00.000Z', der: 'AA', keyType: 'EC P-256', renews: i > 0 && i % 3 === 0 ? (0x1000 + i - 1).toString(16) : undefined },
        now,
      },
      { metadata: { action: 'enroll', auth_method: 'otp', client_ip: '127.0.0.1' } },
    );
    position = result.position ?? position;
    if (i % 4 === 0) {
      const revoked = await commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'superseded' }, now });
      position = revoked.position ?? position;
    }
  }
  const otp = await commands.handle(otpStream('t1'), otpDecider, {
    type: 'IssueOtp',
    data: { tokenId: 't1', label: 'line-1', hash: 'h1', maxUses: 3, expiresAt: '2026-11-24T10:00:00.000Z' },
    now,
  });
  const used = await commands.handle(otpStream('t1'), otpDecider, { type: 'ConsumeOtp', data: { tokenId: 't1', profile: 'default' }, now });
  return used.position ?? otp.position ?? position;
}

describe('projection runner', () => {
  test('follows the log live and answers read-your-writes waits', async () => {
    const store = new MemoryEventStore();
    const db = openReadModelDb(':memory:');
    const runner = new ProjectionRunner(db, projections);
    runner.start(store);
    const position = await seed(store, 10);
    await runner.waitFor(position, 2000);
    const certs = new CertificateQueries(db);
    assert.equal(certs.get('1000')?.status, 'revoked');
    assert.equal(certs.get('1001')?.status, 'active');
    assert.equal(certs.get('1002')?.renewedBy, '1003');
    assert.equal(new CredentialQueries(db).otpByTokenHash('h1')?.uses, 1);
    const audit = new AuditQueries(db).recent(100);
    assert.equal(audit.filter((row) => row.action === 'enroll').length, 10);
    assert.equal(audit.find((row) => row.action === 'otp_use')?.result, 'success');
    await runner.stop();
    await store.close();
  });

  test('a rebuild from position 0 yields identical read models, whatever the batch size', async () => {
    const store = new MemoryEventStore();
    const liveDb = openReadModelDb(':memory:');
    const live = new ProjectionRunner(liveDb, projections);
    live.start(store);
    const position = await seed(store, 40);
    await live.waitFor(position, 2000);
    await live.stop();
    const reference = dumpReadModels(liveDb, live.tableNames());
    for (const batchSize of [1, 7, 5000]) {
      const db = openReadModelDb(':memory:');
      const rebuilt = new ProjectionRunner(db, projections);
      assert.equal(await rebuilt.catchUp(store, undefined, undefined, batchSize), position);
      assert.equal(dumpReadModels(db, rebuilt.tableNames()), reference);
    }
    await store.close();
  });

  test('catching up to a past position shows the state as it was then', async () => {
    const store = new MemoryEventStore();
    const commands = new CommandHandler(store);
    const issued = await commands.handle(certificateStream('aa'), certificateDecider, {
      type: 'RecordIssuedCertificate',
      data: { serial: 'aa', issuerId: 'i', subject: 'CN=a', sans: [], notBefore: now.toISOString(), notAfter: '2027-01-01T00:00:00.000Z', der: 'AA', keyType: 'EC P-256' },
      now,
    });
    await commands.handle(certificateStream('aa'), certificateDecider, { type: 'RevokeCertificate', data: { serial: 'aa', reason: 'keyCompromise' }, now });
    const db = openReadModelDb(':memory:');
    const runner = new ProjectionRunner(db, projections);
    await runner.catchUp(store, issued.position);
    assert.equal(new CertificateQueries(db).get('aa')?.status, 'active');
    await runner.catchUp(store);
    assert.equal(new CertificateQueries(db).get('aa')?.status, 'revoked');
    await store.close();
  });

  test('a projection whose version changed is rebuilt from scratch; others keep their checkpoint', async () => {
    const store = new MemoryEventStore();
    const position = await seed(store, 3);
    const db = openReadModelDb(':memory:');
    await new ProjectionRunner(db, projections).catchUp(store);
    const bumped = projections.map((p) => (p.name === 'audit' ? { ...p, version: p.version + 1 } : p));
    const runner = new ProjectionRunner(db, bumped);
    assert.equal(runner.position, 0, 'the rebuilt projection starts at 0');
    const checkpoints = db.prepare('SELECT name, position FROM projection_checkpoints ORDER BY name').all() as { name: string; position: number }[];
    assert.deepEqual(checkpoints.find((c) => c.name === 'audit'), { name: 'audit', position: 0 });
    assert.deepEqual(checkpoints.find((c) => c.name === 'certificates'), { name: 'certificates', position });
    await runner.catchUp(store);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n, position);
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM certificates').get() as { n: number }).n, 3, 'no duplicate rows in projections that kept their checkpoint');
    await store.close();
  });

  test('two runners (two processes) applying the same log to one read-model file never apply an event twice', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'signet-rm-'));
    const store = new MemoryEventStore();
    try {
      const file = join(dir, 'readmodels.db');
      const first = new ProjectionRunner(openReadModelDb(file), projections);
      const second = new ProjectionRunner(openReadModelDb(file), projections);
      first.start(store);
      second.start(store);
      const position = await seed(store, 12);
      await Promise.all([first.waitFor(position, 2000), second.waitFor(position, 2000)]);
      const db = openReadModelDb(file);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM certificates').get() as { n: number }).n, 12);
      assert.equal((db.prepare('SELECT COUNT(*) AS n FROM audit_events').get() as { n: number }).n, position);
      assert.equal(first.error, undefined);
      assert.equal(second.error, undefined);
      await Promise.all([first.stop(), second.stop()]);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
