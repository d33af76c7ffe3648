/**
 * How a certd `POST /certificates` is issued (pure): the issuer the caller named, or else the certificate ID's
 * `[cert_issuance]` setting (Signet's local CA, a named issuer, an OpenBao role, or an upstream EST server), and
 * the issuance policy that goes with it.
 */
import { invalid } from '../domain/errors.js';
import { ANY_NAME_POLICY, STANDARD_KEY_RULES } from '../domain/issuance-policy.js';
import type { ProfilePolicy } from '../app/issuance.js';
import type { NameAttribute } from '../domain/x509.js';
import type { CertdConfig } from './authorization.js';
import type { CertIssuanceSetting, EstAuthSettings, EstDefaults } from './config-file.js';

/** certd's default lifetime for locally issued certificates. */
export const CERTD_DEFAULT_EXPIRY_DAYS = 30;
const DAY_SECONDS = 86_400;

export interface RequestedIssuer {
  /** A Signet issuer, by name or id. */
  certId: string;
  /** Must name that issuer's key, by key id or key name. */
  privateKeyHandle: string;
}

export type IssuancePlan =
  | { kind: 'issuer'; issuerRef: string; keyHandle?: string; setting?: CertIssuanceSetting }
  | { kind: 'role'; role: string; setting: CertIssuanceSetting }
  | { kind: 'est'; upstream?: number; url?: string; auth?: EstAuthSettings };

/** certd's error text for a bad request field ("parameter "x" has an invalid value" + its cause). */
export function invalidParameter(name: string, cause: string) {
  return invalid('invalid_parameter', `parameter "${name}" has an invalid value\ncaused by: ${cause}`);
}

/**
 * Where an EST setting enrolls: its own `upstream` or `url`, else `[cert_issuance.est]`: this ID's URL, the default
 * configuration (`upstream`), the default URL.
 */
function estTarget(certId: string, setting: { upstream?: number; url?: string }, defaults: EstDefaults | undefined): { upstream?: number; url?: string } {
  if (setting.upstream) return { upstream: setting.upstream };
  const url = setting.url ?? defaults?.urls[certId];
  if (url) return { url };
  if (defaults?.upstream) return { upstream: defaults.upstream };
  return defaults?.urls.default ? { url: defaults.urls.default } : {};
}

/**
 * As certd: an EST setting wins and the caller's issuer is ignored; otherwise the caller's issuer is used (with the
 * setting's lifetime and name, if any); otherwise the setting decides; with neither, the request is refused.
 */
export function planIssuance(certId: string, requested: RequestedIssuer | undefined, config: Pick<CertdConfig, 'issuance' | 'localCaIssuer' | 'est'>): IssuancePlan {
  const setting = config.issuance.get(certId);
  if (setting?.method === 'est') {
    const auth = setting.auth ?? config.est?.auth;
    return { kind: 'est', ...estTarget(certId, setting, config.est), ...(auth ? { auth } : {}) };
  }
  if (requested) return { kind: 'issuer', issuerRef: requested.certId, keyHandle: requested.privateKeyHandle, ...(setting ? { setting } : {}) };
  if (!setting) {
    throw invalidParameter('issuer', `issuer is required for locally-issued certs (no [cert_issuance.${JSON.stringify(certId)}] setting in config.d)`);
  }
  switch (setting.method) {
    case 'local_ca':
      return { kind: 'issuer', issuerRef: config.localCaIssuer ?? 'default', setting };
    case 'issuer':
      return { kind: 'issuer', issuerRef: setting.issuer, setting };
    case 'role':
      return { kind: 'role', role: setting.role, setting };
  }
}

/** The setting's `expiry_days` in seconds, when it sets one. */
export function settingLifetimeSeconds(setting?: CertIssuanceSetting): number | undefined {
  return setting?.expiryDays ? setting.expiryDays * DAY_SECONDS : undefined;
}

/**
 * The policy for certificates certd issues locally. Access is granted per certificate ID (principals), not per
 * name, so any subject and SANs the CSR asks for are accepted; the lifetime is certd's (`expiry_days`, default 30).
 */
export function certdPolicy(certId: string, setting?: CertIssuanceSetting): ProfilePolicy {
  return {
    name: `certd ${certId}`,
    validitySeconds: settingLifetimeSeconds(setting) ?? CERTD_DEFAULT_EXPIRY_DAYS * DAY_SECONDS,
    backdateSeconds: 60,
    keyUsage: ['digitalSignature', 'keyEncipherment', 'keyAgreement'],
    extKeyUsage: ['serverAuth', 'clientAuth'],
    allowedKeys: [...STANDARD_KEY_RULES],
    requireCommonName: false,
    names: ANY_NAME_POLICY,
  };
}

/** certd's `common_name` setting replaces the CSR's subject. */
export function subjectOverride(setting?: CertIssuanceSetting): NameAttribute[] | undefined {
  return setting?.commonName ? [{ type: 'CN', value: setting.commonName }] : undefined;
}
