/**
 * Leaves waiting for a tree head to cover them, packed into growable typed arrays: 32 bytes of hash, a position
 * and a head flag each. A log verified without heads for a long stretch holds them all, so they must not cost an
 * object each (a million are 41 MB and no garbage to collect).
 */
import { HASH_SIZE } from './merkle.js';

export class PendingLeaves {
  private hashes = Buffer.alloc(HASH_SIZE * 1024);
  private positions = new Float64Array(1024);
  private heads = new Uint8Array(1024);
  private start = 0;
  private end = 0;

  get length(): number {
    return this.end - this.start;
  }

  push(leafHash: Uint8Array, position: number, isHead: boolean): void {
    if (this.end === this.positions.length) this.makeRoom();
    this.hashes.set(leafHash, this.end * HASH_SIZE);
    this.positions[this.end] = position;
    this.heads[this.end] = isHead ? 1 : 0;
    this.end++;
  }

  /** The i-th pending leaf hash (a view: read it before the next push or drop). */
  leaf(i: number): Buffer | undefined {
    if (i < 0 || i >= this.length) return undefined;
    const at = (this.start + i) * HASH_SIZE;
    return this.hashes.subarray(at, at + HASH_SIZE);
  }

  position(i: number): number | undefined {
    return i >= 0 && i < this.length ? this.positions[this.start + i] : undefined;
  }

  /** How many pending leaves are not tree heads. */
  countNonHeads(): number {
    let n = 0;
    for (let i = this.start; i < this.end; i++) n += 1 - this.heads[i];
    return n;
  }

  /** Forgets the first n. */
  drop(n: number): void {
    this.start += Math.min(n, this.length);
  }

  /** Moves the live entries to the front, or doubles the capacity when they fill more than half of it. */
  private makeRoom(): void {
    const live = this.length;
    const capacity = live * 2 > this.positions.length ? this.positions.length * 2 : this.positions.length;
    const hashes = capacity === this.positions.length ? this.hashes : Buffer.alloc(capacity * HASH_SIZE);
    const positions = capacity === this.positions.length ? this.positions : new Float64Array(capacity);
    const heads = capacity === this.positions.length ? this.heads : new Uint8Array(capacity);
    this.hashes.copy(hashes, 0, this.start * HASH_SIZE, this.end * HASH_SIZE);
    positions.set(this.positions.subarray(this.start, this.end));
    heads.set(this.heads.subarray(this.start, this.end));
    this.hashes = hashes;
    this.positions = positions;
    this.heads = heads;
    this.start = 0;
    this.end = live;
  }
}
