/**
 * Pieces shared by the embedded adapters (sqlite.ts, memory.ts): event encoding, the per-append
 * decision (idempotent replay, expected revision, revision numbering) and the catch-up subscription.
 * Not part of the port: application code imports port.ts only.
 */
import { randomUUID } from 'node:crypto';
import {
  revisionMatches,
  WrongExpectedRevisionError,
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type StreamAppend,
} from './port.js';

/** An event ready to store: JSON already serialised, so what is stored (and later hashed) is exactly this text. */
export interface EncodedEvent {
  id: string;
  type: string;
  data: string;
  metadata: string;
  /** Set only when an imported event keeps its original commit time. */
  created?: number;
}

/** One stored event as the embedded adapters keep it (also the SQLite row shape). */
export interface StoredEvent extends EncodedEvent {
  position: number;
  stream_id: string;
  revision: number;
  created: number;
}

/** Thrown when an event id is already stored and the append is not an exact replay of the append that stored it. */
export class DuplicateEventIdError extends Error {
  readonly code = 'DUPLICATE_EVENT_ID';
  constructor(readonly eventId: string) {
    super(`event id ${eventId} is already stored by a different append`);
    this.name = 'DuplicateEventIdError';
  }
}

export function assertExpectedRevision(expected: ExpectedRevision): void {
  if (typeof expected === 'number' ? Number.isSafeInteger(expected) && expected >= 0 : ['any', 'no_stream', 'stream_exists'].includes(expected)) return;
  throw new TypeError(`invalid expected revision: ${String(expected)}`);
}

function toJson(value: unknown, what: string): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`${what} is not JSON-serialisable`);
  return text;
}

/** Validates and serialises an append's events; throws TypeError on bad input so nothing is queued. */
export function encodeEvents(streamId: string, events: readonly NewEvent[]): EncodedEvent[] {
  if (typeof streamId !== 'string' || streamId === '') throw new TypeError('streamId must be a non-empty string');
  if (!Array.isArray(events) || events.length === 0) throw new TypeError('append needs at least one event');
  const ids = new Set<string>();
  return events.map((event) => {
    if (typeof event.type !== 'string' || event.type === '') throw new TypeError('event type must be a non-empty string');
    const id = event.id ?? randomUUID();
    if (ids.has(id)) throw new TypeError(`event id ${id} appears twice in one append`);
    ids.add(id);
    const encoded: EncodedEvent = { id, type: event.type, data: toJson(event.data, `data of ${event.type}`), metadata: toJson(event.metadata ?? {}, `metadata of ${event.type}`) };
    if (event.created !== undefined) {
      if (!Number.isSafeInteger(event.created) || event.created < 0) throw new TypeError('created must be epoch milliseconds');
      encoded.created = event.created;
    }
    return encoded;
  });
}

/** One stream's part of an append, validated and serialised. */
export interface EncodedPart {
  streamId: string;
  events: EncodedEvent[];
  expected: ExpectedRevision;
}

/** Validates and serialises the parts of a (multi-stream) append; throws TypeError so nothing is queued. */
export function encodeParts(parts: readonly StreamAppend[]): EncodedPart[] {
  if (!Array.isArray(parts) || parts.length === 0) throw new TypeError('appendMultiple needs at least one part');
  const ids = new Set<string>();
  return parts.map(({ streamId, events, expectedRevision }) => {
    const expected = expectedRevision ?? 'any';
    assertExpectedRevision(expected);
    const encoded = encodeEvents(streamId, events);
    for (const event of encoded) {
      if (ids.has(event.id)) throw new TypeError(`event id ${event.id} appears twice in one append`);
      ids.add(event.id);
    }
    return { streamId, events: encoded, expected };
  });
}

/** Applies every part against `target`, in order; the caller makes the whole all-or-nothing. */
export function applyParts(target: AppendTarget, parts: readonly EncodedPart[], created: number): AppendResult[] {
  return parts.map((part) => applyAppend(target, part.streamId, part.events, part.expected, created));
}

export function decodeEvent(row: StoredEvent): RecordedEvent {
  return {
    id: row.id,
    streamId: row.stream_id,
    revision: row.revision,
    position: row.position,
    type: row.type,
    data: JSON.parse(row.data) as unknown,
    metadata: JSON.parse(row.metadata) as EventMetadata,
    created: row.created,
  };
}

/** Storage operations an append needs; the SQLite adapter runs them inside a savepoint, the memory adapter directly. */
export interface AppendTarget {
  /** Revision of the stream's last event, -1 when the stream does not exist. */
  currentRevision(streamId: string): number;
  findById(id: string): Pick<StoredEvent, 'stream_id' | 'revision' | 'position'> | undefined;
  /** Stores one event and returns its global position. */
  insert(event: Omit<StoredEvent, 'position'>): number;
}

/**
 * An append whose ids are all stored already, consecutively at the head of the same stream, and whose expected
 * revision held before them, is a retry of a committed append: it returns the original result and writes nothing
 * (the behaviour KurrentDB has for retried writes). Any other reuse of a stored id is an error.
 */
function replayedResult(target: AppendTarget, streamId: string, events: readonly EncodedEvent[], expected: ExpectedRevision): AppendResult | undefined {
  const found = events.map((event) => target.findById(event.id));
  const first = found[0];
  if (found.every((row) => row === undefined)) return undefined;
  const isReplay =
    first !== undefined &&
    found.every((row, i) => row !== undefined && row.stream_id === streamId && row.revision === first.revision + i) &&
    revisionMatches(expected, first.revision - 1);
  if (!isReplay) throw new DuplicateEventIdError(events[found.findIndex((row) => row !== undefined)].id);
  const last = found[found.length - 1]!;
  return { nextExpectedRevision: last.revision, position: last.position };
}

/** Checks and performs one append against `target`; throws WrongExpectedRevisionError or DuplicateEventIdError. */
export function applyAppend(
  target: AppendTarget,
  streamId: string,
  events: readonly EncodedEvent[],
  expected: ExpectedRevision,
  created: number,
): AppendResult {
  const replayed = replayedResult(target, streamId, events, expected);
  if (replayed) return replayed;
  const current = target.currentRevision(streamId);
  if (!revisionMatches(expected, current)) throw new WrongExpectedRevisionError(streamId, expected, current);
  let position = 0;
  events.forEach((event, i) => {
    position = target.insert({ ...event, stream_id: streamId, revision: current + 1 + i, created: event.created ?? created });
  });
  return { nextExpectedRevision: current + events.length, position };
}

/** Normalised bounds of a readAll: events with after < position <= upTo, at most `limit`. */
export function readAllBounds(options: ReadAllOptions = {}): { after: number; upTo: number; limit: number } {
  return {
    after: options.fromPosition ?? 0,
    upTo: options.toPosition ?? Number.MAX_SAFE_INTEGER,
    limit: options.maxCount ?? Number.MAX_SAFE_INTEGER,
  };
}

export function assertBatchSize(batchSize: number): void {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new TypeError('batchSize must be a positive integer');
}

/** Wakes waiters when the log may have grown. The version counter closes the gap between "read nothing" and "wait". */
export class Notifier {
  private version = 0;
  private waiters: Array<() => void> = [];

  get current(): number {
    return this.version;
  }

  notify(): void {
    this.version += 1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves once notify() has been called after `seen` was read (at once if it already has). */
  wait(seen: number): Promise<void> {
    if (seen !== this.version) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export type FetchAfter = (after: number, limit: number) => RecordedEvent[] | Promise<RecordedEvent[]>;

/** Catch-up subscription for stores that can read a page after a position and notify on growth. */
export class PollingSubscription implements AllSubscription {
  private closed = false;
  private wakeOnClose!: () => void;
  private readonly closedSignal = new Promise<void>((resolve) => (this.wakeOnClose = resolve));

  constructor(
    private readonly fetchAfter: FetchAfter,
    private readonly notifier: Notifier,
    private readonly fromPosition: number,
    private readonly batchSize: number,
    private readonly onClose: (subscription: PollingSubscription) => void,
  ) {
    assertBatchSize(batchSize);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent[]> {
    let checkpoint = this.fromPosition;
    try {
      while (!this.closed) {
        const seen = this.notifier.current;
        let batch: RecordedEvent[];
        try {
          batch = await this.fetchAfter(checkpoint, this.batchSize);
        } catch (error) {
          if (this.closed) return;
          throw error;
        }
        if (this.closed) return;
        if (batch.length > 0) {
          checkpoint = batch[batch.length - 1].position;
          yield batch;
        } else {
          await Promise.race([this.notifier.wait(seen), this.closedSignal]);
        }
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeOnClose();
    this.onClose(this);
  }
}
