/** OTPs, EST profiles and roles as GraphQL types (never with a secret or a password hash). */
import type { EstProfileRow } from '../../../projections/est-profiles.js';
import type { OtpListStatus } from '../../../projections/otp-list.js';
import type { OtpRow } from '../../../projections/credentials.js';
import type { RoleDefinition } from '../../domain/role.js';
import type { OtpStatus } from '../generated/resolvers.js';
import type { Scoped } from '../scope.js';

export type OtpTokenNode = OtpRow & { now: Date };
export type EstProfileNode = Scoped<EstProfileRow>;
export type RoleNode = RoleDefinition & { name: string };

export const OTP_STATUS: Record<OtpListStatus, OtpStatus> = { active: 'ACTIVE', used_up: 'USED_UP', expired: 'EXPIRED', revoked: 'REVOKED' };

export const otpStatusFromGraphql = (status: OtpStatus): OtpListStatus => (Object.keys(OTP_STATUS) as OtpListStatus[]).find((name) => OTP_STATUS[name] === status)!;
