/** Query.issuers: every issuer, oldest first. */
import type { QueryResolvers } from '../../generated/resolvers.js';
import { scoped } from '../../scope.js';

export const issuers: QueryResolvers['issuers'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  return scope.reads.issuers.list().map((row) => scoped(row, scope));
};
