/**
 * Streams the audit trail (see export-format.ts) in one pass over the log with constant memory: events before the
 * range only feed the tree's frontier, events in it are written with their leaf hashes, events after it feed the
 * subtree nodes the seal needs, up to the newest head.
 */
import type { EventStore, RecordedEvent } from '../eventstore/port.js';
import { AUDIT_SIGNATURE_ALGORITHM } from './tree-head.js';
import { keyFingerprint, publicKeyFromLog } from './audit-key.js';
import { canonicalFields } from './canonical.js';
import { CSV_HEADER, EXPORT_FORMAT, EXPORT_VERSION, formatRecord, type EventRecord, type ExportFormat, type ExportRecord } from './export-format.js';
import { eventLeafHash, treeHeadOf, yielder } from './leaves.js';
import { CompactRange } from './merkle.js';

/** A point in the log: a store position, or a time (events created at or before it). */
export type LogPoint = { position: number } | { time: Date };

export interface ExportOptions {
  /** First event exported (inclusive); default the first event. */
  from?: LogPoint;
  /** Last event exported (inclusive); default the last. */
  to?: LogPoint;
  format: ExportFormat;
  /** The newest signed head (from the read model): an export that ends before it is sealed by it. */
  latestHead?: { treeSize: number; position: number };
}

const before = (point: LogPoint, event: RecordedEvent) => ('position' in point ? event.position < point.position : event.created < point.time.getTime());
const after = (point: LogPoint, event: RecordedEvent) => ('position' in point ? event.position > point.position : event.created > point.time.getTime());
const describe = (point: LogPoint | undefined) => (point === undefined ? null : 'position' in point ? String(point.position) : point.time.toISOString());

/** Writes the export line by line through `write` (which may return a promise for backpressure); returns the event count. */
export async function exportAuditTrail(store: EventStore, options: ExportOptions, write: (line: string) => void | Promise<void>): Promise<number> {
  const emit = (record: ExportRecord) => write(formatRecord(record, options.format));
  const prefix = new CompactRange();
  let started = false;
  let index = 0;
  let exported = 0;
  let right: CompactRange | undefined;
  const keysWritten = new Set<string>();
  const pause = yielder();

  const start = async () => {
    if (started) return;
    started = true;
    await emit({
      record: 'header',
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exported_at: new Date().toISOString(),
      from: describe(options.from),
      to: describe(options.to),
      start: { index, frontier: prefix.nodeHashes().map((h) => h.toString('hex')) },
    });
  };
  const eventRecord = async (event: RecordedEvent, leaf: Buffer): Promise<EventRecord> => {
    const fields = canonicalFields(event);
    const head = treeHeadOf(fields);
    if (head && !keysWritten.has(head.keyId)) {
      keysWritten.add(head.keyId);
      const spki = await publicKeyFromLog(store, head.keyId);
      if (spki) await emit({ record: 'key', key_id: head.keyId, algorithm: AUDIT_SIGNATURE_ALGORITHM, public_key: spki.toString('base64'), fingerprint: keyFingerprint(spki) });
    }
    return { record: 'event', index, position: event.position, leaf_hash: leaf.toString('hex'), event: fields };
  };

  const seal = options.latestHead;
  if (options.format === 'csv') await write(CSV_HEADER);
  for await (const event of store.readAll()) {
    const leaf = eventLeafHash(event);
    if (options.from && before(options.from, event)) {
      prefix.appendLeaf(leaf);
    } else if (!options.to || !after(options.to, event)) {
      await start();
      await emit(await eventRecord(event, leaf));
      exported++;
    } else if (seal && seal.position > event.position) {
      await start();
      if (index < seal.treeSize) (right ??= new CompactRange(index)).appendLeaf(leaf);
    } else if (seal && seal.position === event.position) {
      await start();
      const nodes = (right?.nodeHashes() ?? []).map((h) => h.toString('hex'));
      await emit({ record: 'seal', head: await eventRecord(event, leaf), right_nodes: nodes });
      break;
    } else {
      break;
    }
    index++;
    await pause();
  }
  await start();
  await emit({ record: 'end', events: exported });
  return exported;
}
