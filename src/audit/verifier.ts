/**
 * Verifies a log (or an export of one) against its signed tree heads, in one streaming pass.
 *
 * Leaves are hashed as they arrive and kept until a head covers them. At each TreeHeadSigned event the verifier
 * checks, in this order: the signature (with the audit key, optionally pinned); that the head covers only events
 * before it; the root, recomputed from the leaves (on a mismatch the head's leaf digests name the first event that
 * changed, went missing, was inserted or moved); that the head's digests and frontier match those leaves; that it
 * follows the previous head (revision, previous size, time); and an RFC 9162 consistency proof from the previous
 * head, built from the same leaves and checked with the RFC's verification algorithm. The first failure stops it.
 *
 * Memory is the leaves since the last verified head (bounded by MAX_LEAVES_PER_HEAD plus the head's lag) and the
 * tree's O(log n) frontier.
 */
import { LEAF_DIGEST_BYTES } from '../domain/audit.js';
import type { TreeHeadSignedData } from '../domain/audit.js';
import { keyFingerprint } from './audit-key.js';
import type { CanonicalEventFields } from './canonical.js';
import { leafHashOf, treeHeadOf } from './leaves.js';
import { PendingLeaves } from './pending-leaves.js';
import { locateDivergence } from './locate.js';
import { CompactRange, consistencyRanges, decompose, hashRanges, verifyConsistency } from './merkle.js';
import { treeHeadView, verifyTreeHeadSignature } from './tree-head.js';

export type VerifyProblem =
  | 'changed'
  | 'removed'
  | 'inserted'
  | 'reordered'
  | 'unreadable'
  | 'out_of_order'
  | 'bad_signature'
  | 'unknown_key'
  | 'bad_head'
  | 'root_mismatch'
  | 'inconsistent';

export interface VerifyFailure {
  /** Store position of the first bad event (for `removed`: of the first event after the gap). */
  position: number;
  /** Its leaf index: its place in the log, from 0. */
  index: number;
  problem: VerifyProblem;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  headsVerified: number;
  /** Leaves covered by the last verified head. */
  verifiedSize: number;
  latestHead?: ReturnType<typeof treeHeadView>;
  /** Events after the last verified head (other than tree heads): nothing signed vouches for them yet. */
  uncovered: number;
  keys: { keyId: string; fingerprint: string }[];
  failure?: VerifyFailure;
}

export interface LogEntry {
  position: number;
  fields: CanonicalEventFields;
  /** The leaf hash an export recorded with the event (hex), checked against the event itself. */
  recordedLeafHash?: string;
}

/** Where an export that does not start at the first event picks up the tree. */
export interface VerifyStart {
  size: number;
  frontier: Buffer[];
}

/** The newest head when it lies beyond an export's last event, with the tree nodes between (see export.ts). */
export interface VerifySeal {
  entry: LogEntry;
  /** Roots of the maximal perfect subtrees over [end of export, head's tree size). */
  rightNodes: Buffer[];
}

interface VerifiedHead {
  head: TreeHeadSignedData;
  revision: number;
  position: number;
}

const HEX_HASH = /^[0-9a-f]{64}$/;

function wellFormed(head: TreeHeadSignedData): boolean {
  const isSize = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  return (
    isSize(head.treeSize) &&
    isSize(head.previousSize) &&
    isSize(head.timestamp) &&
    typeof head.rootHash === 'string' &&
    HEX_HASH.test(head.rootHash) &&
    typeof head.signature === 'string' &&
    typeof head.keyId === 'string' &&
    typeof head.leafDigests === 'string' &&
    Array.isArray(head.frontier) &&
    head.frontier.every((h) => typeof h === 'string' && HEX_HASH.test(h))
  );
}

export class LogVerifier {
  private verified: CompactRange;
  /** Leaves after the verified tree: pending.leaf(i) is leaf verified.size + i. */
  private readonly pending = new PendingLeaves();
  private lastHead?: VerifiedHead;
  private failure?: VerifyFailure;
  private headsVerified = 0;
  private events = 0;
  private lastPosition = 0;
  private readonly keys = new Map<string, Buffer | undefined>();
  private readonly partial: boolean;

  constructor(private readonly options: { pinnedKeys?: Buffer[]; start?: VerifyStart } = {}) {
    this.verified = options.start ? CompactRange.fromHashes(0, options.start.size, options.start.frontier) : new CompactRange();
    this.partial = options.start !== undefined && options.start.size > 0;
  }

  /** The key id an entry needs resolved (with addKey) before add(), if any. */
  missingKey(fields: CanonicalEventFields): string | undefined {
    const head = treeHeadOf(fields);
    return head && typeof head.keyId === 'string' && !this.keys.has(head.keyId) ? head.keyId : undefined;
  }

  addKey(keyId: string, spki: Buffer | undefined): void {
    this.keys.set(keyId, spki);
  }

  /** Takes the next entry of the log; returns the failure that stops verification, if this entry causes one. */
  add(entry: LogEntry): VerifyFailure | undefined {
    if (this.failure) return this.failure;
    const index = this.nextIndex;
    if (!(entry.position > this.lastPosition)) {
      return this.fail(entry.position, index, 'out_of_order', `position ${entry.position} does not follow position ${this.lastPosition}`);
    }
    const leaf = leafHashOf(entry.fields);
    if (entry.recordedLeafHash !== undefined && entry.recordedLeafHash !== leaf.toString('hex')) {
      return this.fail(entry.position, index, 'changed', `the event at position ${entry.position} does not match the leaf hash recorded with it`);
    }
    const head = treeHeadOf(entry.fields);
    if (head) {
      const failure = this.checkHead(head, entry.fields.revision, entry.position, index);
      if (failure) return failure;
    }
    this.pending.push(leaf, entry.position, head !== undefined);
    this.lastPosition = entry.position;
    this.events += 1;
    return undefined;
  }

  /** A problem its source found (an export's own bookkeeping), at the next entry. */
  failAt(position: number, problem: VerifyProblem, message: string): VerifyFailure {
    return this.failure ?? this.fail(position, this.nextIndex, problem, message);
  }

  /** The store could not deliver the next event. */
  unreadable(error: unknown): VerifyFailure {
    return this.fail(this.lastPosition, this.nextIndex, 'unreadable', `the event after position ${this.lastPosition} cannot be read: ${(error as Error).message}`);
  }

  /** Checks the newest head of the log, which lies beyond the end of an export. */
  seal(seal: VerifySeal): VerifyFailure | undefined {
    if (this.failure) return this.failure;
    const head = treeHeadOf(seal.entry.fields);
    const end = this.nextIndex;
    if (!head || !wellFormed(head)) return this.fail(seal.entry.position, end, 'bad_head', 'the seal is not a tree head');
    const signatureFailure = this.checkSignature(head, seal.entry.position, end);
    if (signatureFailure) return signatureFailure;
    const covered = Math.min(end, head.treeSize);
    if (covered < this.verified.size) return this.fail(seal.entry.position, end, 'bad_head', 'the seal covers less than the heads before it');
    const tree = this.treeThrough(covered);
    const ranges = decompose(covered, head.treeSize);
    if (ranges.length !== seal.rightNodes.length) return this.fail(seal.entry.position, end, 'bad_head', 'the seal does not carry the tree nodes after the export');
    ranges.forEach((r, i) => tree.appendNode(Math.log2(r.end - r.start), seal.rightNodes[i]));
    if (tree.root().toString('hex') !== head.rootHash) {
      return (
        this.rootMismatch(head, seal.entry.position, end, Math.min(head.treeSize, end)) ??
        this.fail(this.pending.position(0) ?? seal.entry.position, this.verified.size, 'root_mismatch', 'the newest tree head does not match the exported events and the tree nodes after them')
      );
    }
    this.advance(head, seal.entry.fields.revision, seal.entry.position, tree, covered);
    return undefined;
  }

  report(): VerifyReport {
    return {
      ok: this.failure === undefined,
      events: this.events,
      headsVerified: this.headsVerified,
      verifiedSize: this.verified.size,
      ...(this.lastHead ? { latestHead: treeHeadView(this.lastHead.head, this.lastHead.position) } : {}),
      // A head is only ever covered by a later one, so trailing heads do not count as uncovered.
      uncovered: this.pending.countNonHeads(),
      keys: [...this.keys].filter((entry): entry is [string, Buffer] => entry[1] !== undefined).map(([keyId, spki]) => ({ keyId, fingerprint: keyFingerprint(spki) })),
      ...(this.failure ? { failure: this.failure } : {}),
    };
  }

  /** Leaf `index` of the log, while it is pending. */
  private readonly leafAt = (index: number) => this.pending.leaf(index - this.verified.size);

  /** Index the next entry will have. */
  get nextIndex(): number {
    return this.verified.size + this.pending.length;
  }

  private checkHead(head: TreeHeadSignedData, revision: number, position: number, index: number): VerifyFailure | undefined {
    if (!wellFormed(head)) return this.fail(position, index, 'bad_head', `the tree head at position ${position} is malformed`);
    const signatureFailure = this.checkSignature(head, position, index);
    if (signatureFailure) return signatureFailure;
    if (head.treeSize > index) {
      // A head covers only events before it: if it claims more, events before it went missing.
      return this.rootMismatch(head, position, index, index) ?? this.fail(position, index, 'removed', `events are missing before position ${position}: the tree head there covers ${head.treeSize} events, ${index} precede it`);
    }
    if (head.treeSize < this.verified.size) return undefined; // covers only events before an export's first: nothing to recompute
    const tree = this.treeThrough(head.treeSize);
    if (tree.root().toString('hex') !== head.rootHash) return this.rootMismatch(head, position, index, head.treeSize);
    return this.checkHeadDetails(head, revision, position, index, tree) ?? this.advance(head, revision, position, tree, head.treeSize);
  }

  private checkSignature(head: TreeHeadSignedData, position: number, index: number): VerifyFailure | undefined {
    const spki = this.keys.get(head.keyId);
    if (!spki) return this.fail(position, index, 'unknown_key', `the tree head at position ${position} is signed by key "${head.keyId}", which the log does not hold`);
    if (this.options.pinnedKeys && !this.options.pinnedKeys.some((pinned) => pinned.equals(spki))) {
      return this.fail(position, index, 'unknown_key', `the tree head at position ${position} is signed by key ${keyFingerprint(spki)}, not by the pinned audit key`);
    }
    if (!verifyTreeHeadSignature(spki, head, head.signature)) {
      return this.fail(position, index, 'bad_signature', `the signature of the tree head at position ${position} does not verify`);
    }
    return undefined;
  }

  /** The head's own records (digests, frontier) and its place after the previous head. */
  private checkHeadDetails(head: TreeHeadSignedData, revision: number, position: number, index: number, tree: CompactRange): VerifyFailure | undefined {
    const badHead = (why: string) => this.fail(position, index, 'bad_head', `the tree head at position ${position}: ${why}`);
    const digests = Buffer.from(head.leafDigests, 'base64');
    if (head.previousSize > head.treeSize || digests.length !== (head.treeSize - head.previousSize) * LEAF_DIGEST_BYTES) return badHead('its leaf digests do not match its sizes');
    if (locateDivergence(this.leafAt, this.verified.size, { digests, from: head.previousSize, to: head.treeSize })) return badHead('its leaf digests do not match the events it covers');
    if (tree.nodeHashes().map((h) => h.toString('hex')).join() !== head.frontier.join()) return badHead('its frontier does not match the tree');
    const previous = this.lastHead;
    if (previous) {
      if (revision !== previous.revision + 1 || head.previousSize !== previous.head.treeSize) {
        return badHead(`it does not follow the tree head at position ${previous.position} (revision ${revision} after ${previous.revision}, previous size ${head.previousSize} for ${previous.head.treeSize})`);
      }
      if (head.timestamp < previous.head.timestamp) return badHead('it is older than the head before it');
      if (!this.consistentWith(previous.head, head)) {
        return this.fail(position, index, 'inconsistent', `the tree head at position ${position} is not consistent with the head at position ${previous.position}`);
      }
    } else if (!this.partial && (revision !== 0 || head.previousSize !== 0)) {
      return badHead(`it is not the first tree head, but no head precedes it (revision ${revision})`);
    }
    return undefined;
  }

  /** RFC 9162 consistency from the previous head (whose tree is `verified`) to `head`. */
  private consistentWith(previous: TreeHeadSignedData, head: TreeHeadSignedData): boolean {
    const ranges = consistencyRanges(previous.treeSize, head.treeSize);
    const proof = ranges.map((range) => this.verified.nodeFor(range) ?? hashRanges([range], (i) => this.leafAt(i)!)[0]);
    return verifyConsistency(previous.treeSize, head.treeSize, Buffer.from(previous.rootHash, 'hex'), Buffer.from(head.rootHash, 'hex'), proof);
  }

  /** The root of the leaves does not match `head`: name the first leaf its digests disagree with. */
  private rootMismatch(head: TreeHeadSignedData, position: number, index: number, comparableTo: number): VerifyFailure | undefined {
    const digests = Buffer.from(head.leafDigests, 'base64');
    const to = Math.min(comparableTo, head.previousSize + Math.floor(digests.length / LEAF_DIGEST_BYTES));
    const found = locateDivergence(this.leafAt, this.verified.size, { digests, from: head.previousSize, to });
    if (!found) {
      if (comparableTo < head.treeSize) return undefined;
      const first = this.pending.position(0) ?? position;
      return this.fail(first, this.verified.size, 'root_mismatch', `the tree head at position ${position} does not match the ${head.treeSize - this.verified.size} events from position ${first} on`);
    }
    const at = this.pending.position(found.index - this.verified.size) ?? position;
    const previousPosition = this.pending.position(found.index - this.verified.size - 1);
    switch (found.problem) {
      case 'changed':
        return this.fail(at, found.index, 'changed', `the event at position ${at} was changed (the tree head at position ${position} covers a different event there)`);
      case 'removed':
        return this.fail(at, found.index, 'removed', `an event is missing before position ${at}${previousPosition === undefined ? '' : ` (after position ${previousPosition})`}`);
      case 'inserted':
        return this.fail(at, found.index, 'inserted', `the event at position ${at} was inserted (the tree head at position ${position} does not cover it)`);
      case 'reordered':
        return this.fail(at, found.index, 'reordered', `the event at position ${at} is out of place: the tree head at position ${position} has it as event #${found.expectedIndex + 1}, not #${found.index + 1}`);
    }
  }

  /** The verified tree extended with pending leaves up to `size`. */
  private treeThrough(size: number): CompactRange {
    const tree = this.verified.clone();
    // Copies: the tree keeps a leaf it has not merged yet, and pending leaves are views into a reused buffer.
    for (let i = 0; i < size - this.verified.size; i++) tree.appendLeaf(Buffer.from(this.pending.leaf(i)!));
    return tree;
  }

  private advance(head: TreeHeadSignedData, revision: number, position: number, tree: CompactRange, size: number): undefined {
    const covered = size - this.verified.size;
    this.pending.drop(covered);
    this.verified = tree;
    this.lastHead = { head, revision, position };
    this.headsVerified += 1;
    return undefined;
  }

  private fail(position: number, index: number, problem: VerifyProblem, message: string): VerifyFailure {
    this.failure = { position, index, problem, message };
    return this.failure;
  }
}
