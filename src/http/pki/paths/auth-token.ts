/**
 * The OpenBao token store (`auth/token/...`): create, lookup(-self), revoke(-self, -accessor). Answers carry
 * OpenBao's `auth` block and lookup data.
 */
import type { PkiServices } from '../../../app/pki/services.js';
import type { ApiTokenRow } from '../../../../projections/credentials.js';
import { HttpError } from '../../errors.js';
import type { FieldSchema } from '../fields.js';
import type { PathSpec, PkiRequest } from '../framework.js';
import { unixSeconds } from '../responses.js';

const CREATE_FIELDS: FieldSchema = {
  policies: { type: 'commaStringSlice' },
  ttl: { type: 'duration' },
  display_name: { type: 'string' },
  meta: { type: 'map' },
  no_parent: { type: 'bool' },
  no_default_policy: { type: 'bool' },
  renewable: { type: 'bool' },
  num_uses: { type: 'int' },
  type: { type: 'string', default: 'service' },
};

function secondsLeft(row: ApiTokenRow, now: number): number {
  return row.expiresAt ? Math.max(0, unixSeconds(Date.parse(row.expiresAt) - now)) : 0;
}

function authBlock(token: string, row: ApiTokenRow, now: number): Record<string, unknown> {
  return {
    client_token: token,
    accessor: row.accessor,
    policies: row.policies,
    token_policies: row.policies,
    identity_policies: null,
    metadata: row.meta,
    lease_duration: secondsLeft(row, now),
    renewable: false,
    entity_id: '',
    token_type: 'service',
    orphan: row.parent === null,
    mfa_requirement: null,
    num_uses: 0,
  };
}

function lookupData(row: ApiTokenRow, id: string | undefined, now: number): Record<string, unknown> {
  const created = Date.parse(row.createdAt);
  return {
    accessor: row.accessor,
    creation_time: unixSeconds(created),
    creation_ttl: row.expiresAt ? unixSeconds(Date.parse(row.expiresAt) - created) : 0,
    display_name: row.displayName,
    entity_id: '',
    expire_time: row.expiresAt,
    explicit_max_ttl: 0,
    ...(id ? { id } : {}),
    issue_time: row.createdAt,
    meta: row.meta,
    num_uses: 0,
    orphan: row.parent === null,
    path: 'auth/token/create',
    policies: row.policies,
    renewable: false,
    ttl: secondsLeft(row, now),
    type: 'service',
  };
}

export function tokenPaths(services: PkiServices): PathSpec[] {
  const { tokens } = services;
  const byToken = (secret: string) => {
    const row = secret ? tokens.authenticate(secret) : undefined;
    if (!row) throw new HttpError(400, 'bad token');
    return row;
  };
  const create = async ({ data, token, metadata }: PkiRequest) => {
    if (data.int('num_uses') > 0) throw new HttpError(400, 'num_uses is not supported: Signet tokens are valid until they expire or are revoked');
    if (data.string('type') !== 'service') throw new HttpError(400, `token type "${data.string('type')}" is not supported; only service tokens`);
    const orphan = data.bool('no_parent');
    if (orphan && !token!.policies.includes('root')) throw new HttpError(403, 'root or sudo privileges required to create orphan token');
    const now = Date.now();
    const created = await tokens.create(
      {
        ...(orphan ? {} : { parent: token! }),
        ...(data.has('policies') ? { policies: data.list('policies') } : orphan ? { policies: token!.policies } : {}),
        ...(data.has('ttl') ? { ttlSeconds: data.int('ttl') } : {}),
        ...(data.has('display_name') ? { displayName: data.string('display_name') } : {}),
        ...(data.has('meta') ? { meta: data.map('meta') } : {}),
        noDefaultPolicy: data.bool('no_default_policy'),
      },
      metadata,
    );
    return { auth: authBlock(created.token, created.row, now) };
  };
  return [
    { pattern: 'create', fields: CREATE_FIELDS, operations: { update: create } },
    { pattern: 'lookup-self', operations: { read: ({ token, clientToken }) => ({ data: lookupData(token!, clientToken, Date.now()) }) } },
    {
      pattern: 'lookup',
      fields: { token: { type: 'string' } },
      operations: { update: ({ data }) => ({ data: lookupData(byToken(data.string('token')), data.string('token'), Date.now()) }) },
    },
    {
      pattern: 'revoke',
      fields: { token: { type: 'string' } },
      operations: {
        update: async ({ data, metadata }) => {
          await tokens.revoke(byToken(data.string('token')).accessor, metadata);
        },
      },
    },
    {
      pattern: 'revoke-self',
      operations: {
        update: async ({ token, metadata }) => {
          await tokens.revoke(token!.accessor, metadata);
        },
      },
    },
    {
      pattern: 'revoke-accessor',
      fields: { accessor: { type: 'string' } },
      operations: {
        update: async ({ data, metadata }) => {
          const row = tokens.byAccessor(data.string('accessor'));
          if (!row || row.status !== 'active') throw new HttpError(400, 'invalid accessor');
          await tokens.revoke(row.accessor, metadata);
        },
      },
    },
  ];
}
