/** Mount-wide PKI settings (config/urls, cluster, keys, auto-tidy) and the history of tidy runs. */
import type { Projection, RowOp } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { EMPTY_URLS, type ClusterConfig, type UrlsConfig } from '../src/domain/pki-config.js';
import { AUTO_TIDY_DEFAULTS, type AutoTidyConfig, type TidyOptions } from '../src/domain/tidy.js';

const setting = (name: string, value: unknown, at: string): RowOp => ({
  op: 'upsert',
  table: 'pki_settings',
  key: ['name'],
  row: { name, value: JSON.stringify(value), updated_at: at },
});

export const pkiConfigProjection: Projection = {
  name: 'pki-config',
  version: 1,
  tables: {
    pki_settings: [
      `CREATE TABLE IF NOT EXISTS pki_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at TEXT NOT NULL
      )`,
    ],
    tidy_runs: [
      `CREATE TABLE IF NOT EXISTS tidy_runs (
        tidy_id TEXT PRIMARY KEY,
        auto INTEGER NOT NULL,
        options TEXT NOT NULL,
        state TEXT NOT NULL,
        error TEXT,
        started_at TEXT NOT NULL,
        finished_at TEXT
      )`,
      'CREATE INDEX IF NOT EXISTS tidy_runs_started ON tidy_runs (started_at)',
    ],
    tidy_run_counts: [
      `CREATE TABLE IF NOT EXISTS tidy_run_counts (
        tidy_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        deleted INTEGER NOT NULL,
        PRIMARY KEY (tidy_id, kind)
      )`,
    ],
  },
  canHandle: ['UrlsConfigured', 'ClusterConfigured', 'DefaultKeySet', 'AutoTidyConfigured', 'IssuerBehaviorConfigured', 'TidyStarted', 'CertificatesTidied', 'TidyFinished'],
  reduce(event): RowOp[] {
    switch (event.type) {
      case 'UrlsConfigured':
      case 'ClusterConfigured':
      case 'AutoTidyConfigured':
      case 'IssuerBehaviorConfigured': {
        const { at, ...value } = event.data;
        return [setting(event.type, value, at)];
      }
      case 'DefaultKeySet':
        return [setting(event.type, event.data.keyId, event.data.at)];
      case 'TidyStarted': {
        const d = event.data;
        return [
          {
            op: 'insert',
            table: 'tidy_runs',
            row: { tidy_id: d.tidyId, auto: d.auto ? 1 : 0, options: JSON.stringify(d.options), state: 'Running', error: null, started_at: d.at, finished_at: null },
          },
        ];
      }
      case 'CertificatesTidied':
        return [{ op: 'increment', table: 'tidy_run_counts', key: { tidy_id: event.data.tidyId, kind: event.data.kind }, column: 'deleted', by: event.data.serials.length }];
      case 'TidyFinished': {
        const d = event.data;
        return [{ op: 'update', table: 'tidy_runs', where: { tidy_id: d.tidyId }, set: { state: d.state, error: d.error ?? null, finished_at: d.at } }];
      }
      default:
        return [];
    }
  },
};

export interface TidyRunRow {
  tidyId: string;
  auto: boolean;
  options: TidyOptions;
  state: 'Running' | 'Finished' | 'Cancelled' | 'Error';
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  certStoreDeleted: number;
  revokedDeleted: number;
}

const toTidyRun = (r: Record<string, unknown>): TidyRunRow => ({
  tidyId: r.tidy_id as string,
  auto: r.auto === 1,
  options: JSON.parse(r.options as string) as TidyOptions,
  state: r.state as TidyRunRow['state'],
  error: r.error as string | null,
  startedAt: r.started_at as string,
  finishedAt: r.finished_at as string | null,
  certStoreDeleted: (r.cert_store_deleted as number | null) ?? 0,
  revokedDeleted: (r.revoked_deleted as number | null) ?? 0,
});

export class PkiConfigQueries {
  private readonly setting;
  constructor(private readonly db: ReadModelDb) {
    this.setting = db.prepare('SELECT value FROM pki_settings WHERE name = ?');
  }

  private read<T>(name: string): T | undefined {
    const row = this.setting.get(name) as { value: string } | undefined;
    return row && (JSON.parse(row.value) as T);
  }

  /** Empty lists until config/urls is written. */
  urls(): UrlsConfig {
    return this.read<UrlsConfig>('UrlsConfigured') ?? { ...EMPTY_URLS };
  }

  cluster(): ClusterConfig | undefined {
    return this.read<ClusterConfig>('ClusterConfigured');
  }

  defaultKeyId(): string | undefined {
    return this.read<string>('DefaultKeySet');
  }

  autoTidy(): AutoTidyConfig {
    return this.read<AutoTidyConfig>('AutoTidyConfigured') ?? { ...AUTO_TIDY_DEFAULTS };
  }

  defaultFollowsLatestIssuer(): boolean {
    return this.read<{ defaultFollowsLatestIssuer: boolean }>('IssuerBehaviorConfigured')?.defaultFollowsLatestIssuer ?? false;
  }

  latestTidy(): TidyRunRow | undefined {
    const row = this.db
      .prepare(
        `SELECT r.*,
           (SELECT deleted FROM tidy_run_counts c WHERE c.tidy_id = r.tidy_id AND c.kind = 'cert_store') AS cert_store_deleted,
           (SELECT deleted FROM tidy_run_counts c WHERE c.tidy_id = r.tidy_id AND c.kind = 'revoked') AS revoked_deleted
         FROM tidy_runs r ORDER BY r.started_at DESC, r.rowid DESC LIMIT 1`,
      )
      .get();
    return row ? toTidyRun(row as Record<string, unknown>) : undefined;
  }

  lastAutoTidyFinished(): string | undefined {
    const row = this.db.prepare('SELECT finished_at FROM tidy_runs WHERE auto = 1 AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT 1').get() as { finished_at: string } | undefined;
    return row?.finished_at;
  }
}
