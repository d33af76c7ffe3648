/**
 * CRL numbers per issuer (RFC 5280 5.2.3: monotonically increasing, shared by complete and delta CRLs). Each build
 * allocates the next number as an event on the issuer's `crl-<issuerId>` stream, appended with the stream's
 * expected revision: two builders racing (even on two nodes) cannot hand out the same number.
 * CRLs signed from caller-supplied content (sign-revocation-list, resign-crls) are recorded too, for the audit.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';

export const crlStream = (issuerId: string) => `crl-${issuerId}`;

export type CrlKind = 'full' | 'delta';

export interface CrlNumberAllocatedData {
  issuerId: string;
  number: number;
  kind: CrlKind;
  /** Delta CRLs: the number of the complete CRL they extend, and the position that CRL covers. */
  baseNumber?: number;
  basePosition?: number;
  /** The log position whose revocations the CRL covers: a delta lists what was revoked after its base's position. */
  coversPosition: number;
  at: string;
}

export interface RevocationListSignedData {
  issuerId: string;
  source: 'sign-revocation-list' | 'resign-crls';
  number: number;
  baseNumber?: number;
  entries: number;
  at: string;
}

export type CrlEvent = DomainEvent<'CrlNumberAllocated', CrlNumberAllocatedData> | DomainEvent<'RevocationListSigned', RevocationListSignedData>;

export interface CrlState {
  lastNumber: number;
  lastFull?: { number: number; coversPosition: number };
}

export type CrlCommand =
  | { type: 'AllocateCrlNumber'; data: { issuerId: string; kind: CrlKind; coversPosition: number }; now: Date }
  | { type: 'RecordSignedRevocationList'; data: Omit<RevocationListSignedData, 'at'>; now: Date };

function decide(command: CrlCommand, state: CrlState): CrlEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'AllocateCrlNumber': {
      const { issuerId, kind, coversPosition } = command.data;
      const data: CrlNumberAllocatedData = { issuerId, number: state.lastNumber + 1, kind, coversPosition, at };
      if (kind === 'delta') {
        if (!state.lastFull) throw invalid('no_base_crl', `issuer ${issuerId} has no complete CRL for a delta CRL to extend`);
        if (coversPosition < state.lastFull.coversPosition) throw invalid('delta_before_base', 'a delta CRL cannot cover less than its base');
        data.baseNumber = state.lastFull.number;
        data.basePosition = state.lastFull.coversPosition;
      }
      return [{ type: 'CrlNumberAllocated', data }];
    }
    case 'RecordSignedRevocationList': {
      const { number, baseNumber } = command.data;
      if (!Number.isSafeInteger(number) || number < 0) throw invalid('invalid_crl_number', 'crl_number must be a non-negative integer');
      if (baseNumber !== undefined && (!Number.isSafeInteger(baseNumber) || baseNumber < 0)) {
        throw invalid('invalid_delta_crl_base_number', 'delta_crl_base_number must be a non-negative integer');
      }
      return [{ type: 'RevocationListSigned', data: { ...command.data, at } }];
    }
    default:
      return unreachable(command);
  }
}

function evolve(state: CrlState, event: CrlEvent): CrlState {
  switch (event.type) {
    case 'CrlNumberAllocated': {
      const { number, kind, coversPosition } = event.data;
      return { lastNumber: Math.max(state.lastNumber, number), lastFull: kind === 'full' ? { number, coversPosition } : state.lastFull };
    }
    case 'RevocationListSigned':
      return state;
    default:
      return unreachable(event);
  }
}

export const crlDecider: Decider<CrlCommand, CrlEvent, CrlState> = { initialState: () => ({ lastNumber: 0 }), decide, evolve };
