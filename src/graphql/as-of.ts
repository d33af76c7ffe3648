/**
 * Past states for `asOf`: every read model rebuilt from the log up to a position or a time (replayInto), kept in a
 * small LRU cache of SQLite files. Cost bounds: at most `maxStates` states on disk, one rebuild at a time (others
 * queue), concurrent requests for the same point share one rebuild, and a point that would replay more than
 * `maxEvents` events is refused. An evicted state is closed once the last request reading it has finished.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { EventStore } from '../eventstore/port.js';
import { replayInto } from '../app/replay.js';
import type { ReadModelDb } from '../../projections/readmodel-db.js';
import { badUserInput } from './errors.js';
import { graphReads, type GraphReads } from './reads.js';

export type AsOfPoint = { position: number } | { time: Date };

export interface PastState {
  reads: GraphReads;
  /** The instant the state describes: statuses such as "expired" are judged at it. */
  now: Date;
  /** The last event applied. */
  position: number;
}

export interface AsOfOptions {
  /** Where rebuilt read models are written; emptied on start and on close. */
  dir: string;
  maxStates: number;
  maxEvents: number;
  /** Position of the newest event (the live read models' position). */
  head: () => number;
  /** How many events a replay up to `time` would apply, at most (an upper estimate is fine). */
  eventsUntil: (time: Date) => number;
}

interface CachedState extends PastState {
  db: ReadModelDb;
  dir: string;
  users: number;
  evicted: boolean;
}

/** A state lent to a request; `release` when the request is done with it. */
export interface Lease {
  state: PastState;
  release(): void;
}

const keyOf = (point: AsOfPoint) => ('position' in point ? `p${point.position}` : `t${point.time.toISOString()}`);

export class AsOfStates {
  private readonly states = new Map<string, Promise<CachedState>>();
  private rebuilds: Promise<unknown> = Promise.resolve();
  private built = 0;
  private closed = false;

  constructor(
    private readonly store: EventStore,
    private readonly options: AsOfOptions,
  ) {
    rmSync(options.dir, { recursive: true, force: true });
  }

  /** The state at `point`, rebuilt or from the cache; BAD_USER_INPUT for points in the future or beyond the bound. */
  async lease(point: AsOfPoint): Promise<Lease> {
    this.check(point);
    const key = keyOf(point);
    let pending = this.states.get(key);
    if (pending) {
      this.states.delete(key);
    } else {
      pending = this.queueRebuild(point);
      pending.catch(() => this.states.delete(key));
    }
    this.states.set(key, pending);
    this.evictBeyondLimit();
    const state = await pending;
    state.users++;
    let released = false;
    return {
      state,
      release: () => {
        if (released) return;
        released = true;
        state.users--;
        if (state.evicted && state.users === 0) this.dispose(state);
      },
    };
  }

  private check(point: AsOfPoint): void {
    if (this.closed) throw new Error('asOf states are closed');
    const head = this.options.head();
    if ('position' in point) {
      if (point.position > head) throw badUserInput(`asOf.position ${point.position} is beyond the newest event (${head})`, 'asOf');
    } else if (point.time.getTime() > Date.now()) {
      throw badUserInput('asOf.time is in the future', 'asOf');
    }
    const events = 'position' in point ? point.position : this.options.eventsUntil(point.time);
    if (events > this.options.maxEvents) {
      throw badUserInput(`asOf would rebuild about ${events} events; the limit is ${this.options.maxEvents} (graphql.as_of_max_events)`, 'asOf');
    }
  }

  /** One rebuild at a time: a replay is CPU-bound on the main thread, so running several only slows them all. */
  private queueRebuild(point: AsOfPoint): Promise<CachedState> {
    const run = this.rebuilds.then(() => this.rebuild(point));
    this.rebuilds = run.catch(() => undefined);
    return run;
  }

  private async rebuild(point: AsOfPoint): Promise<CachedState> {
    const dir = join(this.options.dir, String(++this.built));
    const result = await replayInto(this.store, dir, 'position' in point ? { position: point.position } : { time: point.time });
    const now = 'time' in point ? point.time : await this.commitTime(result.position);
    return { db: result.db, dir, reads: graphReads(result.db), now, position: result.position, users: 0, evicted: false };
  }

  private async commitTime(position: number): Promise<Date> {
    if (position === 0) return new Date(0);
    for await (const event of this.store.readAll({ fromPosition: position - 1, toPosition: position, maxCount: 1 })) return new Date(event.created);
    return new Date(0);
  }

  private evictBeyondLimit(): void {
    while (this.states.size > this.options.maxStates) {
      const [oldestKey, oldest] = this.states.entries().next().value as [string, Promise<CachedState>];
      this.states.delete(oldestKey);
      oldest.then((state) => this.evict(state)).catch(() => undefined);
    }
  }

  private evict(state: CachedState): void {
    state.evicted = true;
    if (state.users === 0) this.dispose(state);
  }

  private dispose(state: CachedState): void {
    state.db.close();
    rmSync(state.dir, { recursive: true, force: true });
  }

  async close(): Promise<void> {
    this.closed = true;
    const states = [...this.states.values()];
    this.states.clear();
    for (const state of await Promise.allSettled(states)) if (state.status === 'fulfilled') this.evict(state.value);
    rmSync(this.options.dir, { recursive: true, force: true });
  }
}
