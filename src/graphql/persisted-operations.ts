/**
 * Persisted operations (trusted documents): a JSON file mapping an operation's id (e.g. its SHA-256) to its
 * document, as GraphQL clients' build tools emit. Clients send `extensions.persistedQuery.sha256Hash` (Apollo's
 * format) or `documentId` instead of the query text; with `[graphql] persisted_only = true`, nothing else runs.
 */
import { readFileSync } from 'node:fs';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import type { Plugin } from 'graphql-yoga';
import { ConfigError } from '../config/config.js';

export function readPersistedOperations(file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`config error: graphql.persisted_operations: cannot read ${file}: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || !Object.values(parsed).every((v) => typeof v === 'string')) {
    throw new ConfigError(`config error: graphql.persisted_operations: ${file} must be a JSON object of id → document`);
  }
  return new Map(Object.entries(parsed as Record<string, string>));
}

export function usePersistedOperationsFile(file: string, allowArbitraryOperations: boolean): Plugin {
  const operations = readPersistedOperations(file);
  return usePersistedOperations({
    getPersistedOperation: (id) => operations.get(id) ?? null,
    allowArbitraryOperations,
    customErrors: {
      notFound: { message: 'PersistedQueryNotFound', extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' } },
      persistedQueryOnly: { message: 'PersistedQueryOnly: send the id of a persisted operation', extensions: { code: 'PERSISTED_QUERY_ONLY' } },
      keyNotFound: { message: 'PersistedQueryKeyNotFound', extensions: { code: 'BAD_USER_INPUT' } },
    },
  }) as Plugin;
}
