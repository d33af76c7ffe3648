/**
 * Naming the first event that differs from what a signed head covers. A head's root only says "something in these
 * leaves changed"; its leaf digests (a prefix of each covered leaf hash) say which, and how.
 */
import { LEAF_DIGEST_BYTES } from '../domain/audit.js';

export type Divergence =
  | { index: number; problem: 'changed' | 'inserted' | 'removed' }
  /** The leaf at `index` is one the head has at `expectedIndex`. */
  | { index: number; problem: 'reordered'; expectedIndex: number };

export interface CoveredSpan {
  /** The head's digests, one per leaf of [from, to). */
  digests: Buffer;
  from: number;
  to: number;
}

/**
 * Compares the leaves at hand (`leafAt(j)` is leaf j, undefined for leaves not at hand, which start at `first`)
 * with the head's digests and classifies the first difference. Undefined when the leaves both cover agree (the
 * difference lies before the digests start).
 */
export function locateDivergence(leafAt: (index: number) => Buffer | undefined, first: number, span: CoveredSpan): Divergence | undefined {
  const expected = (j: number) => (j >= span.from && j < span.to ? span.digests.subarray((j - span.from) * LEAF_DIGEST_BYTES, (j - span.from + 1) * LEAF_DIGEST_BYTES) : undefined);
  const actual = (j: number) => leafAt(j)?.subarray(0, LEAF_DIGEST_BYTES);
  const same = (a: Buffer | undefined, b: Buffer | undefined) => a !== undefined && b !== undefined && a.equals(b);
  for (let j = Math.max(first, span.from); j < span.to; j++) {
    const here = actual(j);
    if (same(here, expected(j))) continue;
    const shiftedLeft = same(here, expected(j + 1));
    const shiftedRight = same(actual(j + 1), expected(j));
    if (shiftedLeft && shiftedRight) return { index: j, problem: 'reordered', expectedIndex: j + 1 };
    if (shiftedLeft) return { index: j, problem: 'removed' };
    if (shiftedRight) return { index: j, problem: 'inserted' };
    for (let m = j + 1; m < span.to; m++) {
      if (same(here, expected(m))) return { index: j, problem: 'reordered', expectedIndex: m };
    }
    return { index: j, problem: 'changed' };
  }
  return undefined;
}
