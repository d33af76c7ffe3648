import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  CompactRange,
  consistencyRanges,
  decompose,
  EMPTY_ROOT,
  hashLeaf,
  hashRanges,
  inclusionRanges,
  RangeHasher,
  rootOf,
  verifyConsistency,
  verifyInclusion,
  type NodeRange,
} from '../../src/audit/merkle.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (h: string) => Buffer.from(h, 'hex');

// The reference tree of RFC 6962's reference implementation (certificate-transparency merkle_tree_test).
const CT_LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => hashLeaf(unhex(h)));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  { index: 0, size: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { index: 5, size: 8, path: ['bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { index: 2, size: 3, path: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  { index: 1, size: 5, path: ['6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
];
const CT_CONSISTENCY = [
  { first: 1, second: 1, path: [] },
  { first: 1, second: 8, path: ['96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7', '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4'] },
  { first: 6, second: 8, path: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
  { first: 2, second: 5, path: ['5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e', 'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b'] },
  { first: 6, second: 7, path: ['0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a', 'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f', 'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7'] },
];

// A brute-force reference, written straight from the RFC's recursive definitions (2.1.1, 2.1.3.1, 2.1.4.1).
const sha = (...parts: Uint8Array[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0];
  return sha(Buffer.of(1), mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const split = k(d.length);
  return m < split ? [...path(m, d.slice(0, split)), mth(d.slice(split))] : [...path(m - split, d.slice(split)), mth(d.slice(0, split))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const split = k(d.length);
  return m <= split ? [...subproof(m, d.slice(0, split), b), mth(d.slice(split))] : [...subproof(m - split, d.slice(split), false), mth(d.slice(0, split))];
}

const leaves = Array.from({ length: 70 }, (_, i) => hashLeaf(`leaf ${i}`));
const flip = (b: Buffer) => {
  const copy = Buffer.from(b);
  copy[0] ^= 1;
  return copy;
};

describe('Merkle tree (RFC 6962 / 9162)', () => {
  test('matches the RFC 6962 reference roots, inclusion and consistency proofs', () => {
    assert.equal(hex(EMPTY_ROOT), CT_ROOTS[0]);
    for (let n = 0; n <= 8; n++) assert.equal(hex(rootOf(CT_LEAVES.slice(0, n))), CT_ROOTS[n], `size ${n}`);
    for (const vector of CT_INCLUSION) {
      const proof = hashRanges(inclusionRanges(vector.index, vector.size), (i) => CT_LEAVES[i]);
      assert.deepEqual(proof.map(hex), vector.path, `inclusion ${vector.index}/${vector.size}`);
      assert.ok(verifyInclusion(vector.index, vector.size, CT_LEAVES[vector.index], proof, unhex(CT_ROOTS[vector.size])));
    }
    for (const vector of CT_CONSISTENCY) {
      const proof = hashRanges(consistencyRanges(vector.first, vector.second), (i) => CT_LEAVES[i]);
      assert.deepEqual(proof.map(hex), vector.path, `consistency ${vector.first}->${vector.second}`);
      assert.ok(verifyConsistency(vector.first, vector.second, unhex(CT_ROOTS[vector.first]), unhex(CT_ROOTS[vector.second]), proof));
    }
  });

  test('the incremental tree agrees with the reference MTH at every size 1..70, and survives a round trip of its frontier', () => {
    const tree = new CompactRange();
    for (let n = 1; n <= 70; n++) {
      tree.appendLeaf(leaves[n - 1]);
      const expected = mth(leaves.slice(0, n));
      assert.deepEqual(tree.root(), expected, `size ${n}`);
      assert.ok(tree.nodeHashes().length <= Math.ceil(Math.log2(n + 1)));
      assert.deepEqual(CompactRange.fromHashes(0, n, tree.nodeHashes()).root(), expected);
      assert.deepEqual(tree.clone().root(), expected);
    }
  });

  test('a range starting inside the tree, merged onto a frontier, gives the same root', () => {
    for (const [split, size] of [[5, 13], [8, 70], [33, 64], [1, 2], [62, 70]]) {
      const left = new CompactRange();
      for (let i = 0; i < split; i++) left.appendLeaf(leaves[i]);
      const right = new CompactRange(split);
      for (let i = split; i < size; i++) right.appendLeaf(leaves[i]);
      assert.deepEqual(right.nodeRanges(), decompose(split, size));
      right.nodeRanges().forEach((r, i) => left.appendNode(Math.log2(r.end - r.start), right.nodeHashes()[i]));
      assert.deepEqual(left.root(), mth(leaves.slice(0, size)), `${split}+${size - split}`);
    }
  });

  test('inclusion proofs for every leaf of every size 1..70 equal the reference, verify, and fail when altered', () => {
    for (let n = 1; n <= 70; n++) {
      const root = mth(leaves.slice(0, n));
      for (let m = 0; m < n; m++) {
        const ranges = inclusionRanges(m, n);
        const proof = hashRanges(ranges, (i) => leaves[i]);
        assert.deepEqual(proof, path(m, leaves.slice(0, n)), `${m}/${n}`);
        // Proof nodes left of the leaf are nodes of the frontier there: proofs stream in one pass.
        for (const r of ranges.filter((range) => range.end <= m)) assert.ok(decompose(0, m).some((f) => f.start === r.start && f.end === r.end));
        assert.ok(verifyInclusion(m, n, leaves[m], proof, root));
        assert.equal(verifyInclusion(m, n, flip(leaves[m]), proof, root), false);
        if (proof.length) assert.equal(verifyInclusion(m, n, leaves[m], [...proof.slice(0, -1), flip(proof.at(-1)!)], root), false);
        if (n > 1) assert.equal(verifyInclusion((m + 1) % n, n, leaves[m], proof, root), false);
        if (n < 70) assert.equal(verifyInclusion(m, n + 1, leaves[m], proof, mth(leaves.slice(0, n + 1))), false);
      }
    }
  });

  test('consistency proofs for every pair 1 <= m <= n <= 70 equal the reference, verify, and fail when altered', () => {
    for (let n = 1; n <= 70; n++) {
      const newRoot = mth(leaves.slice(0, n));
      for (let m = 1; m <= n; m++) {
        const oldRoot = mth(leaves.slice(0, m));
        const ranges = consistencyRanges(m, n);
        const proof = hashRanges(ranges, (i) => leaves[i]);
        assert.deepEqual(proof, subproof(m, leaves.slice(0, n), true), `${m}->${n}`);
        for (const r of ranges.filter((range) => range.end <= m)) assert.ok(decompose(0, m).some((f) => f.start === r.start && f.end === r.end));
        assert.ok(ranges.every((r) => r.end <= m || r.start >= m), 'no proof node straddles the old size');
        assert.ok(verifyConsistency(m, n, oldRoot, newRoot, proof));
        assert.equal(verifyConsistency(m, n, flip(oldRoot), newRoot, proof), false);
        assert.equal(verifyConsistency(m, n, oldRoot, flip(newRoot), proof), false);
        if (proof.length) assert.equal(verifyConsistency(m, n, oldRoot, newRoot, [flip(proof[0]), ...proof.slice(1)]), false);
      }
    }
  });

  test('RangeHasher computes disjoint nodes from leaves streamed once', () => {
    const ranges: NodeRange[] = [{ start: 40, end: 48 }, { start: 0, end: 32 }, { start: 64, end: 70 }, { start: 32, end: 33 }];
    const hasher = new RangeHasher(ranges);
    assert.equal(hasher.end, 70);
    leaves.forEach((leaf, i) => hasher.add(i, leaf));
    assert.deepEqual(hasher.hashes(), ranges.map((r) => mth(leaves.slice(r.start, r.end))));
    const partial = new RangeHasher([{ start: 0, end: 4 }]);
    partial.add(0, leaves[0]);
    assert.throws(() => partial.hashes(), /incomplete/);
  });

  test('refuses proofs that do not exist', () => {
    assert.throws(() => inclusionRanges(5, 5), RangeError);
    assert.throws(() => consistencyRanges(0, 5), RangeError);
    assert.throws(() => consistencyRanges(6, 5), RangeError);
    assert.equal(verifyConsistency(3, 3, leaves[0], leaves[0], []), true);
    assert.equal(verifyConsistency(3, 5, leaves[0], leaves[1], []), false);
    assert.throws(() => CompactRange.fromHashes(0, 5, [leaves[0]]), /has 2 hashes/);
  });
});
