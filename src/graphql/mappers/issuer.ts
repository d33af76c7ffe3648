/** Issuer rows as GraphQL issuers. */
import type { IssuerRow } from '../../../projections/issuers.js';
import type { IssuerKind, IssuerStatus } from '../generated/resolvers.js';
import type { Scoped } from '../scope.js';

export type IssuerNode = Scoped<IssuerRow>;

export const ISSUER_KIND: Record<string, IssuerKind> = { root: 'ROOT', intermediate: 'INTERMEDIATE', imported: 'IMPORTED' };
export const ISSUER_STATUS: Record<IssuerRow['status'], IssuerStatus> = { active: 'ACTIVE', revoked: 'REVOKED' };
