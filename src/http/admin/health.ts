/** Health as the admin spec describes it: the worst status of any component wins. */
import type { Core } from '../../core.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';
const RANK: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };
const DAY_MS = 86_400_000;

export function worst(statuses: HealthStatus[]): HealthStatus {
  return statuses.reduce<HealthStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'healthy');
}

/** A CA's own health: expired or keyless is unhealthy, expiring within 30 days is degraded. */
export function caStatus(notAfter: string, hasKey: boolean, now: Date): HealthStatus {
  const left = Date.parse(notAfter) - now.getTime();
  if (left <= 0 || !hasKey) return 'unhealthy';
  return left < 30 * DAY_MS ? 'degraded' : 'healthy';
}

export function formatUptime(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 1440)}d ${Math.floor((minutes % 1440) / 60)}h ${minutes % 60}m`;
}

export async function projectionLag(core: Core): Promise<number> {
  return Math.max(0, (await core.store.headPosition()) - core.runner.position);
}

export async function healthReport(core: Core, version: string, now = new Date()) {
  const cas: Record<string, HealthStatus> = {};
  for (const issuer of core.queries.issuers.list()) {
    cas[issuer.issuerId] = caStatus(issuer.notAfter, issuer.keyId !== null && core.queries.issuers.key(issuer.keyId) !== undefined, now);
  }
  let database: HealthStatus = 'healthy';
  let lag = 0;
  try {
    lag = await projectionLag(core);
  } catch {
    database = 'unhealthy';
  }
  const projections: HealthStatus = core.runner.error ? 'unhealthy' : lag > 10_000 ? 'degraded' : 'healthy';
  const pool = core.pool?.stats();
  const signing: HealthStatus = !pool ? 'unhealthy' : pool.queued > 0.9 * core.config.pool.maxQueue ? 'degraded' : 'healthy';
  const status = worst([database, projections, signing, ...Object.values(cas)]);
  return {
    status,
    components: { database, projections, projection_lag: lag, signing_pool: signing, cas },
    uptime: formatUptime(now.getTime() - core.startedAt.getTime()),
    version,
  };
}
