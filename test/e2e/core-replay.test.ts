import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { projections } from '../../projections/index.js';
import { dumpReadModels } from '../../projections/readmodel-db.js';
import { tempDir } from '../support/server.js';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;

function signet(args: string[], dataDir: string): string {
  const result = spawnSync(process.execPath, [SIGNET, ...args], { env: { ...process.env, SIGNET_DATA_DIR: dataDir }, encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

const tables = projections.flatMap((p) => Object.keys(p.tables));

test('signet replay rebuilds read models as of a position, a time, or the head — the head equals the live models', () => {
  const dataDir = tempDir();
  try {
    signet(['init'], dataDir);
    const beforeOtp = JSON.parse(signet(['replay', '--out', join(dataDir, 'r0')], dataDir)) as { position: number; tables: { name: string; rows: number }[] };
    const cutTime = new Date().toISOString();
    spawnSync('sleep', ['0.05']);
    signet(['otp', 'create', '--label', 'after-the-cut', '--json'], dataDir);

    const atPosition = JSON.parse(signet(['replay', '--until', String(beforeOtp.position), '--out', join(dataDir, 'r1')], dataDir)) as { position: number; tables: { name: string; rows: number }[] };
    const atTime = JSON.parse(signet(['replay', '--until', cutTime, '--out', join(dataDir, 'r2')], dataDir)) as { position: number; tables: { name: string; rows: number }[] };
    const atHead = JSON.parse(signet(['replay', '--out', join(dataDir, 'r3')], dataDir)) as { position: number; out: string; tables: { name: string; rows: number }[] };
    const otps = (r: { tables: { name: string; rows: number }[] }) => r.tables.find((t) => t.name === 'otps')?.rows;
    assert.equal(otps(atPosition), 0);
    assert.equal(otps(atTime), 0);
    assert.equal(atTime.position, beforeOtp.position);
    assert.equal(otps(atHead), 1);
    assert.ok(atHead.position > beforeOtp.position);

    // The live read models (kept by the last command's projection runner) equal a rebuild from position 0.
    const live = new Database(join(dataDir, 'readmodels.db'), { readonly: true });
    const replayed = new Database(atHead.out, { readonly: true });
    assert.equal(dumpReadModels(replayed, tables), dumpReadModels(live, tables));
    live.close();
    replayed.close();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('signet replay refuses a nonsense --until with one clear line', () => {
  const dataDir = tempDir();
  const result = spawnSync(process.execPath, [SIGNET, 'replay', '--until', 'yesterday-ish'], { env: { ...process.env, SIGNET_DATA_DIR: dataDir }, encoding: 'utf8' });
  rmSync(dataDir, { recursive: true, force: true });
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /--until: expected a store position or an ISO time/);
});
