/**
 * GraphQL errors with a machine-readable `extensions.code`, and the one mapping from Signet's failures to them.
 * `extensions.http.status` sets the HTTP status yoga answers with (yoga strips it from the response body).
 */
import { GraphQLError } from 'graphql';
import { DomainError, type DomainErrorKind } from '../domain/errors.js';

export type GraphqlErrorCode = 'UNAUTHENTICATED' | 'FORBIDDEN' | 'BAD_USER_INPUT' | 'NOT_FOUND' | 'CONFLICT' | 'SERVICE_UNAVAILABLE' | 'QUERY_TOO_COMPLEX';

const HTTP_STATUS: Partial<Record<GraphqlErrorCode, number>> = { UNAUTHENTICATED: 401, FORBIDDEN: 403, SERVICE_UNAVAILABLE: 503 };

export function graphqlError(code: GraphqlErrorCode, message: string, extra: Record<string, unknown> = {}): GraphQLError {
  const status = HTTP_STATUS[code];
  const headers = code === 'UNAUTHENTICATED' ? { 'WWW-Authenticate': 'Bearer' } : undefined;
  return new GraphQLError(message, { extensions: { code, ...extra, ...(status ? { http: { status, ...(headers ? { headers } : {}) } } : {}) } });
}

export const unauthenticated = (message = 'authentication required: present a token in X-Vault-Token or Authorization: Bearer') => graphqlError('UNAUTHENTICATED', message);
export const forbidden = (message = 'permission denied') => graphqlError('FORBIDDEN', message);
export const badUserInput = (message: string, field?: string) => graphqlError('BAD_USER_INPUT', message, field ? { field } : {});
export const notFound = (message: string) => graphqlError('NOT_FOUND', message);

const DOMAIN_CODES: Record<DomainErrorKind, GraphqlErrorCode> = { invalid: 'BAD_USER_INPUT', forbidden: 'FORBIDDEN', not_found: 'NOT_FOUND', conflict: 'CONFLICT', gone: 'NOT_FOUND' };

/** Errors from lower layers that carry their own HTTP meaning (e.g. the signing queue being full). */
const isUnavailable = (error: unknown) => error instanceof Error && (error as { httpStatus?: unknown }).httpStatus === 503;

/** A resolver's failure as the client should see it; undefined for unexpected errors (yoga masks those). */
export function toGraphqlError(error: unknown): GraphQLError | undefined {
  if (error instanceof GraphQLError && typeof error.extensions.code === 'string') return error;
  if (error instanceof DomainError) return graphqlError(DOMAIN_CODES[error.kind], error.message, { reason: error.code });
  if (isUnavailable(error)) return graphqlError('SERVICE_UNAVAILABLE', (error as Error).message);
  return undefined;
}
