/**
 * The audit log end to end, through the `signet audit` CLI on a real SQLite log: tampering with stored events is
 * caught at the right position, proofs check out with the independent Python verifier, exports verify offline.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { generateKeyPairSync, sign } from 'node:crypto';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { OtpService } from '../../src/app/otp-service.js';
import { openTreeHeadService } from '../../src/audit/tree-heads.js';
import { treeHeadSignatureInput } from '../../src/audit/tree-head.js';
import { PYTHON } from '../support/tools.js';
import { startTestServer, tempDir } from '../support/server.js';

const SIGNET = new URL('../../bin/signet.js', import.meta.url).pathname;
const PROOF_SCRIPT = new URL('../../scripts/verify-audit-proof.py', import.meta.url).pathname;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const signet = (dataDir: string, ...args: string[]) => run(process.execPath, [SIGNET, ...args], { SIGNET_DATA_DIR: dataDir, SIGNET_LOG_LEVEL: 'silent' });

interface Row {
  position: number;
  stream_id: string;
  revision: number;
  id: string;
  type: string;
  data: string;
  metadata: string;
  created: number;
}

let pristine: string;
const copies: string[] = [];

/** A copy of the pristine data dir with its events table changed by `tamper`. */
function tampered(tamper: (db: Database.Database) => void): string {
  const dir = tempDir('signet-audit-tamper-');
  copies.push(dir);
  cpSync(pristine, dir, { recursive: true });
  const db = new Database(join(dir, 'events.db'));
  tamper(db);
  db.close();
  return dir;
}

const rows = (db: Database.Database, type: string) => db.prepare('SELECT * FROM events WHERE type = ? ORDER BY position').all(type) as Row[];

/** Moves every event at or after `from` up one position (two steps, so the primary key never collides). */
function makeRoomAt(db: Database.Database, from: number): void {
  db.prepare('UPDATE events SET position = -position - 1 WHERE position >= ?').run(from);
  db.prepare('UPDATE events SET position = -position WHERE position < 0').run();
}

async function expectFailure(dir: string, position: number, problem: string): Promise<Run> {
  const result = await signet(dir, 'audit', 'verify');
  assert.equal(result.status, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`FAILED at position ${position} \\(event #\\d+\\): ${problem}:`), result.stderr);
  const report = JSON.parse(result.stdout) as { ok: boolean; failure: { position: number; problem: string } };
  assert.equal(report.ok, false);
  assert.deepEqual([report.failure.position, report.failure.problem], [position, problem]);
  return result;
}

describe('signet audit on a SQLite log', () => {
  let otpPositions: number[];
  let headSizes: number[];

  before(async () => {
    const server = await startTestServer({ env: { SIGNET_AUDIT_TREE_HEAD_INTERVAL: '0' } });
    const otps = new OtpService(server.core.commands);
    const heads = await openTreeHeadService(server.core);
    otpPositions = [];
    headSizes = [];
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 4; i++) {
        const created = await otps.create({ label: `line-${round}-${i}`, ttl: '1h', maxUses: 1 }, { actor: 'test', auth_method: 'local' });
        otpPositions.push(created.position);
      }
      for (const recorded of await heads.record()) headSizes.push(recorded.head.treeSize);
    }
    await server.stop({ keepData: true });
    pristine = server.dataDir;
  });

  after(() => {
    for (const dir of [pristine, ...copies]) rmSync(dir, { recursive: true, force: true });
  });

  test('the untouched log verifies: every head, every event', async () => {
    const result = await signet(pristine, 'audit', 'verify');
    assert.equal(result.status, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { ok: boolean; headsVerified: number; verifiedSize: number; uncovered: number };
    assert.deepEqual([report.ok, report.headsVerified, report.verifiedSize, report.uncovered], [true, 3, headSizes.at(-1), 0]);
  });

  test('tampering is caught at the first bad position: an edited byte, a deleted, swapped or inserted event', async () => {
    const [, second, third, fourth, , , seventh] = otpPositions;
    const edited = tampered((db) => {
      const row = db.prepare('SELECT data FROM events WHERE position = ?').get(second) as { data: string };
      const at = row.data.indexOf('line-0-1') + 5;
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(`${row.data.slice(0, at)}9${row.data.slice(at + 1)}`, second);
    });
    const deleted = tampered((db) => db.prepare('DELETE FROM events WHERE position = ?').run(third));
    const swap = (a: number, b: number) =>
      tampered((db) => {
        db.prepare('UPDATE events SET position = -1 WHERE position = ?').run(a);
        db.prepare('UPDATE events SET position = ? WHERE position = ?').run(a, b);
        db.prepare('UPDATE events SET position = ? WHERE position = -1').run(b);
      });
    const inserted = tampered((db) => {
      const template = db.prepare('SELECT * FROM events WHERE position = ?').get(third) as Row;
      makeRoomAt(db, third);
      db.prepare('INSERT INTO events (position, stream_id, revision, id, type, data, metadata, created) VALUES (?, ?, 0, ?, ?, ?, ?, ?)').run(
        third,
        'otp-forged',
        'forged-event',
        template.type,
        template.data.replace('line-0-2', 'forged'),
        template.metadata,
        template.created,
      );
    });
    const [editRun, deleteRun] = await Promise.all([
      expectFailure(edited, second, 'changed'),
      expectFailure(deleted, third + 1, 'removed'),
      expectFailure(swap(second, fourth), second, 'reordered'),
      expectFailure(inserted, third, 'inserted'),
      // Swapped across two heads' spans, the first head can only tell that its event changed.
      expectFailure(swap(second, seventh), second, 'changed'),
    ]);
    assert.match(editRun.stderr, new RegExp(`the event at position ${second} was changed`));
    assert.match(deleteRun.stderr, new RegExp(`an event is missing before position ${third + 1} \\(after position ${third - 1}\\)`));
  });

  test('a forged tree head signature, or a head signed by another key, fails at that head', async () => {
    const stranger = generateKeyPairSync('ed25519');
    let headPosition = 0;
    const forged = tampered((db) => {
      const [head] = rows(db, 'TreeHeadSigned');
      headPosition = head.position;
      const data = JSON.parse(head.data) as { treeSize: number; rootHash: string; timestamp: number; signature: string };
      data.signature = sign(null, treeHeadSignatureInput(data), stranger.privateKey).toString('base64');
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), head.position);
    });
    await expectFailure(forged, headPosition, 'bad_signature');

    // Pinning the auditor's copy of the audit key refuses a log whose heads another key signed.
    const pinned = join(forged, 'stranger.pem');
    writeFileSync(pinned, stranger.publicKey.export({ type: 'spki', format: 'pem' }));
    const result = await signet(pristine, 'audit', 'verify', '--key', pinned);
    assert.equal(result.status, 1);
    assert.match(result.stderr, /unknown_key: .*not by the pinned audit key/);
  });

  test('inclusion and consistency proofs check out with the independent Python verifier, and altered ones do not', async () => {
    const work = tempDir('signet-audit-proofs-');
    copies.push(work);
    const [key, inclusion, consistency] = await Promise.all([
      signet(pristine, 'audit', 'key'),
      signet(pristine, 'audit', 'prove', String(otpPositions[5])),
      signet(pristine, 'audit', 'prove', '--consistency', String(headSizes[0]), String(headSizes[2])),
    ]);
    for (const result of [key, inclusion, consistency]) assert.equal(result.status, 0, result.stderr);
    assert.match(key.stdout, /^-----BEGIN PUBLIC KEY-----/);
    const keyFile = join(work, 'audit-key.pem');
    writeFileSync(keyFile, key.stdout);
    const files = { inclusion: join(work, 'inclusion.json'), consistency: join(work, 'consistency.json'), altered: join(work, 'altered.json'), alteredHead: join(work, 'altered-head.json') };
    writeFileSync(files.inclusion, inclusion.stdout);
    writeFileSync(files.consistency, consistency.stdout);
    const proof = JSON.parse(inclusion.stdout) as { position: number; audit_path: string[]; event: { data: { label: string } }; tree_head: { timestamp: number } };
    assert.equal(proof.position, otpPositions[5]);
    writeFileSync(files.altered, JSON.stringify({ ...proof, event: { ...proof.event, data: { ...proof.event.data, label: 'forged' } } }));
    writeFileSync(files.alteredHead, JSON.stringify({ ...proof, tree_head: { ...proof.tree_head, timestamp: proof.tree_head.timestamp + 1 } }));

    const [ok1, ok2, bad1, bad2] = await Promise.all([
      run(PYTHON, [PROOF_SCRIPT, files.inclusion, '--key', keyFile]),
      run(PYTHON, [PROOF_SCRIPT, files.consistency, '--key', keyFile]),
      run(PYTHON, [PROOF_SCRIPT, files.altered, '--key', keyFile]),
      run(PYTHON, [PROOF_SCRIPT, files.alteredHead, '--key', keyFile]),
    ]);
    assert.equal(ok1.status, 0, ok1.stdout + ok1.stderr);
    assert.match(ok1.stdout, new RegExp(`OK: event at position ${otpPositions[5]} .* is included in the signed tree of ${headSizes[2]} events`));
    assert.equal(ok2.status, 0, ok2.stdout + ok2.stderr);
    assert.match(ok2.stdout, new RegExp(`OK: the signed tree of ${headSizes[2]} events extends the signed tree of ${headSizes[0]}`));
    assert.equal(bad1.status, 1);
    assert.match(bad1.stdout, /FAIL: the leaf is not the canonical form of the event/);
    assert.equal(bad2.status, 1);
    assert.match(bad2.stdout, /FAIL: the signature of the tree head .* does not verify/);
  });

  test('an export verifies offline with verify --file (JSON lines and CSV); an edited export fails at the edited event', async () => {
    const work = tempDir('signet-audit-export-');
    copies.push(work);
    const jsonl = join(work, 'trail.jsonl');
    const csv = join(work, 'trail.csv');
    const slice = join(work, 'slice.jsonl');
    const exports = await Promise.all([
      signet(pristine, 'audit', 'export', '--out', jsonl),
      signet(pristine, 'audit', 'export', '--format', 'csv', '--out', csv),
      signet(pristine, 'audit', 'export', '--from', String(otpPositions[1]), '--to', String(otpPositions[6]), '--out', slice),
    ]);
    for (const result of exports) assert.equal(result.status, 0, result.stderr);
    const lines = readFileSync(jsonl, 'utf8').trimEnd().split('\n');
    const line = lines.findIndex((l) => l.includes('line-1-2'));
    const position = (JSON.parse(lines[line]) as { position: number }).position;
    const edited = join(work, 'edited.jsonl');
    writeFileSync(edited, `${lines.map((l, i) => (i === line ? l.replace('line-1-2', 'line-1-3') : l)).join('\n')}\n`);

    const [whole, asCsv, part, bad] = await Promise.all([
      signet(work, 'audit', 'verify', '--file', jsonl),
      signet(work, 'audit', 'verify', '--file', csv),
      signet(work, 'audit', 'verify', '--file', slice),
      signet(work, 'audit', 'verify', '--file', edited),
    ]);
    for (const result of [whole, asCsv, part]) {
      assert.equal(result.status, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as { ok: boolean }).ok, true);
    }
    assert.equal((JSON.parse(whole.stdout) as { headsVerified: number }).headsVerified, 3);
    assert.equal((JSON.parse(part.stdout) as { events: number }).events, otpPositions[6] - otpPositions[1] + 1);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, new RegExp(`FAILED at position ${position} .*: changed:`));
  });
});
