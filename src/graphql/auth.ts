/**
 * Who is calling and what they may do: the OpenBao API's tokens (`X-Vault-Token` or `Authorization: Bearer`) and
 * ACL policies. GraphQL operations map to policy paths:
 *   - queries and subscriptions: `graphql/query` with `read` (a read-only dashboard token needs only this);
 *   - revokeCertificate: `pki/revoke` with `update`, as the REST revoke endpoint;
 *   - createOtp: `signet/otp` with `create`.
 */
import type Koa from 'koa';
import { randomUUID } from 'node:crypto';
import type { Capability } from '../domain/acl.js';
import type { EventMetadata } from '../eventstore/port.js';
import { PolicyService } from '../app/pki/policy-service.js';
import { TokenService } from '../app/pki/token-service.js';
import type { Core } from '../core.js';
import { Authorizer, presentedToken } from '../http/pki/auth.js';
import { PolicyQueries } from '../../projections/policies.js';
import type { ApiTokenRow } from '../../projections/credentials.js';
import { forbidden, unauthenticated } from './errors.js';

export const QUERY_PERMISSION = { path: 'graphql/query', capability: 'read' } as const;
export const REVOKE_PERMISSION = { path: 'pki/revoke', capability: 'update' } as const;
export const CREATE_OTP_PERMISSION = { path: 'signet/otp', capability: 'create' } as const;

export interface Permission {
  path: string;
  capability: Capability;
}

/** The token check the OpenBao API uses (src/http/pki/auth.ts Authorizer). */
export interface TokenAuthorizer {
  authenticate(secret: string | undefined): ApiTokenRow | undefined;
  allowed(token: ApiTokenRow, path: string, capability: Capability, sudo: boolean): boolean;
}

/** The OpenBao API's authorizer over this core's tokens and policies. */
export function apiTokenAuthorizer(core: Pick<Core, 'commands' | 'runner' | 'queries' | 'readDb'>): TokenAuthorizer {
  return new Authorizer(new TokenService(core), new PolicyService(core, new PolicyQueries(core.readDb)));
}

export interface Principal {
  token: ApiTokenRow;
  /** Event metadata for commands this caller runs (actor, auth method, client address, request id). */
  metadata: EventMetadata;
}

/** The caller of this request, or UNAUTHENTICATED (401). */
export function authenticate(authorizer: TokenAuthorizer, ctx: Koa.Context): Principal {
  const secret = presentedToken(ctx);
  if (!secret) throw unauthenticated();
  const token = authorizer.authenticate(secret);
  if (!token) throw unauthenticated('invalid or expired token');
  return { token, metadata: { actor: token.displayName, auth_method: 'token', client_ip: ctx.ip, request_id: randomUUID() } };
}

/** FORBIDDEN (403) unless the caller's policies grant the permission. */
export function requirePermission(authorizer: TokenAuthorizer, principal: Principal, permission: Permission): void {
  if (!authorizer.allowed(principal.token, permission.path, permission.capability, false)) {
    throw forbidden(`permission denied: needs "${permission.capability}" on "${permission.path}"`);
  }
}
