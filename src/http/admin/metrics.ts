/** /admin/metrics: Prometheus text format. Gauges that describe current state are read when scraped. */
import Router from '@koa/router';
import type { Core } from '../../core.js';
import { caHealth, HEALTH_SCORE, projectionLag } from './health.js';

/** Sets the state gauges from the read models, the pool and the store. */
export async function refreshStateGauges(core: Core, now = new Date()): Promise<void> {
  const { metrics } = core;
  const issuers = core.queries.issuers.list();
  const active = core.queries.certificates.activeCountsByIssuer(now);
  // reset() first, so a deleted issuer stops being reported.
  metrics.activeCertificates.reset();
  metrics.caHealth.reset();
  metrics.caNotAfter.reset();
  for (const issuer of issuers) {
    const ca = { ca: issuer.issuerId };
    metrics.activeCertificates.set(ca, active.get(issuer.issuerId) ?? 0);
    metrics.caHealth.set(ca, HEALTH_SCORE[caHealth(core, issuer, now).status]);
    metrics.caNotAfter.set(ca, Date.parse(issuer.notAfter) / 1000);
  }
  metrics.signingQueueDepth.set(core.pool?.stats().queued ?? 0);
  metrics.issuanceInFlight.set(core.admission.inFlight);
  metrics.projectionLag.set(await projectionLag(core));
}

export function metricsRoutes(core: Core): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    await refreshStateGauges(core);
    ctx.type = core.metrics.registry.contentType;
    ctx.body = await core.metrics.registry.metrics();
  });
  return router;
}
