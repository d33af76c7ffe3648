/**
 * The GraphQL API: a yoga server over the SDL in schema/ and the resolvers in ./resolvers, mounted as one koa
 * middleware at /graphql on the API listener. `buildGraphql` starts the live event feed for subscriptions and the
 * asOf state cache; `close` ends open subscriptions (their SSE streams finish) and drops the cached states.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GraphQLError, NoSchemaIntrospectionCustomRule } from 'graphql';
import { createSchema, createYoga, type Plugin, type YogaServerInstance } from 'graphql-yoga';
import type Koa from 'koa';
import { OtpService } from '../app/otp-service.js';
import type { Logger } from '../app/logger.js';
import type { GraphqlConfig } from '../config/config.js';
import type { Core } from '../core.js';
import { AsOfStates } from './as-of.js';
import type { TokenAuthorizer } from './auth.js';
import { contextFactory, type GraphqlContext, type GraphqlServices, type ServerContext } from './context.js';
import { toGraphqlError } from './errors.js';
import { koaGraphql } from './koa.js';
import { useQueryLimits } from './limits.js';
import { LiveEvents } from './live-events.js';
import { usePersistedOperationsFile } from './persisted-operations.js';
import { usePermissionCheck } from './permission.js';
import { graphReads } from './reads.js';
import { resolvers } from './resolvers/index.js';

export const GRAPHQL_PATH = '/graphql';
const SCHEMA_DIR = fileURLToPath(new URL('../../schema/', import.meta.url));

export function loadTypeDefs(dir = SCHEMA_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.graphql'))
    .sort()
    .map((name) => readFileSync(join(dir, name), 'utf8'));
}

export interface GraphqlDeps {
  core: Pick<Core, 'config' | 'logger' | 'paths' | 'store' | 'readDb' | 'runner' | 'commands'>;
  /** The OpenBao API's token and policy check (src/http/pki/auth.ts Authorizer). */
  authorizer: TokenAuthorizer;
}

export interface GraphqlServer {
  yoga: YogaServerInstance<ServerContext, GraphqlContext>;
  /** Answers GRAPHQL_PATH; passes everything else on. */
  middleware: Koa.Middleware;
  /** Ends subscriptions and waits for responses in flight: call it before closing the listener (idempotent). */
  close(): Promise<void>;
}

/** Unexpected failures are logged and answered "Unexpected error."; Signet's own errors keep their message and code. */
function maskError(logger: Logger) {
  return (error: unknown, message: string): Error => {
    const graphql = error instanceof GraphQLError ? error : undefined;
    const original = graphql?.originalError ?? error;
    const mapped = toGraphqlError(original);
    if (mapped) return new GraphQLError(mapped.message, { nodes: graphql?.nodes, path: graphql?.path, extensions: mapped.extensions });
    if (graphql && !graphql.originalError) return graphql;
    logger.error({ err: original, path: graphql?.path }, 'GraphQL request failed');
    return new GraphQLError(message, { nodes: graphql?.nodes, path: graphql?.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };
}

/**
 * Schema introspection, and the "did you mean" hints that name fields, only when `[graphql] introspection = true`.
 * (yoga itself gives validation errors the GRAPHQL_VALIDATION_FAILED code and HTTP status 400.)
 */
function useIntrospectionSetting(enabled: boolean): Plugin {
  if (enabled) return {};
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ result }) => {
        for (const error of result) error.message = error.message.replace(/ Did you mean .*$/, '');
      };
    },
  };
}

export function buildGraphql(deps: GraphqlDeps): GraphqlServer {
  const { core } = deps;
  const config: GraphqlConfig = core.config.graphql;
  const liveReads = graphReads(core.readDb);
  const live = new LiveEvents({ store: core.store, waitFor: (position) => core.runner.waitFor(position), reads: liveReads, logger: core.logger });
  const asOf = new AsOfStates(core.store, {
    dir: join(core.paths.dataDir, 'graphql-as-of'),
    maxStates: config.asOfCacheStates,
    maxEvents: config.asOfMaxEvents,
    head: () => core.runner.position,
    eventsUntil: (time) => liveReads.audit.lastPositionAt(time),
  });
  const services: GraphqlServices = { authorizer: deps.authorizer, core, otp: new OtpService(core.commands), liveReads, asOf, live };
  const yoga = createYoga<ServerContext, GraphqlContext>({
    schema: createSchema<GraphqlContext & ServerContext>({ typeDefs: loadTypeDefs(), resolvers }),
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: config.graphiql ? { title: 'Signet GraphQL' } : false,
    landingPage: false,
    cors: false,
    multipart: false,
    logging: { debug: () => undefined, info: () => undefined, warn: (...args) => core.logger.warn({ args }, 'graphql'), error: (...args) => core.logger.error({ args }, 'graphql') },
    maskedErrors: { maskError: maskError(core.logger) },
    context: contextFactory(services),
    plugins: [
      useIntrospectionSetting(config.introspection),
      useQueryLimits({ maxDepth: config.maxDepth, maxComplexity: config.maxComplexity }),
      usePermissionCheck(),
      ...(config.persistedOperations ? [usePersistedOperationsFile(config.persistedOperations, !config.persistedOnly)] : []),
    ],
  });
  live.start(core.runner.position);
  const mounted = koaGraphql(yoga, GRAPHQL_PATH);
  let closing: Promise<void> | undefined;
  return {
    yoga,
    middleware: mounted.middleware,
    close() {
      closing ??= (async () => {
        await live.close();
        await mounted.drain(5000);
        await asOf.close();
      })();
      return closing;
    },
  };
}
