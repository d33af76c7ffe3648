/**
 * Runs one command against one stream: load → fold → decide (pure) → append with the expected revision.
 * Commands on the same stream are serialised in-process; across processes the expected revision decides,
 * and a conflicting command is retried against the new state.
 */
import type { Decider } from '../domain/decider.js';
import { EVENT_SCHEMA_VERSION } from '../domain/events.js';
import { type AppendResult, type EventMetadata, type EventStore, type StreamAppend, WrongExpectedRevisionError } from '../eventstore/port.js';
import { KeyedQueue } from './keyed-queue.js';

export interface CommandResult<Event> {
  events: Event[];
  /** Store position of the last appended event; undefined when the decision produced no events. */
  position?: number;
}

export interface CommandOptions {
  metadata?: EventMetadata;
  /** Retries after a concurrent writer (another node) changed the stream; default 5. */
  retries?: number;
}

export interface ManyOptions extends CommandOptions {
  /**
   * Per command, another stream's append to write in the same atomic write as this stream's events when the
   * command is accepted (the store's appendMultiple): e.g. the certificate an OTP use pays for.
   */
  alongside?: readonly (StreamAppend | undefined)[];
}

export interface ManyResult<Event> {
  outcomes: (Event[] | Error)[];
  position?: number;
  /** Per command, the result of its `alongside` append (undefined when refused or when it had none). */
  alongside: (AppendResult | undefined)[];
}

/** A stream's state folded up to `revision` by `decider`. */
interface Folded {
  decider: unknown;
  state: unknown;
  revision: number;
}

/** Streams whose folded state is kept; the least recently used beyond this are dropped. */
const MAX_FOLDED_STREAMS = 1024;

export class CommandHandler {
  private readonly queue = new KeyedQueue();
  /**
   * Folded state per stream, so a long stream (an OTP with many uses) is read from where it was left, not from its
   * start, on every command. Recorded events never change, so the cache only ever lacks newer events, and reading
   * from its revision on catches up with any writer.
   */
  private readonly folded = new Map<string, Folded>();
  constructor(private readonly store: EventStore) {}

  async handle<Command, Event extends { type: string; data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: CommandOptions = {},
  ): Promise<CommandResult<Event>> {
    const { outcomes, position } = await this.handleMany(streamId, decider, [command], options);
    const [outcome] = outcomes;
    if (outcome instanceof Error) throw outcome;
    return position === undefined ? { events: outcome } : { events: outcome, position };
  }

  /**
   * For a stream the caller created a fresh random id for (a new certificate serial): decide against the initial
   * state and append with `no_stream` without reading first. Should the stream exist after all, the normal path
   * loads it and the decider refuses the command.
   */
  async handleNew<Command, Event extends { type: string; data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: CommandOptions = {},
  ): Promise<CommandResult<Event>> {
    const events = decider.decide(command, decider.initialState());
    if (events.length === 0) return { events };
    try {
      const result = await this.store.append(streamId, this.toNew(events, options.metadata), { expectedRevision: 'no_stream' });
      return { events, position: result.position };
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError) return this.handle(streamId, decider, command, options);
      throw error;
    }
  }

  /**
   * Decides several commands against one stream in order, appending all resulting events at once. A command the
   * decider refuses resolves to its error without affecting the others. Used to batch bursts on one aggregate.
   */
  handleMany<Command, Event extends { type: string; data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    commands: Command[],
    options: ManyOptions = {},
  ): Promise<ManyResult<Event>> {
    return this.queue.run(streamId, async () => {
      for (let attempt = 0; ; attempt++) {
        const { state, revision } = await this.load(streamId, decider);
        let current = state;
        const appended: Event[] = [];
        const outcomes = commands.map((command) => {
          try {
            const events = decider.decide(command, current);
            for (const event of events) current = decider.evolve(current, event);
            appended.push(...events);
            return events;
          } catch (error) {
            return error as Error;
          }
        });
        const alongside = outcomes.map((outcome, i) => (outcome instanceof Error ? undefined : options.alongside?.[i]));
        const others = alongside.filter((part): part is StreamAppend => part !== undefined);
        if (appended.length === 0 && others.length === 0) return { outcomes, alongside: alongside.map(() => undefined) };
        const own: StreamAppend[] = appended.length ? [{ streamId, events: this.toNew(appended, options.metadata), expectedRevision: revision < 0 ? 'no_stream' : revision }] : [];
        try {
          const results = others.length ? await this.store.appendMultiple([...own, ...others]) : [await this.store.append(own[0].streamId, own[0].events, { expectedRevision: own[0].expectedRevision })];
          if (own.length) this.remember(streamId, { decider, state: current, revision: results[0].nextExpectedRevision });
          const otherResults = results.slice(own.length);
          return { outcomes, position: own.length ? results[0].position : undefined, alongside: alongside.map((part) => (part ? otherResults.shift() : undefined)) };
        } catch (error) {
          // A conflict on this stream is another writer's: decide again. One on another part is not ours to retry.
          const ours = error instanceof WrongExpectedRevisionError && error.streamId === streamId;
          if (!ours || attempt >= (options.retries ?? 5)) throw error;
        }
      }
    });
  }

  /**
   * The append that records `command` on a stream created for it (a fresh random id), decided against the initial
   * state without reading, for a caller that writes it together with something else (appendMultiple).
   */
  prepareNew<Command, Event extends { type: string; data: unknown }, State>(
    streamId: string,
    decider: Decider<Command, Event, State>,
    command: Command,
    options: CommandOptions = {},
  ): StreamAppend {
    return { streamId, events: this.toNew(decider.decide(command, decider.initialState()), options.metadata), expectedRevision: 'no_stream' };
  }

  private async load<Command, Event, State>(streamId: string, decider: Decider<Command, Event, State>): Promise<{ state: State; revision: number }> {
    const cached = this.folded.get(streamId);
    const base = cached?.decider === decider ? cached : undefined;
    const recorded = await this.store.readStream(streamId, base ? { fromRevision: base.revision + 1 } : {});
    let state = base ? (base.state as State) : decider.initialState();
    for (const event of recorded) state = decider.evolve(state, event as unknown as Event);
    const revision = recorded.length ? recorded[recorded.length - 1].revision : (base?.revision ?? -1);
    if (revision >= 0) this.remember(streamId, { decider, state, revision });
    return { state, revision };
  }

  private remember(streamId: string, folded: Folded): void {
    this.folded.delete(streamId);
    this.folded.set(streamId, folded);
    if (this.folded.size > MAX_FOLDED_STREAMS) this.folded.delete(this.folded.keys().next().value!);
  }

  private toNew(events: { type: string; data: unknown }[], metadata?: EventMetadata) {
    return events.map((event) => ({ type: event.type, data: event.data, metadata: { ...metadata, v: EVENT_SCHEMA_VERSION } }));
  }
}
