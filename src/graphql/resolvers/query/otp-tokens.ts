/** Query.otpTokens: one-time passwords, newest first, without their secrets (only hashes are recorded anyway). */
import type { QueryResolvers } from '../../generated/resolvers.js';
import { pageWindow } from '../../inputs.js';
import { otpStatusFromGraphql } from '../../mappers/enrollment.js';

export const otpTokens: QueryResolvers['otpTokens'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const { limit } = pageWindow({ first: args.first ?? 100 });
  const status = args.status ? otpStatusFromGraphql(args.status) : undefined;
  return scope.reads.otps.list(status, limit, scope.now).map((row) => ({ ...row, now: scope.now }));
};
