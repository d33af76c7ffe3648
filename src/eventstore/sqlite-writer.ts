/**
 * The SQLite store's writer thread, main-thread side. Appends are encoded here and posted to a thread that owns
 * the write connection and runs the same group commit (workers/event-writer.ts); COMMIT and its fsync then happen
 * off the event loop, which keeps serving requests meanwhile. The thread answers once per group commit with every
 * outcome of that commit, after it is durable.
 */
import type { Worker } from 'node:worker_threads';
import { EventStoreClosedError, WrongExpectedRevisionError, type AppendResult, type ExpectedRevision } from './port.js';
import { DuplicateEventIdError, type EncodedPart } from './shared.js';
import type { FlushStats, SqliteEventStoreOptions } from './sqlite.js';
import { startWorker } from '../threads/ts-worker.js';

export interface WriterThreadData {
  file: string;
  options: Pick<SqliteEventStoreOptions, 'flushIntervalMs' | 'maxBatch' | 'synchronous' | 'busyTimeoutMs' | 'walAutocheckpointPages'>;
}

export interface WriteRequest {
  id: number;
  parts: EncodedPart[];
}

/** An append's failure as it crosses threads (errors lose their class and extra fields in structured clone). */
export interface SerializedError {
  name: string;
  message: string;
  code?: string;
  streamId?: string;
  expected?: ExpectedRevision;
  actual?: number;
  eventId?: string;
}

export type WriteOutcome = { id: number; ok: true; results: AppendResult[] } | { id: number; ok: false; error: SerializedError };

/** One group commit's outcomes, with the commit's own figures (latencies are measured on the requesting side). */
export interface WriterReport {
  outcomes: WriteOutcome[];
  commit?: Omit<FlushStats, 'latenciesMs'>;
}

export type WriterCommand = { type: 'append'; request: WriteRequest } | { type: 'close' };

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const { name, message } = error;
  const code = (error as { code?: unknown }).code;
  const serialized: SerializedError = { name, message, ...(typeof code === 'string' ? { code } : {}) };
  if (error instanceof WrongExpectedRevisionError) Object.assign(serialized, { streamId: error.streamId, expected: error.expected, actual: error.actual });
  if (error instanceof DuplicateEventIdError) serialized.eventId = error.eventId;
  return serialized;
}

export function deserializeError(error: SerializedError): Error {
  if (error.name === 'WrongExpectedRevisionError') return new WrongExpectedRevisionError(error.streamId!, error.expected!, error.actual!);
  if (error.name === 'DuplicateEventIdError') return new DuplicateEventIdError(error.eventId!);
  if (error.name === 'EventStoreClosedError') return new EventStoreClosedError();
  return Object.assign(new Error(error.message), { name: error.name, ...(error.code ? { code: error.code } : {}) });
}

interface Pending {
  resolve: (results: AppendResult[]) => void;
  reject: (error: unknown) => void;
  enqueuedAt: number;
}

export const EVENT_WRITER_THREAD = new URL('../../workers/event-writer.ts', import.meta.url);

export class SqliteWriterThread {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly exited: Promise<void>;
  private nextId = 1;
  private failure?: Error;
  private drained?: () => void;

  /** `onCommitted` runs once per group commit, after its outcomes are known and before its callers resume. */
  constructor(data: WriterThreadData, private readonly onCommitted: (stats: FlushStats, head: number) => void) {
    this.worker = startWorker(EVENT_WRITER_THREAD, data);
    this.worker.on('message', (report: WriterReport) => this.settle(report));
    this.worker.on('error', (error) => this.fail(error instanceof Error ? error : new Error(String(error))));
    this.exited = new Promise((resolve) =>
      this.worker.once('exit', () => {
        this.fail(new Error('the event-store writer thread exited'));
        resolve();
      }),
    );
  }

  /** Why the thread can no longer commit, once it cannot. */
  get error(): Error | undefined {
    return this.failure;
  }

  append(parts: EncodedPart[], resolve: Pending['resolve'], reject: Pending['reject']): void {
    if (this.failure) return reject(this.failure);
    const id = this.nextId++;
    this.pending.set(id, { resolve, reject, enqueuedAt: performance.now() });
    this.post({ type: 'append', request: { id, parts } });
  }

  /** Waits for every submitted append's outcome, then stops the thread (its store commits what it still holds). */
  async close(): Promise<void> {
    if (this.pending.size > 0 && !this.failure) await new Promise<void>((resolve) => (this.drained = resolve));
    if (!this.failure) this.post({ type: 'close' });
    await this.exited;
  }

  private settle({ outcomes, commit }: WriterReport): void {
    const settled = performance.now();
    const latenciesMs: number[] = [];
    let head = 0;
    const resolved: Array<() => void> = [];
    for (const outcome of outcomes) {
      const waiting = this.pending.get(outcome.id);
      if (!waiting) continue;
      this.pending.delete(outcome.id);
      latenciesMs.push(settled - waiting.enqueuedAt);
      if (outcome.ok) {
        for (const result of outcome.results) head = Math.max(head, result.position);
        resolved.push(() => waiting.resolve(outcome.results));
      } else {
        resolved.push(() => waiting.reject(deserializeError(outcome.error)));
      }
    }
    if (commit) this.onCommitted({ ...commit, latenciesMs }, head);
    for (const settle of resolved) settle();
    if (this.pending.size === 0) this.drained?.();
  }

  private post(command: WriterCommand): void {
    this.worker.postMessage(command);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const waiting of this.pending.values()) waiting.reject(error);
    this.pending.clear();
    this.drained?.();
  }
}
