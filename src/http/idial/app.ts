/**
 * The IDIAL PKI configuration API under /pki on the API listener (spec: pki-config-api.txt): `X-API-Key` with a
 * token from Signet's token store, checked with the OpenBao API's ACL policies on the path without its leading
 * slash (`pki/est/3`); errors as `{"error": "..."}`, a refused delete as `{"in_use": [...], "error": "..."}`.
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { randomUUID } from 'node:crypto';
import type { Capability } from '../../domain/acl.js';
import { EstUpstreamInUseError } from '../../domain/est-upstream.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { derToPem } from '../../crypto/pem.js';
import type { Core } from '../../core.js';
import type { RevocationService } from '../../app/revocation/revocation-service.js';
import { CsrSigning } from '../../app/idial/csr-signing.js';
import { recordSignRefusal, signResult, type CsrUsage, type SignAttempt } from '../../app/idial/sign-refusals.js';
import { UpstreamService } from '../../app/idial/upstream-service.js';
import type { TokenAuthorizer } from '../../graphql/auth.js';
import type { CertdConfig } from '../../certd/authorization.js';
import { errorMiddleware, HttpError, jsonErrorBody, mapError } from '../errors.js';
import { readJson } from '../middleware/body.js';
import { pkiEndpoints, upstreamView } from './views.js';

export interface IdialDeps {
  core: Core;
  /** The OpenBao API's token and policy check (graphql/auth.ts apiTokenAuthorizer). */
  authorizer: TokenAuthorizer;
  revocation: RevocationService;
  /** certd's current config.d, when certd runs: its EST settings count in a delete's `in_use`. */
  certdConfig?: () => CertdConfig | undefined;
}

/** The capability a request needs on its ACL path. */
function capabilityOf(ctx: Koa.Context): Capability {
  switch (ctx.method) {
    case 'GET':
    case 'HEAD':
      return 'read';
    case 'DELETE':
      return 'delete';
    case 'POST':
      return ctx.path === '/pki/est' ? 'create' : 'update';
    default:
      return 'update';
  }
}

function authentication(authorizer: TokenAuthorizer): Koa.Middleware {
  return async (ctx, next) => {
    const secret = ctx.get('x-api-key').trim();
    const token = authorizer.authenticate(secret || undefined);
    if (!token) throw new HttpError(401, secret ? 'invalid API key' : 'missing X-API-Key header');
    if (!authorizer.allowed(token, ctx.path.slice(1), capabilityOf(ctx), false)) throw new HttpError(403, 'permission denied');
    const metadata: EventMetadata = { request_id: randomUUID(), client_ip: ctx.ip, actor: token.displayName, auth_method: 'api_key', token_accessor: token.accessor };
    ctx.state.idial = metadata;
    await next();
  };
}

/** A refused delete in the spec's shape; everything else in `{"error": ...}`. */
const inUseErrors: Koa.Middleware = async (ctx, next) => {
  try {
    await next();
  } catch (error) {
    if (!(error instanceof EstUpstreamInUseError)) throw error;
    ctx.status = 409;
    ctx.body = { in_use: error.inUse, error: error.message };
  }
};

const SIGN_PATHS: Record<string, CsrUsage> = { '/pki/sign-client-csr': 'client', '/pki/sign-server-csr': 'server' };

/**
 * A refused sign request (authentication included) becomes an EnrollmentRejected before it is answered, as EST
 * refusals do. An audit failure is logged, never turned into the caller's error.
 */
function signRefusals(core: Core): Koa.Middleware {
  return async (ctx, next) => {
    const usage = ctx.method === 'POST' ? SIGN_PATHS[ctx.path] : undefined;
    if (!usage) return next();
    const attempt: SignAttempt = { usage };
    ctx.state.signAttempt = attempt;
    try {
      await next();
    } catch (error) {
      const mapped = mapError(error);
      const metadata: EventMetadata = (ctx.state.idial as EventMetadata | undefined) ?? { client_ip: ctx.ip, auth_method: 'api_key' };
      await recordSignRefusal(core.store, attempt, signResult(mapped.status), mapped.message, metadata).catch((auditError: unknown) =>
        core.logger.error({ err: auditError, path: ctx.path }, 'could not record a refused sign request'),
      );
      throw error;
    }
  };
}

/** DER when asked for (`Accept: application/pkix-…` or `?format=der`), PEM otherwise. */
function sendBinary(ctx: Koa.Context, der: Uint8Array, kind: 'cert' | 'crl'): void {
  const derType = kind === 'cert' ? 'application/pkix-cert' : 'application/pkix-crl';
  const wantsDer = ctx.query.format === 'der' || ctx.get('accept').toLowerCase().includes(derType);
  ctx.status = 200;
  if (wantsDer) {
    ctx.type = derType;
    ctx.body = Buffer.from(der);
  } else {
    ctx.type = 'application/x-pem-file';
    ctx.body = derToPem(der, kind === 'cert' ? 'CERTIFICATE' : 'X509 CRL');
  }
}

function idParam(ctx: Koa.Context): number {
  const id = ctx.params.id as string;
  if (!/^[1-9]\d{0,9}$/.test(id)) throw new HttpError(404, `EST configuration ${id} not found`);
  return Number(id);
}

export function idialRouter({ core, authorizer, revocation, certdConfig }: IdialDeps): Router {
  const upstreams = new UpstreamService(core, certdConfig ? { certdConfig } : {});
  const signing = new CsrSigning(core, upstreams);
  const router = new Router({ prefix: '/pki' });
  const metadata = (ctx: Koa.Context) => ctx.state.idial as EventMetadata;

  router.use(errorMiddleware(jsonErrorBody, core.logger), inUseErrors, signRefusals(core), authentication(authorizer));

  router.get('/', (ctx) => {
    ctx.body = pkiEndpoints(core.queries.issuers.list(), upstreams.queries.list());
  });
  router.get('/ca', (ctx) => {
    const issuer = core.queries.issuers.resolve('default');
    if (!issuer) throw new HttpError(404, 'no default issuer');
    sendBinary(ctx, Buffer.from(issuer.certificate, 'base64'), 'cert');
  });
  router.get('/crl', async (ctx) => {
    sendBinary(ctx, (await revocation.crl('default', 'full')).der, 'crl');
  });
  router.get('/est', (ctx) => {
    ctx.body = upstreams.queries.list().map(upstreamView);
  });
  router.post('/est', async (ctx) => {
    ctx.body = { id: await upstreams.create(await readJson(ctx), metadata(ctx)) };
  });
  router.patch('/est/:id', async (ctx) => {
    await upstreams.update(idParam(ctx), await readJson(ctx), metadata(ctx));
    ctx.body = {};
  });
  router.delete('/est/:id', async (ctx) => {
    await upstreams.delete(idParam(ctx), metadata(ctx));
    ctx.body = {};
  });
  router.post('/est/validate/:id', async (ctx) => {
    const id = idParam(ctx);
    const result = await upstreams.validate(id, metadata(ctx));
    if (!result.ok) throw new HttpError(result.httpStatus, `validation of EST configuration ${id} failed: ${result.reason}`);
    ctx.body = upstreamView(upstreams.get(id));
  });
  const sign: Koa.Middleware = async (ctx) => {
    ctx.body = { x509: derToPem(await signing.sign(ctx.state.signAttempt as SignAttempt, await readJson(ctx), metadata(ctx)), 'CERTIFICATE') };
  };
  router.post('/sign-client-csr', sign);
  router.post('/sign-server-csr', sign);
  return router;
}

/** The router as one middleware for the API listener: /pki and /pki/* only (not /v1/pki). */
export function idialApi(deps: IdialDeps): Koa.Middleware[] {
  const router = idialRouter(deps);
  return [router.routes() as Koa.Middleware, router.allowedMethods() as Koa.Middleware];
}
