/** Mount-wide settings: config/urls, config/cluster, config/issuers, config/auto-tidy (events on `config-<name>`). */
import { PKI_CONFIG_STREAMS, pkiConfigDecider, type ClusterConfig, type PkiConfigCommand, type UrlsConfig } from '../../domain/pki-config.js';
import type { AutoTidyConfig } from '../../domain/tidy.js';
import type { EventMetadata } from '../../eventstore/port.js';
import { recordAndWait, resolveIssuer, type PkiContext } from './context.js';
import { IssuerAdmin } from './issuer-admin.js';

export class ConfigService {
  constructor(private readonly ctx: PkiContext) {}

  private set(stream: string, command: PkiConfigCommand, metadata: EventMetadata): Promise<unknown> {
    return recordAndWait(this.ctx.core, stream, pkiConfigDecider, command, { ...metadata, action: 'pki_config' });
  }

  setUrls(urls: UrlsConfig, metadata: EventMetadata): Promise<unknown> {
    return this.set(PKI_CONFIG_STREAMS.urls, { type: 'SetUrls', data: urls, now: new Date() }, metadata);
  }

  setCluster(cluster: ClusterConfig, metadata: EventMetadata): Promise<unknown> {
    return this.set(PKI_CONFIG_STREAMS.cluster, { type: 'SetCluster', data: cluster, now: new Date() }, metadata);
  }

  setAutoTidy(config: AutoTidyConfig, metadata: EventMetadata): Promise<unknown> {
    return this.set(PKI_CONFIG_STREAMS.autoTidy, { type: 'SetAutoTidy', data: config, now: new Date() }, metadata);
  }

  /** config/issuers: the default issuer (by reference) and whether new issuers take over as default. */
  async setIssuers(change: { defaultRef?: string; defaultFollowsLatestIssuer?: boolean }, metadata: EventMetadata): Promise<void> {
    if (change.defaultRef) await new IssuerAdmin(this.ctx).setDefault(resolveIssuer(this.ctx, change.defaultRef).issuerId, metadata);
    if (change.defaultFollowsLatestIssuer !== undefined) {
      await this.set(PKI_CONFIG_STREAMS.issuerBehavior, { type: 'SetIssuerBehavior', data: { defaultFollowsLatestIssuer: change.defaultFollowsLatestIssuer }, now: new Date() }, metadata);
    }
  }
}
