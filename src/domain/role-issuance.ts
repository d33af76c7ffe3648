/**
 * A certificate request checked against a role, as OpenBao's generateCreationBundle / signCert decide it: the
 * exact subject and SANs, the lifetime, the allowed keys and usages, or a refusal with OpenBao's message.
 * Pure: the caller decodes the CSR (if any) into a CsrIdentity and encodes the result.
 */
import { isIP } from 'node:net';
import { invalid } from './errors.js';
import type { KeyRule } from './issuance-policy.js';
import { extKeyUsageByName, keySpecFor, keyUsageByName, ROLE_DEFAULTS, type RoleDefinition } from './role.js';
import { globListAllows, isHostname, refusedCommonName, refusedName, refusedOtherSan, toAsciiHostname, uriAllowed, type OtherSan } from './role-names.js';
import type { ExtKeyUsage, KeySpec, KeyUsage, NameAttribute, San } from './x509.js';

/** The request parameters OpenBao's issue/sign paths take (lists already split). */
export interface CertRequestInput {
  commonName: string;
  altNames: string[];
  ipSans: string[];
  uriSans: string[];
  otherSans: OtherSan[];
  serialNumber: string;
  userIds: string[];
  excludeCnFromSans: boolean;
  /** Seconds; 0 = not given. */
  ttl: number;
  /** RFC 3339; '' = not given. */
  notAfter: string;
}

export const EMPTY_CERT_REQUEST: Readonly<CertRequestInput> = Object.freeze({
  commonName: '',
  altNames: [],
  ipSans: [],
  uriSans: [],
  otherSans: [],
  serialNumber: '',
  userIds: [],
  excludeCnFromSans: false,
  ttl: 0,
  notAfter: '',
});

/** What a CSR asks for, decoded by the caller. */
export interface CsrIdentity {
  commonName?: string;
  serialNumber?: string;
  userIds: string[];
  dnsNames: string[];
  emails: string[];
  ips: string[];
  uris: string[];
  otherSans: OtherSan[];
}

/** Exactly one of the two is set. */
export interface Lifetime {
  ttlSeconds?: number;
  notAfter?: number;
}

export interface ResolvedCertificate extends Lifetime {
  subject: NameAttribute[];
  /** dns, email, ip and uri SANs, in OpenBao's order; otherName SANs are separate (encoding them is crypto's job). */
  sans: San[];
  otherSans: OtherSan[];
  warnings: string[];
}

/** System lifetimes standing in for OpenBao's mount default and max lease TTL. */
export interface SystemTtls {
  defaultTtl: number;
  maxTtl: number;
}

const refuse = (message: string) => invalid('refused_by_role', message);
const unique = <T>(values: T[]) => [...new Set(values)];

/** Go's time.Duration String() for whole seconds ("48h0m0s", "90s" → "1m30s"), as OpenBao prints TTLs. */
export function formatGoDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h > 0) return `${h}h${m}m${s}s`;
  if (m > 0) return `${m}m${s}s`;
  return `${s}s`;
}

/** OpenBao's getCertificateNotAfter, except that an explicitly requested TTL over the maximum is refused. */
export function resolveLifetime(role: RoleDefinition, input: CertRequestInput, system: SystemTtls, warnings: string[]): Lifetime {
  const notAfterText = role.notAfter || input.notAfter;
  if (input.ttl > 0 && notAfterText) throw refuse('Either ttl or not_after should be provided. Both should not be provided in the same request.');
  if (notAfterText) {
    const notAfter = Date.parse(notAfterText);
    if (Number.isNaN(notAfter)) throw invalid('invalid_not_after', `not_after "${notAfterText}" is not an RFC 3339 time (YYYY-MM-ddTHH:MM:SSZ)`);
    return { notAfter };
  }
  const maxTtl = role.maxTtl || system.maxTtl;
  const ttl = input.ttl || role.ttl || system.defaultTtl;
  if (ttl <= maxTtl) return { ttlSeconds: ttl };
  if (input.ttl > 0) throw refuse(`TTL "${formatGoDuration(ttl)}" is longer than permitted maxTTL "${formatGoDuration(maxTtl)}"`);
  warnings.push(`TTL "${formatGoDuration(ttl)}" is longer than permitted maxTTL "${formatGoDuration(maxTtl)}", so maxTTL is being used`);
  return { ttlSeconds: maxTtl };
}

/** Splits OpenBao's alt_names (and a common name) into DNS names and email addresses. */
function splitNames(names: string[]): { dnsNames: string[]; emails: string[] } {
  const dnsNames: string[] = [];
  const emails: string[] = [];
  for (const name of names) {
    if (name.includes('@')) emails.push(name);
    else if (isHostname(name)) dnsNames.push(toAsciiHostname(name)!);
  }
  return { dnsNames, emails };
}

/** Go's pkix.Name order: C, ST, L, street, postalCode, O, OU, CN, serialNumber, then extra names (UID). */
export function roleSubject(role: Pick<RoleDefinition, 'country' | 'province' | 'locality' | 'streetAddress' | 'postalCode' | 'organization' | 'ou'>, commonName: string, serialNumber = '', userIds: string[] = []): NameAttribute[] {
  const attributes = (type: string, values: string[]) => unique(values).map((value) => ({ type, value }));
  return [
    ...attributes('C', role.country),
    ...attributes('ST', role.province),
    ...attributes('L', role.locality),
    ...attributes('street', role.streetAddress),
    ...attributes('postalCode', role.postalCode),
    ...attributes('O', role.organization),
    ...attributes('OU', role.ou),
    ...(commonName ? [{ type: 'CN', value: commonName }] : []),
    ...(serialNumber ? [{ type: 'serialNumber', value: serialNumber }] : []),
    ...userIds.map((value) => ({ type: 'UID', value })),
  ];
}

function checkIps(role: RoleDefinition, ips: string[], source: string): void {
  const bad = ips.find((ip) => isIP(ip) === 0);
  if (bad !== undefined) throw refuse(`the value "${bad}" is not a valid IP address`);
  if (ips.length > 0 && !role.allowIpSans) throw refuse(`IP Subject Alternative Names are not allowed in this role, but was provided via ${source}`);
}

function checkUris(role: RoleDefinition, uris: string[], source: 'the API' | 'CSR'): void {
  if (uris.length === 0) return;
  if (role.allowedUriSans.length === 0) throw refuse(`URI Subject Alternative Names are not allowed in this role, but were provided via ${source}`);
  if (!uris.every((uri) => uriAllowed(role, uri))) throw refuse(`URI Subject Alternative Names were provided via ${source} which are not valid for this role`);
}

function checkOtherSans(role: RoleDefinition, otherSans: OtherSan[]): void {
  const refused = refusedOtherSan(role, otherSans);
  if (refused?.value !== undefined) throw refuse(`other SAN ${refused.value} not allowed for OID ${refused.oid} by this role`);
  if (refused) throw refuse(`other SAN OID ${refused.oid} not allowed by this role`);
}

/**
 * Decides the subject and SANs of a certificate from the role, the request and (for sign) the CSR.
 * Throws DomainError 'invalid' with OpenBao's message when the role refuses.
 */
export function resolveCertRequest(role: RoleDefinition, input: CertRequestInput, system: SystemTtls, csr?: CsrIdentity): ResolvedCertificate {
  const warnings: string[] = [];
  const useCsrSans = csr !== undefined && role.useCsrSans;
  let commonName = (csr && role.useCsrCommonName ? csr.commonName : undefined) || input.commonName;
  if (!commonName && role.requireCn) {
    throw refuse('the common_name field is required, or must be provided in a CSR with "use_csr_common_name" set to true, unless "require_cn" is set to false');
  }
  commonName ??= '';
  const fromCsr = useCsrSans ? { dnsNames: csr.dnsNames, emails: csr.emails } : { dnsNames: [], emails: [] };
  const fromCn = commonName && !input.excludeCnFromSans ? splitNames([commonName]) : { dnsNames: [], emails: [] };
  const fromApi = useCsrSans ? { dnsNames: [], emails: [] } : splitNames(input.altNames);
  const dnsNames = unique([...fromCsr.dnsNames, ...fromCn.dnsNames, ...fromApi.dnsNames]);
  const emails = unique([...fromCsr.emails, ...fromCn.emails, ...fromApi.emails]);

  if (commonName && refusedCommonName(role, commonName)) throw refuse(`common name ${commonName} not allowed by this role`);
  const serialNumber = input.serialNumber || csr?.serialNumber || '';
  if (serialNumber && !globListAllows(role.allowedSerialNumbers, serialNumber)) throw refuse(`serial_number ${serialNumber} not allowed by this role`);
  const badDns = refusedName(role, dnsNames);
  if (badDns !== undefined) throw refuse(`subject alternate name ${badDns} not allowed by this role`);
  const badEmail = refusedName(role, emails);
  if (badEmail !== undefined) throw refuse(`email address ${badEmail} not allowed by this role`);

  const otherSans = [...input.otherSans, ...(useCsrSans ? csr.otherSans : [])];
  checkOtherSans(role, otherSans);
  const ips = useCsrSans ? csr.ips : input.ipSans;
  checkIps(role, ips, useCsrSans ? 'CSR' : 'the API');
  const uris = useCsrSans ? csr.uris : input.uriSans;
  checkUris(role, uris, useCsrSans ? 'CSR' : 'the API');

  const userIds = input.userIds.length ? input.userIds : (csr?.userIds ?? []);
  const badUserId = userIds.find((id) => !globListAllows(role.allowedUserIds, id));
  if (badUserId !== undefined) throw refuse(`user_id ${badUserId} is not allowed by this role`);

  if (csr) {
    if (role.useCsrCommonName && input.commonName) warnings.push('the common_name field was provided but the role is set with "use_csr_common_name" set to true');
    if (role.useCsrSans && input.altNames.length) warnings.push('the alt_names field was provided but the role is set with "use_csr_sans" set to true');
  }
  const sans: San[] = [
    ...dnsNames.map((value): San => ({ type: 'dns', value })),
    ...emails.map((value): San => ({ type: 'email', value })),
    ...unique(ips).map((value): San => ({ type: 'ip', value })),
    ...unique(uris).map((value): San => ({ type: 'uri', value })),
  ];
  const lifetime = resolveLifetime(role, input, system, warnings);
  return { subject: roleSubject(role, commonName, serialNumber, userIds), sans, otherSans, ...lifetime, warnings };
}

const EC_CURVE_BITS: Record<'P-256' | 'P-384', number> = { 'P-256': 256, 'P-384': 384 };

function keyBitsOf(key: KeySpec): number {
  return key.kind === 'rsa' ? key.bits : key.kind === 'ec' ? EC_CURVE_BITS[key.curve] : 0;
}

/** OpenBao's signCert key checks: the CSR's key type must be the role's, and at least key_bits long. */
export function checkCsrKey(role: RoleDefinition, key: KeySpec): void {
  if (role.keyType !== 'any' && role.keyType !== key.kind) throw refuse(`role requires keys of type ${role.keyType}`);
  const bits = keyBitsOf(key);
  const minimum = role.keyType === 'any' ? (key.kind === 'rsa' ? 2048 : 0) : role.keyBits;
  if (key.kind !== 'ed25519' && bits < minimum) throw refuse(`role requires a minimum of a ${minimum}-bit key, but CSR's key is ${bits} bits`);
}

/** The same rule for the signing worker, which checks the key again when it verifies the CSR. */
export function roleKeyRules(role: RoleDefinition): KeyRule[] {
  const curves = (Object.keys(EC_CURVE_BITS) as ('P-256' | 'P-384')[]).filter((c) => EC_CURVE_BITS[c] >= role.keyBits);
  switch (role.keyType) {
    case 'rsa':
      return [{ kind: 'rsa', minBits: role.keyBits }];
    case 'ec':
      return [{ kind: 'ec', curves }];
    case 'ed25519':
      return [{ kind: 'ed25519' }];
    case 'any':
      return [{ kind: 'rsa', minBits: 2048 }, { kind: 'ec', curves: ['P-256', 'P-384'] }, { kind: 'ed25519' }];
  }
}

/** The key `issue` generates: the role's type and size, or the request's when the role says "any". */
export function keySpecForIssue(role: RoleDefinition, requested: { keyType: string; keyBits: number }): KeySpec {
  if (role.keyType !== 'any') return keySpecFor(role.keyType, role.keyBits);
  if (!requested.keyType) {
    throw refuse('role key type "any" not allowed for issuing certificates without providing key_type and/or key_bits request parameters');
  }
  return keySpecFor(requested.keyType, requested.keyBits);
}

export function roleKeyUsages(role: Pick<RoleDefinition, 'keyUsage'>): KeyUsage[] {
  return unique(role.keyUsage.map((name) => keyUsageByName(name)).filter((u): u is KeyUsage => u !== undefined));
}

/** server/client/code signing/email flags first, then ext_key_usage names, then ext_key_usage_oids. */
export function roleExtKeyUsages(role: Pick<RoleDefinition, 'serverFlag' | 'clientFlag' | 'codeSigningFlag' | 'emailProtectionFlag' | 'extKeyUsage' | 'extKeyUsageOids'>): ExtKeyUsage[] {
  const flags: [boolean, ExtKeyUsage][] = [
    [role.serverFlag, 'serverAuth'],
    [role.clientFlag, 'clientAuth'],
    [role.codeSigningFlag, 'codeSigning'],
    [role.emailProtectionFlag, 'emailProtection'],
  ];
  const named = role.extKeyUsage.map((name) => extKeyUsageByName(name)).filter((u): u is ExtKeyUsage => u !== undefined);
  return unique([...flags.filter(([on]) => on).map(([, usage]) => usage), ...named, ...role.extKeyUsageOids]);
}

/**
 * The implicit role of sign-verbatim (OpenBao's buildSignVerbatimRole): any name and key, the CSR's values, and
 * from a named role only its lifetimes, no_store, not_before_duration and issuer.
 */
export function signVerbatimRole(usages: Pick<RoleDefinition, 'keyUsage' | 'extKeyUsage' | 'extKeyUsageOids'>, role?: RoleDefinition): RoleDefinition {
  return {
    ...ROLE_DEFAULTS,
    allowAnyName: true,
    enforceHostnames: false,
    keyType: 'any',
    allowedOtherSans: ['*'],
    allowedSerialNumbers: ['*'],
    allowedUriSans: ['*'],
    allowedUserIds: ['*'],
    cnValidations: ['disabled'],
    requireCn: false,
    serverFlag: false,
    clientFlag: false,
    ...usages,
    ttl: role?.ttl ?? 0,
    maxTtl: role?.maxTtl ?? 0,
    noStore: role?.noStore ?? false,
    notBeforeDuration: role?.notBeforeDuration ?? ROLE_DEFAULTS.notBeforeDuration,
    issuerRef: role?.issuerRef ?? 'default',
  };
}

/** The implicit role of CA generation and sign-intermediate (OpenBao's getGenerationParams): any name, no checks. */
export function caGenerationRole(fields: Partial<Pick<RoleDefinition, 'ttl' | 'ou' | 'organization' | 'country' | 'locality' | 'province' | 'streetAddress' | 'postalCode' | 'notBeforeDuration'>>): RoleDefinition {
  return {
    ...signVerbatimRole({ keyUsage: [], extKeyUsage: [], extKeyUsageOids: [] }),
    allowLocalhost: true,
    allowIpSans: true,
    ...fields,
  };
}
