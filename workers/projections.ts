/** The projection thread (see projections/threaded-runner.ts): follows the log and applies the read models. */
import { parentPort, workerData } from 'node:worker_threads';
import { openEventStore } from '../src/eventstore/open.js';
import { projections } from '../projections/index.js';
import { openReadModelDb } from '../projections/readmodel-db.js';
import { ProjectionRunner } from '../projections/runner.js';
import type { ProjectionThreadCommand, ProjectionThreadData, ProjectionThreadReport } from '../projections/threaded-runner.js';

const port = parentPort!;
const data = workerData as ProjectionThreadData;
const report = (message: ProjectionThreadReport) => port.postMessage(message);

const failed = (error: unknown) => {
  const { message, stack } = error instanceof Error ? error : new Error(String(error));
  report({ type: 'failed', message, stack });
};

try {
  // This thread also checkpoints the log's WAL, so that the writer's commits never wait for a checkpoint.
  const store = await openEventStore(data.eventStore, data.dataDir, { checkpointIntervalMs: 1000 });
  const db = openReadModelDb(data.readModels);
  const runner = new ProjectionRunner(db, projections, { onApplied: (position) => report({ type: 'applied', position }), onFailed: failed });
  port.on('message', (command: ProjectionThreadCommand) => {
    if (command.type === 'notice-commits') return store.noticeCommits?.();
    void (async () => {
      await runner.stop();
      await store.close();
      db.close();
      port.close();
    })().catch(failed);
  });
  report({ type: 'applied', position: runner.position });
  runner.start(store);
} catch (error) {
  failed(error);
  // Stay until told to stop, so the owner sees one orderly exit.
  port.on('message', () => port.close());
}
