/** From recorded events to audit tree leaves. */
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { TREE_HEADS_STREAM, type TreeHeadSignedData } from '../domain/audit.js';
import type { RecordedEvent } from '../eventstore/port.js';
import { canonicalEvent, canonicalFields, type CanonicalEventFields } from './canonical.js';
import { hashLeaf } from './merkle.js';

export function leafHashOf(fields: CanonicalEventFields): Buffer {
  return hashLeaf(canonicalEvent(fields));
}

export function eventLeafHash(event: RecordedEvent): Buffer {
  return leafHashOf(canonicalFields(event));
}

/** The head a log entry records, when it is a tree head. */
export function treeHeadOf(fields: Pick<CanonicalEventFields, 'stream' | 'type' | 'data'>): TreeHeadSignedData | undefined {
  return fields.stream === TREE_HEADS_STREAM && fields.type === 'TreeHeadSigned' ? (fields.data as TreeHeadSignedData) : undefined;
}

/**
 * Lets timers and I/O run every `every` calls. Reading the log is a chain of microtasks that would otherwise hold
 * the event loop for the whole pass; a server tick or a long CLI pass must not.
 */
export function yielder(every = 1024): () => Promise<void> | undefined {
  let count = 0;
  return () => (++count % every === 0 ? nextMacrotask() : undefined);
}
