/**
 * The projection runner in its own thread. Request threads then never spend time applying read models: the
 * thread follows the log through its own event-store connection, writes the read-model file through its own
 * connection (WAL: readers here see each committed batch), and reports the position it reached. Under load it
 * naturally applies larger batches, one read-model transaction for many commits.
 */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../src/threads/ts-worker.js';
import { tableNamesOf, type Projection } from './projection.js';
import { PositionWaiters } from './position-waiters.js';
import type { ReadModelDb } from './readmodel-db.js';
import { prepareProjectionTables } from './runner.js';

/** What the projection thread needs to open the same log and read-model file. */
export interface ProjectionThreadData {
  eventStore: string;
  dataDir: string;
  readModels: string;
}

export type ProjectionThreadReport = { type: 'applied'; position: number } | { type: 'failed'; message: string; stack?: string };
export type ProjectionThreadCommand = { type: 'notice-commits' } | { type: 'stop' };

export const PROJECTION_THREAD = new URL('../workers/projections.ts', import.meta.url);

export class ThreadedProjectionRunner {
  private applied: number;
  private failure?: Error;
  private stopping = false;
  private readonly waiters = new PositionWaiters(() => this.applied);
  private readonly worker: Worker;
  private readonly exited: Promise<void>;

  /** Prepares the tables here (queries on this thread need them at once), then starts the thread. */
  constructor(
    db: ReadModelDb,
    private readonly projections: readonly Projection[],
    data: ProjectionThreadData,
  ) {
    const { checkpoints } = prepareProjectionTables(db, projections);
    this.applied = projections.length === 0 ? 0 : Math.min(...checkpoints.values());
    this.worker = startWorker(PROJECTION_THREAD, data);
    this.worker.on('message', (report: ProjectionThreadReport) => {
      if (report.type === 'applied') {
        this.applied = Math.max(this.applied, report.position);
        this.waiters.release();
      } else {
        this.fail(Object.assign(new Error(report.message), { stack: report.stack }));
      }
    });
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', (code) => {
        if (!this.stopping) this.fail(new Error(`the projection thread exited (code ${code})`));
        resolve();
      }),
    );
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

  /** Tells the thread this process just committed, so it reads the log now rather than at its next poll. */
  noticeCommits(): void {
    if (!this.stopping && !this.failure) this.post({ type: 'notice-commits' });
  }

  /** Resolves once every projection has applied `position` (read your writes). */
  waitFor(position: number, timeoutMs = 10_000): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    return this.waiters.wait(position, timeoutMs);
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.post({ type: 'stop' });
    }
    await this.exited;
  }

  private post(command: ProjectionThreadCommand): void {
    this.worker.postMessage(command);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    this.waiters.rejectAll(error);
  }
}
