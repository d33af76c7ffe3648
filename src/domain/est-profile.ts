/**
 * EST profiles: what an `{aps}` label (RFC 7030 3.2.2) means. Each profile picks the issuer, the certificate
 * template, how clients may authenticate, the reenrollment rules, server-side key generation and the CSR
 * attributes served by `csrattrs`. Stream `est-profile-<name>`; settings are recorded whole on every change.
 */
import { type DomainEvent, type Decider, sameJsonValue, unreachable } from './decider.js';
import { conflict, forbidden, invalid, notFound } from './errors.js';
import { describeKey, keyAllowed, type IssuancePolicy } from './issuance-policy.js';
import type { KeySpec, KeyUsage } from './x509.js';

export const estProfileStream = (name: string) => `est-profile-${name}`;

/** The profile used when a request names no label. */
export const DEFAULT_EST_PROFILE = 'default';

export type EstAuthMethod = 'mtls' | 'basic' | 'otp';
export const EST_AUTH_METHODS: readonly EstAuthMethod[] = ['mtls', 'basic', 'otp'];

/** EST operation names: a label equal to one would make `/.well-known/est/<label>` ambiguous. */
export const EST_OPERATIONS = ['cacerts', 'simpleenroll', 'simplereenroll', 'serverkeygen', 'csrattrs', 'fullcmc'] as const;

export interface EstBasicUser {
  username: string;
  /** scrypt hash in PHC form (`$scrypt$ln=…,r=…,p=…$salt$hash`); the password itself is never recorded. */
  passwordHash: string;
}

/** One CsrAttrs entry (RFC 7030 4.5.2 AttrOrOID): a bare OID, or an attribute type with OID values. */
export interface EstCsrAttribute {
  oid: string;
  values?: string[];
}

/** The certificate template: the issuance policy without what comes from the issuer. */
export type EstTemplate = Pick<IssuancePolicy, 'validitySeconds' | 'backdateSeconds' | 'keyUsage' | 'extKeyUsage' | 'allowedKeys' | 'requireCommonName' | 'names'>;

export interface EstProfileSettings {
  /** "default", an issuer id or an issuer name. */
  issuerRef: string;
  template: EstTemplate;
  auth: {
    methods: EstAuthMethod[];
    basicUsers: EstBasicUser[];
    /** Client-certificate trust anchors, base64 DER; empty = the profile issuer's own chain. */
    trustAnchors: string[];
  };
  reenroll: {
    /** Reenrollment is accepted only when the certificate has at most this long left; null = any time. */
    windowSeconds: number | null;
    /** Revoke the renewed certificate (reason superseded) once its successor is recorded. */
    revokeSuperseded: boolean;
  };
  serverKeygen: { enabled: boolean; key: KeySpec };
  csrAttributes: EstCsrAttribute[];
  /** RA mode: enroll at this upstream EST configuration (IDIAL /pki/est id) instead of signing with issuerRef. */
  upstream?: number;
}

export interface EstProfileData {
  name: string;
  settings: EstProfileSettings;
  at: string;
}

export type EstProfileEvent =
  | DomainEvent<'EstProfileCreated', EstProfileData>
  | DomainEvent<'EstProfileUpdated', EstProfileData>
  | DomainEvent<'EstProfileDeleted', { name: string; at: string }>;

export type EstProfileState =
  | { status: 'none' }
  | { status: 'active'; name: string; settings: EstProfileSettings }
  | { status: 'deleted'; name: string };

export type EstProfileCommand =
  | { type: 'CreateEstProfile'; data: { name: string; settings: EstProfileSettings }; now: Date }
  | { type: 'UpdateEstProfile'; data: { name: string; settings: EstProfileSettings }; now: Date }
  | { type: 'DeleteEstProfile'; data: { name: string }; now: Date };

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const DOTTED_OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const SCRYPT_HASH = /^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}$/;
const KEY_USAGES: readonly KeyUsage[] = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];

export function validateProfileName(name: string): void {
  if (!NAME.test(name)) throw invalid('invalid_profile_name', `profile name "${name}" must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`);
  if ((EST_OPERATIONS as readonly string[]).includes(name)) throw invalid('invalid_profile_name', `profile name "${name}" is an EST operation name`);
}

function unique(values: readonly string[]): boolean {
  return new Set(values).size === values.length;
}

/** Pure checks of a whole settings record; throws DomainError('invalid') naming the first problem. */
export function validateProfileSettings(settings: EstProfileSettings): void {
  const { template, auth, reenroll, serverKeygen, csrAttributes } = settings;
  if (!settings.issuerRef.trim()) throw invalid('invalid_issuer_ref', 'issuer_ref must not be empty');
  if (!Number.isInteger(template.validitySeconds) || template.validitySeconds < 1) throw invalid('invalid_validity', 'validity must be a positive number of seconds');
  if (!Number.isInteger(template.backdateSeconds) || template.backdateSeconds < 0) throw invalid('invalid_backdate', 'backdate must be zero or a positive number of seconds');
  const badUsage = template.keyUsage.find((usage) => !KEY_USAGES.includes(usage));
  if (badUsage) throw invalid('invalid_key_usage', `unknown key usage "${badUsage}"`);
  if (template.allowedKeys.length === 0) throw invalid('invalid_allowed_keys', 'allowed_keys must name at least one key type');
  if (auth.methods.length === 0) throw invalid('invalid_auth_methods', 'auth_methods must name at least one of mtls, basic, otp');
  if (!unique(auth.methods) || auth.methods.some((m) => !EST_AUTH_METHODS.includes(m))) throw invalid('invalid_auth_methods', 'auth_methods must be distinct values among mtls, basic, otp');
  if (auth.methods.includes('basic') && auth.basicUsers.length === 0) throw invalid('basic_users_required', 'auth method basic needs at least one user in basic_users');
  for (const user of auth.basicUsers) {
    if (!user.username || user.username.includes(':')) throw invalid('invalid_username', `username "${user.username}" must be non-empty and contain no ":"`);
    if (!SCRYPT_HASH.test(user.passwordHash)) throw invalid('invalid_password_hash', `user ${user.username}: password hash must be an scrypt PHC string`);
  }
  if (!unique(auth.basicUsers.map((u) => u.username))) throw invalid('invalid_username', 'basic_users must have distinct usernames');
  if (reenroll.windowSeconds !== null && (!Number.isInteger(reenroll.windowSeconds) || reenroll.windowSeconds < 0)) {
    throw invalid('invalid_reenroll_window', 'reenroll_window must be null or a non-negative number of seconds');
  }
  if (serverKeygen.enabled && !keyAllowed(serverKeygen.key, template.allowedKeys)) {
    throw invalid('invalid_serverkeygen_key', `serverkeygen key ${describeKey(serverKeygen.key)} is not among the profile's allowed keys`);
  }
  for (const attribute of csrAttributes) {
    const bad = [attribute.oid, ...(attribute.values ?? [])].find((oid) => !DOTTED_OID.test(oid));
    if (bad !== undefined) throw invalid('invalid_csrattrs', `csrattrs: "${bad}" is not a dotted object identifier`);
  }
}

function decide(command: EstProfileCommand, state: EstProfileState): EstProfileEvent[] {
  const at = command.now.toISOString();
  const { name } = command.data;
  switch (command.type) {
    case 'CreateEstProfile':
      if (state.status === 'active') throw conflict('profile_exists', `EST profile ${name} already exists`);
      validateProfileName(name);
      validateProfileSettings(command.data.settings);
      return [{ type: 'EstProfileCreated', data: { name, settings: command.data.settings, at } }];
    case 'UpdateEstProfile':
      if (state.status !== 'active') throw notFound('unknown_profile', `EST profile ${name} not found`);
      validateProfileSettings(command.data.settings);
      if (sameJsonValue(state.settings, command.data.settings)) return [];
      return [{ type: 'EstProfileUpdated', data: { name, settings: command.data.settings, at } }];
    case 'DeleteEstProfile':
      if (state.status !== 'active') throw notFound('unknown_profile', `EST profile ${name} not found`);
      if (name === DEFAULT_EST_PROFILE) throw forbidden('default_profile', 'the default EST profile cannot be deleted; update it instead');
      return [{ type: 'EstProfileDeleted', data: { name, at } }];
    default:
      return unreachable(command);
  }
}

function evolve(state: EstProfileState, event: EstProfileEvent): EstProfileState {
  switch (event.type) {
    case 'EstProfileCreated':
    case 'EstProfileUpdated':
      return { status: 'active', name: event.data.name, settings: event.data.settings };
    case 'EstProfileDeleted':
      return { status: 'deleted', name: event.data.name };
    default:
      return unreachable(event);
  }
}

export const estProfileDecider: Decider<EstProfileCommand, EstProfileEvent, EstProfileState> = {
  initialState: () => ({ status: 'none' }),
  decide,
  evolve,
};
