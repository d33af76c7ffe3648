/**
 * Runs projections: subscribes to the whole log from the lowest checkpoint, and applies each delivered batch in
 * one read-model transaction (rows and checkpoints together). Also answers "wait until position P is applied"
 * for read-your-writes.
 */
import type { AllSubscription, EventStore, RecordedEvent } from '../src/eventstore/port.js';
import { tableNamesOf, type Projection, type SignetRecordedEvent } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { PositionWaiters } from './position-waiters.js';
import { RowOpApplier } from './sql-ops.js';

export { ProjectionTimeoutError } from './position-waiters.js';

export interface ProjectionRunnerOptions {
  /**
   * Leave plain (non-UNIQUE) indexes out until createDeferredIndexes(): for a rebuild into an empty database, where
   * building each index once after the load costs far less than maintaining it row by row. UNIQUE indexes and
   * triggers are always created at once (upserts and triggers depend on them).
   */
  deferIndexes?: boolean;
  /** Called after each applied batch with the new position (the projection thread reports progress with it). */
  onApplied?: (position: number) => void;
  /** Called once if following the log fails (the runner then stops applying). */
  onFailed?: (error: Error) => void;
}

const PLAIN_INDEX = /^\s*CREATE\s+INDEX\b/i;

/**
 * Creates missing projection tables and drops and recreates those of a projection whose version changed (it then
 * rebuilds from position 0). Returns each projection's checkpoint, and the plain indexes left out when deferIndexes.
 */
export function prepareProjectionTables(
  db: ReadModelDb,
  projections: readonly Projection[],
  options: Pick<ProjectionRunnerOptions, 'deferIndexes'> = {},
): { checkpoints: Map<string, number>; deferredIndexes: string[] } {
  const read = db.prepare('SELECT version, position FROM projection_checkpoints WHERE name = ?');
  const write = db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)');
  const checkpoints = new Map<string, number>();
  const deferredIndexes: string[] = [];
  db.transaction(() => {
    for (const projection of projections) {
      const stored = read.get(projection.name) as { version: number; position: number } | undefined;
      if (stored && stored.version !== projection.version) {
        for (const table of Object.keys(projection.tables)) db.exec(`DROP TABLE IF EXISTS ${table}`);
      }
      for (const statements of Object.values(projection.tables)) {
        for (const sql of statements) {
          if (options.deferIndexes && PLAIN_INDEX.test(sql)) deferredIndexes.push(sql);
          else db.exec(sql);
        }
      }
      const position = stored && stored.version === projection.version ? stored.position : 0;
      write.run(projection.name, projection.version, position);
      checkpoints.set(projection.name, position);
    }
  }).immediate(); // take the write lock first: a deferred read-then-write fails at once when another process wrote
  return { checkpoints, deferredIndexes };
}

export class ProjectionRunner {
  private readonly applier: RowOpApplier;
  private readonly readCheckpoints;
  private readonly saveCheckpoint;
  private deferredIndexes: string[] = [];
  private readonly checkpoints = new Map<string, number>();
  private readonly handles: Map<string, Projection[]>;
  private readonly waiters = new PositionWaiters(() => this.applied);
  private subscription?: AllSubscription;
  private loop?: Promise<void>;
  private applied = 0;
  private failure?: Error;

  constructor(
    private readonly db: ReadModelDb,
    private readonly projections: readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.applier = new RowOpApplier(db, { deferIncrements: true });
    this.readCheckpoints = db.prepare('SELECT name, position FROM projection_checkpoints');
    this.saveCheckpoint = db.prepare('UPDATE projection_checkpoints SET position = ? WHERE name = ?');
    this.handles = new Map();
    for (const projection of projections) {
      for (const type of projection.canHandle) {
        const list = this.handles.get(type) ?? [];
        list.push(projection);
        this.handles.set(type, list);
      }
    }
    this.prepareTables();
  }

  /** Lowest position every projection has applied. */
  get position(): number {
    return this.applied;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  tableNames(): string[] {
    return tableNamesOf(this.projections);
  }

  /** Creates missing tables; drops and rebuilds a projection whose version changed. */
  private prepareTables(): void {
    const prepared = prepareProjectionTables(this.db, this.projections, this.options);
    this.deferredIndexes = prepared.deferredIndexes;
    for (const [name, position] of prepared.checkpoints) this.checkpoints.set(name, position);
    this.applied = this.projections.length === 0 ? 0 : Math.min(...this.checkpoints.values());
  }

  /** Creates the indexes the constructor deferred (see ProjectionRunnerOptions.deferIndexes). */
  createDeferredIndexes(): void {
    const indexes = this.deferredIndexes;
    this.deferredIndexes = [];
    this.db.transaction(() => {
      for (const sql of indexes) this.db.exec(sql);
    })();
  }

  /**
   * Applies one batch of events (in position order) in a single transaction. The transaction takes the write lock
   * first and re-reads the checkpoints, so another process applying the same log to the same file (a CLI command
   * while the server runs) never makes this one apply an event twice.
   */
  applyBatch(events: readonly RecordedEvent[]): void {
    if (events.length === 0) return;
    const last = events[events.length - 1].position;
    this.db
      .transaction(() => {
        for (const row of this.readCheckpoints.all() as { name: string; position: number }[]) {
          if (this.checkpoints.has(row.name)) this.checkpoints.set(row.name, Math.max(row.position, this.checkpoints.get(row.name) ?? 0));
        }
        // Counter increments are summed per row over the batch and written at its end (see RowOpApplierOptions).
        this.applier.batch(() => {
          for (const event of events) {
            for (const projection of this.handles.get(event.type) ?? []) {
              if ((this.checkpoints.get(projection.name) ?? 0) >= event.position) continue;
              for (const op of projection.reduce(event as SignetRecordedEvent)) this.applier.apply(op);
            }
          }
        });
        for (const projection of this.projections) {
          if ((this.checkpoints.get(projection.name) ?? 0) < last) this.saveCheckpoint.run(last, projection.name);
        }
      })
      .immediate();
    for (const projection of this.projections) {
      if ((this.checkpoints.get(projection.name) ?? 0) < last) this.checkpoints.set(projection.name, last);
    }
    this.applied = Math.max(this.applied, Math.min(...this.checkpoints.values()));
    this.waiters.release();
    this.options.onApplied?.(this.applied);
  }

  /** Catches up with the log and keeps following it until stop(). */
  start(store: EventStore, batchSize = 1000): void {
    if (this.subscription) throw new Error('projection runner already started');
    this.subscription = store.subscribeToAll({ fromPosition: this.applied, batchSize });
    const subscription = this.subscription;
    this.loop = (async () => {
      try {
        for await (const batch of subscription) this.applyBatch(batch);
      } catch (error) {
        this.failure = error as Error;
        this.waiters.rejectAll(this.failure);
        this.options.onFailed?.(this.failure);
      }
    })();
  }

  /** Applies everything up to `untilPosition` (inclusive) by reading the log, without a live subscription. */
  async catchUp(store: EventStore, untilPosition?: number, onProgress?: (position: number) => void, batchSize = 5000): Promise<number> {
    let batch: RecordedEvent[] = [];
    for await (const event of store.readAll({ fromPosition: this.applied, toPosition: untilPosition })) {
      batch.push(event);
      if (batch.length >= batchSize) {
        this.applyBatch(batch);
        onProgress?.(this.applied);
        batch = [];
      }
    }
    this.applyBatch(batch);
    onProgress?.(this.applied);
    return this.applied;
  }

  /** Resolves once every projection has applied `position` (read your writes). */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.waiters.wait(position, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = undefined;
  }
}
