/** A decider in the emmett style: plain data and pure functions, time and randomness arrive with the command. */
import { isDeepStrictEqual } from 'node:util';

export interface Decider<Command, Event, State> {
  initialState: () => State;
  decide: (command: Command, state: State) => Event[];
  evolve: (state: State, event: Event) => State;
}

/** A domain event as deciders produce it: a discriminated union member. */
export interface DomainEvent<Type extends string, Data> {
  type: Type;
  data: Data;
}

export function fold<Event, State>(decider: Pick<Decider<unknown, Event, State>, 'initialState' | 'evolve'>, events: readonly Event[]): State {
  return events.reduce(decider.evolve, decider.initialState());
}

/** Exhaustiveness guard for `switch` defaults. */
export function unreachable(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}

/**
 * Whether two values stored as event data are the same JSON value: member order and members whose value is
 * undefined (which JSON drops) make no difference, unlike comparing JSON.stringify texts.
 */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a) ?? 'null'), JSON.parse(JSON.stringify(b) ?? 'null'));
}
