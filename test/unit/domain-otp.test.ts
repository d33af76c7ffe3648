import { describe, test } from 'node:test';
import { otpDecider, type OtpEvent } from '../../src/domain/otp.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(otpDecider);
const now = new Date('2026-11-23T10:00:00.000Z');
const issued: OtpEvent = {
  type: 'OtpIssued',
  data: { tokenId: 't1', label: 'device-42', hash: 'ab', maxUses: 2, expiresAt: '2026-11-24T10:00:00.000Z', issuedAt: now.toISOString() },
};
const consume = (at = now) => ({ type: 'ConsumeOtp' as const, data: { tokenId: 't1', profile: 'default' }, now: at });
const used = (use: number): OtpEvent => ({ type: 'OtpConsumed', data: { tokenId: 't1', use, at: now.toISOString() } });

describe('otp decider', () => {
  test('issues a token with a positive ttl and sane max uses', () => {
    given([])
      .when({ type: 'IssueOtp', data: { tokenId: 't1', label: 'device-42', hash: 'ab', maxUses: 2, expiresAt: '2026-11-24T10:00:00.000Z' }, now })
      .then([issued]);
  });

  test('refuses zero uses and past expiry', () => {
    given([]).when({ type: 'IssueOtp', data: { tokenId: 't1', label: 'x', hash: 'ab', maxUses: 0, expiresAt: '2026-11-24T10:00:00.000Z' }, now }).thenThrows('invalid_max_uses', 'invalid');
    given([]).when({ type: 'IssueOtp', data: { tokenId: 't1', label: 'x', hash: 'ab', maxUses: 1, expiresAt: now.toISOString() }, now }).thenThrows('invalid_ttl', 'invalid');
  });

  test('counts uses up to max_uses, then refuses', () => {
    given([issued]).when(consume()).then([used(1)]);
    given([issued, used(1)]).when(consume()).then([used(2)]);
    given([issued, used(1), used(2)]).when(consume()).thenThrows('otp_used_up', 'forbidden');
  });

  test('refuses an expired token', () => {
    given([issued]).when(consume(new Date('2026-11-24T10:00:00.000Z'))).thenThrows('otp_expired', 'forbidden');
  });

  test('refuses a revoked token, and revoking twice is a no-op', () => {
    const revoked: OtpEvent = { type: 'OtpRevoked', data: { tokenId: 't1', at: now.toISOString() } };
    given([issued, revoked]).when(consume()).thenThrows('otp_revoked', 'forbidden');
    given([issued, revoked]).when({ type: 'RevokeOtp', data: { tokenId: 't1' }, now }).then([]);
  });

  test('a token bound to a profile is refused elsewhere', () => {
    const bound: OtpEvent = { type: 'OtpIssued', data: { ...issued.data, profile: 'sensors' } as never };
    given([bound]).when(consume()).thenThrows('otp_wrong_profile', 'forbidden');
  });
});
