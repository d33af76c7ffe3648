/** The admin API (admin listener): health probes first; the authenticated routes sit behind bearer auth. */
import Router from '@koa/router';
import Koa from 'koa';
import type { Core } from '../../core.js';
import { errorMiddleware, jsonErrorBody } from '../errors.js';
import { requireBearer } from '../middleware/bearer-auth.js';
import { healthReport, projectionLag } from './health.js';

export interface AdminDeps {
  core: Core;
  version: string;
  /** Secrets accepted as `Authorization: Bearer`. */
  bearerTokens: () => string[];
}

export function buildAdminApp(deps: AdminDeps): Koa {
  const { core } = deps;
  const app = new Koa();
  app.use(errorMiddleware(jsonErrorBody, core.logger));

  const probes = new Router({ prefix: '/admin/health' });
  probes.get('/live', (ctx) => {
    ctx.body = { status: 'alive' };
  });
  probes.get('/ready', async (ctx) => {
    const lag = await projectionLag(core);
    const ready = lag === 0 && !core.runner.error;
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ready' : 'not_ready', projection_lag: lag };
  });
  app.use(probes.routes()).use(probes.allowedMethods());

  const authenticated = new Router({ prefix: '/admin' });
  authenticated.use(requireBearer(deps.bearerTokens));
  authenticated.get('/health', async (ctx) => {
    ctx.body = await healthReport(core, deps.version);
  });
  app.use(authenticated.routes()).use(authenticated.allowedMethods());

  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: `no such endpoint: ${ctx.method} ${ctx.path}` };
  });
  return app;
}
