/**
 * The admin API (admin listener). The Kubernetes probes answer without credentials; every other route sits in
 * `authenticated` behind the configured admin auth (bearer, mTLS or both). One router per endpoint family.
 */
import Router from '@koa/router';
import Koa from 'koa';
import type { Core } from '../../core.js';
import { errorMiddleware, jsonErrorBody } from '../errors.js';
import { requestMetrics } from '../middleware/metrics.js';
import { auditRoutes } from './audit.js';
import { requireAdmin, type AdminAuth } from './auth.js';
import { caRoutes } from './cas.js';
import { certRoutes } from './certs.js';
import { estProfilesRouter } from './est-profiles.js';
import { healthProbeRoutes, healthRoutes } from './health.js';
import { metricsRoutes } from './metrics.js';
import { otpRoutes } from './otp.js';

export interface AdminDeps {
  core: Core;
  version: string;
  auth: AdminAuth;
}

export function buildAdminApp(deps: AdminDeps): Koa {
  const { core } = deps;
  const { bearerTokenEnv } = core.config.admin;
  if (bearerTokenEnv && !process.env[bearerTokenEnv]) core.logger.warn({ bearerTokenEnv }, 'admin.bearer_token_env names an unset variable, so no token from it is accepted');
  const app = new Koa();
  app.use(requestMetrics(core.metrics, 'admin'));
  app.use(errorMiddleware(jsonErrorBody, core.logger));
  app.use(jsonFallbackBodies);

  const probes = healthProbeRoutes(core);
  app.use(probes.routes()).use(probes.allowedMethods());

  const authenticated = new Router({ prefix: '/admin' });
  authenticated.use(requireAdmin(deps.auth));
  for (const family of [healthRoutes(core, deps.version), caRoutes(core), otpRoutes(core), certRoutes(core), estProfilesRouter(core), auditRoutes(core), metricsRoutes(core)]) {
    authenticated.use(family.routes(), family.allowedMethods());
  }
  app.use(authenticated.routes()).use(authenticated.allowedMethods());
  return app;
}

/** Unrouted requests and wrong methods get a JSON error like every other refusal, not koa's plain text. */
async function jsonFallbackBodies(ctx: Koa.Context, next: Koa.Next): Promise<void> {
  await next();
  const { status } = ctx;
  if ((ctx.body !== undefined && ctx.body !== null) || (status !== 404 && status !== 405)) return;
  ctx.body = status === 404 ? { error: `no such endpoint: ${ctx.method} ${ctx.path}` } : { error: `method ${ctx.method} is not allowed on ${ctx.path} (allowed: ${ctx.response.get('Allow')})` };
  // Setting a body makes koa answer 200 unless the status is set again.
  ctx.status = status;
}
