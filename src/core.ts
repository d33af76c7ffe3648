/**
 * The core every entry point shares (server, CLI commands, replay): event store, read models kept current by
 * projections, the command handler, the KEK, and optionally the signing pool. Adapters are picked here only.
 */
import { mkdirSync } from 'node:fs';
import type { SignetConfig } from './config/config.js';
import { AdmissionLimit } from './app/admission.js';
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
import { ThreadedProjectionRunner } from '../projections/threaded-runner.js';

export interface Queries {
  certificates: CertificateQueries;
  issuers: IssuerQueries;
  credentials: CredentialQueries;
  audit: AuditQueries;
}

/** What request code needs of the projections: how far they are, and waiting for a position (read your writes). */
export interface ProjectionProgress {
  readonly position: number;
  readonly error: Error | undefined;
  waitFor(position: number, timeoutMs?: number): Promise<void>;
  tableNames(): string[];
  stop(): Promise<void>;
  /** Told after each local commit (a projection thread then reads the log at once). */
  noticeCommits?(): void;
}

/** 64 MB of WAL: reached only if the projection thread's checkpoints stopped. */
const WRITER_AUTOCHECKPOINT_PAGES = 16_384;

export interface CoreOptions {
  pool: boolean;
  /**
   * Run the projections and the SQLite store's commits in threads of their own (the server): request threads then
   * spend no time on read models nor wait on fsync. An in-memory log cannot be shared with a thread, so it always
   * projects inline.
   */
  threads?: boolean;
}

export interface Core {
  config: SignetConfig;
  logger: Logger;
  paths: DataPaths;
  store: EventStore;
  readDb: ReadModelDb;
  runner: ProjectionProgress;
  commands: CommandHandler;
  queries: Queries;
  kek: Uint8Array;
  pool?: SigningPool;
  /** Bounds the certificates being issued at once (503 past it). */
  admission: AdmissionLimit;
  metrics: SignetMetrics;
  /** The public plain-HTTP listener's URL once bound: default CRL, OCSP and CA certificate locations. */
  publicBaseUrl?: string;
  startedAt: Date;
  close(): Promise<void>;
}

export function createQueries(db: ReadModelDb): Queries {
  return { certificates: new CertificateQueries(db), issuers: new IssuerQueries(db), credentials: new CredentialQueries(db), audit: new AuditQueries(db) };
}

export async function openCore(config: SignetConfig, logger: Logger, options: CoreOptions & { threads?: false }): Promise<Core & { runner: ProjectionRunner }>;
export async function openCore(config: SignetConfig, logger: Logger, options: CoreOptions): Promise<Core>;
export async function openCore(config: SignetConfig, logger: Logger, options: CoreOptions): Promise<Core> {
  const paths = dataPaths(config.dataDir);
  mkdirSync(paths.dataDir, { recursive: true, mode: 0o700 });
  const loaded = loadOrCreateKek(paths.dataDir, process.env.SIGNET_KEK);
  if (loaded.insecurePermissions) logger.warn({ path: loaded.path }, 'the KEK file is readable by group or others: chmod 600 it');
  const kek = loaded.kek;
  const metrics = new SignetMetrics();
  let core: Core | undefined;
  const store = await openEventStore(config.eventStore, paths.dataDir, {
    writerThread: options.threads ?? false,
    // The projection thread checkpoints the log (workers/projections.ts); the writer's own threshold is a safety net.
    ...(options.threads ? { walAutocheckpointPages: WRITER_AUTOCHECKPOINT_PAGES } : {}),
    onFlush: (stats) => {
      metrics.observeFlush(stats);
      core?.runner.noticeCommits?.();
    },
  });
  const readDb = openReadModelDb(paths.readModels);
  const runner = startProjections({ config, paths, store, readDb }, options);
  await runner.waitFor(await store.headPosition(), 600_000);
  const pool = options.pool ? new SigningPool({ kek, threads: config.pool.threads, maxQueue: config.pool.maxQueue }) : undefined;
  if (pool) {
    pool.onError = (error) => logger.error({ err: error }, 'signing worker failed');
    await pool.warmUp();
  }
  core = {
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
    admission: new AdmissionLimit(config.pool.maxInFlight, () => metrics.issuanceRefused.inc()),
    metrics,
    startedAt: new Date(),
    async close() {
      await pool?.close();
      await core!.runner.stop();
      await store.close();
      readDb.close();
    },
  };
  return core;
}

/** Starts applying the projections to the read models: in their own thread when asked and possible, else inline. */
export function startProjections(
  { config, paths, store, readDb }: Pick<Core, 'config' | 'paths' | 'store' | 'readDb'>,
  options: Pick<CoreOptions, 'threads'>,
): ProjectionProgress {
  if (options.threads && store.kind !== 'memory') {
    return new ThreadedProjectionRunner(readDb, projections, { eventStore: config.eventStore, dataDir: paths.dataDir, readModels: paths.readModels });
  }
  const inline = new ProjectionRunner(readDb, projections);
  inline.start(store);
  return inline;
}
