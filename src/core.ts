/**
 * The core every entry point shares (server, CLI commands, replay): event store, read models kept current by
 * projections, the command handler, the KEK, and optionally the signing pool. Adapters are picked here only.
 */
import { mkdirSync } from 'node:fs';
import type { SignetConfig } from './config/config.js';
import { CommandHandler } from './app/command-handler.js';
import { SignetMetrics } from './app/metrics.js';
import type { Logger } from './app/logger.js';
import { SigningPool } from './app/signing-pool.js';
import { loadOrCreateKek } from './crypto/keywrap.js';
import { openEventStore } from './eventstore/open.js';
import type { EventStore } from './eventstore/port.js';
import { dataPaths, type DataPaths } from './paths.js';
import { AuditQueries } from '../projections/audit.js';
import { CertificateQueries } from '../projections/certificates.js';
import { CredentialQueries } from '../projections/credentials.js';
import { projections } from '../projections/index.js';
import { IssuerQueries } from '../projections/issuers.js';
import { openReadModelDb, type ReadModelDb } from '../projections/readmodel-db.js';
import { ProjectionRunner } from '../projections/runner.js';

export interface Queries {
  certificates: CertificateQueries;
  issuers: IssuerQueries;
  credentials: CredentialQueries;
  audit: AuditQueries;
}

export interface Core {
  config: SignetConfig;
  logger: Logger;
  paths: DataPaths;
  store: EventStore;
  readDb: ReadModelDb;
  runner: ProjectionRunner;
  commands: CommandHandler;
  queries: Queries;
  kek: Uint8Array;
  pool?: SigningPool;
  metrics: SignetMetrics;
  /** The public plain-HTTP listener's URL once bound: default CRL, OCSP and CA certificate locations. */
  publicBaseUrl?: string;
  startedAt: Date;
  close(): Promise<void>;
}

export function createQueries(db: ReadModelDb): Queries {
  return { certificates: new CertificateQueries(db), issuers: new IssuerQueries(db), credentials: new CredentialQueries(db), audit: new AuditQueries(db) };
}

export async function openCore(config: SignetConfig, logger: Logger, options: { pool: boolean }): Promise<Core> {
  const paths = dataPaths(config.dataDir);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const loaded = loadOrCreateKek(paths.dataDir, process.env.SIGNET_KEK);
  if (loaded.insecurePermissions) logger.warn({ path: loaded.path }, 'the KEK file is readable by group or others: chmod 600 it');
  const kek = loaded.kek;
  const metrics = new SignetMetrics();
  const store = await openEventStore(config.eventStore, paths.dataDir, { onFlush: metrics.observeFlush });
  const readDb = openReadModelDb(paths.readModels);
  const runner = new ProjectionRunner(readDb, projections);
  runner.start(store);
  await runner.waitFor(await store.headPosition(), 600_000);
  const pool = options.pool ? new SigningPool({ kek, threads: config.pool.threads, maxQueue: config.pool.maxQueue }) : undefined;
  if (pool) {
    pool.onError = (error) => logger.error({ err: error }, 'signing worker failed');
    await pool.warmUp();
  }
  return {
    config,
    logger,
    paths,
    store,
    readDb,
    runner,
    commands: new CommandHandler(store),
    queries: createQueries(readDb),
    kek,
    pool,
    metrics,
    startedAt: new Date(),
    async close() {
      await pool?.close();
      await runner.stop();
      await store.close();
      readDb.close();
    },
  };
}
