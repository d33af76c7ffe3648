/**
 * Starts certd: the config.d directory (principals and issuance settings, watched), the application service and
 * the HTTP API on its Unix socket. Called by the composition root next to the TCP listeners.
 */
import { IssuanceService } from '../../app/issuance.js';
import { CertdConfigDirectory } from '../../certd/config-dir.js';
import { pkiRoleIssuer } from '../../certd/role-issuer.js';
import { certdUpstreamIssuer } from '../../certd/upstream-issuer.js';
import { CertdService, type UpstreamEstIssuer } from '../../certd/service.js';
import type { Core } from '../../core.js';
import { CertdQueries } from '../../../projections/certd.js';
import { buildCertdApp } from './app.js';
import { listenUnixSocket, type UnixSocketListener } from './listener.js';
import { resolveSocketGroup } from './socket-group.js';

export interface RunningCertd {
  listener: UnixSocketListener;
  configDir: CertdConfigDirectory;
  service: CertdService;
  close(): Promise<void>;
}

/** Issuing paths certd can hand a CSR to besides Signet's own issuers (default: upstream EST through Signet as RA). */
export interface CertdExtensions {
  upstreamEst?: UpstreamEstIssuer;
}

export async function startCertd(core: Core, extensions: CertdExtensions = {}): Promise<RunningCertd> {
  const { certd } = core.config;
  if (!core.pool) throw new Error('certd needs the signing pool');
  const group = resolveSocketGroup(certd.socketGroup);
  const configDir = new CertdConfigDirectory(certd.configDir, core.logger);
  configDir.start();
  try {
    const service = new CertdService({
      core,
      issuance: new IssuanceService(core, core.pool),
      certificates: new CertdQueries(core.readDb),
      config: () => configDir.config,
      roleIssuer: pkiRoleIssuer(core),
      upstreamEst: certdUpstreamIssuer(core),
      ...extensions,
    });
    const listener = await listenUnixSocket(certd.socket, group, buildCertdApp(service, core.logger).callback(), core.logger);
    core.logger.info({ socket: listener.path, group: group.name, configDir: configDir.dir }, 'certd: listening');
    return {
      listener,
      configDir,
      service,
      async close() {
        configDir.close();
        await listener.close();
      },
    };
  } catch (error) {
    configDir.close();
    throw error;
  }
}
