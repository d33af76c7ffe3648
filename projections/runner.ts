/**
 * Runs projections: subscribes to the whole log from the lowest checkpoint, and applies each delivered batch in
 * one read-model transaction (rows and checkpoints together). Also answers "wait until position P is applied"
 * for read-your-writes.
 */
import type { AllSubscription, EventStore, RecordedEvent } from '../src/eventstore/port.js';
import type { Projection, SignetRecordedEvent } from './projection.js';
import type { ReadModelDb } from './readmodel-db.js';
import { RowOpApplier } from './sql-ops.js';

interface Waiter {
  position: number;
  resolve: () => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

export class ProjectionTimeoutError extends Error {
  constructor(position: number, reached: number) {
    super(`projections did not reach position ${position} in time (at ${reached})`);
    this.name = 'ProjectionTimeoutError';
  }
}

export interface ProjectionRunnerOptions {
  /**
   * Leave plain (non-UNIQUE) indexes out until createDeferredIndexes(): for a rebuild into an empty database, where
   * building each index once after the load costs far less than maintaining it row by row. UNIQUE indexes and
   * triggers are always created at once (upserts and triggers depend on them).
   */
  deferIndexes?: boolean;
}

const PLAIN_INDEX = /^\s*CREATE\s+INDEX\b/i;

export class ProjectionRunner {
  private readonly applier: RowOpApplier;
  private readonly readCheckpoints;
  private readonly saveCheckpoint;
  private deferredIndexes: string[] = [];
  private readonly checkpoints = new Map<string, number>();
  private readonly handles: Map<string, Projection[]>;
  private waiters: Waiter[] = [];
  private subscription?: AllSubscription;
  private loop?: Promise<void>;
  private applied = 0;
  private failure?: Error;

  constructor(
    private readonly db: ReadModelDb,
    private readonly projections: readonly Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.applier = new RowOpApplier(db);
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
    return this.projections.flatMap((p) => Object.keys(p.tables));
  }

  /** Creates missing tables; drops and rebuilds a projection whose version changed. */
  private prepareTables(): void {
    const read = this.db.prepare('SELECT version, position FROM projection_checkpoints WHERE name = ?');
    const write = this.db.prepare('INSERT OR REPLACE INTO projection_checkpoints (name, version, position) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const projection of this.projections) {
        const stored = read.get(projection.name) as { version: number; position: number } | undefined;
        if (stored && stored.version !== projection.version) {
          for (const table of Object.keys(projection.tables)) this.db.exec(`DROP TABLE IF EXISTS ${table}`);
        }
        for (const statements of Object.values(projection.tables)) {
          for (const sql of statements) {
            if (this.options.deferIndexes && PLAIN_INDEX.test(sql)) this.deferredIndexes.push(sql);
            else this.db.exec(sql);
          }
        }
        const position = stored && stored.version === projection.version ? stored.position : 0;
        write.run(projection.name, projection.version, position);
        this.checkpoints.set(projection.name, position);
      }
    }).immediate(); // take the write lock first: a deferred read-then-write fails at once when another process wrote
    this.applied = Math.min(...this.checkpoints.values(), Number.MAX_SAFE_INTEGER);
    if (this.projections.length === 0) this.applied = 0;
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
        for (const event of events) {
          for (const projection of this.handles.get(event.type) ?? []) {
            if ((this.checkpoints.get(projection.name) ?? 0) >= event.position) continue;
            for (const op of projection.reduce(event as SignetRecordedEvent)) this.applier.apply(op);
          }
        }
        for (const projection of this.projections) {
          if ((this.checkpoints.get(projection.name) ?? 0) < last) this.saveCheckpoint.run(last, projection.name);
        }
      })
      .immediate();
    for (const projection of this.projections) {
      if ((this.checkpoints.get(projection.name) ?? 0) < last) this.checkpoints.set(projection.name, last);
    }
    this.applied = Math.max(this.applied, Math.min(...this.checkpoints.values()));
    this.releaseWaiters();
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
        for (const waiter of this.waiters) waiter.reject(this.failure);
        this.waiters = [];
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
    if (this.applied >= position) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        position,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          reject(new ProjectionTimeoutError(position, this.applied));
        }, timeoutMs),
      };
      // Not unref'd: a process waiting for another node's events (the subscription polls on an unref'd timer) must stay alive.
      this.waiters.push(waiter);
    });
  }

  private releaseWaiters(): void {
    if (this.waiters.length === 0) return;
    const ready = this.waiters.filter((w) => w.position <= this.applied);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > this.applied);
    for (const waiter of ready) {
      clearTimeout(waiter.timer);
      waiter.resolve();
    }
  }

  async stop(): Promise<void> {
    await this.subscription?.close();
    await this.loop;
    this.subscription = undefined;
  }
}
