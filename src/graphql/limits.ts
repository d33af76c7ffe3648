/**
 * Query cost limits, checked before execution:
 *   - depth: nesting of selections (fragments expanded, introspection fields not counted), a validation rule;
 *   - complexity: every field costs 1, and a list multiplies the cost of what is selected inside it by its size:
 *     a connection's edges by `first`/`last` (default 50; totalCount and pageInfo are paid once), another list by
 *     `first` when it has one, else an assumed 10; `asOf` adds the price of a rebuild. It needs the variables'
 *     values, so it runs when an operation is about to execute.
 */
import {
  getArgumentValues,
  getNamedType,
  GraphQLError,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './inputs.js';

const ASSUMED_LIST_SIZE = 10;
export const AS_OF_COST = 1000;

type Fragments = Record<string, FragmentDefinitionNode>;

function fragmentsOf(document: DocumentNode): Fragments {
  const fragments: Fragments = {};
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  return fragments;
}

/** The deepest chain of fields below a selection set; `seen` stops fragment cycles (validation reports those). */
function depthOf(selectionSet: SelectionSetNode, fragments: Fragments, seen: Set<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      deepest = Math.max(deepest, 1 + (selection.selectionSet ? depthOf(selection.selectionSet, fragments, seen) : 0));
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      deepest = Math.max(deepest, depthOf(selection.selectionSet, fragments, seen));
    } else {
      const name = selection.name.value;
      const fragment = fragments[name];
      if (!fragment || seen.has(name)) continue;
      deepest = Math.max(deepest, depthOf(fragment.selectionSet, fragments, new Set([...seen, name])));
    }
  }
  return deepest;
}

export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const fragments = fragmentsOf(context.getDocument());
    return {
      OperationDefinition(operation) {
        const depth = depthOf(operation.selectionSet, fragments, new Set());
        if (depth > maxDepth) {
          context.reportError(
            new GraphQLError(`query depth ${depth} exceeds the limit of ${maxDepth}`, { nodes: [operation], extensions: { code: 'QUERY_TOO_DEEP', depth, limit: maxDepth } }),
          );
        }
      },
    };
  };
}

function isList(type: GraphQLOutputType): boolean {
  return isListType(isNonNullType(type) ? type.ofType : type);
}

interface CostContext {
  schema: GraphQLSchema;
  fragments: Fragments;
  variables: Record<string, unknown>;
}

const isConnection = (type: { name: string }) => type.name.endsWith('Connection');

/** `first`/`last`, clamped: an oversized page is refused by its resolver with a precise message, not here. */
function pageSizeOf(args: Record<string, unknown>): number | undefined {
  const given = (args.first ?? args.last) as number | undefined;
  return given === undefined ? undefined : Math.min(given, MAX_PAGE_SIZE);
}

/** Argument values, or none when they do not coerce (execution then reports the error itself). */
function argumentsOf(field: GraphQLField<unknown, unknown>, node: FieldNode, variables: Record<string, unknown>): Record<string, unknown> {
  try {
    return getArgumentValues(field, node, variables);
  } catch {
    return {};
  }
}

/**
 * The cost of a selection set on `parent`. `page` is the page size when `parent` is a connection: its edges list
 * holds that many items, while its totalCount and pageInfo are paid once.
 */
function costOf(parent: GraphQLObjectType, selectionSet: SelectionSetNode, context: CostContext, seen: Set<string>, page?: number): number {
  let cost = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      const field = parent.getFields()[selection.name.value];
      if (!field || selection.name.value.startsWith('__')) continue;
      const args = argumentsOf(field, selection, context.variables);
      const inner = getNamedType(field.type);
      const innerPage = isConnection(inner) ? (pageSizeOf(args) ?? DEFAULT_PAGE_SIZE) : undefined;
      const below = selection.selectionSet && isObjectType(inner) ? costOf(inner, selection.selectionSet, context, seen, innerPage) : 0;
      const items = !isList(field.type) ? 1 : page !== undefined ? page : (pageSizeOf(args) ?? ASSUMED_LIST_SIZE);
      cost += 1 + items * below + (args.asOf ? AS_OF_COST : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const type = selection.typeCondition ? context.schema.getType(selection.typeCondition.name.value) : parent;
      if (isObjectType(type)) cost += costOf(type, selection.selectionSet, context, seen, type === parent ? page : undefined);
    } else {
      const name = selection.name.value;
      const fragment = context.fragments[name];
      const type = fragment && context.schema.getType(fragment.typeCondition.name.value);
      if (fragment && !seen.has(name) && isObjectType(type)) cost += costOf(type, fragment.selectionSet, context, new Set([...seen, name]), type === parent ? page : undefined);
    }
  }
  return cost;
}

/** The estimated cost of the operation `operationName` (or the only one) with these variables. */
export function operationCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined, variables: Record<string, unknown>): number {
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = operations.find((o) => !operationName || o.name?.value === operationName);
  if (!operation) return 0;
  const root = operation.operation === 'query' ? schema.getQueryType() : operation.operation === 'mutation' ? schema.getMutationType() : schema.getSubscriptionType();
  return root ? costOf(root, operation.selectionSet, { schema, fragments: fragmentsOf(document), variables }, new Set()) : 0;
}

export function useQueryLimits(limits: { maxDepth: number; maxComplexity: number }): Plugin {
  const tooComplex = (cost: number) =>
    new GraphQLError(`query complexity ${cost} exceeds the limit of ${limits.maxComplexity}: ask for fewer or smaller pages`, {
      extensions: { code: 'QUERY_TOO_COMPLEX', complexity: cost, limit: limits.maxComplexity },
    });
  const check = (args: { schema: GraphQLSchema; document: DocumentNode; operationName?: string | null; variableValues?: Record<string, unknown> | null }) => {
    const cost = operationCost(args.schema, args.document, args.operationName, args.variableValues ?? {});
    return cost > limits.maxComplexity ? tooComplex(cost) : undefined;
  };
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(depthLimitRule(limits.maxDepth));
    },
    onExecute({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = check(args);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
