/** Starting a worker thread whose entry is a TypeScript module of this repository. */
import { Worker } from 'node:worker_threads';
import { threadEntry } from './bundle.js';

const TSX_API = import.meta.resolve('tsx/esm/api');

/**
 * Heap limits for Signet's helper threads. V8 lets each isolate grow its young generation to 48 MB under allocation
 * pressure; with five isolates (event loop, two signers, projections, event writer) that alone is most of the
 * process's resident memory during a burst. The helpers allocate short-lived buffers at a steady rate and do as
 * well with a small young generation.
 */
export const HELPER_THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 } as const;

/**
 * Starts the prepared bundle of `entry` (src/threads/bundle.ts) when there is one. Otherwise the thread registers
 * tsx itself before importing the TypeScript entry: `--import tsx` in a worker's execArgv registers the loader
 * asynchronously, after a .ts entry has already failed to load.
 */
export function startWorker(entry: URL, workerData: unknown): Worker {
  const loaded = threadEntry(entry);
  if (!loaded.pathname.endsWith('.ts')) return new Worker(loaded, { workerData, resourceLimits: HELPER_THREAD_LIMITS });
  const source = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(loaded.href)}); })`;
  return new Worker(source, { eval: true, workerData, resourceLimits: HELPER_THREAD_LIMITS });
}
