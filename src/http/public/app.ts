/**
 * The public plain-HTTP listener: CA certificates (and later CRLs and OCSP) for relying parties, who must be able
 * to fetch them without TLS (RFC 5280 4.2.1.13, RFC 6960). Read-only, no authentication.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { Core } from '../../core.js';
import { errorMiddleware, HttpError, jsonErrorBody } from '../errors.js';
import { derToPem } from '../../crypto/pem.js';

export function caDownloadRoutes(core: Core): Router {
  const router = new Router();
  const defaultIssuer = () => {
    const issuer = core.queries.issuers.resolve('default');
    if (!issuer) throw new HttpError(404, 'no default issuer');
    return issuer;
  };
  router.get('/v1/pki/ca', (ctx) => {
    ctx.type = 'application/pkix-cert';
    ctx.body = Buffer.from(defaultIssuer().certificate, 'base64');
  });
  router.get('/v1/pki/ca/pem', (ctx) => {
    ctx.type = 'application/pem-certificate-chain';
    ctx.body = derToPem(Buffer.from(defaultIssuer().certificate, 'base64'), 'CERTIFICATE');
  });
  router.get(['/v1/pki/ca_chain', '/v1/pki/cert/ca_chain'], (ctx) => {
    const issuer = defaultIssuer();
    ctx.type = 'application/pem-certificate-chain';
    ctx.body = [issuer.certificate, ...issuer.chain].map((b64) => derToPem(Buffer.from(b64, 'base64'), 'CERTIFICATE')).join('');
  });
  return router;
}

export function buildPublicApp(core: Core): Koa {
  const app = new Koa();
  app.use(errorMiddleware(jsonErrorBody, core.logger));
  const routes = caDownloadRoutes(core);
  app.use(routes.routes()).use(routes.allowedMethods());
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: `no such endpoint: ${ctx.method} ${ctx.path}` };
  });
  return app;
}
