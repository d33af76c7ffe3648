import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, invalid, notFound } from './errors.js';

/** Stream of one API token: `token-<accessor>`. Only a hash of the secret is recorded. */
export const tokenStream = (accessor: string) => `token-${accessor}`;
export const ROOT_TOKEN_ACCESSOR = 'root';

export interface TokenCreatedData {
  accessor: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  displayName: string;
  policies: string[];
  /** Absent = never expires. */
  expiresAt?: string;
  /** Accessor of the token that created it; absent for orphans (the root token, `signet token create`). */
  parent?: string;
  /** Free-form metadata given at creation (OpenBao `meta`). */
  meta?: Record<string, string>;
  createdAt: string;
}

export type TokenEvent =
  | DomainEvent<'TokenCreated', TokenCreatedData>
  | DomainEvent<'TokenRevoked', { accessor: string; at: string }>;

export type TokenState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; accessor: string; policies: string[]; expiresAt?: string };

export type TokenCommand =
  | { type: 'CreateToken'; data: Omit<TokenCreatedData, 'createdAt'>; now: Date }
  | { type: 'RevokeToken'; data: { accessor: string }; now: Date };

function decide(command: TokenCommand, state: TokenState): TokenEvent[] {
  switch (command.type) {
    case 'CreateToken':
      if (state.status !== 'none') throw conflict('token_exists', `token ${command.data.accessor} already exists`);
      if (command.data.policies.length === 0) throw invalid('no_policies', 'a token needs at least one policy');
      return [{ type: 'TokenCreated', data: { ...command.data, createdAt: command.now.toISOString() } }];
    case 'RevokeToken':
      if (state.status === 'none') throw notFound('unknown_token', 'token not found');
      return state.status === 'revoked' ? [] : [{ type: 'TokenRevoked', data: { accessor: state.accessor, at: command.now.toISOString() } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: TokenState, event: TokenEvent): TokenState {
  switch (event.type) {
    case 'TokenCreated': {
      const { accessor, policies, expiresAt } = event.data;
      return { status: 'active', accessor, policies, ...(expiresAt ? { expiresAt } : {}) };
    }
    case 'TokenRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    default:
      return unreachable(event);
  }
}

export const tokenDecider: Decider<TokenCommand, TokenEvent, TokenState> = { initialState: () => ({ status: 'none' }), decide, evolve };
