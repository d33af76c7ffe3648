/**
 * Composition root for `signet serve`: core (store, projections, pool) → bootstrap (CA, root token, TLS) →
 * listeners. The only place that wires adapters to each other.
 */
import type { ServerOptions } from 'node:https';
import type { SignetConfig } from './config/config.js';
import type { Logger } from './app/logger.js';
import { bootstrap, type BootstrapResult } from './app/bootstrap.js';
import { openCore, type Core } from './core.js';
import { SIGNING_WORKER } from './app/signing-pool.js';
import { EVENT_WRITER_THREAD } from './eventstore/sqlite-writer.js';
import { prepareThreadEntries } from './threads/bundle.js';
import { PROJECTION_THREAD } from '../projections/threaded-runner.js';
import { buildAdminApp } from './http/admin/app.js';
import { buildEstApp } from './http/est/app.js';
import { adminBearerTokens, adminTlsOptions } from './http/admin/auth.js';
import { publicRequestHandler } from './http/public/app.js';
import { withOcspFastPath } from './http/public/ocsp-fast-path.js';
import { buildApiApp } from './http/pki/app.js';
import { idialApi } from './http/idial/app.js';
import { apiTokenAuthorizer } from './graphql/auth.js';
import { buildGraphql } from './graphql/server.js';
import { acceptListMethod } from './http/pki/list-method.js';
import { RevocationService } from './app/revocation/revocation-service.js';
import { startCertd, type RunningCertd } from './http/certd/start.js';
import { startTreeHeads } from './audit/tree-heads.js';
import { listen, type Listener } from './http/listeners.js';
import { VERSION } from './version.js';

export interface RunningSignet {
  core: Core;
  boot: BootstrapResult;
  /** `admin` is absent when `[admin] enabled = false`. */
  listeners: Record<'est' | 'api' | 'public', Listener> & { admin?: Listener };
  /** The certd API on its Unix socket; absent when `[certd] enabled = false`. */
  certd?: RunningCertd;
  close(): Promise<void>;
}

export async function startServer(config: SignetConfig, logger: Logger): Promise<RunningSignet> {
  await prepareThreadEntries([SIGNING_WORKER, PROJECTION_THREAD, EVENT_WRITER_THREAD]);
  const core = await openCore(config, logger, { pool: true, threads: true });
  const opened: Listener[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  try {
    const boot = await bootstrap(core);
    const tls: ServerOptions = { key: boot.tls.keyPem, cert: boot.tls.certPem, minVersion: 'TLSv1.2' };
    await core.metrics.follow(core.store, (err) => logger.error({ err }, 'metrics stopped following the event log'));
    const bearerTokens = () => adminBearerTokens(config.admin, boot.rootToken);
    const adminApp = buildAdminApp({ core, version: VERSION, auth: { mode: config.admin.auth, bearerTokens } });
    const est = await listen('est', config.listen.est, buildEstApp({ core }).callback(), { ...tls, requestCert: true, rejectUnauthorized: false });
    opened.push(est);
    const admin = config.admin.enabled ? await listen('admin', config.listen.admin, adminApp.callback(), { ...tls, ...adminTlsOptions(config.admin) }) : undefined;
    if (admin) opened.push(admin);
    const revocation = new RevocationService(core);
    await revocation.start();
    stoppers.push(() => revocation.stop());
    const graphql = buildGraphql({ core, authorizer: apiTokenAuthorizer(core) });
    stoppers.push(() => graphql.close());
    let certd: RunningCertd | undefined;
    const idial = idialApi({ core, authorizer: apiTokenAuthorizer(core), revocation, certdConfig: () => certd?.configDir.config });
    const apiApp = buildApiApp({ core, revocation, mounted: [graphql.middleware, ...idial] }).callback();
    const api = await listen('api', config.listen.api, withOcspFastPath(apiApp, revocation.ocsp, core.metrics, 'api'), tls);
    acceptListMethod(api.server);
    opened.push(api);
    const treeHeads = await startTreeHeads(core, config.audit.treeHeadIntervalSeconds);
    stoppers.push(() => treeHeads.stop());
    const publicListener = await listen('public', config.listen.public, publicRequestHandler(core, revocation));
    acceptListMethod(publicListener.server);
    opened.push(publicListener);
    core.publicBaseUrl = publicListener.url;
    certd = config.certd.enabled ? await startCertd(core) : undefined;
    const listeners = { est, api, admin, public: publicListener };
    logger.info(
      { est: est.url, api: api.url, admin: admin?.url ?? 'disabled', public: publicListener.url, dataDir: config.dataDir, eventStore: core.store.kind, root: boot.ca.rootFingerprint },
      'signet ready',
    );
    return {
      core,
      boot,
      listeners,
      ...(certd ? { certd } : {}),
      async close() {
        await graphql.close(); // ends open subscriptions, so the API listener closes without waiting on them
        await Promise.all([...opened.map((l) => l.close()), certd?.close(), ...stoppers.map((stop) => stop())]);
        await core.close();
      },
    };
  } catch (error) {
    await Promise.all([...opened.map((l) => l.close()), ...stoppers.map((stop) => stop())]);
    await core.close();
    throw error;
  }
}
