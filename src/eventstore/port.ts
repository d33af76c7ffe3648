/**
 * The event store port: the only way Signet reads or writes history.
 * Adapters: sqlite.ts (embedded default), memory.ts (unit tests), kurrent.ts (KurrentDB/EventStoreDB).
 * Every adapter must pass test/contract/eventstore.contract.ts.
 */

/** Where an append expects the stream to be. A number is the exact revision of the stream's last event (0-based). */
export type ExpectedRevision = 'any' | 'no_stream' | 'stream_exists' | number;

export interface EventMetadata {
  actor?: string;
  auth_method?: string;
  client_ip?: string;
  request_id?: string;
  causation?: string;
  /** Schema version of `data` for this event type; readers upcast older versions. */
  v?: number;
  [key: string]: unknown;
}

/** An event as a command produces it. `data` and `metadata` must be JSON-serialisable (binary as base64). */
export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  metadata?: EventMetadata;
  /** Optional idempotency id (UUID); adapters generate one when absent. */
  id?: string;
  /**
   * Commit time to keep (epoch ms). Only for moving a log between stores (`signet eventstore copy`), so events keep
   * their original time and the audit tree's leaves stay the same; otherwise the store sets it.
   */
  created?: number;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  id: string;
  streamId: string;
  /** 0-based revision of this event within its stream. */
  revision: number;
  /**
   * Global position: strictly increasing in read-all order, > 0.
   * SQLite/memory: a dense sequence 1, 2, 3... KurrentDB: the event's log position (sparse but monotonic).
   */
  position: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /** Commit time in epoch milliseconds, set by the store. */
  created: number;
}

export interface AppendResult {
  /** Revision of the last event appended (the stream's new current revision). */
  nextExpectedRevision: number;
  /** Global position of the last event appended: wait for projections to reach it to read your writes. */
  position: number;
}

/** One stream's part of a multi-stream append. */
export interface StreamAppend {
  streamId: string;
  events: NewEvent[];
  expectedRevision?: ExpectedRevision;
}

export interface ReadStreamOptions {
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Exclusive: events with position > fromPosition. 0 (default) reads from the start. */
  fromPosition?: number;
  /** Inclusive upper bound on position. */
  toPosition?: number;
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Checkpoint, exclusive: delivery starts after this position. 0 = from the beginning. */
  fromPosition?: number;
  /** Upper bound on events per delivered batch. */
  batchSize?: number;
}

/**
 * A live catch-up subscription to the whole log, delivered in order as batches.
 * It first reads history from the checkpoint, then keeps delivering new events as they are committed
 * (including those committed by other processes sharing the store).
 */
export interface AllSubscription extends AsyncIterable<RecordedEvent[]> {
  close(): Promise<void>;
}

export interface EventStore {
  readonly kind: 'sqlite' | 'memory' | 'kurrentdb';
  /** Appends atomically; resolves only once the events are durable. Throws WrongExpectedRevisionError on conflict. */
  append(streamId: string, events: NewEvent[], options?: { expectedRevision?: ExpectedRevision }): Promise<AppendResult>;
  /**
   * Appends to several streams in one write, each part with its own expected revision; resolves with each part's
   * result once all are durable. SQLite and memory: all parts commit or none does (a part's conflict fails the
   * whole write). KurrentDB: the parts are appended one after the other and the first failure stops the rest, so
   * put the part that guards the others (e.g. the OTP use before the certificate it pays for) first.
   */
  appendMultiple(parts: StreamAppend[]): Promise<AppendResult[]>;
  /** Events of one stream in revision order; [] when the stream does not exist. */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** All events in global order. */
  readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent>;
  subscribeToAll(options?: SubscribeOptions): AllSubscription;
  /**
   * Wakes this connection's subscriptions now if the log grew through another connection, instead of at their next
   * poll (SQLite; the other adapters are told of every commit by their server or process).
   */
  noticeCommits?(): void;
  /** Set once the store can no longer write (e.g. its writer thread died); appends then reject with it. */
  readonly error?: Error;
  /** Position of the newest committed event, 0 when empty. */
  headPosition(): Promise<number>;
  /** Finishes in-flight appends, then releases resources. */
  close(): Promise<void>;
}

export class WrongExpectedRevisionError extends Error {
  readonly code = 'WRONG_EXPECTED_REVISION';
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    /** Current revision, or -1 when the stream does not exist. */
    readonly actual: number,
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${actual === -1 ? 'no stream' : actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class EventStoreClosedError extends Error {
  readonly code = 'EVENT_STORE_CLOSED';
  constructor() {
    super('event store is closed');
    this.name = 'EventStoreClosedError';
  }
}

/** Pure check shared by adapters: does `current` (-1 = no stream) satisfy `expected`? */
export function revisionMatches(expected: ExpectedRevision, current: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return current === -1;
    case 'stream_exists':
      return current >= 0;
    default:
      return current === expected;
  }
}
