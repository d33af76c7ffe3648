/** given(events).when(command).then(events) / .thenThrows(code), in the emmett style. */
import assert from 'node:assert/strict';
import type { Decider } from '../../src/domain/decider.js';
import { DomainError, type DomainErrorKind } from '../../src/domain/errors.js';

export function deciderSpec<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return (given: Event[]) => ({
    when: (command: Command) => {
      const run = () => decider.decide(command, given.reduce(decider.evolve, decider.initialState()));
      return {
        then: (expected: Event[]) => assert.deepEqual(run(), expected),
        thenThrows: (code: string, kind?: DomainErrorKind) =>
          assert.throws(run, (error: unknown) => {
            assert.ok(error instanceof DomainError, `expected a DomainError, got ${String(error)}`);
            assert.equal(error.code, code);
            if (kind) assert.equal(error.kind, kind);
            return true;
          }),
      };
    },
  });
}
