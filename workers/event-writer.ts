/** The SQLite event store's writer thread (see src/eventstore/sqlite-writer.ts): group commits off the event loop. */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteEventStore } from '../src/eventstore/sqlite.js';
import { serializeError, type WriteOutcome, type WriterCommand, type WriterReport, type WriterThreadData } from '../src/eventstore/sqlite-writer.js';

const port = parentPort!;
const data = workerData as WriterThreadData;

// Outcomes of one group commit settle together (its promises resolve in the microtasks after COMMIT), so they are
// collected and posted in one message on the next macrotask, with the commit's figures.
let report: WriterReport | undefined;
function collect(add: (report: WriterReport) => void): void {
  if (!report) {
    report = { outcomes: [] };
    setImmediate(() => {
      port.postMessage(report);
      report = undefined;
    });
  }
  add(report);
}

const store = new SqliteEventStore(data.file, {
  ...data.options,
  onFlush: ({ latenciesMs: _ignored, ...commit }) => collect((r) => (r.commit = commit)),
});
const outcome = (value: WriteOutcome) => collect((r) => r.outcomes.push(value));

port.on('message', (command: WriterCommand) => {
  if (command.type === 'close') {
    void store.close().then(() => port.close());
    return;
  }
  const { id, parts } = command.request;
  store.appendEncoded(parts).then(
    (results) => outcome({ id, ok: true, results }),
    (error: unknown) => outcome({ id, ok: false, error: serializeError(error) }),
  );
});
