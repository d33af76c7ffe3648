import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, invalid } from './errors.js';

/**
 * Signed tree heads of the audit log: one stream, appended with its expected revision, so two nodes cannot record
 * heads that disagree about which head came before. A head covers the first `treeSize` events of the log, which
 * is every event before the head itself (the head then becomes a leaf of later heads).
 */
export const TREE_HEADS_STREAM = 'audit-tree-heads';

/** Bytes of each leaf hash kept in `leafDigests`: enough to name a changed event, small enough for big spans. */
export const LEAF_DIGEST_BYTES = 8;
/** Leaves one head may add; a longer backlog is covered by several heads, so every head event stays small. */
export const MAX_LEAVES_PER_HEAD = 16_384;

export interface TreeHeadSignedData {
  treeSize: number;
  /** MTH of the first treeSize events, hex. */
  rootHash: string;
  /** Milliseconds since the epoch, as RFC 6962 tree heads carry it. */
  timestamp: number;
  /** Signature over the RFC 6962 TreeHeadSignature structure (timestamp, tree size, root), base64. */
  signature: string;
  /** The audit key (stream `key-<keyId>`) that signed. */
  keyId: string;
  /** Size of the previous head (0 for the first). */
  previousSize: number;
  /** The first LEAF_DIGEST_BYTES of each leaf hash in [previousSize, treeSize), base64: lets verification name the event that changed. */
  leafDigests: string;
  /** Roots of the maximal perfect subtrees at treeSize (hex, left to right): a node resumes the tree without rereading the log. */
  frontier: string[];
  /** Position, in the store that recorded the head, of leaf treeSize - 1: where that resumption reads on. A hint, never trusted by verification. */
  lastPosition: number;
}

export type AuditEvent = DomainEvent<'TreeHeadSigned', TreeHeadSignedData>;

export interface TreeHeadsState {
  size: number;
  timestamp: number;
}

export type AuditCommand = { type: 'RecordTreeHead'; data: TreeHeadSignedData };

const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

function decide(command: AuditCommand, state: TreeHeadsState): AuditEvent[] {
  switch (command.type) {
    case 'RecordTreeHead': {
      const head = command.data;
      if (head.previousSize !== state.size) {
        throw conflict('tree_head_stale', `the last tree head covers ${state.size} events, not ${head.previousSize}`);
      }
      const added = head.treeSize - head.previousSize;
      if (!Number.isSafeInteger(head.treeSize) || added < 1) throw invalid('tree_head_empty', 'a tree head must cover at least one new event');
      if (added > MAX_LEAVES_PER_HEAD) throw invalid('tree_head_too_large', `a tree head may add at most ${MAX_LEAVES_PER_HEAD} events, not ${added}`);
      if (head.timestamp < state.timestamp) throw invalid('tree_head_time_reversed', 'a tree head cannot be older than the one before it');
      if (head.leafDigests.length !== base64Length(added * LEAF_DIGEST_BYTES)) {
        throw invalid('tree_head_digests', `expected the digests of ${added} events`);
      }
      return [{ type: 'TreeHeadSigned', data: head }];
    }
    default:
      return unreachable(command.type);
  }
}

function evolve(_state: TreeHeadsState, event: AuditEvent): TreeHeadsState {
  switch (event.type) {
    case 'TreeHeadSigned':
      return { size: event.data.treeSize, timestamp: event.data.timestamp };
    default:
      return unreachable(event.type);
  }
}

export const treeHeadsDecider: Decider<AuditCommand, AuditEvent, TreeHeadsState> = {
  initialState: () => ({ size: 0, timestamp: 0 }),
  decide,
  evolve,
};
