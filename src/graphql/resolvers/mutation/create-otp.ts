/** Mutation.createOtp: the OTP service's create command; the secret is returned once, in this response only. */
import { CREATE_OTP_PERMISSION, requirePermission } from '../../auth.js';
import type { MutationResolvers } from '../../generated/resolvers.js';

export const createOtp: MutationResolvers['createOtp'] = async (_parent, args, context) => {
  const { services, principal } = context;
  requirePermission(services.authorizer, principal, CREATE_OTP_PERMISSION);
  const created = await services.otp.create(
    { label: args.label, ttl: args.ttl, ...(args.maxUses !== null && args.maxUses !== undefined ? { maxUses: args.maxUses } : {}), ...(args.profile ? { profile: args.profile } : {}) },
    principal.metadata,
  );
  await services.core.runner.waitFor(created.position);
  const scope = await context.scope();
  const row = scope.reads.credentials.otp(created.tokenId);
  if (!row) throw new Error(`OTP ${created.tokenId} missing from the read model after its command`);
  return { token: created.token, otp: { ...row, now: scope.now } };
};
