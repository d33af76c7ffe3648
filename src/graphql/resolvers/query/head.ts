/** Query.head: the position every live read model has applied. */
import type { QueryResolvers } from '../../generated/resolvers.js';

export const head: QueryResolvers['head'] = (_parent, _args, context) => context.services.core.runner.position;
