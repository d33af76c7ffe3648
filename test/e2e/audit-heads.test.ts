/** The server records signed tree heads on its own, with a dedicated audit key, and they verify. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { OtpService } from '../../src/app/otp-service.js';
import { AUDIT_KEY_ID, AUDIT_KEY_NAME } from '../../src/audit/audit-key.js';
import { TreeHeadQueries } from '../../src/audit/tree-heads-projection.js';
import { verifyStore } from '../../src/audit/verify-log.js';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { startTestServer, tempDir } from '../support/server.js';

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test('the server signs a tree head every interval while events arrive, with its own Ed25519 audit key, never a CA key', async () => {
  const server = await startTestServer({ env: { SIGNET_AUDIT_TREE_HEAD_INTERVAL: '1' } });
  try {
    const heads = new TreeHeadQueries(server.core.readDb);
    const first = await until('the first periodic head', () => heads.latest());
    await server.core.runner.waitFor(await server.core.store.headPosition());
    // The first head covers the events before it, the recording of the audit key included (SQLite: leaf = position - 1).
    const [keyEvent] = await server.core.store.readStream(`key-${AUDIT_KEY_ID}`);
    assert.ok(keyEvent.position <= first.treeSize && first.treeSize < first.position);

    const auditKey = server.core.queries.issuers.key(AUDIT_KEY_ID);
    assert.ok(auditKey);
    assert.equal(auditKey.name, AUDIT_KEY_NAME);
    assert.deepEqual(auditKey.spec, { kind: 'ed25519' });
    assert.ok(server.core.queries.issuers.list().every((issuer) => issuer.keyId !== AUDIT_KEY_ID), 'no issuer signs with the audit key');

    // New events: a head covering them at the next tick (that no head comes without new events is a unit test's job).
    const created = await new OtpService(server.core.commands).create({ label: 'audited', ttl: '1h', maxUses: 1 }, { actor: 'test' });
    const second = await until('a head after new events', () => {
      const latest = heads.latest();
      return latest && latest.treeSize >= created.position ? latest : undefined;
    });
    assert.ok(second.revision > first.revision);

    const report = await verifyStore(server.core.store);
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    assert.ok(report.headsVerified >= second.revision + 1);
  } finally {
    await server.stop();
  }
});

test('[audit] tree_head_interval takes durations; SIGNET_AUDIT_TREE_HEAD_INTERVAL overrides it; nonsense is a config error', () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'signet.toml'), '[audit]\ntree_head_interval = "5m"\n');
  assert.equal(loadConfig({}, dir).audit.treeHeadIntervalSeconds, 300);
  assert.equal(loadConfig({ SIGNET_AUDIT_TREE_HEAD_INTERVAL: '0' }, dir).audit.treeHeadIntervalSeconds, 0);
  assert.equal(loadConfig({}, tempDir()).audit.treeHeadIntervalSeconds, 60);
  assert.throws(() => loadConfig({ SIGNET_AUDIT_TREE_HEAD_INTERVAL: 'soon' }, dir), (error: unknown) => error instanceof ConfigError && /audit.tree_head_interval/.test(error.message));
});
