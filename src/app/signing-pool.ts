/**
 * The signing pool: Piscina workers run CSR verification, policy, TBS encoding, signing and key generation off the
 * main thread. Issue requests are micro-batched: while every worker is busy, new requests gather into the next
 * task, so per-task overhead is paid once per batch under load and not at all in latency when idle.
 * The queue is bounded: past `maxQueue` waiting requests, callers get SigningQueueFullError (HTTP 503).
 */
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { threadEntry } from '../threads/bundle.js';
import { HELPER_THREAD_LIMITS } from '../threads/ts-worker.js';
import type { KeySpec } from '../domain/x509.js';
import type { IssueItem, IssueOutcome, SignTask, WorkerTask, GeneratedKey, WrappedKeyRef } from '../../workers/sign.js';

export type { IssueItem, IssueOutcome, GeneratedKey, WrappedKeyRef };

export class SigningQueueFullError extends Error {
  readonly httpStatus = 503;
  readonly retryAfterSeconds = 1;
  constructor() {
    super('signing queue is full, retry later');
    this.name = 'SigningQueueFullError';
  }
}

export interface SigningPoolOptions {
  kek: Uint8Array;
  threads?: number;
  /** Requests allowed to wait for a worker before new ones are refused. */
  maxQueue?: number;
  /** Upper bound on CSRs per worker task. */
  maxBatch?: number;
}

interface Pending {
  item: IssueItem;
  resolve: (outcome: IssueOutcome) => void;
  reject: (error: Error) => void;
}

export interface SigningPoolStats {
  threads: number;
  queued: number;
  inFlightTasks: number;
  completedTasks: number;
  utilization: number;
}

export const SIGNING_WORKER = new URL('../../workers/sign.ts', import.meta.url);
/** Unless bundled (src/threads/bundle.ts), workers load TypeScript through tsx, resolved here whatever the working directory. */
const TSX_EXEC_ARGV = ['--import', import.meta.resolve('tsx')];

export class SigningPool {
  private readonly piscina: Piscina;
  private readonly threads: number;
  private readonly maxQueue: number;
  private readonly maxBatch: number;
  private pending: Pending[] = [];
  private inFlight = 0;
  private closed = false;
  /** Notified of worker-level failures (logged by the server). */
  onError?: (error: Error) => void;

  constructor(options: SigningPoolOptions) {
    this.threads = options.threads ?? availableParallelism();
    this.maxQueue = options.maxQueue ?? 4096;
    this.maxBatch = options.maxBatch ?? 32;
    const entry = threadEntry(SIGNING_WORKER);
    this.piscina = new Piscina({
      filename: entry.href,
      minThreads: this.threads,
      maxThreads: this.threads,
      // Issue batches are bounded by our own queue; single tasks (keygen, CRL/OCSP signing) wait in Piscina's, which
      // run() bounds to the same limit so a burst gets 503 + Retry-After, never Piscina's "queue is at limit".
      maxQueue: this.maxQueue + this.threads * 4,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: { kek: Buffer.from(options.kek) },
      execArgv: entry.pathname.endsWith('.ts') ? TSX_EXEC_ARGV : [],
      resourceLimits: HELPER_THREAD_LIMITS,
    });
    // A worker that dies is replaced by Piscina; its tasks fail and surface to their callers.
    this.piscina.on('error', (error: Error) => this.onError?.(error));
  }

  /** Verifies the CSR, applies the policy and signs: one certificate, or a refusal with a reason. */
  issue(item: IssueItem): Promise<IssueOutcome> {
    if (this.closed) return Promise.reject(new Error('signing pool is closed'));
    if (this.pending.length >= this.maxQueue) return Promise.reject(new SigningQueueFullError());
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      this.dispatch();
    });
  }

  /** Signs arbitrary bytes (a TBS certificate, CRL or OCSP response) with a wrapped key. */
  async sign(key: WrappedKeyRef, data: Uint8Array): Promise<Uint8Array> {
    return (await this.run({ kind: 'sign', key, data })) as Uint8Array;
  }

  async generateKey(spec: KeySpec): Promise<GeneratedKey> {
    return (await this.run({ kind: 'keygen', spec })) as GeneratedKey;
  }

  /** Starts every worker and checks it can load its code: fail at startup, not on the first request. */
  async warmUp(): Promise<void> {
    await Promise.all(Array.from({ length: this.threads }, () => this.run({ kind: 'ping' })));
  }

  stats(): SigningPoolStats {
    return {
      threads: this.threads,
      queued: this.pending.length,
      inFlightTasks: this.inFlight,
      completedTasks: this.piscina.completed,
      utilization: this.piscina.utilization,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    while (this.pending.length || this.inFlight) await new Promise((resolve) => setTimeout(resolve, 5));
    await this.piscina.destroy();
  }

  private run(task: SignTask): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error('signing pool is closed'));
    if (this.piscina.queueSize >= this.maxQueue) return Promise.reject(new SigningQueueFullError());
    return this.piscina.run(task satisfies WorkerTask);
  }

  /** Keeps up to two batches per thread in flight: one running, one ready to start. */
  private dispatch(): void {
    while (this.pending.length > 0 && this.inFlight < this.threads * 2) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.inFlight++;
      this.piscina
        .run({ kind: 'issue', items: batch.map((p) => p.item) } satisfies WorkerTask)
        .then(
          (outcomes: IssueOutcome[]) => batch.forEach((p, i) => p.resolve(outcomes[i])),
          (error: Error) => batch.forEach((p) => p.reject(error)),
        )
        .finally(() => {
          this.inFlight--;
          this.dispatch();
        });
    }
  }
}
