/** Opening a SQLite file in WAL mode when several processes may open it at the same moment. */
import type Database from 'better-sqlite3';

const sleeper = new Int32Array(new SharedArrayBuffer(4));

function isBusy(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('SQLITE_BUSY');
}

/**
 * Sets the busy timeout, then switches to WAL. The busy handler does not cover the switch itself: when two
 * connections both read a fresh file and both try to convert it, SQLite answers one of them SQLITE_BUSY at once
 * (waiting could deadlock). That connection retries until the other has finished or busyTimeoutMs has passed.
 */
export function enableWal(db: Database.Database, busyTimeoutMs: number): void {
  db.pragma(`busy_timeout = ${Math.trunc(busyTimeoutMs)}`);
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (!isBusy(error) || Date.now() >= deadline) throw error;
      // Synchronous on purpose: this runs once, while the process opens its databases, before it serves anything.
      Atomics.wait(sleeper, 0, 0, Math.min(5 * attempt, 50));
    }
  }
}
