/**
 * Runs one command against one stream: load → fold → decide (pure) → append with the expected revision.
 * Commands on the same stream are serialised in-process; across processes the expected revision decides,
 * and a conflicting command is retried against the new state.
 */
import type { Decider } from '../domain/decider.js';
import { EVENT_SCHEMA_VERSION } from '../domain/events.js';
import { type EventMetadata, type EventStore, WrongExpectedRevisionError } from '../eventstore/port.js';
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

export class CommandHandler {
  private readonly queue = new KeyedQueue();
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
    options: CommandOptions = {},
  ): Promise<{ outcomes: (Event[] | Error)[]; position?: number }> {
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
        if (appended.length === 0) return { outcomes };
        try {
          const result = await this.store.append(streamId, this.toNew(appended, options.metadata), { expectedRevision: revision < 0 ? 'no_stream' : revision });
          return { outcomes, position: result.position };
        } catch (error) {
          if (!(error instanceof WrongExpectedRevisionError) || attempt >= (options.retries ?? 5)) throw error;
        }
      }
    });
  }

  private async load<Command, Event, State>(streamId: string, decider: Decider<Command, Event, State>): Promise<{ state: State; revision: number }> {
    const recorded = await this.store.readStream(streamId);
    let state = decider.initialState();
    for (const event of recorded) state = decider.evolve(state, event as unknown as Event);
    return { state, revision: recorded.length ? recorded[recorded.length - 1].revision : -1 };
  }

  private toNew(events: { type: string; data: unknown }[], metadata?: EventMetadata) {
    return events.map((event) => ({ type: event.type, data: event.data, metadata: { ...metadata, v: EVENT_SCHEMA_VERSION } }));
  }
}
