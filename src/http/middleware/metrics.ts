/**
 * Request duration metrics for any Signet koa app: `app.use(requestMetrics(core.metrics, 'est'))` as its first
 * middleware. Routes are labelled by their template (`/admin/certs/:serial`), never the raw path, so a scan of
 * random URLs cannot blow up the number of series.
 */
import type Koa from 'koa';
import type { SignetMetrics } from '../../app/metrics.js';

export const UNMATCHED_ROUTE = 'unmatched';

interface MatchedLayer {
  path: unknown;
  methods: string[];
}

/**
 * The @koa/router template of the route the path matched, or UNMATCHED_ROUTE. Read from the matched layers
 * rather than `_matchedRoute`, which names a `router.use()` middleware when one (authentication) throws.
 */
export function routeTemplate(ctx: Koa.Context): string {
  // Apps with their own dispatcher (EST) name the template they matched.
  if (typeof ctx.state.routeTemplate === 'string') return ctx.state.routeTemplate;
  const matched = (ctx as { matched?: MatchedLayer[] }).matched ?? [];
  const route = matched.findLast((layer) => layer.methods.length > 0 && typeof layer.path === 'string');
  return route ? (route.path as string) : UNMATCHED_ROUTE;
}

export function requestMetrics(metrics: Pick<SignetMetrics, 'requestDuration'>, listener: string): Koa.Middleware {
  return async (ctx, next) => {
    const stop = metrics.requestDuration.startTimer({ listener, method: ctx.method });
    // Observed when the response is done, so streamed bodies (audit export) count their full duration.
    ctx.res.once('close', () => stop({ route: routeTemplate(ctx), status: String(ctx.res.statusCode) }));
    await next();
  };
}
