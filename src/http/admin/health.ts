/**
 * Health as the admin spec describes it: each component (event store, projections, signing pool, every CA) is
 * healthy, degraded or unhealthy, and the aggregate is the worst of them. The Kubernetes probes (live, ready)
 * are unauthenticated; the full report is not.
 */
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { unwrapPrivateKey } from '../../crypto/keywrap.js';
import type { IssuerRow } from '../../../projections/issuers.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
/** The value of `signet_ca_health` for each status. */
export const HEALTH_SCORE: Record<HealthStatus, number> = { healthy: 1, degraded: 0.5, unhealthy: 0 };
const DAY_MS = 86_400_000;
/** A CA whose certificate ends within this many days is degraded: time to renew it. */
export const CA_EXPIRY_WARNING_DAYS = 30;
/** Projection lag (events) past which the read models count as degraded. */
const PROJECTION_LAG_DEGRADED = 10_000;

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'healthy');
}

export interface CaChecks {
  /** The CA certificate's validity: unhealthy once expired, degraded within CA_EXPIRY_WARNING_DAYS. */
  certificate: HealthStatus;
  /** The signing key: present and decryptable under this node's KEK. */
  key: HealthStatus;
  /** Unhealthy once the issuer itself has been revoked. */
  issuer: HealthStatus;
}

/** Pure: a CA's checks and overall status from its facts. */
export function assessCa(facts: { notAfter: string; keyUsable: boolean; revoked: boolean }, now: Date): { status: HealthStatus; checks: CaChecks } {
  const left = Date.parse(facts.notAfter) - now.getTime();
  const checks: CaChecks = {
    certificate: left <= 0 ? 'unhealthy' : left < CA_EXPIRY_WARNING_DAYS * DAY_MS ? 'degraded' : 'healthy',
    key: facts.keyUsable ? 'healthy' : 'unhealthy',
    issuer: facts.revoked ? 'unhealthy' : 'healthy',
  };
  return { status: worst(Object.values(checks)), checks };
}

/** Whether the issuer's key exists and unwraps under the KEK (a restored data dir with another KEK fails here). */
export function issuerKeyUsable(core: Pick<Core, 'queries' | 'kek'>, issuer: IssuerRow): boolean {
  const key = issuer.keyId ? core.queries.issuers.key(issuer.keyId) : undefined;
  if (!key) return false;
  try {
    unwrapPrivateKey(key.wrapped, core.kek, key.keyId).fill(0);
    return true;
  } catch {
    return false;
  }
}

export function caHealth(core: Pick<Core, 'queries' | 'kek'>, issuer: IssuerRow, now: Date) {
  return assessCa({ notAfter: issuer.notAfter, keyUsable: issuerKeyUsable(core, issuer), revoked: issuer.status === 'revoked' }, now);
}

export function formatUptime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 1440)}d ${Math.floor((minutes % 1440) / 60)}h ${minutes % 60}m`;
}

export async function projectionLag(core: Pick<Core, 'store' | 'runner'>): Promise<number> {
  return Math.max(0, (await core.store.headPosition()) - core.runner.position);
}

export async function healthReport(core: Core, version: string, now = new Date()) {
  const cas: Record<string, HealthStatus> = {};
  for (const issuer of core.queries.issuers.list()) cas[issuer.issuerId] = caHealth(core, issuer, now).status;
  let database: HealthStatus = 'healthy';
  let lag = 0;
  try {
    lag = await projectionLag(core);
    if (core.store.error) database = 'unhealthy';
  } catch {
    database = 'unhealthy';
  }
  const projections: HealthStatus = core.runner.error ? 'unhealthy' : lag > PROJECTION_LAG_DEGRADED ? 'degraded' : 'healthy';
  const pool = core.pool?.stats();
  const signing: HealthStatus = !pool ? 'unhealthy' : pool.queued > 0.9 * core.config.pool.maxQueue ? 'degraded' : 'healthy';
  return {
    status: worst([database, projections, signing, ...Object.values(cas)]),
    components: { database, projections, signing_pool: signing, cas },
    projection_lag: lag,
    uptime: formatUptime(now.getTime() - core.startedAt.getTime()),
    version,
  };
}

/** /admin/health/live and /admin/health/ready: no authentication, for orchestrators. */
export function healthProbeRoutes(core: Core): Router {
  const probes = new Router({ prefix: '/admin/health' });
  probes.get('/live', (ctx) => {
    ctx.body = { status: 'alive' };
  });
  probes.get('/ready', async (ctx) => {
    // An event store that does not answer means not ready (503), not a server error.
    const lag = await projectionLag(core).catch(() => null);
    const ready = lag === 0 && !core.runner.error;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', projection_lag: lag };
  });
  return probes;
}

/** /admin/health: the full report (authenticated). */
export function healthRoutes(core: Core, version: string): Router {
  const router = new Router();
  router.get('/health', async (ctx) => {
    ctx.body = await healthReport(core, version);
  });
  return router;
}
