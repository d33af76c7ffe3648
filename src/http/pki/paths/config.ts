/**
 * path_config_urls, path_config_cluster and path_tidy: the AIA URLs placed into issued certificates, the
 * cluster-local paths used by URL templating, tidy, tidy-status, tidy-cancel and config/auto-tidy.
 */
import type { PkiServices } from '../../../app/pki/services.js';
import type { UrlsConfig } from '../../../domain/pki-config.js';
import { AUTO_TIDY_DEFAULTS, TIDY_DEFAULTS, type AutoTidyConfig, type TidyOptions } from '../../../domain/tidy.js';
import type { TidyRunRow } from '../../../../projections/pki-config.js';
import { HttpError } from '../../errors.js';
import { goDurationMs, type FieldData, type FieldSchema } from '../fields.js';
import type { PathSpec } from '../framework.js';

const URL_FIELDS: FieldSchema = {
  issuing_certificates: { type: 'commaStringSlice' },
  crl_distribution_points: { type: 'commaStringSlice' },
  delta_crl_distribution_points: { type: 'commaStringSlice' },
  ocsp_servers: { type: 'commaStringSlice' },
  enable_templating: { type: 'bool' },
};

const URL_NAMES: [keyof UrlsConfig, string][] = [
  ['issuingCertificates', 'issuing_certificates'],
  ['crlDistributionPoints', 'crl_distribution_points'],
  ['deltaCrlDistributionPoints', 'delta_crl_distribution_points'],
  ['ocspServers', 'ocsp_servers'],
];

function urlsData(urls: UrlsConfig): Record<string, unknown> {
  return { ...Object.fromEntries(URL_NAMES.map(([key, field]) => [field, urls[key]])), enable_templating: urls.enableTemplating };
}

const TIDY_FIELDS: FieldSchema = {
  tidy_cert_store: { type: 'bool' },
  tidy_revoked_certs: { type: 'bool' },
  tidy_expired_issuers: { type: 'bool' },
  safety_buffer: { type: 'duration', default: TIDY_DEFAULTS.safetyBuffer },
  issuer_safety_buffer: { type: 'duration', default: TIDY_DEFAULTS.issuerSafetyBuffer },
  pause_duration: { type: 'string', default: '0s' },
};

const AUTO_TIDY_FIELDS: FieldSchema = {
  ...TIDY_FIELDS,
  enabled: { type: 'bool' },
  interval_duration: { type: 'duration', default: AUTO_TIDY_DEFAULTS.intervalDuration },
};

/** The request's tidy options; `base` fills what it leaves out (defaults, or the stored auto-tidy config). */
function tidyOptions(data: FieldData, base: TidyOptions): TidyOptions {
  const pick = <T>(field: string, read: () => T, fallback: T): T => (data.has(field) ? read() : fallback);
  const pause = pick('pause_duration', () => goDurationMs(data.string('pause_duration')), base.pauseDurationMs);
  if (pause === undefined) throw new HttpError(400, `Error parsing pause_duration: "${data.string('pause_duration')}" is not a duration`);
  return {
    tidyCertStore: pick('tidy_cert_store', () => data.bool('tidy_cert_store'), base.tidyCertStore),
    tidyRevokedCerts: pick('tidy_revoked_certs', () => data.bool('tidy_revoked_certs'), base.tidyRevokedCerts),
    tidyExpiredIssuers: pick('tidy_expired_issuers', () => data.bool('tidy_expired_issuers'), base.tidyExpiredIssuers),
    safetyBuffer: pick('safety_buffer', () => data.int('safety_buffer'), base.safetyBuffer),
    issuerSafetyBuffer: pick('issuer_safety_buffer', () => data.int('issuer_safety_buffer'), base.issuerSafetyBuffer),
    pauseDurationMs: pause,
  };
}

function tidyOptionData(options: TidyOptions): Record<string, unknown> {
  return {
    tidy_cert_store: options.tidyCertStore,
    tidy_revoked_certs: options.tidyRevokedCerts,
    tidy_expired_issuers: options.tidyExpiredIssuers,
    safety_buffer: options.safetyBuffer,
    issuer_safety_buffer: options.issuerSafetyBuffer,
    pause_duration: `${options.pauseDurationMs / 1000}s`,
  };
}

const NOT_DONE_BY_SIGNET = {
  tidy_revoked_cert_issuer_associations: false,
  tidy_move_legacy_ca_bundle: false,
  tidy_revocation_queue: false,
  tidy_cross_cluster_revoked_certs: false,
};

function statusData(run: TidyRunRow | undefined, cancelling: boolean, lastAuto: string | undefined): Record<string, unknown> {
  return {
    ...(run ? tidyOptionData(run.options) : {}),
    ...NOT_DONE_BY_SIGNET,
    state: run ? (cancelling && run.state === 'Running' ? 'Cancelling' : run.state) : 'Inactive',
    error: run?.error ?? null,
    time_started: run?.startedAt ?? null,
    time_finished: run?.finishedAt ?? null,
    message: run?.state === 'Running' ? 'Tidying certificate store' : null,
    cert_store_deleted_count: run?.certStoreDeleted ?? 0,
    revoked_cert_deleted_count: run?.revokedDeleted ?? 0,
    missing_issuer_cert_count: 0,
    revocation_queue_deleted_count: 0,
    cross_revoked_cert_deleted_count: 0,
    last_auto_tidy_finished: lastAuto ?? null,
  };
}

export function configPaths(services: PkiServices): PathSpec[] {
  const { ctx, config, tidy } = services;
  const queries = ctx.queries.config;
  const status = () => statusData(queries.latestTidy(), tidy.current?.cancelling ?? false, queries.lastAutoTidyFinished());
  const autoTidyData = (c: AutoTidyConfig) => ({ ...tidyOptionData(c), ...NOT_DONE_BY_SIGNET, enabled: c.enabled, interval_duration: c.intervalDuration, maintain_stored_certificate_counts: false, publish_stored_certificate_count_metrics: false });

  return [
    {
      pattern: 'config/urls',
      fields: URL_FIELDS,
      operations: {
        read: () => ({ data: urlsData(queries.urls()) }),
        // Fields left out keep their values (OpenBao: "update any of the values ... without affecting the others").
        update: async ({ data, metadata }) => {
          const current = queries.urls();
          const next: UrlsConfig = { ...current, enableTemplating: data.has('enable_templating') ? data.bool('enable_templating') : current.enableTemplating };
          for (const [key, field] of URL_NAMES) if (data.has(field)) (next[key] as string[]) = data.list(field);
          await config.setUrls(next, metadata);
          return { data: urlsData(queries.urls()) };
        },
      },
    },
    {
      pattern: 'config/cluster',
      fields: { path: { type: 'string' }, aia_path: { type: 'string' } },
      operations: {
        read: () => {
          const cluster = queries.cluster();
          return { data: { path: cluster?.path ?? '', aia_path: cluster?.aiaPath ?? '' } };
        },
        update: async ({ data, metadata }) => {
          await config.setCluster({ path: data.string('path'), aiaPath: data.string('aia_path') }, metadata);
          return { data: { path: data.string('path'), aia_path: data.string('aia_path') } };
        },
      },
    },
    {
      pattern: 'tidy',
      fields: TIDY_FIELDS,
      operations: {
        update: async ({ data, metadata }) => {
          const { outcome } = await tidy.start(tidyOptions(data, TIDY_DEFAULTS), metadata);
          const warnings = {
            already_running: ['Tidy operation already in progress.'],
            nothing_to_do: ['Manual tidy requested but no tidy operations were set. Enable at least one tidy operation to be run (tidy_cert_store, tidy_revoked_certs, tidy_expired_issuers).'],
            started: ["Tidy operation successfully started. Any information from the operation will be printed to Signet's server logs."],
          }[outcome];
          return { status: 202, warnings };
        },
      },
    },
    { pattern: 'tidy-status', operations: { read: () => ({ data: status() }) } },
    {
      pattern: 'tidy-cancel',
      operations: {
        update: () => {
          const cancelled = tidy.cancel();
          return { data: status(), ...(cancelled ? {} : { warnings: ['Tidy operation cannot be cancelled as none is currently running.'] }) };
        },
      },
    },
    {
      pattern: 'config/auto-tidy',
      fields: AUTO_TIDY_FIELDS,
      operations: {
        read: () => ({ data: autoTidyData(queries.autoTidy()) }),
        update: async ({ data, metadata }) => {
          const current = queries.autoTidy();
          const next: AutoTidyConfig = {
            ...tidyOptions(data, current),
            enabled: data.has('enabled') ? data.bool('enabled') : current.enabled,
            intervalDuration: data.has('interval_duration') ? data.int('interval_duration') : current.intervalDuration,
          };
          if (next.enabled && !next.tidyCertStore && !next.tidyRevokedCerts && !next.tidyExpiredIssuers) {
            throw new HttpError(400, 'Auto-tidy enabled but no tidy operations were requested. Enable at least one tidy operation to be run (tidy_cert_store, tidy_revoked_certs, tidy_expired_issuers).');
          }
          await config.setAutoTidy(next, metadata);
          return { data: autoTidyData(queries.autoTidy()) };
        },
      },
    },
  ];
}
