/**
 * Revocation metrics, registered on the core's Prometheus registry (served at /admin/metrics). The revocation
 * counter itself (signet_revocations_total) lives in SignetMetrics, fed from the event log.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CrlKind } from '../../domain/crl.js';

export type OcspOutcome = 'good' | 'revoked' | 'unknown' | 'malformed' | 'unauthorized' | 'error';

export class RevocationMetrics {
  readonly crlSize: Gauge<'ca' | 'kind'>;
  readonly crlEntries: Gauge<'ca' | 'kind'>;
  readonly crlBuildDuration: Histogram<'kind'>;
  readonly ocspRequests: Counter<'status' | 'cache'>;
  readonly crlNextUpdate: Gauge<'ca' | 'kind'>;

  /** Reuses metrics already registered (a second service on one core, as benchmarks and tests make). */
  constructor(registry: Registry) {
    const existing = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
    this.crlSize = existing('signet_crl_size_bytes', () => new Gauge({ name: 'signet_crl_size_bytes', help: 'Size of the latest CRL by issuing CA and kind (full, delta)', labelNames: ['ca', 'kind'], registers: [registry] }));
    this.crlEntries = existing('signet_crl_entries', () => new Gauge({ name: 'signet_crl_entries', help: 'Revoked entries in the latest CRL by issuing CA and kind', labelNames: ['ca', 'kind'], registers: [registry] }));
    this.crlBuildDuration = existing(
      'signet_crl_build_duration_seconds',
      () =>
        new Histogram({
          name: 'signet_crl_build_duration_seconds',
          help: 'CRL build time (read entries, encode, sign in the pool) by kind',
          labelNames: ['kind'],
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
          registers: [registry],
        }),
    );
    this.crlNextUpdate = existing(
      'signet_crl_next_update_timestamp_seconds',
      () => new Gauge({ name: 'signet_crl_next_update_timestamp_seconds', help: 'nextUpdate of the latest CRL (Unix seconds) by issuing CA and kind: past it, the CRL is stale', labelNames: ['ca', 'kind'], registers: [registry] }),
    );
    this.ocspRequests = existing(
      'signet_ocsp_requests_total',
      () => new Counter({ name: 'signet_ocsp_requests_total', help: 'OCSP requests by answered status and whether a cached response served it', labelNames: ['status', 'cache'], registers: [registry] }),
    );
  }

  crlBuilt(ca: string, kind: CrlKind, bytes: number, entries: number, seconds: number, nextUpdate: number): void {
    this.crlNextUpdate.set({ ca, kind }, Math.floor(nextUpdate / 1000));
    this.crlSize.set({ ca, kind }, bytes);
    this.crlEntries.set({ ca, kind }, entries);
    this.crlBuildDuration.observe({ kind }, seconds);
  }

  ocspAnswered(status: OcspOutcome, cached: boolean): void {
    this.ocspRequests.inc({ status, cache: cached ? 'hit' : 'miss' });
  }
}
