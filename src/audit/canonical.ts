/**
 * The bytes a log entry contributes to the audit tree: RFC 8785 (JSON Canonicalization Scheme) of
 *   { created, data, id, metadata, revision, stream, type }
 * built from the event as the store port returns it. Adapters store JSON differently (SQLite keeps the text as
 * written, KurrentDB re-serialises it), so hashing stored text would tie the tree to one adapter; the canonical form
 * is the same wherever the event lives. The store position is left out on purpose: it is adapter specific (dense in
 * SQLite, byte offsets in KurrentDB), and a leaf's place in the tree already fixes the order.
 *
 * RFC 8785 in brief: object members sorted by the UTF-16 code units of their names, no whitespace, strings and
 * numbers serialised as ECMAScript's JSON.stringify does. Events come from JSON.parse, so values are plain JSON.
 */
import type { RecordedEvent } from '../eventstore/port.js';

/** Names that JavaScript enumerates before all others (array indices), whatever order they were written in. */
const ARRAY_INDEX = /^(?:0|[1-9]\d{0,9})$/;

/** Only a name starting with a digit can be an array index: most names skip the regular expression. */
const mayBeArrayIndex = (name: string): boolean => {
  const first = name.charCodeAt(0);
  return first >= 48 && first <= 57 && ARRAY_INDEX.test(name);
};

/**
 * Whether JSON.stringify already writes `value` in RFC 8785 member order: every object's members sorted, none named
 * like an array index. Checked first, without allocating: many events (and any stored in RFC 8785 form) need no
 * reordering, and for the others it stops at the first member out of order.
 */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
    return true;
  }
  let previous: string | undefined;
  for (const key in value) {
    if ((previous !== undefined && previous > key) || mayBeArrayIndex(key)) return false;
    if (!inCanonicalOrder((value as Record<string, unknown>)[key])) return false;
    previous = key;
  }
  return true;
}

/**
 * `value` with every object's members in RFC 8785 order, copying only objects that are out of order; undefined
 * when an object has an array-index-like member name, whose order JavaScript objects cannot hold.
 */
function reordered(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item = reordered(value[i]);
      if (item === undefined && value[i] !== undefined) return undefined;
      if (item !== value[i]) (copy ??= value.slice())[i] = item;
    }
    return copy ?? value;
  }
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  let inOrder = true;
  let values: unknown[] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    if (mayBeArrayIndex(key)) return undefined;
    if (i > 0 && keys[i - 1] > key) inOrder = false;
    const member = object[key];
    const item = reordered(member);
    if (item === undefined && member !== undefined) return undefined;
    if (item !== member) (values ??= keys.map((k) => object[k]))[i] = item;
  }
  if (inOrder && !values) return value;
  const order = keys.map((_, i) => i);
  if (!inOrder) order.sort((a, b) => (keys[a] < keys[b] ? -1 : keys[a] > keys[b] ? 1 : 0));
  const copy: Record<string, unknown> = {};
  for (const i of order) copy[keys[i]] = values ? values[i] : object[keys[i]];
  return copy;
}

function number(value: number): string {
  if (!Number.isFinite(value)) throw new TypeError(`RFC 8785 has no encoding for ${value}`);
  return JSON.stringify(value);
}

/** The general serialiser, for the rare objects whose member names look like array indices. */
function write(value: unknown): string {
  if (typeof value === 'number') return number(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : write(item))).join(',')}]`;
  const object = value as Record<string, unknown>;
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((key) => `${JSON.stringify(key)}:${write(object[key])}`);
  return `{${members.join(',')}}`;
}

function assertFiniteNumbers(value: unknown): void {
  if (typeof value === 'number') number(value);
  else if (value !== null && typeof value === 'object') for (const item of Object.values(value)) assertFiniteNumbers(item);
}

/** RFC 8785 canonical JSON of a JSON value. */
export function canonicalJson(value: unknown): string {
  const ordered = inCanonicalOrder(value) ? value : reordered(value);
  if (ordered === undefined) return write(value);
  const text = JSON.stringify(ordered);
  // JSON.stringify writes NaN and Infinity as null; RFC 8785 refuses them. Only look when a null could be one.
  if (text.includes('null')) assertFiniteNumbers(value);
  return text;
}

/** The fields of an event that the audit tree covers (what an export carries for each event). */
export interface CanonicalEventFields {
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: unknown;
  metadata: unknown;
  created: number;
}

export function canonicalFields(event: RecordedEvent): CanonicalEventFields {
  return { id: event.id, stream: event.streamId, revision: event.revision, type: event.type, data: event.data, metadata: event.metadata, created: event.created };
}

/** The leaf of one event: canonical JSON of its covered fields (members already in RFC 8785 order here). */
export function canonicalEvent(fields: CanonicalEventFields): string {
  return canonicalJson({
    created: fields.created,
    data: fields.data,
    id: fields.id,
    metadata: fields.metadata,
    revision: fields.revision,
    stream: fields.stream,
    type: fields.type,
  });
}
