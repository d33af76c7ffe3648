import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SigningPool, SigningQueueFullError } from '../../src/app/signing-pool.js';

test('a burst of key generations beyond the queue gets SigningQueueFullError (503), never a worker-pool error', async () => {
  const pool = new SigningPool({ kek: randomBytes(32), threads: 1, maxQueue: 4 });
  try {
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => pool.generateKey({ kind: 'ec', curve: 'P-256' })));
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.ok(results.some((r) => r.status === 'fulfilled'));
    assert.ok(rejected.length > 0, 'the burst is larger than the queue');
    for (const r of rejected) assert.ok(r.reason instanceof SigningQueueFullError, String(r.reason));
    assert.equal((rejected[0].reason as SigningQueueFullError).httpStatus, 503);
  } finally {
    await pool.close();
  }
});
