/**
 * The audit log's Merkle tree, as RFC 6962 / RFC 9162 (2.1) define it:
 *   MTH({})      = SHA-256()
 *   MTH({d0})    = SHA-256(0x00 || d0)
 *   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two smaller than n
 * plus compact ranges (the roots of the maximal perfect subtrees covering [begin, end)), so appending a leaf costs
 * O(log n) and a tree's state is O(log n) hashes; the node ranges of inclusion and consistency proofs (RFC 9162
 * 2.1.3.1, 2.1.4.1) and their verification (2.1.3.2, 2.1.4.2).
 *
 * Sizes and indices are plain numbers (exact to 2^53) and never go through 32-bit bit operations.
 */
import { hash } from 'node:crypto';

export const HASH_SIZE = 32;
export const EMPTY_ROOT: Buffer = hash('sha256', Buffer.alloc(0), 'buffer');

/** SHA-256(0x00 || leaf); a string leaf is hashed as UTF-8. */
export function hashLeaf(leaf: string | Uint8Array): Buffer {
  return typeof leaf === 'string' ? hash('sha256', `\u0000${leaf}`, 'buffer') : hash('sha256', Buffer.concat([Buffer.of(0), leaf]), 'buffer');
}

const node = Buffer.alloc(1 + 2 * HASH_SIZE, 1);

/** SHA-256(0x01 || left || right). */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  node.set(left, 1);
  node.set(right, 1 + HASH_SIZE);
  return hash('sha256', node, 'buffer');
}

/** The largest power of two strictly smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A half-open range of leaf indices [start, end): a node of the tree when proofs name it. */
export interface NodeRange {
  start: number;
  end: number;
}

/** The maximal aligned perfect subtrees covering [begin, end), left to right. */
export function decompose(begin: number, end: number): NodeRange[] {
  const ranges: NodeRange[] = [];
  let start = begin;
  while (start < end) {
    let size = 1;
    while (start % (size * 2) === 0 && start + size * 2 <= end) size *= 2;
    ranges.push({ start, end: start + size });
    start += size;
  }
  return ranges;
}

/**
 * The roots of the maximal perfect subtrees over [begin, end). Started at 0 it is the tree's frontier and its
 * root() is the tree head; started at an index aligned to the range's size it computes that subtree's MTH.
 */
export class CompactRange {
  private readonly levels: number[] = [];
  private readonly hashes: Buffer[] = [];
  private finish: number;

  constructor(readonly begin = 0) {
    this.finish = begin;
  }

  /** Rebuilds a range from its hashes (as `nodeHashes()` returned them); throws if the count does not fit. */
  static fromHashes(begin: number, end: number, hashes: readonly Uint8Array[]): CompactRange {
    const ranges = decompose(begin, end);
    if (ranges.length !== hashes.length || hashes.some((h) => h.length !== HASH_SIZE)) {
      throw new Error(`a compact range [${begin}, ${end}) has ${ranges.length} hashes of ${HASH_SIZE} bytes, got ${hashes.length}`);
    }
    const range = new CompactRange(begin);
    ranges.forEach((r, i) => range.appendNode(Math.log2(r.end - r.start), Buffer.from(hashes[i])));
    return range;
  }

  get end(): number {
    return this.finish;
  }

  get size(): number {
    return this.finish - this.begin;
  }

  appendLeaf(leafHash: Buffer): void {
    this.appendNode(0, leafHash);
  }

  /** Appends the root of a perfect subtree of 2^level leaves; the range's end must be aligned to it. */
  appendNode(level: number, nodeHash: Buffer): void {
    const width = 2 ** level;
    if (this.finish % width !== 0) throw new Error(`a subtree of ${width} leaves cannot start at ${this.finish}`);
    this.levels.push(level);
    this.hashes.push(nodeHash);
    this.finish += width;
    for (let n = this.levels.length; n >= 2 && this.levels[n - 1] === this.levels[n - 2]; n--) {
      const merged = 2 ** (this.levels[n - 1] + 1);
      if ((this.finish - merged) % merged !== 0 || this.finish - merged < this.begin) break;
      const right = this.hashes.pop()!;
      this.levels.pop();
      this.hashes[n - 2] = hashChildren(this.hashes[n - 2], right);
      this.levels[n - 2] += 1;
    }
  }

  /** MTH of the leaves in the range (EMPTY_ROOT when empty). */
  root(): Buffer {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let accumulated = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) accumulated = hashChildren(this.hashes[i], accumulated);
    return accumulated;
  }

  nodeHashes(): Buffer[] {
    return [...this.hashes];
  }

  /** The node ranges the hashes stand for, left to right. */
  nodeRanges(): NodeRange[] {
    return decompose(this.begin, this.finish);
  }

  /** The hash of one of the range's nodes, if `range` is one of them. */
  nodeFor(range: NodeRange): Buffer | undefined {
    const i = this.nodeRanges().findIndex((r) => r.start === range.start && r.end === range.end);
    return i < 0 ? undefined : this.hashes[i];
  }

  clone(): CompactRange {
    const copy = new CompactRange(this.begin);
    copy.levels.push(...this.levels);
    copy.hashes.push(...this.hashes);
    copy.finish = this.finish;
    return copy;
  }
}

/** MTH of a list of leaf hashes. */
export function rootOf(leafHashes: readonly Buffer[]): Buffer {
  const range = new CompactRange();
  for (const leaf of leafHashes) range.appendLeaf(leaf);
  return range.root();
}

/** RFC 9162 2.1.3.1 PATH(m, D[n]): the nodes of an inclusion proof, as ranges, in proof order. */
export function inclusionRanges(index: number, size: number): NodeRange[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const siblings: NodeRange[] = [];
  let start = 0;
  let end = size;
  let m = index;
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
      m -= k;
    }
  }
  // PATH appends each level's sibling after the deeper part: the deepest sibling comes first.
  return siblings.reverse();
}

/** RFC 9162 2.1.4.1 PROOF(m, D[n]) for 0 < m <= n: the nodes of a consistency proof, as ranges, in proof order. */
export function consistencyRanges(first: number, second: number): NodeRange[] {
  if (!(first > 0 && first <= second)) throw new RangeError(`no consistency proof from ${first} to ${second}`);
  const siblings: NodeRange[] = [];
  let start = 0;
  let end = second;
  let m = first;
  let complete = true;
  for (;;) {
    const n = end - start;
    if (m === n) {
      if (!complete) siblings.push({ start, end });
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      siblings.push({ start: start + k, end });
      end = start + k;
    } else {
      siblings.push({ start, end: start + k });
      start += k;
      m -= k;
      complete = false;
    }
  }
  // SUBPROOF appends each level's sibling after the deeper part: reverse the collection order.
  return siblings.reverse();
}

const isOdd = (n: number) => n % 2 === 1;
const half = (n: number) => Math.floor(n / 2);

/** RFC 9162: "right-shift both fn and sn equally until either LSB(fn) is set or fn is 0". */
function shiftToOdd(fn: number, sn: number): [number, number] {
  while (!isOdd(fn) && fn !== 0) {
    fn = half(fn);
    sn = half(sn);
  }
  return [fn, sn];
}

/** RFC 9162 2.1.3.2: does `path` prove that `leafHash` is leaf `index` of the tree of `size` with `root`? */
export function verifyInclusion(index: number, size: number, leafHash: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r: Uint8Array = leafHash;
  for (const p of path) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      r = hashChildren(p, r);
      [fn, sn] = shiftToOdd(fn, sn);
    } else {
      r = hashChildren(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && Buffer.compare(r, root) === 0;
}

/** RFC 9162 2.1.4.2: does `proof` show that the tree of `second` leaves extends the tree of `first` leaves? */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!(Number.isSafeInteger(first) && Number.isSafeInteger(second) && first > 0 && first <= second)) return false;
  if (first === second) return proof.length === 0 && Buffer.compare(firstRoot, secondRoot) === 0;
  if (proof.length === 0) return false;
  const path = Number.isInteger(Math.log2(first)) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      [fn, sn] = shiftToOdd(fn, sn);
    } else {
      sr = hashChildren(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return Buffer.compare(fr, firstRoot) === 0 && Buffer.compare(sr, secondRoot) === 0 && sn === 0;
}

/**
 * Computes the MTH of several disjoint node ranges from leaf hashes delivered in index order: one pass over the
 * log, O(log n) memory, whatever the log's size. Leaves outside every range are ignored.
 */
export class RangeHasher {
  private readonly order: number[];
  private readonly results: (Buffer | undefined)[];
  private cursor = 0;
  private current?: CompactRange;

  constructor(private readonly ranges: readonly NodeRange[]) {
    this.order = ranges.map((_, i) => i).sort((a, b) => ranges[a].start - ranges[b].start);
    this.results = ranges.map(() => undefined);
  }

  /** The index past which no leaf is needed. */
  get end(): number {
    return this.ranges.reduce((max, r) => Math.max(max, r.end), 0);
  }

  add(index: number, leafHash: Buffer): void {
    while (this.cursor < this.order.length) {
      const range = this.ranges[this.order[this.cursor]];
      if (index < range.start) return;
      if (index < range.end) {
        this.current ??= new CompactRange(range.start);
        if (this.current.end !== index) throw new Error(`leaf ${index} arrived out of order (expected ${this.current.end})`);
        this.current.appendLeaf(leafHash);
        if (this.current.end === range.end) {
          this.results[this.order[this.cursor]] = this.current.root();
          this.current = undefined;
          this.cursor++;
        }
        return;
      }
      throw new Error(`leaves of [${range.start}, ${range.end}) were skipped`);
    }
  }

  /** The hashes in the order the ranges were given; throws if a range is incomplete. */
  hashes(): Buffer[] {
    return this.results.map((h, i) => {
      if (!h) throw new Error(`node [${this.ranges[i].start}, ${this.ranges[i].end}) is incomplete`);
      return h;
    });
  }
}

/** Hashes of `ranges` from leaves held in memory (tests, and verification of short spans). */
export function hashRanges(ranges: readonly NodeRange[], leafAt: (index: number) => Buffer): Buffer[] {
  return ranges.map((range) => {
    const subtree = new CompactRange(range.start);
    for (let i = range.start; i < range.end; i++) subtree.appendLeaf(leafAt(i));
    return subtree.root();
  });
}
