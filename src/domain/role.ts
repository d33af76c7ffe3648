/**
 * OpenBao PKI roles: named issuance rules (which names, keys, lifetimes and usages a certificate may have).
 * Stream `role-<name>`. A write replaces the whole role (defaults fill what is not given), a patch merges into the
 * current one; both record the complete, validated definition, so a reader never needs the history of patches.
 */
import { type DomainEvent, type Decider, unreachable } from './decider.js';
import { invalid } from './errors.js';
import { parseOtherSan } from './role-names.js';
import type { ExtKeyUsage, KeySpec, KeyUsage } from './x509.js';

export const roleStream = (name: string) => `role-${name}`;

export type RoleKeyType = 'rsa' | 'ec' | 'ed25519' | 'any';

/** A role's fields: OpenBao's role parameters in camelCase (allowed_domains → allowedDomains); durations in seconds. */
export interface RoleDefinition {
  issuerRef: string;
  ttl: number;
  maxTtl: number;
  allowLocalhost: boolean;
  allowedDomains: string[];
  allowBareDomains: boolean;
  allowSubdomains: boolean;
  allowGlobDomains: boolean;
  allowWildcardCertificates: boolean;
  allowAnyName: boolean;
  enforceHostnames: boolean;
  allowIpSans: boolean;
  allowedUriSans: string[];
  allowedOtherSans: string[];
  allowedSerialNumbers: string[];
  allowedUserIds: string[];
  serverFlag: boolean;
  clientFlag: boolean;
  codeSigningFlag: boolean;
  emailProtectionFlag: boolean;
  keyType: RoleKeyType;
  keyBits: number;
  signatureBits: number;
  usePss: boolean;
  keyUsage: string[];
  extKeyUsage: string[];
  extKeyUsageOids: string[];
  useCsrCommonName: boolean;
  useCsrSans: boolean;
  ou: string[];
  organization: string[];
  country: string[];
  locality: string[];
  province: string[];
  streetAddress: string[];
  postalCode: string[];
  generateLease: boolean;
  noStore: boolean;
  requireCn: boolean;
  cnValidations: string[];
  policyIdentifiers: string[];
  basicConstraintsValidForNonCa: boolean;
  notBeforeDuration: number;
  /** Fixed notAfter (RFC 3339) for every certificate of this role; '' = computed from the TTL. */
  notAfter: string;
  /** RA mode: id of the upstream EST configuration (IDIAL /pki/est) that issues for this role; 0 = issuerRef signs. */
  upstream: number;
}

/** OpenBao's defaults for a role field that a write leaves out. */
export const ROLE_DEFAULTS: Readonly<RoleDefinition> = Object.freeze({
  issuerRef: 'default',
  ttl: 0,
  maxTtl: 0,
  allowLocalhost: true,
  allowedDomains: [],
  allowBareDomains: false,
  allowSubdomains: false,
  allowGlobDomains: false,
  allowWildcardCertificates: true,
  allowAnyName: false,
  enforceHostnames: true,
  allowIpSans: true,
  allowedUriSans: [],
  allowedOtherSans: [],
  allowedSerialNumbers: [],
  allowedUserIds: [],
  serverFlag: true,
  clientFlag: true,
  codeSigningFlag: false,
  emailProtectionFlag: false,
  keyType: 'rsa',
  keyBits: 0,
  signatureBits: 0,
  usePss: false,
  keyUsage: ['DigitalSignature', 'KeyAgreement', 'KeyEncipherment'],
  extKeyUsage: [],
  extKeyUsageOids: [],
  useCsrCommonName: true,
  useCsrSans: true,
  ou: [],
  organization: [],
  country: [],
  locality: [],
  province: [],
  streetAddress: [],
  postalCode: [],
  generateLease: false,
  noStore: false,
  requireCn: true,
  cnValidations: ['email', 'hostname'],
  policyIdentifiers: [],
  basicConstraintsValidForNonCa: false,
  notBeforeDuration: 30,
  notAfter: '',
  upstream: 0,
});

/** Go's x509.KeyUsage names without the prefix, lower-cased, to Signet's names. */
const KEY_USAGES: Record<string, KeyUsage> = {
  digitalsignature: 'digitalSignature',
  contentcommitment: 'contentCommitment',
  keyencipherment: 'keyEncipherment',
  dataencipherment: 'dataEncipherment',
  keyagreement: 'keyAgreement',
  certsign: 'keyCertSign',
  crlsign: 'cRLSign',
  encipheronly: 'encipherOnly',
  decipheronly: 'decipherOnly',
};

/** Go's x509.ExtKeyUsage names without the prefix, lower-cased, to Signet's names or OIDs. */
const EXT_KEY_USAGES: Record<string, ExtKeyUsage> = {
  any: 'anyExtendedKeyUsage',
  serverauth: 'serverAuth',
  clientauth: 'clientAuth',
  codesigning: 'codeSigning',
  emailprotection: 'emailProtection',
  ipsecendsystem: 'ipsecEndSystem',
  ipsectunnel: 'ipsecTunnel',
  ipsecuser: 'ipsecUser',
  timestamping: 'timeStamping',
  ocspsigning: 'OCSPSigning',
  microsoftservergatedcrypto: '1.3.6.1.4.1.311.10.3.3',
  netscapeservergatedcrypto: '2.16.840.1.113730.4.1',
  microsoftcommercialcodesigning: '1.3.6.1.4.1.311.2.1.22',
  microsoftkernelcodesigning: '1.3.6.1.4.1.311.61.1.1',
};

const lookupName = (name: string) => name.replace(/^(ext)?keyusage/i, '').toLowerCase();

/** Key usage names as OpenBao accepts them (case-insensitive, e.g. "DigitalSignature"); undefined for an unknown one. */
export function keyUsageByName(name: string): KeyUsage | undefined {
  return KEY_USAGES[lookupName(name)];
}

export function extKeyUsageByName(name: string): ExtKeyUsage | undefined {
  return EXT_KEY_USAGES[lookupName(name)];
}

const DOTTED_OID = /^[0-2](\.(0|[1-9]\d*))+$/;
const ROLE_NAME = /^\w([\w.@-]*\w)?$/;
const RSA_BITS = [2048, 3072, 4096];
/** Signet's EC keys are P-256 and P-384; OpenBao's 224 and 521 have no curve here. */
const EC_BITS = [256, 384];

export function isRoleName(name: string): boolean {
  return ROLE_NAME.test(name);
}

/** OpenBao's checkCNValidations: lower-cases, rejects unknown, repeated and contradictory values. */
function checkCnValidations(values: string[]): string[] {
  if (values.length === 0) return ['email', 'hostname'];
  const result = values.map((v) => v.toLowerCase());
  for (const value of result) {
    if (!['disabled', 'email', 'hostname'].includes(value)) throw invalid('invalid_cn_validations', `cn_validations value incorrect: unknown type: \`${value}\``);
    if (result.indexOf(value) !== result.lastIndexOf(value)) {
      throw invalid('invalid_cn_validations', `cn_validations value incorrect: \`${value}\` specified multiple times`);
    }
  }
  if (result.includes('disabled') && result.length > 1) {
    throw invalid('invalid_cn_validations', 'cn_validations value incorrect: cannot specify `disabled` along with `email` or `hostname`');
  }
  return result;
}

/** Default and permitted key sizes per type, as OpenBao's ValidateDefaultOrValueKeyTypeSignatureLength. */
export function normalizeKeyBits(keyType: string, keyBits: number): number {
  switch (keyType) {
    case 'rsa':
      if (keyBits === 0) return 2048;
      if (!RSA_BITS.includes(keyBits)) throw invalid('invalid_key_bits', `unsupported bit length for RSA key: ${keyBits}`);
      return keyBits;
    case 'ec':
      if (keyBits === 0) return 256;
      if (!EC_BITS.includes(keyBits)) throw invalid('invalid_key_bits', `unsupported bit length for EC key: ${keyBits} (Signet supports 256 and 384)`);
      return keyBits;
    case 'ed25519':
    case 'any':
      return 0;
    default:
      throw invalid('invalid_key_type', `unsupported key type: ${keyType}`);
  }
}

/** The key for OpenBao's key_type / key_bits (0 bits: the type's default). */
export function keySpecFor(keyType: string, keyBits: number): KeySpec {
  const bits = normalizeKeyBits(keyType, keyBits);
  switch (keyType) {
    case 'rsa':
      return { kind: 'rsa', bits };
    case 'ec':
      return { kind: 'ec', curve: bits === 384 ? 'P-384' : 'P-256' };
    case 'ed25519':
      return { kind: 'ed25519' };
    default:
      throw invalid('invalid_key_type', `unsupported key type: ${keyType}`);
  }
}

/** Validates a complete role and fills derived defaults (key bits, cn_validations). Throws DomainError 'invalid'. */
export function normalizeRole(role: RoleDefinition): RoleDefinition {
  if (role.maxTtl > 0 && role.ttl > role.maxTtl) throw invalid('ttl_over_max_ttl', '"ttl" value must be less than "max_ttl" value');
  const keyBits = normalizeKeyBits(role.keyType, role.keyBits);
  for (const name of role.keyUsage) {
    if (!keyUsageByName(name)) throw invalid('invalid_key_usage', `unknown key usage "${name}"`);
  }
  for (const name of role.extKeyUsage) {
    if (!extKeyUsageByName(name)) throw invalid('invalid_ext_key_usage', `unknown extended key usage "${name}"`);
  }
  for (const oid of role.extKeyUsageOids) {
    if (!DOTTED_OID.test(oid)) throw invalid('invalid_ext_key_usage_oid', `"${oid}" could not be parsed as a valid oid for an extended key usage`);
  }
  if (!(role.allowedOtherSans.length === 1 && role.allowedOtherSans[0] === '*')) {
    try {
      role.allowedOtherSans.forEach(parseOtherSan);
    } catch (error) {
      throw invalid('invalid_allowed_other_sans', `error parsing allowed_other_sans: ${(error as Error).message}`);
    }
  }
  if (role.notAfter && Number.isNaN(Date.parse(role.notAfter))) throw invalid('invalid_not_after', `not_after "${role.notAfter}" is not an RFC 3339 time`);
  return { ...role, keyBits, cnValidations: checkCnValidations(role.cnValidations), issuerRef: role.issuerRef || 'default' };
}

export type RoleEvent =
  | DomainEvent<'RoleWritten', { name: string; role: RoleDefinition; at: string }>
  | DomainEvent<'RoleDeleted', { name: string; at: string }>;

export type RoleState = { status: 'none' } | { status: 'present'; role: RoleDefinition };

export type RoleCommand =
  | { type: 'WriteRole'; data: { name: string; role: RoleDefinition }; now: Date }
  | { type: 'PatchRole'; data: { name: string; changes: Partial<RoleDefinition> }; now: Date }
  | { type: 'DeleteRole'; data: { name: string }; now: Date };

function decide(command: RoleCommand, state: RoleState): RoleEvent[] {
  const at = command.now.toISOString();
  const { name } = command.data;
  switch (command.type) {
    case 'WriteRole':
      if (!isRoleName(name)) throw invalid('invalid_role_name', `invalid role name "${name}"`);
      return [{ type: 'RoleWritten', data: { name, role: normalizeRole(command.data.role), at } }];
    case 'PatchRole':
      if (state.status !== 'present') throw invalid('unknown_role', 'Unable to fetch role entry to patch');
      return [{ type: 'RoleWritten', data: { name, role: normalizeRole({ ...state.role, ...command.data.changes }), at } }];
    case 'DeleteRole':
      return state.status === 'present' ? [{ type: 'RoleDeleted', data: { name, at } }] : [];
    default:
      return unreachable(command);
  }
}

function evolve(state: RoleState, event: RoleEvent): RoleState {
  switch (event.type) {
    case 'RoleWritten':
      return { status: 'present', role: event.data.role };
    case 'RoleDeleted':
      return { status: 'none' };
    default:
      return unreachable(event);
  }
}

export const roleDecider: Decider<RoleCommand, RoleEvent, RoleState> = { initialState: () => ({ status: 'none' }), decide, evolve };
