/**
 * The audit export, one record per line: JSON lines, or CSV with the same records (event fields in columns, other
 * records as JSON in `detail`). In order:
 *   header  format, version, the range asked for, and `start`: the tree before the first exported event
 *           (its size and frontier), so an export that does not begin at the first event still verifies;
 *   key     an audit public key (SPKI, base64), before the first tree head it signed;
 *   event   index (place in the log, from 0), position, leaf_hash (hex), and the covered event fields
 *           {created, data, id, metadata, revision, stream, type}; tree heads are TreeHeadSigned events;
 *   seal    when the newest tree head lies after the exported range: that head's event and the roots of the
 *           perfect subtrees between the last exported event and the head's size, so it covers the export too;
 *   end     counts, so a cut-off export is noticed.
 */
import type { CanonicalEventFields } from './canonical.js';
import { canonicalJson } from './canonical.js';

export const EXPORT_FORMAT = 'signet-audit-export';
export const EXPORT_VERSION = 1;

export type ExportFormat = 'jsonl' | 'csv';

export interface HeaderRecord {
  record: 'header';
  format: typeof EXPORT_FORMAT;
  version: number;
  exported_at: string;
  from: string | null;
  to: string | null;
  start: { index: number; frontier: string[] };
}

export interface KeyRecord {
  record: 'key';
  key_id: string;
  algorithm: string;
  /** SubjectPublicKeyInfo DER, base64 */
  public_key: string;
  fingerprint: string;
}

export interface EventRecord {
  record: 'event';
  index: number;
  position: number;
  leaf_hash: string;
  event: CanonicalEventFields;
}

export interface SealRecord {
  record: 'seal';
  head: EventRecord;
  right_nodes: string[];
}

export interface EndRecord {
  record: 'end';
  events: number;
}

export type ExportRecord = HeaderRecord | KeyRecord | EventRecord | SealRecord | EndRecord;

const CSV_COLUMNS = ['record', 'index', 'position', 'leaf_hash', 'time', 'stream', 'revision', 'type', 'id', 'created', 'data', 'metadata', 'detail'] as const;
export const CSV_HEADER = CSV_COLUMNS.join(',');

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record as a line (without the newline). */
export function formatRecord(record: ExportRecord, format: ExportFormat): string {
  if (format === 'jsonl') return JSON.stringify(record);
  if (record.record !== 'event') return `${record.record}${','.repeat(CSV_COLUMNS.length - 1)}${csvField(JSON.stringify(record))}`;
  const e = record.event;
  return [
    'event',
    record.index,
    record.position,
    record.leaf_hash,
    new Date(e.created).toISOString(),
    e.stream,
    e.revision,
    e.type,
    e.id,
    e.created,
    canonicalJson(e.data),
    canonicalJson(e.metadata),
    '',
  ]
    .map(csvField)
    .join(',');
}

/** Splits CSV text lines into rows (RFC 4180: quoted fields, doubled quotes, newlines inside quotes). */
async function* csvRows(lines: AsyncIterable<string>): AsyncIterable<string[]> {
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  for await (const line of lines) {
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (quoted) {
        if (c === '"' && line[i + 1] === '"') {
          field += '"';
          i++;
        } else if (c === '"') quoted = false;
        else field += c;
      } else if (c === '"') quoted = true;
      else if (c === ',') {
        fields.push(field);
        field = '';
      } else field += c;
    }
    if (quoted) {
      field += '\n';
      continue;
    }
    fields.push(field);
    yield fields;
    fields = [];
    field = '';
  }
  if (quoted) throw new Error('the CSV export ends inside a quoted field');
}

export class ExportFormatError extends Error {
  constructor(line: number, message: string) {
    super(`export line ${line}: ${message}`);
    this.name = 'ExportFormatError';
  }
}

function fromCsv(row: string[], line: number): ExportRecord {
  const cell = (name: (typeof CSV_COLUMNS)[number]) => row[CSV_COLUMNS.indexOf(name)] ?? '';
  if (row[0] !== 'event') return JSON.parse(cell('detail')) as ExportRecord;
  if (row.length !== CSV_COLUMNS.length) throw new ExportFormatError(line, `expected ${CSV_COLUMNS.length} columns, got ${row.length}`);
  return {
    record: 'event',
    index: Number(cell('index')),
    position: Number(cell('position')),
    leaf_hash: cell('leaf_hash'),
    event: {
      created: Number(cell('created')),
      data: JSON.parse(cell('data')),
      id: cell('id'),
      metadata: JSON.parse(cell('metadata')),
      revision: Number(cell('revision')),
      stream: cell('stream'),
      type: cell('type'),
    },
  };
}

/** Parses an export's lines, JSON lines or CSV (told apart by the first line). */
export async function* readExport(lines: AsyncIterable<string>): AsyncIterable<ExportRecord> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return;
  const rest: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator };
  if (first.value === CSV_HEADER) {
    let line = 1;
    for await (const row of csvRows(rest)) {
      line++;
      if (row.length === 1 && row[0] === '') continue;
      try {
        yield fromCsv(row, line);
      } catch (error) {
        throw error instanceof ExportFormatError ? error : new ExportFormatError(line, (error as Error).message);
      }
    }
    return;
  }
  let line = 1;
  yield parseJsonLine(first.value, line);
  for await (const text of rest) {
    line++;
    if (text.trim() !== '') yield parseJsonLine(text, line);
  }
}

function parseJsonLine(text: string, line: number): ExportRecord {
  try {
    return JSON.parse(text) as ExportRecord;
  } catch (error) {
    throw new ExportFormatError(line, (error as Error).message);
  }
}
