/**
 * Moving the log between stores (SQLite → KurrentDB): every event is appended to the target in global order with
 * its id, revision and commit time, then both logs are read back and compared event by event through the audit
 * tree's canonical encoding. Rerunning after an interruption skips what the target already holds.
 * Stop every node writing to the source first.
 */
import { canonicalEvent, canonicalFields } from '../audit/canonical.js';
import type { EventStore, RecordedEvent } from '../eventstore/port.js';

export interface CopyReport {
  copied: number;
  skipped: number;
  streams: number;
}

export interface ComparisonReport {
  equal: boolean;
  events: number;
  /** 0-based index in read-all order of the first event that differs, and why. */
  firstDifference?: { index: number; reason: string };
}

const GROUP_LIMIT = 500;

/**
 * Copies one run of consecutive events of a stream; events the target already holds (an earlier, interrupted copy)
 * are checked by id and skipped. Returns how many were copied.
 */
async function copyGroup(target: EventStore, group: RecordedEvent[]): Promise<number> {
  const [first] = group;
  const present = await target.readStream(first.streamId, { fromRevision: first.revision, maxCount: group.length });
  const diverging = present.findIndex((event, i) => event.id !== group[i].id);
  if (diverging >= 0) {
    throw new Error(`target stream ${first.streamId} diverges from the source at revision ${first.revision + diverging}: refusing to copy over it`);
  }
  const missing = group.slice(present.length);
  if (missing.length === 0) return 0;
  const from = missing[0].revision;
  await target.append(
    first.streamId,
    missing.map((e) => ({ id: e.id, type: e.type, data: e.data, metadata: e.metadata, created: e.created })),
    { expectedRevision: from === 0 ? 'no_stream' : from - 1 },
  );
  return missing.length;
}

export async function copyEventLog(source: EventStore, target: EventStore, onProgress?: (done: number) => void): Promise<CopyReport> {
  const report: CopyReport = { copied: 0, skipped: 0, streams: 0 };
  const streams = new Set<string>();
  let group: RecordedEvent[] = [];
  const flush = async () => {
    if (group.length === 0) return;
    const copied = await copyGroup(target, group);
    report.copied += copied;
    report.skipped += group.length - copied;
    onProgress?.(report.copied + report.skipped);
    group = [];
  };
  for await (const event of source.readAll()) {
    streams.add(event.streamId);
    const last = group[group.length - 1];
    if (last && (last.streamId !== event.streamId || group.length >= GROUP_LIMIT)) await flush();
    group.push(event);
  }
  await flush();
  report.streams = streams.size;
  return report;
}

/** Reads both logs in global order and compares each event's canonical form (positions may differ by store). */
export async function compareEventLogs(a: EventStore, b: EventStore): Promise<ComparisonReport> {
  const left = a.readAll()[Symbol.asyncIterator]();
  const right = b.readAll()[Symbol.asyncIterator]();
  for (let index = 0; ; index++) {
    const [l, r] = await Promise.all([left.next(), right.next()]);
    if (l.done && r.done) return { equal: true, events: index };
    if (l.done || r.done) return { equal: false, events: index, firstDifference: { index, reason: `${l.done ? 'source' : 'target'} log ends first` } };
    if (canonicalEvent(canonicalFields(l.value)) !== canonicalEvent(canonicalFields(r.value))) {
      return { equal: false, events: index, firstDifference: { index, reason: `event ${l.value.streamId}@${l.value.revision} differs from ${r.value.streamId}@${r.value.revision}` } };
    }
  }
}
