/** OTP, EST profile and role fields: statuses judged at the scope's instant, never a secret or a password hash. */
import { otpStatusAt } from '../../../../projections/otp-list.js';
import type { EstProfileResolvers, OtpTokenResolvers, RoleResolvers } from '../../generated/resolvers.js';
import { OTP_STATUS } from '../../mappers/enrollment.js';
import { scoped } from '../../scope.js';

export const OtpToken: OtpTokenResolvers = {
  id: (otp) => otp.tokenId,
  status: (otp) => OTP_STATUS[otpStatusAt(otp, otp.now)],
};

export const EstProfile: EstProfileResolvers = {
  issuerRef: (profile) => profile.settings.issuerRef,
  issuer: (profile) => {
    const issuer = profile.scope.reads.issuers.resolve(profile.settings.issuerRef);
    return issuer ? scoped(issuer, profile.scope) : null;
  },
  authMethods: (profile) => profile.settings.auth.methods,
  basicUsers: (profile) => profile.settings.auth.basicUsers.map((user) => user.username),
  validitySeconds: (profile) => profile.settings.template.validitySeconds,
  keyUsage: (profile) => profile.settings.template.keyUsage,
  extKeyUsage: (profile) => profile.settings.template.extKeyUsage,
  reenrollWindowSeconds: (profile) => profile.settings.reenroll.windowSeconds,
  revokeSuperseded: (profile) => profile.settings.reenroll.revokeSuperseded,
  serverKeygen: (profile) => profile.settings.serverKeygen.enabled,
};

export const Role: RoleResolvers = {
  ttlSeconds: (role) => role.ttl,
  maxTtlSeconds: (role) => role.maxTtl,
  keyType: (role) => role.keyType,
};
