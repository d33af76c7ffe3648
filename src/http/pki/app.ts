/**
 * The API listener (https, default 127.0.0.1:8200): the OpenBao-compatible API under /v1 (mounts `pki`,
 * `auth/token`, `sys`), plus whatever other front ends are mounted beside it (IDIAL /pki, certd /certificates,
 * /graphql): each is a koa middleware (e.g. a router's routes()) that handles its own prefix and error shape.
 */
import Koa from 'koa';
import type { Core } from '../../core.js';
import { createPkiServices, type PkiServices } from '../../app/pki/services.js';
import { errorMiddleware, jsonErrorBody } from '../errors.js';
import { requestMetrics } from '../middleware/metrics.js';
import { Authorizer } from './auth.js';
import type { RevocationService } from '../../app/revocation/revocation-service.js';
import { openBaoDispatcher, openBaoErrors, openBaoMetadata, type DispatchOptions } from './dispatch.js';
import { MountTable, type Mount } from './framework.js';
import { tokenPaths } from './paths/auth-token.js';
import { configPaths } from './paths/config.js';
import { fetchPaths } from './paths/fetch.js';
import { issuePaths } from './paths/issue.js';
import { managePaths } from './paths/manage.js';
import { revokePaths } from './paths/revoke.js';
import { rootPaths } from './paths/root.js';
import { rolePaths } from './paths/roles.js';
import { policyPaths } from './paths/sys-policies.js';
import { legacyCrlMiddleware, ocspGetMiddleware, revocationAdminRoutes, revocationReadRoutes } from './revocation-routes.js';

/**
 * The PKI paths OpenBao serves without a token (its backend.go PathsSpecial.Unauthenticated), mount-relative:
 * `*` is a prefix glob, `+` one segment, a trailing `/` a LIST. The CRL and OCSP entries are served by the
 * revocation endpoints when they are mounted.
 */
export const UNAUTHENTICATED_PKI_PATHS: readonly string[] = [
  'cert/*',
  'ca/pem',
  'ca_chain',
  'ca',
  'crl/delta',
  'crl/delta/pem',
  'crl/pem',
  'crl',
  'issuer/+/crl/der',
  'issuer/+/crl/pem',
  'issuer/+/crl',
  'issuer/+/crl/delta/der',
  'issuer/+/crl/delta/pem',
  'issuer/+/crl/delta',
  'issuer/+/pem',
  'issuer/+/der',
  'issuer/+/json',
  'issuers/',
  'ocsp',
  'ocsp/*',
];

export function openBaoMounts(services: PkiServices): Mount[] {
  return [
    {
      prefix: 'pki',
      unauthenticated: UNAUTHENTICATED_PKI_PATHS,
      paths: [
        ...rolePaths(services),
        ...issuePaths(services),
        ...fetchPaths(services),
        ...revokePaths(services),
        ...rootPaths(services),
        ...managePaths(services),
        ...configPaths(services),
      ],
    },
    { prefix: 'auth/token', paths: tokenPaths(services) },
    { prefix: 'sys', paths: policyPaths(services) },
  ];
}

/** The OpenBao API as one middleware: /v1/* requests in OpenBao's shapes, everything else passed on. */
export function openBaoApi(core: Core, services: PkiServices = createPkiServices(core), options: DispatchOptions = {}): Koa.Middleware {
  const errors = openBaoErrors(core.logger);
  const dispatch = openBaoDispatcher(new MountTable(openBaoMounts(services)), new Authorizer(services.tokens, services.policies), options);
  return (ctx, next) => (ctx.path.startsWith('/v1/') ? errors(ctx, () => dispatch(ctx, next)) : next());
}

/** A JSON 404 for what no mounted front end handles (OpenBao's wording under /v1). */
function notFound(ctx: Koa.Context): void {
  ctx.status = 404;
  ctx.body = ctx.path.startsWith('/v1/') ? { errors: [`no handler for route "${ctx.path.slice(4)}". route entry not found.`] } : { error: `no such endpoint: ${ctx.method} ${ctx.path}` };
}

export interface ApiDeps {
  core: Core;
  /** CRLs, OCSP and their configuration: koa routers mounted behind the OpenBao authorization. */
  revocation?: RevocationService;
  /** Other front ends on the same listener, e.g. `router.routes()`. */
  mounted?: Koa.Middleware[];
}

/** The revocation endpoints: the unauthenticated reads and the privileged ones, both under /v1/pki. */
export function revocationMiddleware(revocation: RevocationService, withAdmin: boolean): Koa.Middleware[] {
  const routers = [revocationReadRoutes(revocation), ...(withAdmin ? [revocationAdminRoutes(revocation, openBaoMetadata)] : [])];
  return [ocspGetMiddleware(revocation), ...routers.flatMap((router) => [router.routes() as Koa.Middleware, router.allowedMethods() as Koa.Middleware])];
}

/** Also starts the auto-tidy check (an unref'd timer that ends with the core). */
export function buildApiApp(deps: ApiDeps): Koa {
  const services = createPkiServices(deps.core);
  services.tidy.startAutoTidy();
  const app = new Koa();
  app.use(requestMetrics(deps.core.metrics, 'api'));
  app.use(errorMiddleware(jsonErrorBody, deps.core.logger));
  if (deps.revocation) app.use(legacyCrlMiddleware(deps.revocation, deps.core.logger));
  app.use(openBaoApi(deps.core, services));
  for (const middleware of deps.revocation ? revocationMiddleware(deps.revocation, true) : []) app.use(middleware);
  for (const middleware of deps.mounted ?? []) app.use(middleware);
  app.use(notFound);
  return app;
}
