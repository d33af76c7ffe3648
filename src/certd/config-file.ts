/**
 * One certd config.d file, parsed and checked (pure): who may write which certificate IDs (`[[principal]]`, exactly
 * certd's format) and how a certificate ID is issued when the caller names no issuer (`[cert_issuance]`, certd's
 * table with Signet's methods). Unknown keys are errors, so a typo cannot pass silently.
 *
 *   [[principal]]
 *   uid = 1001
 *   certs = ["example*", "dev-?"]
 *
 *   [cert_issuance]
 *   local_ca = { issuer = "issuing" }         # the issuer behind method "local_ca"; default: Signet's default issuer
 *   [cert_issuance.example1]
 *   method = "local_ca"                        # or "issuer" (issuer = "name or id"), "role" (role = "name"), "est"
 *                                              # (upstream = <id of a /pki/est configuration>, or url = "https://…")
 *   expiry_days = 30                           # certd's default
 *   common_name = "device-1"                   # optional: replaces the CSR's subject
 */
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { certIdProblem } from '../domain/certd.js';

export interface Principal {
  uid: number;
  /** Certificate IDs or `*` / `?` patterns (see wildcard.ts). */
  certs: string[];
}

/**
 * certd's EST authentication keys: accepted so certd files load unchanged, not used. Signet enrolls upstream with
 * the credentials and TLS trust of the EST configuration (/pki/est) the setting resolves to, kept wrapped.
 */
export interface EstAuthSettings {
  username?: string;
  password?: string;
  identityCert?: string;
  identityPk?: string;
  bootstrapIdentityCert?: string;
  bootstrapIdentityPk?: string;
}

export type IssuanceMethod =
  /** Signet's local CA: `cert_issuance.local_ca.issuer`, else the default issuer. */
  | { method: 'local_ca' }
  /** A Signet issuer by name or id. */
  | { method: 'issuer'; issuer: string }
  /** An OpenBao role: its issuer and its rules. */
  | { method: 'role'; role: string }
  /**
   * An upstream EST server (certd's `method = "est"`): Signet's EST configuration `upstream` (its /pki/est id), or
   * the one `url` names; `url` falls back to `[cert_issuance.est] urls`.
   */
  | { method: 'est'; upstream?: number; url?: string; auth?: EstAuthSettings };

export type CertIssuanceSetting = IssuanceMethod & {
  /** Days from issuance to expiry; certd's default is 30. */
  expiryDays?: number;
  /** Replaces the CSR's subject with CN=<common_name>, as certd's `common_name`. */
  commonName?: string;
};

export interface EstDefaults {
  /** Certificate ID (or "default") → EST server URL. */
  urls: Record<string, string>;
  /** Signet's EST configuration (/pki/est id) for settings that name neither `upstream` nor `url`. */
  upstream?: number;
  auth?: EstAuthSettings;
  trustedCerts: string[];
}

export interface CertdFileConfig {
  principals: Principal[];
  /** certId → setting. */
  issuance: Map<string, CertIssuanceSetting>;
  localCaIssuer?: string;
  est?: EstDefaults;
}

export type ParsedConfigFile = { ok: true; config: CertdFileConfig } | { ok: false; error: string };

const UID_MAX = 0xffff_ffff;
const nonEmpty = z.string().min(1, 'must not be empty');
const certId = z.string().superRefine((value, ctx) => {
  const problem = certIdProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `certificate ID ${problem}` });
});
const upstreamId = z.number().int('must be an integer').min(1, 'must be the id of an EST configuration (/pki/est)');
const estUrl = z.string().refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), 'must be an http(s) URL');

const estAuthShape = {
  username: nonEmpty.optional(),
  password: z.string().optional(),
  identity_cert: nonEmpty.optional(),
  identity_pk: nonEmpty.optional(),
  bootstrap_identity_cert: nonEmpty.optional(),
  bootstrap_identity_pk: nonEmpty.optional(),
};

const principalSchema = z
  .object({
    uid: z.number().int('must be an integer').min(0).max(UID_MAX),
    certs: z.array(certId),
  })
  .strict();

const common = {
  expiry_days: z.number().int('must be an integer').min(1, 'must be greater than 0').max(36_500).optional(),
  common_name: z.string().min(1).max(64, 'X.509 allows at most 64 characters').optional(),
};

const settingSchema = z.discriminatedUnion(
  'method',
  [
    z.object({ method: z.literal('local_ca'), ...common }).strict(),
    z.object({ method: z.literal('issuer'), issuer: nonEmpty, ...common }).strict(),
    z.object({ method: z.literal('role'), role: nonEmpty, ...common }).strict(),
    z.object({ method: z.literal('est'), upstream: upstreamId.optional(), url: estUrl.optional(), ...estAuthShape, ...common }).strict(),
  ],
  { error: () => 'method must be "local_ca", "issuer", "role" or "est" ("self_signed" needs aziot-keyd private keys, which Signet does not hold)' },
);

const estDefaultsSchema = z
  .object({ urls: z.record(z.string(), estUrl).optional(), upstream: upstreamId.optional(), trusted_certs: z.array(nonEmpty).optional(), ...estAuthShape })
  .strict();

const fileSchema = z
  .object({
    principal: z.array(principalSchema).optional(),
    cert_issuance: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

function estAuth(raw: { [K in keyof typeof estAuthShape]?: string }): EstAuthSettings | undefined {
  const auth: EstAuthSettings = {
    username: raw.username,
    password: raw.password,
    identityCert: raw.identity_cert,
    identityPk: raw.identity_pk,
    bootstrapIdentityCert: raw.bootstrap_identity_cert,
    bootstrapIdentityPk: raw.bootstrap_identity_pk,
  };
  const present = Object.entries(auth).filter(([, value]) => value !== undefined);
  return present.length ? (Object.fromEntries(present) as EstAuthSettings) : undefined;
}

function toSetting(raw: z.infer<typeof settingSchema>): CertIssuanceSetting {
  const method: IssuanceMethod = (() => {
    switch (raw.method) {
      case 'local_ca':
        return { method: 'local_ca' as const };
      case 'issuer':
        return { method: 'issuer' as const, issuer: raw.issuer };
      case 'role':
        return { method: 'role' as const, role: raw.role };
      case 'est': {
        const auth = estAuth(raw);
        return { method: 'est' as const, ...(raw.upstream ? { upstream: raw.upstream } : {}), ...(raw.url ? { url: raw.url } : {}), ...(auth ? { auth } : {}) };
      }
    }
  })();
  return { ...method, ...(raw.expiry_days ? { expiryDays: raw.expiry_days } : {}), ...(raw.common_name ? { commonName: raw.common_name } : {}) };
}

function describe(issue: z.core.$ZodIssue, prefix: (string | number)[] = []): string {
  const path = [...prefix, ...issue.path].map(String).join('.');
  return `${path ? `${path}: ` : ''}${issue.message}`;
}

/** Parses one file's text; never throws. The error is one line naming the offending key. */
export function parseCertdConfigFile(text: string): ParsedConfigFile {
  let raw: unknown;
  try {
    raw = parseToml(text);
  } catch (error) {
    const { line, message } = error as { line?: number; message: string };
    return { ok: false, error: `not valid TOML${line ? ` (line ${line})` : ''}: ${message.split('\n')[0]}` };
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, error: describe(parsed.error.issues[0]) };

  const config: CertdFileConfig = { principals: parsed.data.principal ?? [], issuance: new Map() };
  for (const [key, value] of Object.entries(parsed.data.cert_issuance ?? {})) {
    if (key === 'local_ca') {
      const localCa = z.object({ issuer: nonEmpty }).strict().safeParse(value);
      if (!localCa.success) return { ok: false, error: describe(localCa.error.issues[0], ['cert_issuance', 'local_ca']) };
      config.localCaIssuer = localCa.data.issuer;
    } else if (key === 'est') {
      const est = estDefaultsSchema.safeParse(value);
      if (!est.success) return { ok: false, error: describe(est.error.issues[0], ['cert_issuance', 'est']) };
      const auth = estAuth(est.data);
      config.est = { urls: est.data.urls ?? {}, trustedCerts: est.data.trusted_certs ?? [], ...(est.data.upstream ? { upstream: est.data.upstream } : {}), ...(auth ? { auth } : {}) };
    } else {
      const problem = certIdProblem(key);
      if (problem) return { ok: false, error: `cert_issuance: certificate ID ${JSON.stringify(key)} ${problem}` };
      const setting = settingSchema.safeParse(value);
      if (!setting.success) return { ok: false, error: describe(setting.error.issues[0], ['cert_issuance', key]) };
      config.issuance.set(key, toSetting(setting.data));
    }
  }
  return { ok: true, config };
}
