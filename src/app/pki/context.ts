/**
 * What the OpenBao-compatible PKI services share: the core, the signing pool, the PKI read models, and the
 * lookups every endpoint needs (issuer and key references resolve "default", an id or a name, as in OpenBao).
 */
import { AUDIT_KEY_ID } from '../../audit/audit-key.js';
import type { Decider } from '../../domain/decider.js';
import { invalid } from '../../domain/errors.js';
import { expandUrlTemplates } from '../../domain/pki-config.js';
import type { RoleDefinition } from '../../domain/role.js';
import type { SystemTtls } from '../../domain/role-issuance.js';
import type { EventMetadata } from '../../eventstore/port.js';
import type { IssuerRow, KeyRow } from '../../../projections/issuers.js';
import { PkiCertListingQueries } from '../../../projections/pki-cert-listing.js';
import { PkiConfigQueries } from '../../../projections/pki-config.js';
import { PolicyQueries } from '../../../projections/policies.js';
import { RoleQueries } from '../../../projections/roles.js';
import type { Core } from '../../core.js';
import type { CommandResult } from '../command-handler.js';
import { IssuanceService } from '../issuance.js';
import { publicAiaUrls } from '../revocation/aia-defaults.js';
import type { SigningPool } from '../signing-pool.js';

export interface PkiQueries {
  roles: RoleQueries;
  config: PkiConfigQueries;
  policies: PolicyQueries;
  listing: PkiCertListingQueries;
}

export interface PkiContext {
  core: Core;
  pool: SigningPool;
  queries: PkiQueries;
  issuance: IssuanceService;
}

const DAY_SECONDS = 86_400;

export function createPkiContext(core: Core): PkiContext {
  if (!core.pool) throw new Error('the PKI API needs the signing pool');
  const db = core.readDb;
  const queries = { roles: new RoleQueries(db), config: new PkiConfigQueries(db), policies: new PolicyQueries(db), listing: new PkiCertListingQueries(db) };
  return { core, pool: core.pool, queries, issuance: new IssuanceService(core, core.pool) };
}

/** Runs a command and waits until the read models show it, so the caller's next read sees its own write. */
export async function recordAndWait<Command, Event extends { type: string; data: unknown }, State>(
  core: Pick<Core, 'commands' | 'runner'>,
  streamId: string,
  decider: Decider<Command, Event, State>,
  command: Command,
  metadata: EventMetadata,
): Promise<CommandResult<Event>> {
  const result = await core.commands.handle(streamId, decider, command, { metadata });
  if (result.position !== undefined) await core.runner.waitFor(result.position);
  return result;
}

/** Leaf lifetimes standing in for OpenBao's mount TTLs: `[ca] leaf_validity_days`. */
export function leafTtls(ctx: PkiContext): SystemTtls {
  const seconds = ctx.core.config.ca.leafValidityDays * DAY_SECONDS;
  return { defaultTtl: seconds, maxTtl: seconds };
}

/** CA lifetimes: roots default to `[ca] root_validity_days`, intermediates to `issuing_validity_days`. */
export function caTtls(ctx: PkiContext, kind: 'root' | 'intermediate'): SystemTtls {
  const { rootValidityDays, issuingValidityDays } = ctx.core.config.ca;
  return { defaultTtl: (kind === 'root' ? rootValidityDays : issuingValidityDays) * DAY_SECONDS, maxTtl: 36_500 * DAY_SECONDS };
}

export function findIssuer(ctx: PkiContext, ref: string): IssuerRow | undefined {
  return ctx.core.queries.issuers.resolve(ref || 'default');
}

/** OpenBao: an unknown issuer reference is a 400 "unable to find PKI issuer for reference". */
export function resolveIssuer(ctx: PkiContext, ref: string): IssuerRow {
  const issuer = findIssuer(ctx, ref);
  if (!issuer) throw invalid('unknown_issuer', `unable to find PKI issuer for reference: ${ref || 'default'}`);
  return issuer;
}

export function defaultKeyId(ctx: PkiContext): string | undefined {
  const configured = ctx.queries.config.defaultKeyId();
  if (configured && ctx.core.queries.issuers.key(configured)) return configured;
  return findIssuer(ctx, 'default')?.keyId ?? undefined;
}

/** The audit log's signing key shares the keys read model but is Signet's own, not the PKI mount's. */
export function isPkiKey(key: KeyRow): boolean {
  return key.keyId !== AUDIT_KEY_ID;
}

/** The mount's keys (the audit key left out). */
export function pkiKeys(ctx: PkiContext): KeyRow[] {
  return ctx.core.queries.issuers.keys().filter(isPkiKey);
}

function anyKey(ctx: PkiContext, ref: string): KeyRow | undefined {
  const keys = ctx.core.queries.issuers;
  if (!ref || ref === 'default') {
    const id = defaultKeyId(ctx);
    return id ? keys.key(id) : undefined;
  }
  return keys.key(ref) ?? keys.keys().find((k) => k.name === ref);
}

/** A mount key by id, name or "default"; the audit key is not found. */
export function findKey(ctx: PkiContext, ref: string): KeyRow | undefined {
  const key = anyKey(ctx, ref);
  return key && isPkiKey(key) ? key : undefined;
}

export const unknownKey = (ref: string) => invalid('unknown_key', `unable to find PKI key for reference: ${ref || 'default'}`);

/** A mount key to use or change; naming the audit key is refused with its own reason. */
export function resolveKey(ctx: PkiContext, ref: string): KeyRow {
  const key = anyKey(ctx, ref);
  if (key && !isPkiKey(key)) throw invalid('reserved_key', `key ${ref} is Signet's audit log signing key; it cannot be used or managed through the PKI API`);
  if (!key) throw unknownKey(ref);
  return key;
}

export function resolveRole(ctx: PkiContext, name: string): RoleDefinition {
  const role = ctx.queries.roles.get(name);
  if (!role) throw invalid('unknown_role', `unknown role: ${name}`);
  return role;
}

/** Names of issuers and keys are unique and never the reserved "default". */
export function checkNewName(kind: 'issuer' | 'key', name: string, taken: boolean): void {
  if (name === 'default') throw invalid('reserved_name', `${kind} name "default" is reserved`);
  if (name && !/^[\w.@-]+$/.test(name)) throw invalid('invalid_name', `${kind} name outside of valid character limits`);
  if (taken) throw invalid('name_in_use', `${kind} name already in use`);
}

export interface AiaUrls {
  crlDistributionPoints: string[];
  ocspServers: string[];
  issuingCertificateUrls: string[];
}

const anyUrl = (urls: { issuingCertificates: string[]; crlDistributionPoints: string[]; ocspServers: string[] } | null) =>
  Boolean(urls && (urls.issuingCertificates.length || urls.crlDistributionPoints.length || urls.ocspServers.length));

/**
 * The AIA URLs placed into certificates an issuer signs: the issuer's own when any is set, else config/urls
 * (OpenBao's rule), with {{issuer_id}}, {{cluster_path}} and {{cluster_aia_path}} expanded; when neither says
 * anything, the public listener's per-issuer CRL, OCSP and CA URLs (unless `publicDefaults` is off, as for roots).
 */
export function aiaUrls(ctx: PkiContext, issuer: Pick<IssuerRow, 'issuerId' | 'urls'>, publicDefaults = true): AiaUrls {
  const own = issuer.urls;
  const global = ctx.queries.config.urls();
  if (!anyUrl(own) && !anyUrl(global) && publicDefaults && ctx.core.publicBaseUrl) return publicAiaUrls(ctx.core.publicBaseUrl, issuer.issuerId);
  const source = anyUrl(own) ? own! : global;
  const expand = (urls: string[]) => (anyUrl(own) || global.enableTemplating ? expandUrlTemplates(urls, issuer.issuerId, ctx.queries.config.cluster()) : urls);
  return {
    crlDistributionPoints: expand(source.crlDistributionPoints),
    ocspServers: expand(source.ocspServers),
    issuingCertificateUrls: expand(source.issuingCertificates),
  };
}
