import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';

/** Stream of one one-time password: `otp-<token id>`. Only a hash of the secret is ever recorded. */
export const otpStream = (tokenId: string) => `otp-${tokenId}`;

export interface OtpIssuedData {
  tokenId: string;
  label: string;
  /** SHA-256 of the secret, hex. */
  hash: string;
  maxUses: number;
  /** EST profile the token is limited to; absent = any profile that accepts OTP. */
  profile?: string;
  expiresAt: string;
  issuedAt: string;
}

export interface OtpConsumedData {
  tokenId: string;
  /** 1-based use number. */
  use: number;
  at: string;
  clientIp?: string;
}

export type OtpEvent =
  | DomainEvent<'OtpIssued', OtpIssuedData>
  | DomainEvent<'OtpConsumed', OtpConsumedData>
  | DomainEvent<'OtpRevoked', { tokenId: string; at: string }>;

export type OtpState =
  | { status: 'none' }
  | { status: 'active' | 'revoked'; tokenId: string; label: string; maxUses: number; uses: number; expiresAt: string; profile?: string };

export type OtpCommand =
  | { type: 'IssueOtp'; data: Omit<OtpIssuedData, 'issuedAt'>; now: Date }
  | { type: 'ConsumeOtp'; data: { tokenId: string; clientIp?: string; profile: string }; now: Date }
  | { type: 'RevokeOtp'; data: { tokenId: string }; now: Date };

export const MAX_OTP_USES = 1_000_000;

function decide(command: OtpCommand, state: OtpState): OtpEvent[] {
  const at = command.now.toISOString();
  switch (command.type) {
    case 'IssueOtp': {
      if (state.status !== 'none') throw conflict('otp_exists', `OTP ${command.data.tokenId} already exists`);
      const { maxUses, expiresAt } = command.data;
      if (!Number.isInteger(maxUses) || maxUses < 1 || maxUses > MAX_OTP_USES) {
        throw invalid('invalid_max_uses', `max_uses must be an integer from 1 to ${MAX_OTP_USES}`);
      }
      if (Date.parse(expiresAt) <= command.now.getTime()) throw invalid('invalid_ttl', 'ttl must be positive');
      return [{ type: 'OtpIssued', data: { ...command.data, issuedAt: at } }];
    }
    case 'ConsumeOtp': {
      if (state.status === 'none') throw notFound('otp_unknown', 'unknown one-time password');
      if (state.status === 'revoked') throw forbidden('otp_revoked', 'one-time password has been revoked');
      if (Date.parse(state.expiresAt) <= command.now.getTime()) throw forbidden('otp_expired', 'one-time password has expired');
      if (state.uses >= state.maxUses) throw forbidden('otp_used_up', 'one-time password has no uses left');
      if (state.profile && state.profile !== command.data.profile) {
        throw forbidden('otp_wrong_profile', `one-time password is not valid for profile ${command.data.profile}`);
      }
      const data: OtpConsumedData = { tokenId: state.tokenId, use: state.uses + 1, at };
      if (command.data.clientIp) data.clientIp = command.data.clientIp;
      return [{ type: 'OtpConsumed', data }];
    }
    case 'RevokeOtp':
      if (state.status === 'none') throw notFound('otp_unknown', `OTP ${command.data.tokenId} not found`);
      if (state.status === 'revoked') return [];
      return [{ type: 'OtpRevoked', data: { tokenId: state.tokenId, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: OtpState, event: OtpEvent): OtpState {
  switch (event.type) {
    case 'OtpIssued': {
      const { tokenId, label, maxUses, expiresAt, profile } = event.data;
      return { status: 'active', tokenId, label, maxUses, uses: 0, expiresAt, ...(profile ? { profile } : {}) };
    }
    case 'OtpConsumed':
      return state.status === 'none' ? state : { ...state, uses: event.data.use };
    case 'OtpRevoked':
      return state.status === 'none' ? state : { ...state, status: 'revoked' };
    default:
      return unreachable(event);
  }
}

export const otpDecider: Decider<OtpCommand, OtpEvent, OtpState> = { initialState: () => ({ status: 'none' }), decide, evolve };
