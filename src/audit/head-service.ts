/**
 * Records signed tree heads. The service follows the log with an incremental tree (a compact range: O(log n) state,
 * O(log n) per leaf), so a head costs one signature and one append however long the log is. On start it resumes
 * from the latest head's frontier rather than rereading the log.
 *
 * Heads from other nodes arrive through the log like any event and move this node's idea of "the previous head";
 * an append that loses the race (expected revision) reads on and tries again, so heads never interleave.
 * A backlog longer than MAX_LEAVES_PER_HEAD is covered by several heads, each at a multiple of that span.
 */
import { EVENT_SCHEMA_VERSION } from '../domain/events.js';
import {
  LEAF_DIGEST_BYTES,
  MAX_LEAVES_PER_HEAD,
  TREE_HEADS_STREAM,
  treeHeadsDecider,
  type TreeHeadSignedData,
  type TreeHeadsState,
} from '../domain/audit.js';
import { DomainError } from '../domain/errors.js';
import { WrongExpectedRevisionError, type EventStore } from '../eventstore/port.js';
import type { Logger } from '../app/logger.js';
import { eventLeafHash, treeHeadOf, yielder } from './leaves.js';
import { CompactRange } from './merkle.js';
import { PendingLeaves } from './pending-leaves.js';
import { treeHeadSignatureInput } from './tree-head.js';
import type { TreeHeadRow } from './tree-heads-projection.js';

export interface HeadSigner {
  keyId: string;
  sign(payload: Uint8Array): Promise<Uint8Array>;
}

export interface RecordedTreeHead {
  head: TreeHeadSignedData;
  position: number;
}

interface TreeAt {
  tree: CompactRange;
  lastPosition: number;
}

export interface TreeHeadServiceOptions {
  store: EventStore;
  /** Called when the first head is signed (the audit key may be generated then). */
  signer: () => Promise<HeadSigner>;
  logger?: Logger;
  now?: () => Date;
}

const APPEND_ATTEMPTS = 5;

export class TreeHeadService {
  private tree = new CompactRange();
  private lastPosition = 0;
  private heads: TreeHeadsState = treeHeadsDecider.initialState();
  private headRevision = -1;
  /** Every leaf since the last head: leaves.leaf(i) is leaf heads.size + i (its digest goes into the next head). */
  private readonly leaves = new PendingLeaves();
  /** Trees at each MAX_LEAVES_PER_HEAD step since the last head, waiting for their own head. */
  private checkpoints: TreeAt[] = [];
  /** Index of the newest leaf that is not a tree head: a periodic head is only due when it is covered by none. */
  private lastContentIndex = -1;
  private busy: Promise<unknown> = Promise.resolve();
  private timer?: NodeJS.Timeout;
  private signer?: HeadSigner;

  constructor(private readonly options: TreeHeadServiceOptions) {}

  /** Size of the tree read so far. */
  get size(): number {
    return this.tree.size;
  }

  /**
   * Starts from `latest` (the newest head in the read model) when its frontier matches its root, else from the
   * start of the log.
   */
  async resume(latest: TreeHeadRow | undefined): Promise<void> {
    if (!latest) return;
    const [event] = await this.options.store.readStream(TREE_HEADS_STREAM, { fromRevision: latest.revision, maxCount: 1 });
    const head = event && treeHeadOf({ stream: event.streamId, type: event.type, data: event.data });
    if (!head) return;
    try {
      const tree = CompactRange.fromHashes(0, head.treeSize, head.frontier.map((h) => Buffer.from(h, 'hex')));
      if (tree.root().toString('hex') !== head.rootHash) throw new Error('frontier does not match the root');
      this.tree = tree;
      this.lastPosition = head.lastPosition;
      this.heads = treeHeadsDecider.evolve(this.heads, { type: 'TreeHeadSigned', data: head });
      this.headRevision = event.revision;
      this.lastContentIndex = head.treeSize - 1;
    } catch (error) {
      this.options.logger?.warn({ err: error, revision: latest.revision }, 'cannot resume the audit tree from the latest head; rereading the log');
    }
  }

  /** Reads the log from where the tree ends. */
  async catchUp(): Promise<void> {
    const pause = yielder();
    for await (const event of this.options.store.readAll({ fromPosition: this.lastPosition })) {
      const leaf = eventLeafHash(event);
      const head = treeHeadOf({ stream: event.streamId, type: event.type, data: event.data });
      if (head && event.revision > this.headRevision) this.headRecorded(head, event.revision);
      if (!head) this.lastContentIndex = this.tree.size;
      this.tree.appendLeaf(leaf);
      this.lastPosition = event.position;
      this.leaves.push(leaf, event.position, head !== undefined);
      const base = this.checkpoints.at(-1)?.tree.size ?? this.heads.size;
      if (this.tree.size - base === MAX_LEAVES_PER_HEAD) this.checkpoints.push(this.snapshot());
      await pause();
    }
  }

  /**
   * Catches up, then signs and records heads covering every event read. Without `force`, nothing is recorded when
   * only heads were appended since the last head. Calls are serialised.
   */
  record(options: { force?: boolean } = {}): Promise<RecordedTreeHead[]> {
    const run = this.busy.then(() => this.recordNow(options.force ?? false));
    this.busy = run.catch(() => undefined);
    return run;
  }

  /** Records a head every `intervalMs` when new events exist. */
  start(intervalMs: number): void {
    if (this.timer || intervalMs <= 0) return;
    this.timer = setInterval(() => {
      this.record().catch((error: unknown) => this.options.logger?.error({ err: error }, 'recording a signed tree head failed'));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a head being recorded. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
  }

  private async recordNow(force: boolean): Promise<RecordedTreeHead[]> {
    const recorded: RecordedTreeHead[] = [];
    // First, so that recording the audit key (at the very first head) is covered by that head.
    const signer = (this.signer ??= await this.options.signer());
    for (let attempt = 1; ; attempt++) {
      await this.catchUp();
      const due = this.tree.size > this.heads.size && (force || this.lastContentIndex >= this.heads.size);
      if (!due) return recorded;
      try {
        for (const target of [...this.checkpoints, this.snapshot()]) {
          if (target.tree.size > this.heads.size) recorded.push(await this.append(target, signer));
        }
        return recorded;
      } catch (error) {
        const lostRace = error instanceof WrongExpectedRevisionError || (error instanceof DomainError && error.code === 'tree_head_stale');
        if (!lostRace || attempt >= APPEND_ATTEMPTS) throw error;
      }
    }
  }

  private async append(target: TreeAt, signer: HeadSigner): Promise<RecordedTreeHead> {
    const added = target.tree.size - this.heads.size;
    const unsigned = {
      treeSize: target.tree.size,
      rootHash: target.tree.root().toString('hex'),
      timestamp: Math.max((this.options.now ?? (() => new Date()))().getTime(), this.heads.timestamp),
    };
    const head: TreeHeadSignedData = {
      ...unsigned,
      signature: Buffer.from(await signer.sign(treeHeadSignatureInput(unsigned))).toString('base64'),
      keyId: signer.keyId,
      previousSize: this.heads.size,
      leafDigests: this.digestsOf(added),
      frontier: target.tree.nodeHashes().map((h) => h.toString('hex')),
      lastPosition: target.lastPosition,
    };
    const events = treeHeadsDecider.decide({ type: 'RecordTreeHead', data: head }, this.heads);
    const result = await this.options.store.append(
      TREE_HEADS_STREAM,
      events.map((event) => ({ type: event.type, data: event.data, metadata: { actor: 'audit', auth_method: 'local', v: EVENT_SCHEMA_VERSION } })),
      { expectedRevision: this.headRevision < 0 ? 'no_stream' : this.headRevision },
    );
    this.headRecorded(head, result.nextExpectedRevision);
    return { head, position: result.position };
  }

  /** A head now exists for the first treeSize leaves (recorded here, or read from the log). */
  private headRecorded(head: TreeHeadSignedData, revision: number): void {
    this.leaves.drop(Math.max(0, head.treeSize - this.heads.size));
    this.checkpoints = this.checkpoints.filter((checkpoint) => checkpoint.tree.size > head.treeSize);
    this.heads = treeHeadsDecider.evolve(this.heads, { type: 'TreeHeadSigned', data: head });
    this.headRevision = revision;
  }

  /** The digests of the first `count` leaves since the last head, base64. */
  private digestsOf(count: number): string {
    const digests = Buffer.alloc(count * LEAF_DIGEST_BYTES);
    for (let i = 0; i < count; i++) this.leaves.leaf(i)!.copy(digests, i * LEAF_DIGEST_BYTES, 0, LEAF_DIGEST_BYTES);
    return digests.toString('base64');
  }

  private snapshot(): TreeAt {
    return { tree: this.tree.clone(), lastPosition: this.lastPosition };
  }
}
