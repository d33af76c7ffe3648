/** Queries and subscriptions need `read` on `graphql/query`; each mutation checks its own REST-equivalent path. */
import { getOperationAST } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { QUERY_PERMISSION, requirePermission } from './auth.js';
import type { GraphqlContext } from './context.js';
import { toGraphqlError } from './errors.js';

export function usePermissionCheck(): Plugin<GraphqlContext> {
  const refusal = (context: GraphqlContext, operation: string | undefined) => {
    if (operation === 'mutation') return undefined;
    try {
      requirePermission(context.services.authorizer, context.principal, QUERY_PERMISSION);
      return undefined;
    } catch (error) {
      return toGraphqlError(error);
    }
  };
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const error = refusal(args.contextValue, getOperationAST(args.document, args.operationName)?.operation);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args.contextValue, 'subscription');
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
