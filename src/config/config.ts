/**
 * Configuration: defaults < signet.toml < environment. Validated with zod; every problem becomes one clear line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { parseDuration } from '../domain/duration.js';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface ListenAddress {
  host: string;
  port: number;
}

const listenAddress = z.string().transform((value, ctx): ListenAddress => {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s]+)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 0 || port > 65535) {
    ctx.addIssue({ code: 'custom', message: `expected host:port (e.g. 127.0.0.1:8443), got "${value}"` });
    return z.NEVER;
  }
  return { host: match[1] ?? match[2], port };
});

const tomlSchema = z
  .object({
    data_dir: z.string().min(1).optional(),
    event_store: z.string().optional(),
    server: z
      .object({
        est_listen: z.string().optional(),
        api_listen: z.string().optional(),
        admin_listen: z.string().optional(),
        public_listen: z.string().optional(),
      })
      .strict()
      .optional(),
    log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).optional() }).strict().optional(),
    pool: z
      .object({
        threads: z.number().int().min(1).max(256).optional(),
        max_queue: z.number().int().min(1).max(1_000_000).optional(),
        max_in_flight: z.number().int().min(1).max(1_000_000).optional(),
      })
      .strict()
      .optional(),
    ca: z
      .object({
        root_common_name: z.string().min(1).optional(),
        issuing_common_name: z.string().min(1).optional(),
        organization: z.string().min(1).optional(),
        root_validity_days: z.number().int().min(1).max(36500).optional(),
        issuing_validity_days: z.number().int().min(1).max(36500).optional(),
        leaf_validity_days: z.number().int().min(1).max(3650).optional(),
      })
      .strict()
      .optional(),
    tls: z
      .object({
        server_names: z.array(z.string().min(1)).optional(),
        server_ips: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .optional(),
    admin: z
      .object({
        enabled: z.boolean().optional(),
        auth: z.enum(['mtls', 'bearer', 'both']).optional(),
        trust_anchors: z.string().min(1).optional(),
        bearer_token_env: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    est: z.object({ profiles: z.array(z.record(z.string(), z.unknown())).optional() }).strict().optional(),
    graphql: z
      .object({
        introspection: z.boolean().optional(),
        graphiql: z.boolean().optional(),
        max_depth: z.number().int().min(2).max(100).optional(),
        max_complexity: z.number().int().min(10).max(10_000_000).optional(),
        as_of_cache_states: z.number().int().min(1).max(64).optional(),
        as_of_max_events: z.number().int().min(0).optional(),
        persisted_operations: z.string().min(1).optional(),
        persisted_only: z.boolean().optional(),
      })
      .strict()
      .optional(),
    certd: z
      .object({
        enabled: z.boolean().optional(),
        socket: z.string().min(1).optional(),
        socket_group: z.string().min(1).optional(),
        config_dir: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    audit: z.object({ tree_head_interval: z.union([z.string(), z.number().int().min(0)]).optional() }).strict().optional(),
    ocsp: z.object({ delegated_responder: z.boolean().optional(), responder_validity: z.union([z.string(), z.number().int().min(1)]).optional() }).strict().optional(),
  })
  .strict();

export interface GraphqlConfig {
  introspection: boolean;
  graphiql: boolean;
  maxDepth: number;
  maxComplexity: number;
  asOfCacheStates: number;
  asOfMaxEvents: number;
  /** A JSON file mapping operation hashes to documents (trusted documents / persisted queries). */
  persistedOperations?: string;
  /** Refuse operations that are not in `persistedOperations`. */
  persistedOnly: boolean;
}

export interface SignetConfig {
  dataDir: string;
  /** SQLite file path, `memory:`, or a kurrentdb:// / esdb:// connection string; empty = `<dataDir>/events.db`. */
  eventStore: string;
  listen: { est: ListenAddress; api: ListenAddress; admin: ListenAddress; public: ListenAddress };
  logLevel: string;
  pool: { threads: number; maxQueue: number; maxInFlight: number };
  ca: {
    rootCommonName: string;
    issuingCommonName: string;
    organization: string;
    rootValidityDays: number;
    issuingValidityDays: number;
    leafValidityDays: number;
  };
  tls: { serverNames: string[]; serverIps: string[] };
  admin: { enabled: boolean; auth: 'mtls' | 'bearer' | 'both'; trustAnchors?: string; bearerTokenEnv?: string };
  /** `[[est.profiles]]` tables, checked when bootstrap records them (see src/app/est/profile-input.ts). */
  est?: { profiles: Record<string, unknown>[] };
  /** `[graphql]`: the GraphQL API's limits and developer aids (see src/graphql/server.ts). */
  graphql: GraphqlConfig;
  /** SIGNET_ROOT_TOKEN: a root API token every node of a cluster shares (env only: secrets stay out of signet.toml). */
  rootToken?: string;
  /** The certd API on a Unix socket (socket group: configured, else `aziotcs` if it exists, else the process's group). */
  certd: { enabled: boolean; socket: string; socketGroup?: string; configDir: string };
  /** `[audit] tree_head_interval` (SIGNET_AUDIT_TREE_HEAD_INTERVAL): seconds between signed tree heads while events arrive; 0 = on demand only. */
  audit: { treeHeadIntervalSeconds: number };
  /**
   * `[ocsp] delegated_responder` (SIGNET_OCSP_DELEGATED_RESPONDER): sign OCSP with a responder certificate each issuer
   * issues (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) instead of the issuer key; `responder_validity`
   * (SIGNET_OCSP_RESPONDER_VALIDITY, default 720h): its lifetime, renewed at half-life.
   */
  ocsp: { delegatedResponder: boolean; responderValiditySeconds: number };
  /** The TOML file read, if any. */
  source?: string;
}

function formatIssue(issue: z.core.$ZodIssue, prefix = ''): string {
  const path = issue.path.map(String).join('.');
  return `${prefix}${path ? `${path}: ` : ''}${issue.message}`;
}

function parseListen(value: string, where: string): ListenAddress {
  const result = listenAddress.safeParse(value);
  if (!result.success) throw new ConfigError(`config error: ${where}: ${result.error.issues[0].message}`);
  return result.data;
}

function durationSeconds(value: string | number | undefined, where: string, fallback: number): number {
  if (value === undefined) return fallback;
  const seconds = parseDuration(value);
  if (seconds === undefined) throw new ConfigError(`config error: ${where}: expected a duration such as 60s, 5m or 3600, got "${value}"`);
  return seconds;
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`config error: ${name}: expected a positive integer, got "${raw}"`);
  return Number(raw);
}

/** Reads signet.toml (SIGNET_CONFIG, or ./signet.toml when present) and the SIGNET_* environment. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): SignetConfig {
  const explicit = env.SIGNET_CONFIG;
  const file = explicit ? resolve(cwd, explicit) : resolve(cwd, 'signet.toml');
  let toml: z.infer<typeof tomlSchema> = {};
  let source: string | undefined;
  if (explicit && !existsSync(file)) throw new ConfigError(`config error: SIGNET_CONFIG: file not found: ${file}`);
  if (existsSync(file)) {
    source = file;
    let raw: unknown;
    try {
      raw = parseToml(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new ConfigError(`config error: ${file}: ${(error as Error).message.split('\n')[0]}`);
    }
    const parsed = tomlSchema.safeParse(raw);
    if (!parsed.success) throw new ConfigError(`config error: ${file}: ${formatIssue(parsed.error.issues[0])}`);
    toml = parsed.data;
  }

  const listen = (envName: string, tomlKey: keyof NonNullable<typeof toml.server>, fallback: string) => {
    if (env[envName]) return parseListen(env[envName] as string, envName);
    const fromToml = toml.server?.[tomlKey];
    return parseListen(fromToml ?? fallback, fromToml ? `server.${tomlKey}` : 'default');
  };

  const dataDir = resolve(cwd, env.SIGNET_DATA_DIR || toml.data_dir || './data');
  const threads = intFromEnv(env, 'SIGNET_POOL_THREADS') ?? toml.pool?.threads ?? availableParallelism();
  if (threads < 1) throw new ConfigError('config error: SIGNET_POOL_THREADS: must be at least 1');
  const logLevel = env.SIGNET_LOG_LEVEL || toml.log?.level || 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError(`config error: SIGNET_LOG_LEVEL: unknown level "${logLevel}"`);
  }
  if (toml.graphql?.persisted_only && !toml.graphql.persisted_operations) {
    throw new ConfigError('config error: graphql.persisted_only: needs graphql.persisted_operations (the file of allowed operations)');
  }
  const adminAuth = toml.admin?.auth ?? 'bearer';
  if ((adminAuth === 'mtls' || adminAuth === 'both') && !toml.admin?.trust_anchors) {
    throw new ConfigError(`config error: admin.trust_anchors: required when admin.auth is "${adminAuth}"`);
  }

  return {
    dataDir,
    eventStore: env.SIGNET_EVENTSTORE ?? toml.event_store ?? '',
    listen: {
      est: listen('SIGNET_EST_LISTEN', 'est_listen', '127.0.0.1:8443'),
      api: listen('SIGNET_API_LISTEN', 'api_listen', '127.0.0.1:8200'),
      admin: listen('SIGNET_ADMIN_LISTEN', 'admin_listen', '127.0.0.1:9443'),
      public: listen('SIGNET_PUBLIC_LISTEN', 'public_listen', '127.0.0.1:8080'),
    },
    logLevel,
    pool: {
      threads,
      maxQueue: intFromEnv(env, 'SIGNET_POOL_MAX_QUEUE') ?? toml.pool?.max_queue ?? 4096,
      maxInFlight: intFromEnv(env, 'SIGNET_MAX_IN_FLIGHT') ?? toml.pool?.max_in_flight ?? 2048,
    },
    ca: {
      rootCommonName: toml.ca?.root_common_name ?? 'Signet Root CA',
      issuingCommonName: toml.ca?.issuing_common_name ?? 'Signet Issuing CA',
      organization: toml.ca?.organization ?? 'Signet',
      rootValidityDays: toml.ca?.root_validity_days ?? 7300,
      issuingValidityDays: toml.ca?.issuing_validity_days ?? 3650,
      leafValidityDays: toml.ca?.leaf_validity_days ?? 365,
    },
    tls: {
      serverNames: toml.tls?.server_names ?? ['localhost'],
      serverIps: toml.tls?.server_ips ?? ['127.0.0.1', '::1'],
    },
    admin: {
      enabled: toml.admin?.enabled ?? true,
      auth: adminAuth,
      ...(toml.admin?.trust_anchors ? { trustAnchors: resolve(cwd, toml.admin.trust_anchors) } : {}),
      ...(toml.admin?.bearer_token_env ? { bearerTokenEnv: toml.admin.bearer_token_env } : {}),
    },
    est: { profiles: toml.est?.profiles ?? [] },
    graphql: {
      introspection: toml.graphql?.introspection ?? false,
      graphiql: toml.graphql?.graphiql ?? false,
      maxDepth: toml.graphql?.max_depth ?? 12,
      maxComplexity: toml.graphql?.max_complexity ?? 50_000,
      asOfCacheStates: toml.graphql?.as_of_cache_states ?? 4,
      asOfMaxEvents: toml.graphql?.as_of_max_events ?? 500_000,
      ...(toml.graphql?.persisted_operations ? { persistedOperations: resolve(cwd, toml.graphql.persisted_operations) } : {}),
      persistedOnly: toml.graphql?.persisted_only ?? false,
    },
    ...(env.SIGNET_ROOT_TOKEN ? { rootToken: env.SIGNET_ROOT_TOKEN.trim() } : {}),
    certd: {
      enabled: toml.certd?.enabled ?? process.platform === 'linux',
      socket: resolve(cwd, env.SIGNET_CERTD_SOCKET || toml.certd?.socket || resolve(dataDir, 'certd.sock')),
      socketGroup: env.SIGNET_CERTD_SOCKET_GROUP || toml.certd?.socket_group,
      configDir: resolve(cwd, env.SIGNET_CERTD_CONFIG_DIR || toml.certd?.config_dir || resolve(dataDir, 'certd', 'config.d')),
    },
    audit: { treeHeadIntervalSeconds: durationSeconds(env.SIGNET_AUDIT_TREE_HEAD_INTERVAL || toml.audit?.tree_head_interval, 'audit.tree_head_interval', 60) },
    ocsp: {
      delegatedResponder: env.SIGNET_OCSP_DELEGATED_RESPONDER ? env.SIGNET_OCSP_DELEGATED_RESPONDER === 'true' : (toml.ocsp?.delegated_responder ?? false),
      responderValiditySeconds: durationSeconds(env.SIGNET_OCSP_RESPONDER_VALIDITY || toml.ocsp?.responder_validity, 'ocsp.responder_validity', 720 * 3600),
    },
    ...(source ? { source } : {}),
  };
}
