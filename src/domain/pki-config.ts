/**
 * Mount-wide PKI settings, each a small stream `config-<name>` (config-urls, config-cluster, config-keys,
 * config-auto-tidy, config-issuer-behavior): the last event of a stream is the current value.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';
import { AUTO_TIDY_DEFAULTS, type AutoTidyConfig } from './tidy.js';

export const PKI_CONFIG_STREAMS = {
  urls: 'config-urls',
  cluster: 'config-cluster',
  keys: 'config-keys',
  autoTidy: 'config-auto-tidy',
  issuerBehavior: 'config-issuer-behavior',
} as const;

/** Global AIA URLs placed into issued certificates (OpenBao config/urls). */
export interface UrlsConfig {
  issuingCertificates: string[];
  crlDistributionPoints: string[];
  deltaCrlDistributionPoints: string[];
  ocspServers: string[];
  enableTemplating: boolean;
}

export const EMPTY_URLS: Readonly<UrlsConfig> = Object.freeze({
  issuingCertificates: [],
  crlDistributionPoints: [],
  deltaCrlDistributionPoints: [],
  ocspServers: [],
  enableTemplating: false,
});

export interface ClusterConfig {
  path: string;
  aiaPath: string;
}

export type PkiConfigEvent =
  | DomainEvent<'UrlsConfigured', UrlsConfig & { at: string }>
  | DomainEvent<'ClusterConfigured', ClusterConfig & { at: string }>
  | DomainEvent<'DefaultKeySet', { keyId: string; at: string }>
  | DomainEvent<'AutoTidyConfigured', AutoTidyConfig & { at: string }>
  | DomainEvent<'IssuerBehaviorConfigured', { defaultFollowsLatestIssuer: boolean; at: string }>;

export type PkiConfigCommand =
  | { type: 'SetUrls'; data: UrlsConfig; now: Date }
  | { type: 'SetCluster'; data: ClusterConfig; now: Date }
  | { type: 'SetDefaultKey'; data: { keyId: string }; now: Date }
  | { type: 'SetAutoTidy'; data: AutoTidyConfig; now: Date }
  | { type: 'SetIssuerBehavior'; data: { defaultFollowsLatestIssuer: boolean }; now: Date };

export type PkiConfigState = { defaultKeyId?: string };

const TEMPLATE = /\{\{(issuer_id|cluster_path|cluster_aia_path)\}\}/g;

function checkUrl(field: string, url: string, templating: boolean): void {
  const candidate = templating ? url.replace(TEMPLATE, (_, name: string) => (name === 'issuer_id' ? 'issuer' : 'https://cluster.invalid')) : url;
  let ok = false;
  try {
    ok = Boolean(new URL(candidate).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('invalid_url', `invalid URL found in Authority Information Access (AIA) parameter ${field}: ${url}`);
}

function checkUrls(urls: UrlsConfig): void {
  const fields: [string, string[]][] = [
    ['issuing_certificates', urls.issuingCertificates],
    ['crl_distribution_points', urls.crlDistributionPoints],
    ['delta_crl_distribution_points', urls.deltaCrlDistributionPoints],
    ['ocsp_servers', urls.ocspServers],
  ];
  for (const [field, list] of fields) for (const url of list) checkUrl(field, url, urls.enableTemplating);
}

function decide(command: PkiConfigCommand, state: PkiConfigState): PkiConfigEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'SetUrls':
      checkUrls(command.data);
      return [{ type: 'UrlsConfigured', data: { ...command.data, at } }];
    case 'SetCluster':
      for (const [field, url] of [['path', command.data.path], ['aia_path', command.data.aiaPath]] as const) {
        if (url) checkUrl(field, url, false);
      }
      return [{ type: 'ClusterConfigured', data: { ...command.data, at } }];
    case 'SetDefaultKey':
      return state.defaultKeyId === command.data.keyId ? [] : [{ type: 'DefaultKeySet', data: { keyId: command.data.keyId, at } }];
    case 'SetAutoTidy':
      if (command.data.intervalDuration < 1) throw invalid('invalid_interval', 'interval_duration must be greater than zero');
      return [{ type: 'AutoTidyConfigured', data: { ...AUTO_TIDY_DEFAULTS, ...command.data, at } }];
    case 'SetIssuerBehavior':
      return [{ type: 'IssuerBehaviorConfigured', data: { ...command.data, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: PkiConfigState, event: PkiConfigEvent): PkiConfigState {
  return event.type === 'DefaultKeySet' ? { defaultKeyId: event.data.keyId } : state;
}

export const pkiConfigDecider: Decider<PkiConfigCommand, PkiConfigEvent, PkiConfigState> = { initialState: () => ({}), decide, evolve };

/** OpenBao AIA templating: {{issuer_id}}, {{cluster_path}}, {{cluster_aia_path}}. Throws when the cluster paths are missing. */
export function expandUrlTemplates(urls: string[], issuerId: string, cluster: ClusterConfig | undefined): string[] {
  return urls.map((url) =>
    url.replace(TEMPLATE, (_, name: string) => {
      const value = name === 'issuer_id' ? issuerId : name === 'cluster_path' ? cluster?.path : cluster?.aiaPath;
      if (!value) throw invalid('missing_cluster_path', `unable to parse AIA URL information: ${name} is used in templated AIA URLs but not set in config/cluster`);
      return value;
    }),
  );
}
