/**
 * Prometheus metrics (prom-client), one registry per running core so that several servers in one process (tests)
 * never mix their numbers. Served by the admin API at /admin/metrics.
 *
 * Event counters (enrollments, revocations, OTPs) are fed from a live subscription to the event log that starts
 * at the head when the server starts: they count what happened anywhere in the cluster (events appended by other
 * nodes arrive through the same log), cost O(1) per event, and restart from zero with the process, which
 * Prometheus' rate()/increase() treat as an ordinary counter reset. Every node reports the cluster's counts, so
 * aggregate across instances with max(), not sum(). Gauges are set from read models when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AllSubscription, EventStore } from '../eventstore/port.js';
import { auditFacts } from '../../projections/audit.js';
import type { SignetRecordedEvent } from '../../projections/projection.js';

/** Label value for events that do not name a CA (e.g. an enrollment refused before an issuer was chosen). */
export const UNKNOWN_CA = 'unknown';
const ENROLL_ACTIONS = new Set(['enroll', 'serverkeygen']);

export class SignetMetrics {
  readonly registry = new Registry();
  readonly enrollments = new Counter({
    name: 'signet_enrollments_total',
    help: 'Enrollments (EST simpleenroll and serverkeygen) by CA and result',
    labelNames: ['ca', 'result'] as const,
    registers: [this.registry],
  });
  readonly reenrollments = new Counter({
    name: 'signet_reenrollments_total',
    help: 'Re-enrollments (EST simplereenroll) by CA and result',
    labelNames: ['ca', 'result'] as const,
    registers: [this.registry],
  });
  readonly revocations = new Counter({
    name: 'signet_revocations_total',
    help: 'Certificate revocations by CA and RFC 5280 reason',
    labelNames: ['ca', 'reason'] as const,
    registers: [this.registry],
  });
  readonly otpGenerated = new Counter({ name: 'signet_otp_generated_total', help: 'One-time passwords generated', registers: [this.registry] });
  readonly otpConsumed = new Counter({ name: 'signet_otp_consumed_total', help: 'One-time password uses', registers: [this.registry] });
  readonly requestDuration = new Histogram({
    name: 'signet_request_duration_seconds',
    help: 'HTTP request duration by listener, route template, method and status',
    labelNames: ['listener', 'route', 'method', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly activeCertificates = this.perCaGauge('signet_active_certificates', 'Certificates neither revoked nor expired, by issuing CA');
  readonly caHealth = this.perCaGauge('signet_ca_health', 'CA health: 1 healthy, 0.5 degraded, 0 unhealthy');
  readonly caNotAfter = this.perCaGauge('signet_ca_not_after_timestamp_seconds', 'When each CA certificate expires (Unix time), for expiry alerts');
  readonly signingQueueDepth = new Gauge({ name: 'signet_signing_queue_depth', help: 'Signing requests waiting for a worker', registers: [this.registry] });
  readonly issuanceInFlight = new Gauge({ name: 'signet_issuance_in_flight', help: 'Certificates being signed and recorded right now', registers: [this.registry] });
  readonly issuanceRefused = new Counter({
    name: 'signet_issuance_overload_refused_total',
    help: 'Issuance requests refused with 503 because the in-flight limit was reached',
    registers: [this.registry],
  });
  readonly eventStoreAppend = new Histogram({
    name: 'signet_eventstore_append_seconds',
    help: 'Event-store append latency, from append() to its durable outcome (group commit included)',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly projectionLag = new Gauge({ name: 'signet_projection_lag_events', help: 'Events committed but not yet applied to the read models', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'signet_' });
    // Gauges named *_total break Prometheus naming rules (promtool rejects them); the same numbers are exposed
    // by type in signet_nodejs_active_handles / _requests / _resources.
    for (const name of ['handles', 'requests', 'resources']) this.registry.removeSingleMetric(`signet_nodejs_active_${name}_total`);
  }

  private perCaGauge(name: string, help: string): Gauge<'ca'> {
    return new Gauge({ name, help, labelNames: ['ca'] as const, registers: [this.registry] });
  }

  /** For SqliteEventStore's `onFlush`: one observation per append of the group commit. */
  readonly observeFlush = (stats: { latenciesMs: number[] }): void => {
    for (const ms of stats.latenciesMs) this.eventStoreAppend.observe(ms / 1000);
  };

  /** Counts one event of the log (pure bookkeeping, no I/O). */
  count(event: SignetRecordedEvent): void {
    switch (event.type) {
      case 'OtpIssued':
        this.otpGenerated.inc();
        return;
      case 'OtpConsumed':
        this.otpConsumed.inc();
        return;
      case 'CertificateRevoked':
        this.revocations.inc({ ca: event.data.issuerId, reason: event.data.reason });
        return;
      case 'CertificateIssued':
      case 'EnrollmentRejected': {
        const facts = auditFacts(event);
        const labels = { ca: facts.issuerId ?? UNKNOWN_CA, result: facts.result };
        if (ENROLL_ACTIONS.has(facts.action)) this.enrollments.inc(labels);
        else if (facts.action === 'reenroll') this.reenrollments.inc(labels);
        return;
      }
      default:
        return;
    }
  }

  /** Follows the log from its current head; close the returned subscription on shutdown. */
  async follow(store: EventStore, onError: (error: unknown) => void): Promise<AllSubscription> {
    const subscription = store.subscribeToAll({ fromPosition: await store.headPosition() });
    void (async () => {
      try {
        for await (const batch of subscription) for (const event of batch) this.count(event as SignetRecordedEvent);
      } catch (error) {
        onError(error);
      }
    })();
    return subscription;
  }
}
