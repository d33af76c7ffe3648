/**
 * The public plain-HTTP listener: CA certificates, CRLs and OCSP for relying parties, who must be able
 * to fetch them without TLS (RFC 5280 4.2.1.13, RFC 6960). Read-only, no authentication: exactly the OpenBao
 * paths its unauthenticated table lists (see src/http/pki/app.ts), served by the same route table as the API.
 */
import Koa from 'koa';
import type { Core } from '../../core.js';
import type { RevocationService } from '../../app/revocation/revocation-service.js';
import { errorMiddleware, jsonErrorBody } from '../errors.js';
import { requestMetrics } from '../middleware/metrics.js';
import { openBaoApi, revocationMiddleware } from '../pki/app.js';
import { legacyCrlMiddleware } from '../pki/revocation-routes.js';
import type { RequestHandler } from '../listeners.js';
import { withOcspFastPath } from './ocsp-fast-path.js';

export function buildPublicApp(core: Core, revocation?: RevocationService): Koa {
  const app = new Koa();
  app.use(requestMetrics(core.metrics, 'public'));
  app.use(errorMiddleware(jsonErrorBody, core.logger));
  if (revocation) app.use(legacyCrlMiddleware(revocation, core.logger));
  app.use(openBaoApi(core, undefined, { publicOnly: true }));
  for (const middleware of revocation ? revocationMiddleware(revocation, false) : []) app.use(middleware);
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: `no such endpoint: ${ctx.method} ${ctx.path}` };
  });
  return app;
}

/** The public listener's request handler: cached OCSP answered before Koa (see ocsp-fast-path.ts), the app otherwise. */
export function publicRequestHandler(core: Core, revocation?: RevocationService): RequestHandler {
  const app = buildPublicApp(core, revocation).callback();
  return revocation ? withOcspFastPath(app, revocation.ocsp, core.metrics, 'public') : app;
}
