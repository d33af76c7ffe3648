/** Runs the verifier over the live log (through the store port only) or over an export file. */
import type { EventStore } from '../eventstore/port.js';
import { publicKeyFromLog } from './audit-key.js';
import { canonicalFields } from './canonical.js';
import type { ExportRecord, EventRecord } from './export-format.js';
import { yielder } from './leaves.js';
import { LogVerifier, type LogEntry, type VerifyReport } from './verifier.js';

export interface VerifyOptions {
  /** Audit public keys (SPKI DER) to accept; any other signer fails. Default: the keys the log itself records. */
  pinnedKeys?: Buffer[];
  /** Called every PROGRESS_EVERY events. */
  onProgress?: (events: number, position: number) => void;
}

const PROGRESS_EVERY = 100_000;

export async function verifyStore(store: EventStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const verifier = new LogVerifier({ pinnedKeys: options.pinnedKeys });
  const pause = yielder();
  let events = 0;
  try {
    for await (const event of store.readAll()) {
      const fields = canonicalFields(event);
      const keyId = verifier.missingKey(fields);
      if (keyId) verifier.addKey(keyId, await publicKeyFromLog(store, keyId));
      if (verifier.add({ position: event.position, fields })) break;
      if (++events % PROGRESS_EVERY === 0) options.onProgress?.(events, event.position);
      const paused = pause();
      if (paused) await paused; // not `await pause()`: awaiting undefined still costs a microtask per event
    }
  } catch (error) {
    verifier.unreadable(error);
  }
  return verifier.report();
}

const entryOf = (record: EventRecord): LogEntry => ({ position: record.position, fields: record.event, recordedLeafHash: record.leaf_hash });

/** Verifies an export (see export-format.ts) offline: no store, only the records and the keys they carry (or pinned ones). */
export async function verifyExport(records: AsyncIterable<ExportRecord>, options: VerifyOptions = {}): Promise<VerifyReport> {
  let verifier: LogVerifier | undefined;
  let ended = false;
  const headerFirst = () => {
    if (!verifier) throw new Error('the export does not start with its header record');
    return verifier;
  };
  for await (const record of records) {
    if (ended) throw new Error('the export continues after its end record');
    switch (record.record) {
      case 'header': {
        if (verifier) throw new Error('the export has two header records');
        if (record.version !== 1) throw new Error(`export version ${record.version} is not supported`);
        const { index, frontier } = record.start;
        verifier = new LogVerifier({ pinnedKeys: options.pinnedKeys, ...(index > 0 ? { start: { size: index, frontier: frontier.map((h) => Buffer.from(h, 'hex')) } } : {}) });
        break;
      }
      case 'key':
        headerFirst().addKey(record.key_id, Buffer.from(record.public_key, 'base64'));
        break;
      case 'event': {
        const v = headerFirst();
        if (record.index > v.nextIndex) {
          v.failAt(record.position, 'removed', `events are missing from the export before position ${record.position} (index ${record.index} follows ${v.nextIndex - 1})`);
          return v.report();
        }
        if (record.index < v.nextIndex) {
          v.failAt(record.position, 'inserted', `the event at position ${record.position} repeats index ${record.index}`);
          return v.report();
        }
        if (v.add(entryOf(record))) return v.report();
        if (v.nextIndex % PROGRESS_EVERY === 0) options.onProgress?.(v.nextIndex, record.position);
        break;
      }
      case 'seal': {
        const v = headerFirst();
        if (v.seal({ entry: entryOf(record.head), rightNodes: record.right_nodes.map((h) => Buffer.from(h, 'hex')) })) return v.report();
        break;
      }
      case 'end': {
        const v = headerFirst();
        const report = v.report();
        if (record.events !== report.events) throw new Error(`the export's end record counts ${record.events} events, the file holds ${report.events}`);
        ended = true;
        break;
      }
      default:
        throw new Error(`unknown export record "${(record as { record?: unknown }).record}"`);
    }
  }
  if (!ended) throw new Error('the export ends without its end record: it was cut off');
  return headerFirst().report();
}
