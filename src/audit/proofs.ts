/**
 * Inclusion and consistency proofs against signed tree heads, computed in one pass over the log with O(log n)
 * memory: proof nodes left of the point of interest are nodes of the tree's frontier there (RFC 9162 paths only
 * ever use whole subtrees on that side), the others are hashed from the leaves that follow.
 */
import type { TreeHeadSignedData } from '../domain/audit.js';
import type { EventStore } from '../eventstore/port.js';
import { keyFingerprint, publicKeyFromLog, publicKeyPem } from './audit-key.js';
import { canonicalEvent, canonicalFields, type CanonicalEventFields } from './canonical.js';
import { eventLeafHash, yielder } from './leaves.js';
import { CompactRange, consistencyRanges, inclusionRanges, RangeHasher, type NodeRange } from './merkle.js';
import { treeHeadView } from './tree-head.js';

export interface SignedHead {
  head: TreeHeadSignedData;
  position: number;
}

export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProofError';
  }
}

/** The nodes `ranges` name: from the frontier where it holds them, from `later` (leaves at or after the frontier) otherwise. */
function proofNodes(ranges: readonly NodeRange[], frontier: CompactRange, later: RangeHasher, laterRanges: NodeRange[]): Buffer[] {
  const hashed = later.hashes();
  return ranges.map((range) => {
    const own = frontier.nodeFor(range);
    if (own) return own;
    return hashed[laterRanges.indexOf(range)];
  });
}

async function keyOf(store: EventStore, head: TreeHeadSignedData) {
  const spki = await publicKeyFromLog(store, head.keyId);
  if (!spki) throw new ProofError(`the log does not hold the audit key "${head.keyId}"`);
  return { public_key: publicKeyPem(spki), key_fingerprint: keyFingerprint(spki) };
}

export interface InclusionProof {
  proof: 'inclusion';
  position: number;
  leaf_index: number;
  event: CanonicalEventFields;
  /** The leaf's bytes (RFC 8785 canonical JSON of `event`), base64. */
  leaf: string;
  leaf_hash: string;
  tree_size: number;
  root_hash: string;
  audit_path: string[];
  tree_head: ReturnType<typeof treeHeadView>;
  public_key: string;
  key_fingerprint: string;
}

export async function proveInclusion(store: EventStore, position: number, signed: SignedHead): Promise<InclusionProof> {
  const { head } = signed;
  const frontier = new CompactRange();
  const pause = yielder();
  let target: { index: number; fields: CanonicalEventFields; leaf: Buffer } | undefined;
  let ranges: NodeRange[] = [];
  let later: NodeRange[] = [];
  let hasher = new RangeHasher([]);
  let index = 0;
  for await (const event of store.readAll()) {
    const leaf = eventLeafHash(event);
    if (!target) {
      if (event.position > position) break;
      if (event.position === position) {
        if (index >= head.treeSize) throw new ProofError(`position ${position} is not covered by the latest signed tree head (it covers ${head.treeSize} events); record one with \`signet audit head\``);
        target = { index, fields: canonicalFields(event), leaf };
        ranges = inclusionRanges(index, head.treeSize);
        later = ranges.filter((range) => !frontier.nodeFor(range));
        hasher = new RangeHasher(later);
      } else {
        frontier.appendLeaf(leaf);
      }
    }
    if (target) hasher.add(index, leaf);
    index++;
    if (target && index >= hasher.end) break;
    await pause();
  }
  if (!target) throw new ProofError(`there is no event at position ${position}`);
  return {
    proof: 'inclusion',
    position,
    leaf_index: target.index,
    event: target.fields,
    leaf: Buffer.from(canonicalEvent(target.fields)).toString('base64'),
    leaf_hash: target.leaf.toString('hex'),
    tree_size: head.treeSize,
    root_hash: head.rootHash,
    audit_path: proofNodes(ranges, frontier, hasher, later).map((h) => h.toString('hex')),
    tree_head: treeHeadView(head, signed.position),
    ...(await keyOf(store, head)),
  };
}

export interface ConsistencyProof {
  proof: 'consistency';
  first: ReturnType<typeof treeHeadView>;
  second: ReturnType<typeof treeHeadView>;
  consistency_path: string[];
  public_key: string;
  key_fingerprint: string;
}

export async function proveConsistency(store: EventStore, first: SignedHead, second: SignedHead): Promise<ConsistencyProof> {
  const m = first.head.treeSize;
  const n = second.head.treeSize;
  if (!(m > 0 && m <= n)) throw new ProofError(`no consistency proof from a tree of ${m} events to one of ${n}`);
  const ranges = consistencyRanges(m, n);
  const frontier = new CompactRange();
  let later: NodeRange[] = [];
  let hasher = new RangeHasher([]);
  const pause = yielder();
  let index = 0;
  for await (const event of store.readAll()) {
    if (index >= n) break;
    const leaf = eventLeafHash(event);
    if (index < m) frontier.appendLeaf(leaf);
    if (index === m - 1) {
      later = ranges.filter((range) => !frontier.nodeFor(range));
      hasher = new RangeHasher(later);
    }
    if (index >= m) hasher.add(index, leaf);
    index++;
    await pause();
  }
  if (index < n) throw new ProofError(`the log holds ${index} events, fewer than the ${n} the second head covers`);
  return {
    proof: 'consistency',
    first: treeHeadView(first.head, first.position),
    second: treeHeadView(second.head, second.position),
    consistency_path: proofNodes(ranges, frontier, hasher, later).map((h) => h.toString('hex')),
    ...(await keyOf(store, second.head)),
  };
}
