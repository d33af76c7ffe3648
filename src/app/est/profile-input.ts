/**
 * EST profiles as operators write them (admin JSON and `[[est.profiles]]` in signet.toml, both snake_case) and as
 * the admin API shows them. Parsing merges the given fields onto a base (defaults, or the current settings for a
 * PATCH); Basic passwords stay clear text here only until `resolveBasicUsers` hashes them.
 */
import { X509Certificate } from 'node:crypto';
import { parseDuration } from '../../domain/duration.js';
import { invalid } from '../../domain/errors.js';
import type { EstAuthMethod, EstBasicUser, EstCsrAttribute, EstProfileSettings } from '../../domain/est-profile.js';
import { ANY_NAME_POLICY, STANDARD_KEY_RULES, type KeyRule, type NamePolicy } from '../../domain/issuance-policy.js';
import type { KeySpec, KeyUsage } from '../../domain/x509.js';
import { decodePem, dersToPem } from '../../crypto/pem.js';
import { ExtKeyUsageOid } from '../../crypto/oids.js';
import type { EstProfileRow } from '../../../projections/est-profiles.js';
import { hashPassword, verifyPassword } from './password-hash.js';

type Json = Record<string, unknown>;

export interface BasicUserInput {
  username: string;
  password?: string;
  passwordHash?: string;
}

export interface ProfileInput {
  name?: string;
  settings: EstProfileSettings;
  /** Present when the input set basic_users; resolved to hashes by resolveBasicUsers. */
  basicUsers?: BasicUserInput[];
}

const DAY = 86_400;

export function defaultProfileSettings(leafValidityDays: number): EstProfileSettings {
  return {
    issuerRef: 'default',
    template: {
      validitySeconds: leafValidityDays * DAY,
      backdateSeconds: 60,
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['clientAuth'],
      allowedKeys: [...STANDARD_KEY_RULES],
      requireCommonName: false,
      names: { ...ANY_NAME_POLICY, allowedUriSans: [...ANY_NAME_POLICY.allowedUriSans] },
    },
    auth: { methods: ['otp', 'mtls'], basicUsers: [], trustAnchors: [] },
    reenroll: { windowSeconds: null, revokeSuperseded: false },
    serverKeygen: { enabled: true, key: { kind: 'ec', curve: 'P-256' } },
    csrAttributes: [],
  };
}

const bad = (path: string, expected: string) => invalid('invalid_profile', `${path}: expected ${expected}`);

function str(value: unknown, path: string): string {
  if (typeof value !== 'string') throw bad(path, 'a string');
  return value;
}

function bool(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw bad(path, 'true or false');
  return value;
}

function list<T>(value: unknown, path: string, item: (v: unknown, path: string) => T): T[] {
  if (!Array.isArray(value)) throw bad(path, 'an array');
  return value.map((v, i) => item(v, `${path}[${i}]`));
}

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad(path, 'an object');
  return value as Json;
}

function seconds(value: unknown, path: string): number {
  const parsed = typeof value === 'string' || typeof value === 'number' ? parseDuration(value) : undefined;
  if (parsed === undefined) throw bad(path, 'a duration such as "365d", "12h" or a number of seconds');
  return parsed;
}

function pick<T extends string>(value: unknown, path: string, choices: readonly T[]): T {
  const text = str(value, path);
  const found = choices.find((c) => c.toLowerCase() === text.toLowerCase());
  if (!found) throw bad(path, `one of ${choices.join(', ')}`);
  return found;
}

const KEY_USAGES: readonly KeyUsage[] = ['digitalSignature', 'contentCommitment', 'keyEncipherment', 'dataEncipherment', 'keyAgreement', 'keyCertSign', 'cRLSign', 'encipherOnly', 'decipherOnly'];
const EKU_NAMES = Object.keys(ExtKeyUsageOid);
const DOTTED = /^[0-2](\.(0|[1-9]\d*))+$/;

function extKeyUsage(value: unknown, path: string): string {
  const text = str(value, path);
  return DOTTED.test(text) ? text : pick(text, path, EKU_NAMES);
}

function keyRule(value: unknown, path: string): KeyRule {
  const o = object(value, path);
  switch (pick(o.type, `${path}.type`, ['ec', 'rsa', 'ed25519'] as const)) {
    case 'ec':
      return { kind: 'ec', curves: list(o.curves ?? ['P-256', 'P-384'], `${path}.curves`, (v, p) => pick(v, p, ['P-256', 'P-384'] as const)) };
    case 'rsa': {
      const minBits = o.min_bits ?? 2048;
      if (typeof minBits !== 'number' || !Number.isInteger(minBits) || minBits < 2048) throw bad(`${path}.min_bits`, 'an integer of at least 2048');
      return { kind: 'rsa', minBits };
    }
    case 'ed25519':
      return { kind: 'ed25519' };
  }
}

function keySpec(value: unknown, path: string): KeySpec {
  const o = object(value, path);
  switch (pick(o.type, `${path}.type`, ['ec', 'rsa', 'ed25519'] as const)) {
    case 'ec':
      return { kind: 'ec', curve: pick(o.curve ?? 'P-256', `${path}.curve`, ['P-256', 'P-384'] as const) };
    case 'rsa': {
      const bits = o.bits ?? 2048;
      if (bits !== 2048 && bits !== 3072 && bits !== 4096) throw bad(`${path}.bits`, '2048, 3072 or 4096');
      return { kind: 'rsa', bits };
    }
    case 'ed25519':
      return { kind: 'ed25519' };
  }
}

function basicUser(value: unknown, path: string): BasicUserInput {
  const o = object(value, path);
  const user: BasicUserInput = { username: str(o.username, `${path}.username`) };
  if (o.password !== undefined) user.password = str(o.password, `${path}.password`);
  if (o.password_hash !== undefined) user.passwordHash = str(o.password_hash, `${path}.password_hash`);
  if (user.password !== undefined && user.passwordHash !== undefined) throw bad(path, 'either password or password_hash, not both');
  return user;
}

function csrAttribute(value: unknown, path: string): EstCsrAttribute {
  if (typeof value === 'string') return { oid: value };
  const o = object(value, path);
  const attribute: EstCsrAttribute = { oid: str(o.oid, `${path}.oid`) };
  if (o.values !== undefined) attribute.values = list(o.values, `${path}.values`, str);
  return attribute;
}

/** A PEM bundle of CA certificates to base64 DER; null or "" means the profile issuer's own chain. */
function trustAnchors(value: unknown, path: string): string[] {
  if (value === null || value === '') return [];
  const blocks = decodePemOrFail(str(value, path), path).filter((block) => block.label === 'CERTIFICATE');
  if (blocks.length === 0) throw bad(path, 'PEM certificates');
  return blocks.map((block, i) => {
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(block.der);
    } catch {
      throw bad(`${path}[${i}]`, 'a parsable certificate');
    }
    if (!cert.ca) throw bad(`${path}[${i}]`, 'a CA certificate (basicConstraints cA)');
    return Buffer.from(block.der).toString('base64');
  });
}

function decodePemOrFail(text: string, path: string) {
  try {
    return decodePem(text);
  } catch {
    throw bad(path, 'PEM certificates');
  }
}

const NAME_FIELDS: Record<string, [keyof NamePolicy, (v: unknown, p: string) => unknown]> = {
  allow_any_name: ['allowAnyName', bool],
  allowed_domains: ['allowedDomains', (v, p) => list(v, p, str)],
  allow_subdomains: ['allowSubdomains', bool],
  allow_bare_domains: ['allowBareDomains', bool],
  allow_glob_domains: ['allowGlobDomains', bool],
  allow_ip_sans: ['allowIpSans', bool],
  allowed_uri_sans: ['allowedUriSans', (v, p) => list(v, p, str)],
  allow_email_sans: ['allowEmailSans', bool],
};

function names(value: unknown, path: string, base: NamePolicy): NamePolicy {
  const o = object(value, path);
  const result: Record<string, unknown> = { ...base };
  for (const [key, v] of Object.entries(o)) {
    const field = NAME_FIELDS[key];
    if (!field) throw invalid('invalid_profile', `${path}: unknown field "${key}"`);
    result[field[0]] = field[1](v, `${path}.${key}`);
  }
  return result as unknown as NamePolicy;
}

/** Each input field: how it changes the settings being built. */
const FIELDS: Record<string, (s: EstProfileSettings, v: unknown, out: ProfileInput) => void> = {
  issuer_ref: (s, v) => (s.issuerRef = str(v, 'issuer_ref')),
  validity: (s, v) => (s.template.validitySeconds = seconds(v, 'validity')),
  backdate: (s, v) => (s.template.backdateSeconds = seconds(v, 'backdate')),
  key_usage: (s, v) => (s.template.keyUsage = list(v, 'key_usage', (u, p) => pick(u, p, KEY_USAGES))),
  ext_key_usage: (s, v) => (s.template.extKeyUsage = list(v, 'ext_key_usage', extKeyUsage)),
  allowed_keys: (s, v) => (s.template.allowedKeys = list(v, 'allowed_keys', keyRule)),
  require_cn: (s, v) => (s.template.requireCommonName = bool(v, 'require_cn')),
  names: (s, v) => (s.template.names = names(v, 'names', s.template.names)),
  auth_methods: (s, v) => (s.auth.methods = list(v, 'auth_methods', (m, p) => pick(m, p, ['mtls', 'basic', 'otp'] as EstAuthMethod[]))),
  basic_users: (_s, v, out) => (out.basicUsers = list(v, 'basic_users', basicUser)),
  trust_anchors: (s, v) => (s.auth.trustAnchors = trustAnchors(v, 'trust_anchors')),
  reenroll_window: (s, v) => (s.reenroll.windowSeconds = v === null ? null : seconds(v, 'reenroll_window')),
  revoke_on_reenroll: (s, v) => (s.reenroll.revokeSuperseded = bool(v, 'revoke_on_reenroll')),
  serverkeygen: (s, v) => (s.serverKeygen.enabled = bool(v, 'serverkeygen')),
  serverkeygen_key: (s, v) => (s.serverKeygen.key = keySpec(v, 'serverkeygen_key')),
  csrattrs: (s, v) => (s.csrAttributes = list(v, 'csrattrs', csrAttribute)),
  upstream: (s, v) => {
    if (v === null) delete s.upstream;
    else if (Number.isInteger(v) && (v as number) > 0) s.upstream = v as number;
    else throw invalid('invalid_profile', 'upstream must be the id of a validated EST configuration (/pki/est), or null');
  },
};

/** Fields of the admin view that are not settings: accepted (so GET output can be sent back) and ignored. */
const READ_ONLY = new Set(['revision', 'created_at', 'updated_at']);

/** Applies the given fields onto a copy of `base`. Unknown fields are refused, so typos do not pass silently. */
export function parseProfileInput(input: Json, base: EstProfileSettings): ProfileInput {
  const out: ProfileInput = { settings: structuredClone(base) };
  for (const [key, value] of Object.entries(input)) {
    if (value === undefined || READ_ONLY.has(key)) continue;
    if (key === 'name') {
      out.name = str(value, 'name');
      continue;
    }
    const apply = FIELDS[key];
    if (!apply) throw invalid('invalid_profile', `unknown field "${key}"`);
    apply(out.settings, value, out);
  }
  return out;
}

/**
 * Turns Basic user inputs into hashes. A user given without a password keeps its current hash; a password that
 * already matches the current hash keeps it too, so re-applying the same declaration changes nothing.
 */
export async function resolveBasicUsers(inputs: BasicUserInput[], current: EstBasicUser[]): Promise<EstBasicUser[]> {
  return Promise.all(
    inputs.map(async (input): Promise<EstBasicUser> => {
      const existing = current.find((u) => u.username === input.username);
      if (input.passwordHash !== undefined) return { username: input.username, passwordHash: input.passwordHash };
      if (input.password !== undefined) {
        if (input.password.length < 8) throw invalid('weak_password', `user ${input.username}: password must have at least 8 characters`);
        if (existing && (await verifyPassword(input.password, existing.passwordHash))) return existing;
        return { username: input.username, passwordHash: await hashPassword(input.password) };
      }
      if (!existing) throw invalid('password_required', `user ${input.username}: password or password_hash is required`);
      return existing;
    }),
  );
}

function keyRuleView(rule: KeyRule): Json {
  if (rule.kind === 'ec') return { type: 'ec', curves: rule.curves };
  if (rule.kind === 'rsa') return { type: 'rsa', min_bits: rule.minBits };
  return { type: 'ed25519' };
}

function keySpecView(spec: KeySpec): Json {
  if (spec.kind === 'ec') return { type: 'ec', curve: spec.curve };
  if (spec.kind === 'rsa') return { type: 'rsa', bits: spec.bits };
  return { type: 'ed25519' };
}

/** The admin API's view of a profile: everything but password hashes. */
export function profileView(row: EstProfileRow): Json {
  const { template, auth, reenroll, serverKeygen, csrAttributes } = row.settings;
  return {
    name: row.name,
    issuer_ref: row.settings.issuerRef,
    validity: template.validitySeconds,
    backdate: template.backdateSeconds,
    key_usage: template.keyUsage,
    ext_key_usage: template.extKeyUsage,
    allowed_keys: template.allowedKeys.map(keyRuleView),
    require_cn: template.requireCommonName,
    names: Object.fromEntries(Object.entries(NAME_FIELDS).map(([key, [field]]) => [key, template.names[field]])),
    auth_methods: auth.methods,
    basic_users: auth.basicUsers.map((u) => ({ username: u.username })),
    trust_anchors: auth.trustAnchors.length ? dersToPem(auth.trustAnchors.map((b64) => Buffer.from(b64, 'base64')), 'CERTIFICATE') : null,
    reenroll_window: reenroll.windowSeconds,
    revoke_on_reenroll: reenroll.revokeSuperseded,
    serverkeygen: serverKeygen.enabled,
    serverkeygen_key: keySpecView(serverKeygen.key),
    csrattrs: csrAttributes,
    upstream: row.settings.upstream ?? null,
    revision: row.revision,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}
