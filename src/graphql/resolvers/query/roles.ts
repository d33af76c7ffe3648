/** Query.roles: every OpenBao PKI role, by name. */
import type { QueryResolvers } from '../../generated/resolvers.js';

export const roles: QueryResolvers['roles'] = async (_parent, args, context) => {
  const scope = await context.scope(args.asOf);
  const { roles: queries } = scope.reads;
  return queries.names().flatMap((name) => {
    const definition = queries.get(name);
    return definition ? [{ ...definition, name }] : [];
  });
};
