/**
 * Picks the event store adapter from SIGNET_EVENTSTORE-style specs:
 * `kurrentdb://…`, `kurrent://…`, `kdb://…`, `esdb://…` (and their `+discover` forms) -> KurrentDB;
 * `memory:` -> in-memory; anything else -> a SQLite file path (empty: `<dataDir>/events.db`).
 * Adapters are imported lazily so the KurrentDB client (a native addon) only loads when used.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { EventStore } from './port.js';
import type { SqliteEventStoreOptions } from './sqlite.js';

const KURRENT_SPEC = /^(kurrentdb|kurrent|kdb|esdb)(\+discover)?:\/\//i;

export type EventStoreSpec = { kind: 'kurrentdb'; connectionString: string } | { kind: 'memory' } | { kind: 'sqlite'; file: string };

/** Pure: how a spec is interpreted (relative SQLite paths resolve against the working directory). */
export function parseEventStoreSpec(spec: string, dataDir: string): EventStoreSpec {
  const trimmed = spec.trim();
  if (KURRENT_SPEC.test(trimmed)) return { kind: 'kurrentdb', connectionString: trimmed };
  if (trimmed === 'memory:') return { kind: 'memory' };
  return { kind: 'sqlite', file: path.resolve(trimmed === '' ? path.join(dataDir, 'events.db') : trimmed) };
}

/** The SQLite options (append metrics, writer thread, checkpoints) apply to the SQLite adapter only. */
export async function openEventStore(
  spec: string,
  dataDir: string,
  options: Pick<SqliteEventStoreOptions, 'onFlush' | 'writerThread' | 'walAutocheckpointPages' | 'checkpointIntervalMs'> = {},
): Promise<EventStore> {
  const parsed = parseEventStoreSpec(spec, dataDir);
  switch (parsed.kind) {
    case 'kurrentdb': {
      const { KurrentEventStore } = await import('./kurrent.js');
      return KurrentEventStore.connect(parsed.connectionString);
    }
    case 'memory': {
      const { MemoryEventStore } = await import('./memory.js');
      return new MemoryEventStore();
    }
    case 'sqlite': {
      mkdirSync(path.dirname(parsed.file), { recursive: true });
      const { SqliteEventStore } = await import('./sqlite.js');
      return new SqliteEventStore(parsed.file, options);
    }
    default: {
      const unreachable: never = parsed;
      throw new Error(`unknown event store spec ${String(unreachable)}`);
    }
  }
}
