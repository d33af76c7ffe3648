/**
 * Live updates for subscriptions: one catch-up subscription to the event log per server, starting at the head,
 * fanned out to subscribers through an in-process pubsub. Each event is published once the read models have
 * applied it, with its read-model row, so subscribers see exactly what a query would return next.
 */
import { createPubSub, filter, pipe, Repeater, SlidingBuffer } from 'graphql-yoga';
import type { AllSubscription, EventStore, RecordedEvent } from '../eventstore/port.js';
import type { Logger } from '../app/logger.js';
import type { AuditRow } from '../../projections/audit.js';
import type { CertificateRow } from '../../projections/certificates.js';
import type { GraphReads } from './reads.js';

export type LiveTopics = {
  certificateIssued: [CertificateRow];
  certificateRevoked: [CertificateRow];
  auditEvent: [AuditRow];
};

/** Events a subscriber may fall behind by before the oldest are dropped for it (instead of buffering without bound). */
const SUBSCRIBER_BUFFER = 4096;

export interface LiveEventsDeps {
  store: EventStore;
  /** Resolves once the read models have applied `position`. */
  waitFor: (position: number) => Promise<void>;
  reads: GraphReads;
  logger: Logger;
}

export class LiveEvents {
  readonly pubsub = createPubSub<LiveTopics>({ repeaterBuffer: new SlidingBuffer(SUBSCRIBER_BUFFER) });
  private subscription?: AllSubscription;
  private loop?: Promise<void>;
  private readonly closing: { promise: Promise<void>; resolve: () => void };
  private readonly subscribers: Record<keyof LiveTopics, number> = { certificateIssued: 0, certificateRevoked: 0, auditEvent: 0 };

  constructor(private readonly deps: LiveEventsDeps) {
    let resolve!: () => void;
    const promise = new Promise<void>((r) => (resolve = r));
    this.closing = { promise, resolve };
  }

  /** A topic's rows that pass `accept`, ending when the server shuts down. */
  stream<Topic extends keyof LiveTopics>(topic: Topic, accept: (row: LiveTopics[Topic][0]) => boolean): AsyncIterable<LiveTopics[Topic][0]> {
    type Row = LiveTopics[Topic][0];
    const published = (this.pubsub.subscribe as (topic: Topic) => AsyncIterable<Row>)(topic);
    const rows = Repeater.race([pipe(published, filter(accept)), this.closing.promise]) as AsyncIterable<Row>;
    const subscribers = this.subscribers;
    return (async function* counted() {
      subscribers[topic]++;
      try {
        yield* rows;
      } finally {
        subscribers[topic]--;
      }
    })();
  }

  start(fromPosition: number): void {
    const subscription = this.deps.store.subscribeToAll({ fromPosition });
    this.subscription = subscription;
    this.loop = (async () => {
      try {
        for await (const batch of subscription) await this.publish(batch);
      } catch (error) {
        this.deps.logger.error({ err: error }, 'GraphQL live event feed stopped');
      }
    })();
  }

  /** Reads and publishes rows only for topics someone listens to: without subscribers the feed costs nothing. */
  private async publish(batch: RecordedEvent[]): Promise<void> {
    const { certificateIssued, certificateRevoked, auditEvent } = this.subscribers;
    if (batch.length === 0 || certificateIssued + certificateRevoked + auditEvent === 0) return;
    await this.deps.waitFor(batch[batch.length - 1].position);
    const { reads } = this.deps;
    const now = new Date();
    for (const event of batch) {
      const topic = event.type === 'CertificateIssued' ? 'certificateIssued' : event.type === 'CertificateRevoked' ? 'certificateRevoked' : undefined;
      if (topic && this.subscribers[topic] > 0) {
        const [row] = reads.certificates.bySerials([(event.data as { serial: string }).serial], now);
        if (row) this.pubsub.publish(topic, row);
      }
      const audited = auditEvent > 0 ? reads.audit.at(event.position) : undefined;
      if (audited) this.pubsub.publish('auditEvent', audited);
    }
  }

  async close(): Promise<void> {
    this.closing.resolve();
    await this.subscription?.close();
    await this.loop;
  }
}
