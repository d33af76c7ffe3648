/** Query.estProfiles: every EST profile, by name. */
import type { QueryResolvers } from '../../generated/resolvers.js';
import { scoped } from '../../scope.js';

export const estProfiles: QueryResolvers['estProfiles'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  return scope.reads.estProfiles.list().map((row) => scoped(row, scope));
};
