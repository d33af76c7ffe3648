/**
 * Embedded event store on SQLite (better-sqlite3, WAL).
 *
 * Group commit: appends are queued and flushed together in one BEGIN IMMEDIATE transaction, each in its own
 * savepoint so a conflicting append fails alone while the rest of the batch commits. Callers resolve only after
 * COMMIT returns, which with synchronous=FULL means the WAL was fsynced. Appends to one stream in the same batch
 * run in arrival order and see each other's effects.
 *
 * Several processes may share the file: writers serialise on SQLite's write lock, positions are assigned inside
 * the write transaction so they are dense and in commit order, and subscriptions poll max(position) to notice
 * commits from other processes. While another process holds the write lock, a batch is retried every
 * millisecond from a timer rather than in SQLite's busy handler: the handler would block this event loop, and
 * its backoff (up to 100 ms sleeps) lets a busy writer keep the lock for long stretches.
 *
 * better-sqlite3 is synchronous: a flush (including its fsync) blocks the event loop while it runs.
 */
import Database from 'better-sqlite3';
import { enableWal } from '../sqlite/wal.js';
import { SqliteWriterThread, type WriterThreadData } from './sqlite-writer.js';
import {
  EventStoreClosedError,
  type AllSubscription,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StreamAppend,
  type SubscribeOptions,
} from './port.js';
import {
  applyParts,
  decodeEvent,
  encodeParts,
  Notifier,
  PollingSubscription,
  readAllBounds,
  type AppendTarget,
  type EncodedPart,
  type StoredEvent,
} from './shared.js';

/** What one group commit did, for metrics. */
export interface FlushStats {
  /** Appends in the batch (committed or failed). */
  appends: number;
  /** Events written by the committed appends. */
  events: number;
  /** Appends that failed (conflict, duplicate id, or the whole transaction failing). */
  failed: number;
  /** Time spent in the transaction, BEGIN to COMMIT (includes the fsync). */
  commitMs: number;
  /** For each append of the batch: time from append() to its outcome being known. */
  latenciesMs: number[];
}

export interface SqliteEventStoreOptions {
  /**
   * How long the first queued append waits for others to join its transaction. Default 0: flush on the next
   * macrotask, so a batch is whatever arrived while the previous commit ran and grows with load. A 1–2 ms timer
   * means fewer, larger commits at low concurrency, at the price of that much latency on every append.
   */
  flushIntervalMs?: number;
  /** Flush as soon as this many appends are queued, and never put more in one transaction. Default 1000. */
  maxBatch?: number;
  /** Default FULL: an acknowledged append survives power loss. NORMAL only survives a process crash. */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long an append may wait for another process's write lock before failing with SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number;
  /** How often open subscriptions check for commits made by other processes. Default 50. */
  pollIntervalMs?: number;
  /** Called after every group commit; must not throw. */
  onFlush?: (stats: FlushStats) => void;
  /**
   * Commit in a writer thread with its own connection (src/eventstore/sqlite-writer.ts), so COMMIT and its fsync
   * never block this event loop. Started at the first append: a store that only reads never starts one.
   */
  writerThread?: boolean;
  /**
   * SQLite's automatic checkpoint threshold in WAL pages (default 1000). An automatic checkpoint runs inside the
   * COMMIT that crosses it, so that group commit (and every request waiting on it) waits for the copy and its fsync;
   * with `checkpointIntervalMs` on another connection, set this high as a safety net only.
   */
  walAutocheckpointPages?: number;
  /** Run a PASSIVE checkpoint from this connection every so often, off the writers' commit path. */
  checkpointIntervalMs?: number;
}

/** One append (one part) or one multi-stream append (several parts, all or nothing). */
interface PendingAppend {
  parts: EncodedPart[];
  enqueuedAt: number;
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; results: AppendResult[] } | { ok: false; error: unknown };

const SCHEMA = `
  CREATE TABLE IF NOT EXISTS events (
    position  INTEGER PRIMARY KEY AUTOINCREMENT,
    stream_id TEXT    NOT NULL,
    revision  INTEGER NOT NULL,
    id        TEXT    NOT NULL UNIQUE,
    type      TEXT    NOT NULL,
    data      TEXT    NOT NULL,
    metadata  TEXT    NOT NULL,
    created   INTEGER NOT NULL,
    UNIQUE (stream_id, revision)
  );`;

const COLUMNS = 'position, stream_id, revision, id, type, data, metadata, created';
const READ_PAGE = 1000;

function prepareStatements(db: Database.Database) {
  return {
    currentRevision: db.prepare<[string], { revision: number }>('SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1'),
    findById: db.prepare<[string], Pick<StoredEvent, 'stream_id' | 'revision' | 'position'>>('SELECT stream_id, revision, position FROM events WHERE id = ?'),
    insert: db.prepare<[Omit<StoredEvent, 'position'>]>(
      'INSERT INTO events (stream_id, revision, id, type, data, metadata, created) VALUES (@stream_id, @revision, @id, @type, @data, @metadata, @created)',
    ),
    readStream: db.prepare<[string, number, number], StoredEvent>(`SELECT ${COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision LIMIT ?`),
    readAll: db.prepare<[number, number, number], StoredEvent>(`SELECT ${COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position LIMIT ?`),
    head: db.prepare<[], { head: number }>('SELECT coalesce(max(position), 0) AS head FROM events'),
    begin: db.prepare('BEGIN IMMEDIATE'),
    commit: db.prepare('COMMIT'),
    rollback: db.prepare('ROLLBACK'),
    busyTimeout: (ms: number) => db.pragma(`busy_timeout = ${ms}`),
  };
}
type Statements = ReturnType<typeof prepareStatements>;

export class SqliteEventStore implements EventStore {
  readonly kind = 'sqlite';
  private readonly db: Database.Database;
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly pollIntervalMs: number;
  private readonly onFlush?: (stats: FlushStats) => void;
  private readonly statements: Statements;
  private readonly busyTimeoutMs: number;
  private readonly appendInSavepoint: (item: PendingAppend, created: number) => AppendResult[];

  private queue: PendingAppend[] = [];
  private scheduled?: { urgent: boolean; cancel: () => void };
  private readonly notifier = new Notifier();
  private readonly subscriptions = new Set<PollingSubscription>();
  private pollTimer?: NodeJS.Timeout;
  private checkpointTimer?: NodeJS.Timeout;
  private knownHead = 0;
  /** Set by close(): no new appends. Reads go on until the queued appends are committed and `closed` is set. */
  private closing = false;
  private closed = false;
  /** With `writerThread`: the options its own store is opened with. */
  private readonly writerOptions?: WriterThreadData['options'];
  private writer?: SqliteWriterThread;

  constructor(readonly path: string, options: SqliteEventStoreOptions = {}) {
    this.flushIntervalMs = options.flushIntervalMs ?? 0;
    this.maxBatch = options.maxBatch ?? 1000;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.busyTimeoutMs = Math.trunc(options.busyTimeoutMs ?? 5000);
    this.onFlush = options.onFlush;
    if (options.writerThread) {
      const { flushIntervalMs, maxBatch, synchronous, busyTimeoutMs, walAutocheckpointPages } = options;
      this.writerOptions = { flushIntervalMs, maxBatch, synchronous, busyTimeoutMs, walAutocheckpointPages };
    }
    if (!(this.flushIntervalMs >= 0)) throw new TypeError('flushIntervalMs must be >= 0');
    if (!Number.isSafeInteger(this.maxBatch) || this.maxBatch < 1) throw new TypeError('maxBatch must be a positive integer');

    const db = new Database(path);
    this.db = db;
    try {
      enableWal(db, this.busyTimeoutMs);
      if (options.walAutocheckpointPages !== undefined) db.pragma(`wal_autocheckpoint = ${Math.trunc(options.walAutocheckpointPages)}`);
      db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
      // IMMEDIATE so two processes creating the schema at once wait for each other instead of failing.
      db.transaction(() => db.exec(SCHEMA)).immediate();
    } catch (error) {
      db.close();
      throw error;
    }

    this.statements = prepareStatements(db);
    const s = this.statements;
    const target: AppendTarget = {
      currentRevision: (streamId) => s.currentRevision.get(streamId)?.revision ?? -1,
      findById: (id) => s.findById.get(id),
      insert: (event) => Number(s.insert.run(event).lastInsertRowid),
    };
    // Called inside an open transaction, a better-sqlite3 transaction function runs in a savepoint and rolls back
    // to it when it throws: a failing append leaves nothing behind.
    this.appendInSavepoint = db.transaction((item: PendingAppend, created: number) => applyParts(target, item.parts, created));
    this.knownHead = s.head.get()!.head;
    if (options.checkpointIntervalMs) {
      this.checkpointTimer = setInterval(() => this.checkpoint(), options.checkpointIntervalMs);
      this.checkpointTimer.unref();
    }
  }

  /** Copies committed WAL frames into the database without waiting for readers or writers. */
  private checkpoint(): void {
    if (this.closed) return;
    try {
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Another connection is checkpointing: the next tick tries again.
    }
  }

  append(streamId: string, events: NewEvent[], options: { expectedRevision?: ExpectedRevision } = {}): Promise<AppendResult> {
    return this.appendMultiple([{ streamId, events, expectedRevision: options.expectedRevision }]).then(([result]) => result);
  }

  /** All parts in one savepoint of one group commit: they commit together or not at all. */
  appendMultiple(parts: StreamAppend[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      if (this.closing) throw new EventStoreClosedError();
      const encoded = encodeParts(parts);
      if (this.writerOptions) this.writerThread().append(encoded, resolve, reject);
      else this.enqueue(encoded, resolve, reject);
    });
  }

  /** The writer thread's failure, if it failed (after close(), its orderly exit is not one). */
  get error(): Error | undefined {
    return this.closing ? undefined : this.writer?.error;
  }

  /** An append already encoded and checked (the writer thread's entry point); joins this connection's group commit. */
  appendEncoded(parts: EncodedPart[]): Promise<AppendResult[]> {
    return new Promise((resolve, reject) => {
      if (this.closing) throw new EventStoreClosedError();
      this.enqueue(parts, resolve, reject);
    });
  }

  private enqueue(parts: EncodedPart[], resolve: PendingAppend['resolve'], reject: PendingAppend['reject']): void {
    this.queue.push({ parts, enqueuedAt: performance.now(), resolve, reject });
    this.scheduleFlush();
  }

  private writerThread(): SqliteWriterThread {
    if (this.writer) return this.writer;
    this.writer = new SqliteWriterThread({ file: this.path, options: this.writerOptions! }, (stats, head) => {
      this.knownHead = Math.max(this.knownHead, head);
      if (stats.events > 0) this.notifier.notify();
      this.onFlush?.(stats);
    });
    return this.writer;
  }

  async readStream(streamId: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    this.assertOpen();
    const rows = this.statements.readStream.all(streamId, options.fromRevision ?? 0, options.maxCount ?? -1);
    return rows.map(decodeEvent);
  }

  async *readAll(options?: ReadAllOptions): AsyncIterable<RecordedEvent> {
    let { after, upTo, limit } = readAllBounds(options);
    // Paged: better-sqlite3 cannot run other statements (appends) while an iterator is open.
    while (limit > 0) {
      const page = this.readPage(after, upTo, Math.min(limit, READ_PAGE));
      for (const event of page) yield event;
      if (page.length < Math.min(limit, READ_PAGE)) return;
      after = page[page.length - 1].position;
      limit -= page.length;
    }
  }

  subscribeToAll(options: SubscribeOptions = {}): AllSubscription {
    this.assertOpen();
    const subscription = new PollingSubscription(
      (after, limit) => this.readPage(after, Number.MAX_SAFE_INTEGER, limit),
      this.notifier,
      options.fromPosition ?? 0,
      options.batchSize ?? 500,
      (closed) => {
        this.subscriptions.delete(closed);
        if (this.subscriptions.size === 0) this.stopPolling();
      },
    );
    this.subscriptions.add(subscription);
    this.startPolling();
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.statements.head.get()!.head;
  }

  /** Commits everything already queued, ends subscriptions, then closes the database. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    this.scheduled?.cancel();
    this.scheduled = undefined;
    await this.writer?.close();
    while (this.queue.length > 0) {
      if (this.flush() === 'lock busy') await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await Promise.all([...this.subscriptions].map((subscription) => subscription.close()));
    this.stopPolling();
    clearInterval(this.checkpointTimer);
    this.closed = true;
    this.db.close();
  }

  private readPage(after: number, upTo: number, limit: number): RecordedEvent[] {
    this.assertOpen();
    return this.statements.readAll.all(after, upTo, limit).map(decodeEvent);
  }

  /** Next macrotask when a full batch waits or no interval is set, else after flushIntervalMs; never both. */
  private scheduleFlush(): void {
    const urgent = this.flushIntervalMs === 0 || this.queue.length >= this.maxBatch;
    if (this.scheduled && (this.scheduled.urgent || !urgent)) return;
    this.scheduled?.cancel();
    this.schedule(urgent ? 0 : this.flushIntervalMs, urgent);
  }

  /** `urgent` marks a schedule that new appends must not bring forward (a lock retry counts as one). */
  private schedule(delayMs: number, urgent: boolean): void {
    const run = () => {
      this.scheduled = undefined;
      if (this.flush() === 'lock busy') this.schedule(1, true);
      else if (this.queue.length > 0) this.scheduleFlush();
    };
    if (delayMs > 0) {
      const timer = setTimeout(run, delayMs);
      this.scheduled = { urgent, cancel: () => clearTimeout(timer) };
    } else {
      const immediate = setImmediate(run);
      this.scheduled = { urgent, cancel: () => clearImmediate(immediate) };
    }
  }

  /**
   * Runs one group commit of up to maxBatch queued appends, then settles their promises. While another process
   * holds the write lock (and busyTimeoutMs has not passed) it puts the batch back and reports 'lock busy'.
   */
  private flush(): 'done' | 'lock busy' {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return 'done';
    const started = performance.now();
    let outcomes: Outcome[];
    try {
      const busy = this.beginWithoutWaiting();
      if (busy) {
        if (started - batch[0].enqueuedAt >= this.busyTimeoutMs) throw busy.error;
        this.queue.unshift(...batch);
        return 'lock busy';
      }
      const created = Date.now();
      outcomes = batch.map((item): Outcome => {
        try {
          return { ok: true, results: this.appendInSavepoint(item, created) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      this.statements.commit.run();
    } catch (error) {
      // BEGIN or COMMIT failed (busy, disk full…): nothing in this transaction is durable.
      if (this.db.inTransaction) this.statements.rollback.run();
      outcomes = batch.map(() => ({ ok: false, error }));
    }
    const settled = performance.now();

    let events = 0;
    let failed = 0;
    outcomes.forEach((outcome, i) => {
      if (outcome.ok) {
        for (const part of batch[i].parts) events += part.events.length;
        for (const result of outcome.results) this.knownHead = Math.max(this.knownHead, result.position);
        batch[i].resolve(outcome.results);
      } else {
        failed += 1;
        batch[i].reject(outcome.error);
      }
    });
    if (events > 0) this.notifier.notify();
    this.onFlush?.({
      appends: batch.length,
      events,
      failed,
      commitMs: settled - started,
      latenciesMs: batch.map((item) => settled - item.enqueuedAt),
    });
    return 'done';
  }

  /** BEGIN IMMEDIATE without SQLite's blocking busy handler; returns the SQLITE_BUSY error if another connection writes. */
  private beginWithoutWaiting(): { error: unknown } | undefined {
    this.statements.busyTimeout(0);
    try {
      this.statements.begin.run();
      return undefined;
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return { error };
      throw error;
    } finally {
      this.statements.busyTimeout(this.busyTimeoutMs);
    }
  }

  /**
   * Wakes the subscriptions if the log grew through another connection. Polled while a subscription is open; a
   * thread told of a commit by the writing thread calls it at once instead of waiting for the next poll.
   */
  noticeCommits(): void {
    if (this.closed) return;
    const head = this.statements.head.get()!.head;
    if (head !== this.knownHead) {
      this.knownHead = head;
      this.notifier.notify();
    }
  }

  /** Notices commits made by other processes; runs only while a subscription is open. */
  private startPolling(): void {
    if (this.pollTimer) return;
    this.pollTimer = setInterval(() => this.noticeCommits(), this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }
}
