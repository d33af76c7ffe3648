/**
 * OpenBao-style request authorization: the token comes in `X-Vault-Token` (or `Authorization: Bearer`), its
 * policies grant capabilities on the request path, and anything short of that is 403 "permission denied" (OpenBao
 * answers a missing token, an unknown one and a refused path the same way).
 */
import type Koa from 'koa';
import { capabilitiesFor, ROOT_POLICY, type Capability } from '../../domain/acl.js';
import type { ApiTokenRow } from '../../../projections/credentials.js';
import type { PolicyService } from '../../app/pki/policy-service.js';
import type { TokenService } from '../../app/pki/token-service.js';
import { HttpError } from '../errors.js';
import { bearerToken } from '../middleware/bearer-auth.js';
import type { Operation, PathSpec } from './framework.js';

export const permissionDenied = () => new HttpError(403, 'permission denied');

export function presentedToken(ctx: Koa.Context): string | undefined {
  return ctx.get('x-vault-token').trim() || bearerToken(ctx);
}

/** The capability an operation needs: writes to something that does not exist yet need `create`. */
export function requiredCapability(operation: Operation, spec: PathSpec, params: Record<string, string>): Capability {
  switch (operation) {
    case 'read':
    case 'list':
    case 'patch':
    case 'delete':
      return operation;
    case 'update':
      return spec.exists && !spec.exists(params) ? 'create' : 'update';
  }
}

export class Authorizer {
  constructor(
    private readonly tokens: TokenService,
    private readonly policies: PolicyService,
  ) {}

  authenticate(secret: string | undefined): ApiTokenRow | undefined {
    return secret ? this.tokens.authenticate(secret) : undefined;
  }

  allowed(token: ApiTokenRow, path: string, capability: Capability, sudo: boolean): boolean {
    if (token.policies.includes(ROOT_POLICY)) return true;
    const granted = capabilitiesFor(this.policies.rulesOf(token.policies), path);
    return granted.has(capability) && (!sudo || granted.has('sudo'));
  }

  /** The caller's token, or 403. `path` is the ACL path: below /v1/, with a trailing slash for lists. */
  authorize(secret: string | undefined, path: string, capability: Capability, sudo: boolean): ApiTokenRow {
    const token = this.authenticate(secret);
    if (!token || !this.allowed(token, path, capability, sudo)) throw permissionDenied();
    return token;
  }
}
