import { describe, test } from 'node:test';
import { LEAF_DIGEST_BYTES, MAX_LEAVES_PER_HEAD, treeHeadsDecider, type AuditEvent, type TreeHeadSignedData } from '../../src/domain/audit.js';
import { deciderSpec } from '../support/decider-spec.js';

const spec = deciderSpec(treeHeadsDecider);

function head(previousSize: number, treeSize: number, timestamp = 1000): TreeHeadSignedData {
  return {
    treeSize,
    rootHash: 'aa'.repeat(32),
    timestamp,
    signature: 'c2ln',
    keyId: 'audit',
    previousSize,
    leafDigests: Buffer.alloc((treeSize - previousSize) * LEAF_DIGEST_BYTES).toString('base64'),
    frontier: [],
    lastPosition: treeSize,
  };
}
const signed = (data: TreeHeadSignedData): AuditEvent => ({ type: 'TreeHeadSigned', data });

describe('tree heads decider', () => {
  test('records the first head over the first events, then heads that continue from the previous one', () => {
    spec([]).when({ type: 'RecordTreeHead', data: head(0, 9) }).then([signed(head(0, 9))]);
    spec([signed(head(0, 9))]).when({ type: 'RecordTreeHead', data: head(9, 12, 2000) }).then([signed(head(9, 12, 2000))]);
  });

  test('refuses a head that does not start where the last one ended (another node was first)', () => {
    spec([signed(head(0, 9))]).when({ type: 'RecordTreeHead', data: head(0, 12) }).thenThrows('tree_head_stale', 'conflict');
    spec([]).when({ type: 'RecordTreeHead', data: head(3, 12) }).thenThrows('tree_head_stale', 'conflict');
  });

  test('refuses empty, oversized, time-reversed heads and digests that do not fit', () => {
    spec([signed(head(0, 9))]).when({ type: 'RecordTreeHead', data: { ...head(9, 10), treeSize: 9 } }).thenThrows('tree_head_empty', 'invalid');
    spec([]).when({ type: 'RecordTreeHead', data: head(0, MAX_LEAVES_PER_HEAD + 1) }).thenThrows('tree_head_too_large', 'invalid');
    spec([signed(head(0, 9, 5000))]).when({ type: 'RecordTreeHead', data: head(9, 12, 4000) }).thenThrows('tree_head_time_reversed', 'invalid');
    spec([]).when({ type: 'RecordTreeHead', data: { ...head(0, 9), leafDigests: 'AAAA' } }).thenThrows('tree_head_digests', 'invalid');
  });
});
