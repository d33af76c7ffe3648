/** Query.issuer: one issuer by id, name or `default`, or NOT_FOUND. */
import { notFound } from '../../errors.js';
import type { QueryResolvers } from '../../generated/resolvers.js';
import { scoped } from '../../scope.js';

export const issuer: QueryResolvers['issuer'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const row = scope.reads.issuers.resolve(args.id);
  if (!row) throw notFound(`no issuer "${args.id}"`);
  return scoped(row, scope);
};
