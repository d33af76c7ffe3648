/**
 * API tokens as OpenBao's token store hands them out: created by a parent token (or by `signet token create`),
 * limited to a subset of the parent's policies, expiring no later than the parent, revoked together with their
 * children. Only a hash of each secret is recorded; the secret is shown once.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_POLICY, ROOT_POLICY } from '../../domain/acl.js';
import { forbidden, invalid } from '../../domain/errors.js';
import { tokenDecider, tokenStream } from '../../domain/token.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { ApiTokenRow } from '../../../projections/credentials.js';
import type { Core } from '../../core.js';
import { hashSecret, newSecret } from '../secrets.js';
import { recordAndWait } from './context.js';

/** OpenBao's default token TTL (768h), used when a create request names none. */
export const DEFAULT_TOKEN_TTL_SECONDS = 768 * 3600;

export interface CreateTokenInput {
  /** The creating token; undefined for an orphan made from the command line. */
  parent?: ApiTokenRow;
  policies?: string[];
  ttlSeconds?: number;
  displayName?: string;
  meta?: Record<string, string>;
  noDefaultPolicy?: boolean;
}

export interface CreatedToken {
  token: string;
  row: ApiTokenRow;
}

function normalizePolicies(policies: string[]): string[] {
  return [...new Set(policies.map((p) => p.trim().toLowerCase()).filter(Boolean))].sort();
}

/** OpenBao sanitizes display names and prefixes them with "token-". */
function displayNameOf(requested: string | undefined): string {
  const cleaned = (requested ?? '').replace(/[^a-zA-Z0-9\-_.]/g, '-').slice(0, 64);
  return cleaned ? `token-${cleaned}` : 'token';
}

export class TokenService {
  constructor(private readonly core: Pick<Core, 'commands' | 'runner' | 'queries'>) {}

  /** The active, unexpired token with this secret. */
  authenticate(secret: string, now = new Date()): ApiTokenRow | undefined {
    const row = this.core.queries.credentials.apiTokenByHash(hashSecret(secret));
    if (!row || row.status !== 'active') return undefined;
    if (row.expiresAt && Date.parse(row.expiresAt) <= now.getTime()) return undefined;
    return row;
  }

  private policiesFor(input: CreateTokenInput): string[] {
    const parentPolicies = input.parent?.policies ?? [];
    const requested = normalizePolicies(input.policies?.length ? input.policies : parentPolicies);
    if (input.parent && !parentPolicies.includes(ROOT_POLICY)) {
      const beyond = requested.filter((p) => p !== DEFAULT_POLICY && !parentPolicies.includes(p));
      if (beyond.length) throw forbidden('policies_not_subset', `child policies must be subset of parent: ${beyond.join(', ')} not held by the caller`);
    }
    if (requested.includes(ROOT_POLICY) || input.noDefaultPolicy) return requested;
    return normalizePolicies([...requested, DEFAULT_POLICY]);
  }

  private expiresAt(input: CreateTokenInput, policies: string[], now: Date): string | undefined {
    if (policies.includes(ROOT_POLICY) && input.ttlSeconds === undefined && !input.parent?.expiresAt) return undefined;
    const ttl = input.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
    if (ttl <= 0) throw invalid('invalid_ttl', 'ttl must be positive');
    let expires = now.getTime() + ttl * 1000;
    // A child never outlives its parent (OpenBao caps the TTL silently).
    if (input.parent?.expiresAt) expires = Math.min(expires, Date.parse(input.parent.expiresAt));
    return new Date(expires).toISOString();
  }

  async create(input: CreateTokenInput, metadata: EventMetadata, now = new Date()): Promise<CreatedToken> {
    const policies = this.policiesFor(input);
    if (policies.length === 0) throw invalid('no_policies', 'a token needs at least one policy');
    const accessor = randomUUID();
    const token = newSecret('s.');
    const expiresAt = this.expiresAt(input, policies, now);
    const data = {
      accessor,
      hash: hashSecret(token),
      displayName: displayNameOf(input.displayName),
      policies,
      ...(expiresAt ? { expiresAt } : {}),
      ...(input.parent ? { parent: input.parent.accessor } : {}),
      ...(input.meta && Object.keys(input.meta).length ? { meta: input.meta } : {}),
    };
    await recordAndWait(this.core, tokenStream(accessor), tokenDecider, { type: 'CreateToken', data, now }, { ...metadata, action: 'token_create' });
    const row = this.core.queries.credentials.apiToken(accessor);
    if (!row) throw new Error(`token ${accessor} is missing from the read model after creation`);
    return { token, row };
  }

  /** Revokes the token and, as OpenBao does, every token created under it. */
  async revoke(accessor: string, metadata: EventMetadata, now = new Date()): Promise<void> {
    const pending = [accessor];
    while (pending.length) {
      const current = pending.pop()!;
      pending.push(...this.core.queries.credentials.childTokens(current).map((child) => child.accessor));
      await recordAndWait(this.core, tokenStream(current), tokenDecider, { type: 'RevokeToken', data: { accessor: current }, now }, { ...metadata, action: 'token_revoke' });
    }
  }

  byAccessor(accessor: string): ApiTokenRow | undefined {
    return this.core.queries.credentials.apiToken(accessor);
  }
}
