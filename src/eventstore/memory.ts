/** In-memory event store for unit tests: same semantics as the SQLite adapter, nothing durable. */
import {
  EventStoreClosedError,
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
} from './port.js';
import {
  applyParts,
  decodeEvent,
  encodeParts,
  Notifier,
  PollingSubscription,
  readAllBounds,
  type AppendTarget,
  type StoredEvent,
} from './shared.js';

export class MemoryEventStore implements EventStore {
  readonly kind = 'memory';
  /** log[i] has position i + 1. */
  private readonly log: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly ids = new Map<string, StoredEvent>();
  private readonly notifier = new Notifier();
  private readonly subscriptions = new Set<PollingSubscription>();
  private closed = false;

  private readonly target: AppendTarget = {
    currentRevision: (streamId) => (this.streams.get(streamId)?.length ?? 0) - 1,
    findById: (id) => this.ids.get(id),
    insert: (event) => {
      const stored: StoredEvent = { ...event, position: this.log.length + 1 };
      this.log.push(stored);
      this.ids.set(stored.id, stored);
      const stream = this.streams.get(stored.stream_id);
      if (stream) stream.push(stored);
      else this.streams.set(stored.stream_id, [stored]);
      return stored.position;
    },
  };

  async append(streamId: string, events: NewEvent[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    const [result] = await this.appendMultiple([{ streamId, events, expectedRevision: options.expectedRevision }]);
    return result;
  }

  /** All parts or none: a part that fails undoes the parts before it. */
  async appendMultiple(parts: StreamAppend[]): Promise<AppendResult[]> {
    this.assertOpen();
    const encoded = encodeParts(parts);
    const logLength = this.log.length;
    try {
      const results = applyParts(this.target, encoded, Date.now());
      this.notifier.notify();
      return results;
    } catch (error) {
      this.truncate(logLength);
      throw error;
    }
  }

  /** Removes the events stored after the first `length` (an atomic append that failed part-way). */
  private truncate(length: number): void {
    for (const event of this.log.splice(length)) {
      this.ids.delete(event.id);
      const stream = this.streams.get(event.stream_id)!;
      stream.pop();
      if (stream.length === 0) this.streams.delete(event.stream_id);
    }
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const from = options.fromRevision ?? 0;
    const stream = this.streams.get(streamId) ?? [];
    return stream.slice(from, from + (options.maxCount ?? stream.length)).map(decodeEvent);
  }

  async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    for (const event of this.eventsAfter(options)) yield decodeEvent(event);
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    this.assertOpen();
    const subscription = new PollingSubscription(
      (after, limit) => this.eventsAfter({ fromPosition: after, maxCount: limit }).map(decodeEvent),
      this.notifier,
      options.fromPosition ?? 0,
      options.batchSize ?? 500,
      (closed) => this.subscriptions.delete(closed),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
  }

  private eventsAfter(options?: ReadAllOptions): StoredEvent[] {
    const { after, upTo, limit } = readAllBounds(options);
    // Positions are dense, so a position range is an index range.
    return this.log.slice(after, Math.min(upTo, after + limit));
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}
