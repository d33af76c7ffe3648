import type { KeySpec } from './x509.js';
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, notFound } from './errors.js';

/** Stream of one key pair: `key-<id>`. The private key only ever appears wrapped under the KEK. */
export const keyStream = (keyId: string) => `key-${keyId}`;

export interface KeyRegisteredData {
  keyId: string;
  name: string;
  spec: KeySpec;
  /** SubjectPublicKeyInfo, base64 DER. */
  spki: string;
  /** PKCS#8 wrapped with AES-256-GCM under the KEK (see crypto/keywrap). */
  wrapped: string;
  at: string;
}

export type KeyEvent =
  | DomainEvent<'KeyGenerated', KeyRegisteredData>
  | DomainEvent<'KeyImported', KeyRegisteredData>
  | DomainEvent<'KeyUpdated', { keyId: string; name: string; at: string }>
  | DomainEvent<'KeyDeleted', { keyId: string; at: string }>;

export type KeyState =
  | { status: 'none' }
  | { status: 'present'; keyId: string; name: string; spec: KeySpec }
  | { status: 'deleted'; keyId: string };

export type KeyCommand =
  | { type: 'RegisterKey'; origin: 'generated' | 'imported'; data: Omit<KeyRegisteredData, 'at'>; now: Date }
  | { type: 'RenameKey'; data: { keyId: string; name: string }; now: Date }
  /** `usedByIssuers` comes from the issuer read model: a key that still backs an issuer cannot go. */
  | { type: 'DeleteKey'; data: { keyId: string; usedByIssuers: string[] }; now: Date };

function requirePresent(state: KeyState, keyId: string): Extract<KeyState, { status: 'present' }> {
  if (state.status !== 'present') throw notFound('unknown_key', `key ${keyId} not found`);
  return state;
}

function decide(command: KeyCommand, state: KeyState): KeyEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'RegisterKey':
      if (state.status !== 'none') throw conflict('key_exists', `key ${command.data.keyId} already exists`);
      return [{ type: command.origin === 'generated' ? 'KeyGenerated' : 'KeyImported', data: { ...command.data, at } }];
    case 'RenameKey': {
      const current = requirePresent(state, command.data.keyId);
      return current.name === command.data.name ? [] : [{ type: 'KeyUpdated', data: { ...command.data, at } }];
    }
    case 'DeleteKey':
      requirePresent(state, command.data.keyId);
      if (command.data.usedByIssuers.length > 0) {
        throw conflict('key_in_use', `key ${command.data.keyId} is in use by issuers: ${command.data.usedByIssuers.join(', ')}`);
      }
      return [{ type: 'KeyDeleted', data: { keyId: command.data.keyId, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case 'KeyGenerated':
    case 'KeyImported':
      return { status: 'present', keyId: event.data.keyId, name: event.data.name, spec: event.data.spec };
    case 'KeyUpdated':
      return state.status === 'present' ? { ...state, name: event.data.name } : state;
    case 'KeyDeleted':
      return { status: 'deleted', keyId: event.data.keyId };
    default:
      return unreachable(event);
  }
}

export const keyDecider: Decider<KeyCommand, KeyEvent, KeyState> = { initialState: () => ({ status: 'none' }), decide, evolve };
