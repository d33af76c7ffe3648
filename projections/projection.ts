/**
 * A projection is a pure reducer from one recorded event to read-model row changes. The runner applies the
 * changes to SQLite together with the projection's checkpoint, in one transaction, so a read model is always
 * exactly the fold of the log up to its checkpoint.
 */
import type { RecordedEvent } from '../src/eventstore/port.js';
import type { SignetEvent } from '../src/domain/events.js';

export type Cell = string | number | null;
export type Row = Record<string, Cell>;

export type RowOp =
  | { op: 'insert'; table: string; row: Row }
  /** Insert, or on conflict over `key` columns update the other columns. */
  | { op: 'upsert'; table: string; key: string[]; row: Row }
  | { op: 'update'; table: string; where: Row; set: Row }
  /** Add `by` to `column` of the row at `key` (created with the other key cells and column = by when missing). */
  | { op: 'increment'; table: string; key: Row; column: string; by: number }
  | { op: 'delete'; table: string; where: Row };

/** A recorded event narrowed to Signet's event union. */
export type SignetRecordedEvent = RecordedEvent & SignetEvent;

export interface Projection {
  name: string;
  /** Bump when tables or the reducer change: the runner then drops the tables and rebuilds from position 0. */
  version: number;
  /** Table name → CREATE TABLE / CREATE INDEX statements (run in order). */
  tables: Record<string, string[]>;
  canHandle: readonly SignetEvent['type'][];
  reduce(event: SignetRecordedEvent): RowOp[];
}

/** Every table the projections own, in their order. */
export function tableNamesOf(projections: readonly Projection[]): string[] {
  return projections.flatMap((p) => Object.keys(p.tables));
}
