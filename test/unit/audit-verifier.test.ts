import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, test } from 'node:test';
import { canonicalFields, type CanonicalEventFields } from '../../src/audit/canonical.js';
import { exportAuditTrail } from '../../src/audit/export.js';
import { readExport } from '../../src/audit/export-format.js';
import { TreeHeadService, type RecordedTreeHead } from '../../src/audit/head-service.js';
import { leafHashOf } from '../../src/audit/leaves.js';
import { hashLeaf, verifyConsistency, verifyInclusion } from '../../src/audit/merkle.js';
import { proveConsistency, proveInclusion } from '../../src/audit/proofs.js';
import { LogVerifier, type LogEntry } from '../../src/audit/verifier.js';
import { verifyExport, verifyStore } from '../../src/audit/verify-log.js';
import { MAX_LEAVES_PER_HEAD, TREE_HEADS_STREAM } from '../../src/domain/audit.js';
import { KurrentEventStore } from '../../src/eventstore/kurrent.js';
import { MemoryEventStore } from '../../src/eventstore/memory.js';
import type { EventStore } from '../../src/eventstore/port.js';
import { FakeKurrentDB } from '../fixtures/fake-kurrentdb.js';

const auditKey = generateKeyPairSync('ed25519');
const spki = auditKey.publicKey.export({ type: 'spki', format: 'der' });

async function auditedStore(store: EventStore = new MemoryEventStore()) {
  await store.append('key-audit', [
    { type: 'KeyGenerated', data: { keyId: 'audit', name: 'audit-key', spec: { kind: 'ed25519' }, spki: spki.toString('base64'), wrapped: 'AQ', at: '2026-11-23T10:00:00.000Z' } },
  ]);
  let clock = Date.parse('2026-11-23T10:00:00.000Z');
  const service = () =>
    new TreeHeadService({
      store,
      signer: async () => ({ keyId: 'audit', sign: async (payload) => sign(null, payload, auditKey.privateKey) }),
      now: () => new Date((clock += 1000)),
    });
  return { store, service };
}

async function appendEvents(store: EventStore, count: number, prefix = 'otp'): Promise<void> {
  for (let i = 0; i < count; i++) {
    await store.append(`${prefix}-${i}`, [{ type: 'OtpIssued', data: { tokenId: String(i), label: `line ${i}`, hash: 'ab'.repeat(32), maxUses: 1 }, metadata: { actor: 'test', v: 1 } }]);
  }
}

async function entries(store: EventStore): Promise<LogEntry[]> {
  const all: LogEntry[] = [];
  for await (const event of store.readAll()) all.push({ position: event.position, fields: canonicalFields(event) });
  return all;
}

function verifyEntries(list: LogEntry[]) {
  const verifier = new LogVerifier();
  verifier.addKey('audit', spki);
  for (const entry of list) if (verifier.add(entry)) break;
  return verifier.report();
}

/** A log of 1 key + 30 events with heads after 10, 20 and 30 events (positions 1..34). */
async function loggedWithHeads() {
  const { store, service } = await auditedStore();
  const heads = service();
  const recorded: RecordedTreeHead[] = [];
  for (let round = 0; round < 3; round++) {
    await appendEvents(store, 10, `otp-${round}`);
    recorded.push(...(await heads.record()));
  }
  return { store, recorded, list: await entries(store) };
}

describe('signed tree heads and verification', () => {
  test('heads cover every event before them; verification recomputes each one and finds nothing wrong', async () => {
    const { store, recorded } = await loggedWithHeads();
    assert.deepEqual(recorded.map((r) => [r.head.previousSize, r.head.treeSize]), [[0, 11], [11, 22], [22, 33]]);
    const report = await verifyStore(store);
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    assert.equal(report.headsVerified, 3);
    assert.equal(report.verifiedSize, 33);
    assert.equal(report.uncovered, 0, 'only the last head itself follows the last head');
    await appendEvents(store, 2, 'late');
    assert.equal((await verifyStore(store)).uncovered, 2);
  });

  test('a periodic head is only due when events other than heads arrived; a forced one always is', async () => {
    const { store, service } = await auditedStore();
    const heads = service();
    await appendEvents(store, 3);
    assert.equal((await heads.record()).length, 1);
    assert.equal((await heads.record()).length, 0);
    const forced = await heads.record({ force: true });
    assert.deepEqual(forced.map((r) => [r.head.previousSize, r.head.treeSize]), [[4, 5]]);
    assert.equal((await verifyStore(store)).ok, true);
  });

  test('a second service resumes from the latest head frontier, and two services racing never interleave heads', async () => {
    const { store, service } = await auditedStore();
    const first = service();
    await appendEvents(store, 5);
    const [head] = await first.record();
    const resumed = service();
    const [event] = await store.readStream(TREE_HEADS_STREAM);
    await resumed.resume({ revision: event.revision, position: event.position, treeSize: head.head.treeSize, rootHash: head.head.rootHash, timestamp: head.head.timestamp, keyId: 'audit', signature: head.head.signature });
    assert.equal(resumed.size, head.head.treeSize);
    await appendEvents(store, 4, 'more');
    const [a, b] = await Promise.all([first.record(), resumed.record()]);
    await appendEvents(store, 1, 'last');
    await first.record();
    assert.ok(a.length + b.length >= 1);
    const report = await verifyStore(store);
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    assert.equal(report.headsVerified, (await store.readStream(TREE_HEADS_STREAM)).length);
  });

  test(`a backlog longer than ${MAX_LEAVES_PER_HEAD} events is covered by several heads`, async () => {
    const { store, service } = await auditedStore();
    const batches = Math.ceil((2 * MAX_LEAVES_PER_HEAD + 100) / 500);
    for (let i = 0; i < batches; i++) {
      await store.append(`bulk-${i}`, Array.from({ length: 500 }, (_, j) => ({ type: 'OtpRevoked', data: { tokenId: String(i * 500 + j) } })));
    }
    const recorded = await service().record();
    assert.deepEqual(
      recorded.map((r) => r.head.treeSize),
      [MAX_LEAVES_PER_HEAD, 2 * MAX_LEAVES_PER_HEAD, 1 + batches * 500],
    );
    const report = await verifyStore(store);
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    assert.equal(report.headsVerified, 3);
  });

  test('names the first changed, removed, inserted or reordered event, with sparse positions too', async () => {
    const { list } = await loggedWithHeads();
    const sparse = list.map((e) => ({ ...e, position: e.position * 1000 + 7 }));
    for (const entriesOf of [list, sparse]) {
      const at = (i: number) => entriesOf[i].position;
      assert.equal(verifyEntries(entriesOf).ok, true);

      const changed = entriesOf.map((e, i) => (i === 14 ? { ...e, fields: { ...e.fields, data: { ...(e.fields.data as object), label: 'forged' } } } : e));
      assert.deepEqual(pick(verifyEntries(changed)), { position: at(14), index: 14, problem: 'changed' });

      const removed = entriesOf.filter((_, i) => i !== 5);
      const removal = verifyEntries(removed).failure!;
      assert.deepEqual(pick({ failure: removal }), { position: at(6), index: 5, problem: 'removed' });
      assert.match(removal.message, new RegExp(`missing before position ${at(6)} \\(after position ${at(4)}\\)`));

      const forged = { ...entriesOf[3], fields: { ...entriesOf[3].fields, id: 'forged', stream: 'otp-forged' } };
      // As in SQLite: the rows after the inserted one move up a position.
      const inserted = [...entriesOf.slice(0, 25), { ...forged, position: at(25) }, ...entriesOf.slice(25).map((e) => ({ ...e, position: e.position + 1 }))];
      assert.deepEqual(pick(verifyEntries(inserted)), { position: at(25), index: 25, problem: 'inserted' });

      const swapped = entriesOf.map((e, i) => (i === 3 ? { ...e, fields: entriesOf[7].fields } : i === 7 ? { ...e, fields: entriesOf[3].fields } : e));
      assert.deepEqual(pick(verifyEntries(swapped)), { position: at(3), index: 3, problem: 'reordered' });

      const adjacent = entriesOf.map((e, i) => (i === 16 ? { ...e, fields: entriesOf[17].fields } : i === 17 ? { ...e, fields: entriesOf[16].fields } : e));
      assert.deepEqual(pick(verifyEntries(adjacent)), { position: at(16), index: 16, problem: 'reordered' });

      // The last event a head covers, removed: the head then claims more events than precede it.
      const lastCovered = entriesOf.filter((_, i) => i !== 10);
      assert.deepEqual(pick(verifyEntries(lastCovered)), { position: at(11), index: 10, problem: 'removed' });
    }
  });

  test('a head whose signature, digests or key do not hold fails at the head itself', async () => {
    const { list } = await loggedWithHeads();
    const headIndex = list.findIndex((e) => e.fields.type === 'TreeHeadSigned');
    const withHead = (change: (data: Record<string, unknown>) => Record<string, unknown>) =>
      list.map((e, i) => (i === headIndex ? { ...e, fields: { ...e.fields, data: change(e.fields.data as Record<string, unknown>) } } : e));
    const forgedRoot = withHead((d) => ({ ...d, rootHash: hashLeaf('forged').toString('hex') }));
    assert.deepEqual(pick(verifyEntries(forgedRoot)), { position: list[headIndex].position, index: headIndex, problem: 'bad_signature' });
    const badDigests = withHead((d) => ({ ...d, leafDigests: Buffer.alloc(Buffer.from(d.leafDigests as string, 'base64').length).toString('base64') }));
    assert.deepEqual(pick(verifyEntries(badDigests)), { position: list[headIndex].position, index: headIndex, problem: 'bad_head' });
    const other = generateKeyPairSync('ed25519');
    const verifier = new LogVerifier({ pinnedKeys: [other.publicKey.export({ type: 'spki', format: 'der' })] });
    verifier.addKey('audit', spki);
    for (const entry of list) if (verifier.add(entry)) break;
    assert.equal(verifier.report().failure?.problem, 'unknown_key');
  });

  test('works through the KurrentDB adapter (sparse log positions) exactly as through the others', async () => {
    const { store, service } = await auditedStore(new KurrentEventStore(new FakeKurrentDB().asClient()));
    const heads = service();
    await appendEvents(store, 6);
    await heads.record();
    await appendEvents(store, 3, 'more');
    await heads.record();
    const report = await verifyStore(store);
    assert.equal(report.ok, true, JSON.stringify(report.failure));
    assert.equal(report.headsVerified, 2);
    const positions = (await entries(store)).map((e) => e.position);
    assert.ok(positions.at(-1)! > positions.length * 10, 'positions are log offsets, not a dense sequence');
  });
});

describe('proofs and exports', () => {
  test('every event has an inclusion proof against the latest head, and consecutive heads a consistency proof', async () => {
    const { store, recorded, list } = await loggedWithHeads();
    const latest = recorded.at(-1)!;
    for (const entry of list.slice(0, latest.head.treeSize)) {
      const proof = await proveInclusion(store, entry.position, latest);
      assert.equal(proof.leaf_hash, hashLeaf(Buffer.from(proof.leaf, 'base64')).toString('hex'));
      assert.ok(verifyInclusion(proof.leaf_index, proof.tree_size, Buffer.from(proof.leaf_hash, 'hex'), proof.audit_path.map((h) => Buffer.from(h, 'hex')), Buffer.from(proof.root_hash, 'hex')));
    }
    await assert.rejects(proveInclusion(store, list.at(-1)!.position, latest), /not covered by the latest signed tree head/);
    await assert.rejects(proveInclusion(store, 99_999, latest), /no event at position 99999/);
    for (let i = 1; i < recorded.length; i++) {
      const proof = await proveConsistency(store, recorded[i - 1], recorded[i]);
      const path = proof.consistency_path.map((h) => Buffer.from(h, 'hex'));
      assert.ok(verifyConsistency(proof.first.tree_size, proof.second.tree_size, Buffer.from(proof.first.root_hash, 'hex'), Buffer.from(proof.second.root_hash, 'hex'), path));
    }
  });

  async function exported(store: EventStore, options: Parameters<typeof exportAuditTrail>[1]): Promise<string[]> {
    const lines: string[] = [];
    await exportAuditTrail(store, options, (line) => void lines.push(line));
    return lines;
  }
  const verifyLines = (lines: string[]) => verifyExport(readExport((async function* () { yield* lines; })()));

  test('an export verifies offline, whole or in part, as JSON lines and as CSV; an edited export does not', async () => {
    const { store, recorded, list } = await loggedWithHeads();
    const latest = { treeSize: recorded.at(-1)!.head.treeSize, position: recorded.at(-1)!.position };
    for (const format of ['jsonl', 'csv'] as const) {
      const whole = await exported(store, { format, latestHead: latest });
      const report = await verifyLines(whole);
      assert.equal(report.ok, true, JSON.stringify(report.failure));
      assert.equal(report.events, list.length);
      assert.equal(report.headsVerified, 3);

      // A slice in the middle: the header carries the tree before it, the seal the newest head after it.
      const middle = await exported(store, { format, from: { position: list[4].position }, to: { position: list[15].position }, latestHead: latest });
      const partial = await verifyLines(middle);
      assert.equal(partial.ok, true, JSON.stringify(partial.failure));
      assert.equal(partial.events, 12);
      assert.equal(partial.verifiedSize, latest.treeSize, 'the seal covers the slice');
    }
    const whole = await exported(store, { format: 'jsonl', latestHead: latest });
    const i = whole.findIndex((line) => line.includes('"line 7"'));
    const edited = [...whole];
    edited[i] = edited[i].replace('"line 7"', '"line 8"');
    const report = await verifyLines(edited);
    assert.equal(report.ok, false);
    assert.equal(report.failure?.problem, 'changed');
    assert.equal(report.failure?.position, (JSON.parse(whole[i]) as { position: number }).position);
    // Recomputing the edited event's leaf hash in the export does not help: the signed head still disagrees.
    const record = JSON.parse(edited[i]) as { event: CanonicalEventFields; leaf_hash: string };
    record.leaf_hash = leafHashOf(record.event).toString('hex');
    edited[i] = JSON.stringify(record);
    const again = await verifyLines(edited);
    assert.equal(again.failure?.problem, 'changed');
    await assert.rejects(verifyLines(whole.slice(0, -1)), /cut off/);
    const dropped = await verifyLines(whole.filter((_, j) => j !== i));
    assert.equal(dropped.failure?.problem, 'removed');
  });
});

function pick(report: { failure?: { position: number; index: number; problem: string } }) {
  const failure = report.failure;
  return failure && { position: failure.position, index: failure.index, problem: failure.problem };
}
