/** Named ACL policies (OpenBao `sys/policies/acl/:name`), stream `policy-<name>`. Tokens refer to them by name. */
import { DEFAULT_POLICY, parsePolicy, PolicyParseError, ROOT_POLICY, type PolicyRule } from './acl.js';
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';

export const policyStream = (name: string) => `policy-${name}`;

const POLICY_NAME = /^[\w.@-]+$/;

export type PolicyEvent =
  | DomainEvent<'PolicyWritten', { name: string; text: string; rules: PolicyRule[]; at: string }>
  | DomainEvent<'PolicyDeleted', { name: string; at: string }>;

export type PolicyState = { status: 'none' } | { status: 'present'; name: string };

export type PolicyCommand =
  | { type: 'WritePolicy'; data: { name: string; text: string }; now: Date }
  | { type: 'DeletePolicy'; data: { name: string }; now: Date };

function parse(text: string): PolicyRule[] {
  try {
    return parsePolicy(text);
  } catch (error) {
    if (error instanceof PolicyParseError) throw invalid('invalid_policy', `failed to parse policy: ${error.message}`);
    throw error;
  }
}

function decide(command: PolicyCommand, state: PolicyState): PolicyEvent[] {
  const at = command.now.toISOString();
  const name = command.data.name.toLowerCase();
  switch (command.type) {
    case 'WritePolicy':
      if (!POLICY_NAME.test(name)) throw invalid('invalid_policy_name', `invalid policy name "${command.data.name}"`);
      if (name === ROOT_POLICY) throw invalid('root_policy', 'cannot update "root" policy');
      return [{ type: 'PolicyWritten', data: { name, text: command.data.text, rules: parse(command.data.text), at } }];
    case 'DeletePolicy':
      if (name === ROOT_POLICY || name === DEFAULT_POLICY) throw invalid('builtin_policy', `cannot delete "${name}" policy`);
      return state.status === 'present' ? [{ type: 'PolicyDeleted', data: { name, at } }] : [];
    default:
      return unreachable(command);
  }
}

function evolve(_state: PolicyState, event: PolicyEvent): PolicyState {
  switch (event.type) {
    case 'PolicyWritten':
      return { status: 'present', name: event.data.name };
    case 'PolicyDeleted':
      return { status: 'none' };
    default:
      return unreachable(event);
  }
}

export const policyDecider: Decider<PolicyCommand, PolicyEvent, PolicyState> = { initialState: () => ({ status: 'none' }), decide, evolve };
