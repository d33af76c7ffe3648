/**
 * Event store on KurrentDB / EventStoreDB (20+) through @kurrent/kurrentdb-client.
 *
 * Connection strings: kurrentdb://, kurrentdb+discover://, kurrent://, kdb:// and the older esdb:// and
 * esdb+discover:// are all accepted by the client (1.3.1, dist/Client/parseConnectionString.js); esdb:// logs a
 * one-line deprecation warning through console.warn.
 *
 * Positions: our `position` is the event's prepare (log) position as a JS number. Every event written through
 * gRPC is an implicit transaction whose commit and prepare positions are both the event's own log position, so
 * the number is unique, strictly increasing in read-all order, and {commit: p, prepare: p} is a valid position to
 * resume from (reads from it are inclusive, so the event at exactly p is skipped). Log positions are byte offsets:
 * exact as numbers up to 2^53 bytes (8 PiB). Events from legacy explicit (TCP) transactions can have
 * commit != prepare; the read paths check that positions increase and fail loudly rather than skip events.
 *
 * System events (types starting with `$`) are filtered out on the server and again here.
 */
import {
  ANY,
  BACKWARDS,
  END,
  excludeSystemEvents,
  jsonEvent,
  KurrentDBClient,
  NO_STREAM,
  START,
  STREAM_EXISTS,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendResult as KurrentAppendResult,
  type AppendStreamState,
  type JSONType,
  type Position as KurrentPosition,
  type ReadPosition,
  type ResolvedEvent,
} from '@kurrent/kurrentdb-client';
import {
  EventStoreClosedError,
  WrongExpectedRevisionError,
  type AllSubscription,
  type AppendResult,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type StreamAppend,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from './port.js';
import { assertBatchSize, assertExpectedRevision, encodeEvents, Notifier, readAllBounds } from './shared.js';

const MAX_POSITION = BigInt(Number.MAX_SAFE_INTEGER);

/** Events buffered per subscription before the server stream is paused. */
const SUBSCRIPTION_BUFFER = 4096;

function streamState(expected: ExpectedRevision): AppendStreamState {
  switch (expected) {
    case 'any':
      return ANY;
    case 'no_stream':
      return NO_STREAM;
    case 'stream_exists':
      return STREAM_EXISTS;
    default:
      return BigInt(expected);
  }
}

/** Exclusive checkpoint -> where to start reading (inclusive on the server; the caller skips position <= after). */
function readFrom(after: number): ReadPosition {
  return after > 0 ? { commit: BigInt(after), prepare: BigInt(after) } : START;
}

function toPosition(position: KurrentPosition): number {
  if (position.prepare > MAX_POSITION) throw new RangeError(`KurrentDB log position ${position.prepare} exceeds 2^53`);
  return Number(position.prepare);
}

function isSystemType(type: string): boolean {
  return type.startsWith('$');
}

/**
 * Signet's commit time rides in the event metadata under this name, so an event copied in from another store keeps
 * its original time (KurrentDB's own `created` is always the server's write time). Stripped again on read.
 */
const CREATED_KEY = '$signetCreated';

function withCreated(metadata: EventMetadata | undefined, created: number): JSONType {
  return { ...metadata, [CREATED_KEY]: created } as JSONType;
}

function splitCreated(metadata: EventMetadata, serverCreated: number): { metadata: EventMetadata; created: number } {
  const { [CREATED_KEY]: kept, ...rest } = metadata;
  return typeof kept === 'number' ? { metadata: rest, created: kept } : { metadata, created: serverCreated };
}

/** Converts a resolved event; undefined for system events and links. */
function toRecorded(resolved: AllStreamResolvedEvent | ResolvedEvent): RecordedEvent | undefined {
  const event = resolved.event;
  if (!event || isSystemType(event.type)) return undefined;
  if (!event.position) throw new Error('KurrentDB returned an event without its log position (server older than 22.6?)');
  const stored = event.metadata;
  const { metadata, created } = splitCreated(
    stored && typeof stored === 'object' && !Array.isArray(stored) && !(stored instanceof Uint8Array) ? (stored as EventMetadata) : {},
    event.created.getTime(),
  );
  return {
    id: event.id,
    streamId: event.streamId,
    revision: Number(event.revision),
    position: toPosition(event.position),
    type: event.type,
    // Binary events are not ours; the port carries binary as base64.
    data: event.isJson ? event.data : Buffer.from(event.data).toString('base64'),
    metadata,
    created,
  };
}

/** The read paths rely on this; see the top comment. */
function assertAfter(previous: number, event: RecordedEvent): void {
  if (event.position <= previous) {
    throw new Error(`KurrentDB position ${event.position} of ${event.streamId}@${event.revision} does not follow ${previous} (explicit transaction?)`);
  }
}

function actualRevision(error: WrongExpectedVersionError): number {
  return error.actualState === NO_STREAM ? -1 : Number(error.actualState);
}

export class KurrentEventStore implements EventStore {
  readonly kind = 'kurrentdb';
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly subscriptions = new Set<KurrentSubscription>();
  private closed = false;

  constructor(private readonly client: KurrentDBClient) {}

  /** Does not touch the network: the client connects on first use. */
  static connect(connectionString: string): KurrentEventStore {
    return new KurrentEventStore(KurrentDBClient.connectionString(connectionString));
  }

  append(streamId: string, events: NewEvent[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    const task = this.appendNow(streamId, events, options.expectedRevision ?? 'any');
    this.inflight.add(task);
    const forget = () => this.inflight.delete(task);
    task.then(forget, forget);
    return task;
  }

  /**
   * One part after the other, stopping at the first failure: not atomic (the server's multi-stream append needs
   * KurrentDB 25.1 or later). Callers put the part that guards the others first.
   */
  async appendMultiple(parts: StreamAppend[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const part of parts) results.push(await this.append(part.streamId, part.events, { expectedRevision: part.expectedRevision }));
    return results;
  }

  private async appendNow(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    assertExpectedRevision(expected);
    const ids = encodeEvents(streamId, events).map((encoded) => encoded.id);
    const now = Date.now();
    const data = events.map((event, i) =>
      jsonEvent({ id: ids[i], type: event.type, data: event.data as JSONType, metadata: withCreated(event.metadata, event.created ?? now) }),
    );
    let result: KurrentAppendResult;
    try {
      result = await this.client.appendToStream(streamId, data, { streamState: streamState(expected) });
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) throw new WrongExpectedRevisionError(streamId, expected, actualRevision(error));
      throw error;
    }
    // Only reached when the connection string sets throwOnAppendFailure=false.
    if (!result.success) throw new WrongExpectedRevisionError(streamId, expected, Number(result.nextExpectedRevision));
    const nextExpectedRevision = Number(result.nextExpectedRevision);
    return { nextExpectedRevision, position: await this.positionOfAppend(streamId, nextExpectedRevision, events.length, result.position) };
  }

  /**
   * The append response carries the write's position; for a one-event write it is that event's own (p, p).
   * For longer writes, and retried ones (which may report no position, or -1), read the last event back.
   */
  private async positionOfAppend(streamId: string, lastRevision: number, count: number, position?: KurrentPosition): Promise<number> {
    if (count === 1 && position && position.commit === position.prepare && position.prepare > 0n && position.prepare <= MAX_POSITION) {
      return toPosition(position);
    }
    const [last] = await this.readStream(streamId, { fromRevision: lastRevision, maxCount: 1 });
    if (!last) throw new Error(`appended to ${streamId} but could not read revision ${lastRevision} back`);
    return last.position;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const events: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        fromRevision: BigInt(options.fromRevision ?? 0),
        maxCount: options.maxCount ?? Number.MAX_SAFE_INTEGER,
      });
      for await (const resolved of read) {
        const event = toRecorded(resolved);
        if (event) events.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return events;
  }

  async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    this.assertOpen();
    const { after, upTo, limit } = readAllBounds(options);
    if (limit <= 0) return;
    let previous = after;
    let count = 0;
    const read = this.client.readAll({
      fromPosition: readFrom(after),
      // +1: the inclusive start may return the checkpoint event itself.
      maxCount: Math.min(limit + 1, Number.MAX_SAFE_INTEGER),
      filter: excludeSystemEvents(),
    });
    for await (const resolved of read) {
      const event = toRecorded(resolved);
      if (!event || event.position <= after) continue;
      if (event.position > upTo) return;
      assertAfter(previous, event);
      previous = event.position;
      yield event;
      if (++count >= limit) return;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    this.assertOpen();
    const after = options.fromPosition ?? 0;
    const batchSize = options.batchSize ?? 500;
    assertBatchSize(batchSize);
    const source = this.client.subscribeToAll({ fromPosition: readFrom(after), filter: excludeSystemEvents() });
    const subscription = new KurrentSubscription(source, after, batchSize, (closed) => this.subscriptions.delete(closed));
    this.subscriptions.add(subscription);
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const read = this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1, filter: excludeSystemEvents() });
    for await (const resolved of read) {
      const event = toRecorded(resolved);
      if (event) return event.position;
    }
    return 0;
  }

  /** Waits for in-flight appends, ends subscriptions, then disposes of the client. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inflight]);
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}

/** Adapts the client's push stream to batches: buffers up to SUBSCRIPTION_BUFFER events, then stops pulling. */
class KurrentSubscription implements AllSubscription {
  private readonly buffer: RecordedEvent[] = [];
  private readonly arrived = new Notifier();
  private readonly drained = new Notifier();
  private failure: { error: unknown } | undefined;
  private ended = false;
  private closed = false;

  constructor(
    private readonly source: AllStreamSubscription,
    private readonly after: number,
    private readonly batchSize: number,
    private readonly onClose: (subscription: KurrentSubscription) => void,
  ) {
    void this.pump();
  }

  private async pump(): Promise<void> {
    let previous = this.after;
    try {
      for await (const resolved of this.source as AsyncIterable<AllStreamResolvedEvent>) {
        const event = toRecorded(resolved);
        if (!event || event.position <= this.after) continue;
        assertAfter(previous, event);
        previous = event.position;
        this.buffer.push(event);
        this.arrived.notify();
        while (this.buffer.length >= SUBSCRIPTION_BUFFER && !this.closed) await this.drained.wait(this.drained.current);
        if (this.closed) return;
      }
    } catch (error) {
      if (!this.closed) this.failure = { error };
    } finally {
      this.ended = true;
      this.arrived.notify();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<RecordedEvent[]> {
    try {
      while (!this.closed) {
        const seen = this.arrived.current;
        if (this.buffer.length > 0) {
          const batch = this.buffer.splice(0, this.batchSize);
          this.drained.notify();
          yield batch;
        } else if (this.failure) {
          throw this.failure.error;
        } else if (this.ended) {
          return;
        } else {
          await this.arrived.wait(seen);
        }
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.arrived.notify();
    this.drained.notify();
    this.onClose(this);
    await this.source.unsubscribe();
  }
}
