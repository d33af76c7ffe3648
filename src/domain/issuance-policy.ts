/**
 * The signing pipeline as pure rules (in the spirit of step-ca's sign options): a verified CSR plus a policy
 * (an EST profile or an OpenBao role, reduced to plain data) either becomes the content of a certificate or is
 * refused with a reason. Runs inside signing workers, so it must stay pure and cheap.
 */
import type { CertContent, CsrFacts, ExtKeyUsage, KeySpec, KeyUsage, NameAttribute, San } from './x509.js';

export type KeyRule = { kind: 'ec'; curves: ('P-256' | 'P-384')[] } | { kind: 'ed25519' } | { kind: 'rsa'; minBits: number };

/** The keys accepted when a policy does not narrow them: EC P-256/P-384, Ed25519, RSA of at least 2048 bits. */
export const STANDARD_KEY_RULES: readonly KeyRule[] = Object.freeze([{ kind: 'ec', curves: ['P-256', 'P-384'] }, { kind: 'ed25519' }, { kind: 'rsa', minBits: 2048 }]);

export interface NamePolicy {
  allowAnyName: boolean;
  allowedDomains: string[];
  allowSubdomains: boolean;
  allowBareDomains: boolean;
  allowGlobDomains: boolean;
  allowIpSans: boolean;
  /** Glob patterns; empty = no URI SANs. */
  allowedUriSans: string[];
  allowEmailSans: boolean;
}

/** Names decided elsewhere (or anything goes): every name type allowed. */
export const ANY_NAME_POLICY: Readonly<NamePolicy> = Object.freeze({
  allowAnyName: true,
  allowedDomains: [],
  allowSubdomains: false,
  allowBareDomains: false,
  allowGlobDomains: false,
  allowIpSans: true,
  allowedUriSans: ['*'],
  allowEmailSans: true,
});

export interface IssuancePolicy {
  name: string;
  validitySeconds: number;
  /** Backdating of notBefore against clock skew. */
  backdateSeconds: number;
  keyUsage: KeyUsage[];
  extKeyUsage: ExtKeyUsage[];
  allowedKeys: KeyRule[];
  requireCommonName: boolean;
  names: NamePolicy;
  /** The issuer's own notAfter (epoch ms): leaves never outlive it unless behaviour is 'permit'. */
  issuerNotAfter: number;
  leafNotAfterBehavior: 'err' | 'truncate' | 'permit';
  crlDistributionPoints: string[];
  ocspServers: string[];
  issuingCertificateUrls: string[];
}

export interface IssuanceContext {
  serialHex: string;
  now: number;
  /** Requested lifetime; capped by the policy. */
  ttlSeconds?: number;
  /** An absolute notAfter (epoch ms) instead of a lifetime (OpenBao `not_after`); not capped by the policy. */
  notAfter?: number;
  /** Replace the CSR's subject/SANs (e.g. OpenBao `issue` with common_name/alt_names). */
  subjectOverride?: NameAttribute[];
  sansOverride?: San[];
}

export interface Rejection {
  rejected: { code: string; message: string };
}
export type IssuanceDecision = CertContent | Rejection;

const refuse = (code: string, message: string): Rejection => ({ rejected: { code, message } });

export function keyAllowed(key: KeySpec, rules: KeyRule[]): boolean {
  return rules.some((rule) => {
    if (rule.kind !== key.kind) return false;
    if (rule.kind === 'ec' && key.kind === 'ec') return rule.curves.includes(key.curve);
    if (rule.kind === 'rsa' && key.kind === 'rsa') return key.bits >= rule.minBits;
    return true;
  });
}

export function describeKey(key: KeySpec): string {
  switch (key.kind) {
    case 'ec':
      return `EC ${key.curve}`;
    case 'rsa':
      return `RSA ${key.bits}`;
    case 'ed25519':
      return 'Ed25519';
  }
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Whether a DNS name (or CN used as one) is allowed, with OpenBao's allowed_domains semantics. */
export function dnsNameAllowed(name: string, policy: NamePolicy): boolean {
  if (policy.allowAnyName) return true;
  const lower = name.toLowerCase();
  return policy.allowedDomains.some((domain) => {
    const d = domain.toLowerCase();
    if (policy.allowGlobDomains && /[*?]/.test(d) && globToRegExp(d).test(lower)) return true;
    if (policy.allowBareDomains && lower === d) return true;
    if (policy.allowSubdomains && lower.endsWith(`.${d}`) && lower.length > d.length + 1) return true;
    return false;
  });
}

export function sanAllowed(san: San, policy: NamePolicy): boolean {
  switch (san.type) {
    case 'dns':
      return dnsNameAllowed(san.value, policy);
    case 'ip':
      return policy.allowIpSans;
    case 'email':
      return policy.allowAnyName || (policy.allowEmailSans && dnsNameAllowed(san.value.split('@')[1] ?? '', policy));
    case 'uri':
      return policy.allowedUriSans.some((glob) => globToRegExp(glob).test(san.value));
    case 'other':
      return policy.allowAnyName;
  }
}

function commonNameOf(subject: NameAttribute[]): string | undefined {
  return subject.find((a) => a.type === 'CN')?.value;
}

function validity(policy: IssuancePolicy, ctx: IssuanceContext): { notBefore: number; notAfter: number } | Rejection {
  const seconds = Math.min(ctx.ttlSeconds ?? policy.validitySeconds, policy.validitySeconds);
  const notBefore = ctx.now - policy.backdateSeconds * 1000;
  let notAfter = ctx.notAfter ?? ctx.now + seconds * 1000;
  if (notAfter > policy.issuerNotAfter) {
    if (policy.leafNotAfterBehavior === 'err') {
      return refuse('exceeds_issuer_validity', `cannot satisfy request, as TTL would result in notAfter of ${new Date(notAfter).toISOString()} that is beyond the expiration of the CA certificate at ${new Date(policy.issuerNotAfter).toISOString()}`);
    }
    if (policy.leafNotAfterBehavior === 'truncate') notAfter = policy.issuerNotAfter;
  }
  // X.509 times have whole seconds: decide in whole seconds so events and read models match the certificate.
  return { notBefore: wholeSeconds(notBefore), notAfter: wholeSeconds(notAfter) };
}

const wholeSeconds = (ms: number): number => Math.floor(ms / 1000) * 1000;

/** Turns a verified CSR into certificate content, or refuses it. */
export function decideCertContent(csr: CsrFacts, policy: IssuancePolicy, ctx: IssuanceContext): IssuanceDecision {
  if (!keyAllowed(csr.publicKey, policy.allowedKeys)) {
    return refuse('key_not_allowed', `key type ${describeKey(csr.publicKey)} is not allowed by profile ${policy.name}`);
  }
  const subject = ctx.subjectOverride ?? csr.subject;
  const sans = ctx.sansOverride ?? csr.sans;
  const commonName = commonNameOf(subject);
  if (policy.requireCommonName && !commonName) return refuse('cn_required', 'the request has no common name, which this profile requires');
  if (commonName && !policy.names.allowAnyName && !commonName.includes('@') && !dnsNameAllowed(commonName, policy.names)) {
    return refuse('name_not_allowed', `common name ${commonName} not allowed by this role`);
  }
  const deniedSan = sans.find((san) => !sanAllowed(san, policy.names));
  if (deniedSan) return refuse('name_not_allowed', `subject alternative name ${deniedSan.type}:${deniedSan.value} not allowed by this role`);
  if (subject.length === 0 && sans.length === 0) return refuse('empty_identity', 'the request names no subject and no subject alternative names');
  const times = validity(policy, ctx);
  if ('rejected' in times) return times;
  const content: CertContent = {
    serialHex: ctx.serialHex,
    notBefore: times.notBefore,
    notAfter: times.notAfter,
    subject: ctx.subjectOverride ? ctx.subjectOverride : { der: csr.subjectDer },
    spkiDer: csr.spkiDer,
    sans,
    basicConstraints: { ca: false },
    keyUsage: policy.keyUsage,
    extKeyUsage: policy.extKeyUsage,
  };
  if (policy.crlDistributionPoints.length) content.crlDistributionPoints = policy.crlDistributionPoints;
  if (policy.ocspServers.length) content.ocspServers = policy.ocspServers;
  if (policy.issuingCertificateUrls.length) content.issuingCertificateUrls = policy.issuingCertificateUrls;
  return content;
}
