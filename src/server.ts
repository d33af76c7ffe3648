/**
 * Composition root for `signet serve`: core (store, projections, pool) → bootstrap (CA, root token, TLS) →
 * listeners. The only place that wires adapters to each other.
 */
import type { ServerOptions } from 'node:https';
import Koa from 'koa';
import type { SignetConfig } from './config/config.js';
import type { Logger } from './app/logger.js';
import { bootstrap, type BootstrapResult } from './app/bootstrap.js';
import { openCore, type Core } from './core.js';
import { buildAdminApp } from './http/admin/app.js';
import { buildPublicApp } from './http/public/app.js';
import { errorMiddleware, jsonErrorBody } from './http/errors.js';
import { listen, type Listener } from './http/listeners.js';
import { VERSION } from './version.js';

export interface RunningSignet {
  core: Core;
  boot: BootstrapResult;
  listeners: Record<'est' | 'api' | 'admin' | 'public', Listener>;
  close(): Promise<void>;
}

/** Placeholder app for listeners whose APIs arrive in later issues: a JSON 404 for everything. */
function notYetApp(core: Core, what: string): Koa {
  const app = new Koa();
  app.use(errorMiddleware(jsonErrorBody, core.logger));
  app.use((ctx) => {
    ctx.status = 404;
    ctx.body = { error: `no such endpoint on the ${what} listener: ${ctx.method} ${ctx.path}` };
  });
  return app;
}

export async function startServer(config: SignetConfig, logger: Logger): Promise<RunningSignet> {
  const core = await openCore(config, logger, { pool: true });
  const opened: Listener[] = [];
  try {
    const boot = await bootstrap(core);
    const tls: ServerOptions = { key: boot.tls.keyPem, cert: boot.tls.certPem, minVersion: 'TLSv1.2' };
    const bearerTokens = () => {
      const fromEnv = config.admin.bearerTokenEnv ? process.env[config.admin.bearerTokenEnv] : undefined;
      return [boot.rootToken, ...(fromEnv ? [fromEnv] : [])];
    };
    const adminApp = buildAdminApp({ core, version: VERSION, bearerTokens });
    const est = await listen('est', config.listen.est, notYetApp(core, 'EST').callback(), { ...tls, requestCert: true, rejectUnauthorized: false });
    opened.push(est);
    const api = await listen('api', config.listen.api, notYetApp(core, 'API').callback(), tls);
    opened.push(api);
    const admin = await listen('admin', config.listen.admin, adminApp.callback(), tls);
    opened.push(admin);
    const publicListener = await listen('public', config.listen.public, buildPublicApp(core).callback());
    opened.push(publicListener);
    const listeners = { est, api, admin, public: publicListener };
    logger.info(
      { est: est.url, api: api.url, admin: admin.url, public: publicListener.url, dataDir: config.dataDir, eventStore: core.store.kind, root: boot.ca.rootFingerprint },
      'signet ready',
    );
    return {
      core,
      boot,
      listeners,
      async close() {
        await Promise.all(opened.map((l) => l.close()));
        await core.close();
      },
    };
  } catch (error) {
    await Promise.all(opened.map((l) => l.close()));
    await core.close();
    throw error;
  }
}
