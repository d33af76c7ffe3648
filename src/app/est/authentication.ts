/**
 * Who is enrolling, per the profile's allowed methods (RFC 7030 3.2.3, 3.3.2):
 * - otp: a one-time password as the HTTP Basic password with an empty username, looked up by its hash;
 * - basic: a configured user whose password matches its scrypt hash;
 * - mtls: a TLS client certificate chaining to the profile's trust anchors (default: its issuer's chain).
 * Missing or wrong credentials are 401; valid ones the profile does not accept (method not allowed, OTP used up,
 * expired or revoked, certificate revoked or expired) are 403. Renewal always authenticates with the certificate
 * being renewed, which must be this CA's.
 */
import { randomUUID, X509Certificate } from 'node:crypto';
import { type EstAuthMethod } from '../../domain/est-profile.js';
import { forbidden } from '../../domain/errors.js';
import { otpDecider, type OtpState } from '../../domain/otp.js';
import type { CertificateRow } from '../../../projections/certificates.js';
import type { OtpRow } from '../../../projections/credentials.js';
import type { EstProfileRow } from '../../../projections/est-profiles.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import type { Queries } from '../../core.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { formatName } from '../../crypto/name.js';
import { hashSecret } from '../secrets.js';
import { verifyClientChain, type ChainCheck, type VerifiedClientCertificate } from './client-certificate.js';
import { hashPassword, VerifiedPasswordCache } from './password-hash.js';
import { upstreamIssuerId } from '../idial/upstream-enrollment.js';

export interface EstCredentials {
  /** The Authorization header, if any. */
  authorization?: string;
  /** The TLS client chain, leaf first ([] without one); asked at most once per connection and anchor set. */
  peerChain(): Uint8Array[];
  /** Identity of the TLS connection: a chain check is remembered for the connection's keep-alive requests. */
  connection: object;
}

export type EstClient =
  | { method: 'otp'; actor: string; otp: OtpRow }
  | { method: 'basic'; actor: string }
  | { method: 'mtls'; actor: string; certificate: VerifiedClientCertificate; issued?: CertificateRow };

export type RenewingClient = Extract<EstClient, { method: 'mtls' }> & { issued: CertificateRow };

/** Missing or wrong credentials: HTTP 401 with a Basic challenge. */
export class EstAuthenticationError extends Error {
  readonly httpStatus = 401;
  constructor(message: string) {
    super(message);
    this.name = 'EstAuthenticationError';
  }
}

const MAX_CACHED_ANCHOR_SETS = 256;

function parseBasic(header: string | undefined): { username: string; password: string } | undefined {
  if (!header || !/^Basic\s/i.test(header)) return undefined;
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) throw new EstAuthenticationError('malformed Basic credentials');
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new EstAuthenticationError('malformed Basic credentials');
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** The OTP decider's view of a read-model row: the same rules refuse early what consumption would refuse. */
function otpState(row: OtpRow): OtpState {
  const { status, tokenId, label, maxUses, uses, expiresAt, profile } = row;
  return { status, tokenId, label, maxUses, uses, expiresAt, ...(profile ? { profile } : {}) };
}

export class EstAuthenticator {
  private readonly passwords = new VerifiedPasswordCache();
  private readonly chainChecks = new WeakMap<object, Map<string, ChainCheck>>();
  private readonly anchorSets = new Map<string, X509Certificate[]>();
  private unknownUserHash?: Promise<string>;

  constructor(private readonly queries: Pick<Queries, 'credentials' | 'certificates' | 'issuers'>) {}

  /** simpleenroll and serverkeygen: HTTP credentials first when given, else the TLS client certificate. */
  async forEnrollment(profile: EstProfileRow, issuer: IssuerRow, credentials: EstCredentials, now: Date): Promise<EstClient> {
    const allowed = profile.settings.auth.methods;
    const basic = parseBasic(credentials.authorization);
    if (basic) {
      const method: EstAuthMethod = basic.username === '' ? 'otp' : 'basic';
      if (allowed.includes(method)) return method === 'otp' ? this.otp(profile, basic.password, now) : this.basic(profile, basic.username, basic.password);
      if (!allowed.includes('mtls') || credentials.peerChain().length === 0) throw forbidden('auth_method_not_allowed', `authentication method ${method} is not allowed for profile ${profile.name}`);
    }
    if (allowed.includes('mtls') && credentials.peerChain().length > 0) return this.mtls(profile, this.profileAnchors(profile, issuer), credentials, now);
    throw new EstAuthenticationError(`authentication required: profile ${profile.name} accepts ${allowed.join(', ')}`);
  }

  /**
   * simplereenroll: the TLS client certificate is the one being renewed. It must be one this CA issued (by any of
   * its issuers, so devices renew across an issuer rotation), live, under this profile. A certificate issued a
   * moment ago may not be in the read model yet: `catchUp` lets it arrive before the certificate is called unknown.
   */
  async forRenewal(profile: EstProfileRow, credentials: EstCredentials, now: Date, catchUp: () => Promise<void>): Promise<RenewingClient> {
    const leaf = credentials.peerChain()[0];
    let anchors = this.renewalAnchors(profile, leaf, now);
    if (!anchors && leaf) {
      await catchUp();
      anchors = this.renewalAnchors(profile, leaf, now);
    }
    if (!anchors) throw new EstAuthenticationError('reenrollment needs the certificate being renewed, issued by this CA, as the TLS client certificate');
    const client = this.mtls(profile, anchors, credentials, now);
    const { issued } = client;
    if (!issued) throw new EstAuthenticationError('the TLS client certificate was not issued by this CA');
    if (issued.profile !== profile.name) throw forbidden('other_profile', `certificate ${issued.serial} was issued under profile ${issued.profile ?? '(none)'}, not ${profile.name}`);
    const window = profile.settings.reenroll.windowSeconds;
    const left = Date.parse(issued.notAfter) - now.getTime();
    if (window !== null && left > window * 1000) {
      throw forbidden('too_early', `reenrollment opens ${new Date(Date.parse(issued.notAfter) - window * 1000).toISOString()} (${window} s before expiry)`);
    }
    return { ...client, issued };
  }

  /**
   * The anchors a renewing certificate this CA recorded must chain to: its issuer's chain, or for one an upstream CA
   * issued through this RA-mode profile, the profile's configured trust anchors (the upstream's chain).
   */
  private renewalAnchors(profile: EstProfileRow, leafDer: Uint8Array | undefined, now: Date): { key: string; certs: X509Certificate[] } | undefined {
    const recorded = this.recordedLeaf(leafDer, now);
    if (!recorded) return undefined;
    const { upstream } = profile.settings;
    if (upstream !== undefined && recorded.issuerId === upstreamIssuerId(upstream) && profile.settings.auth.trustAnchors.length > 0) {
      return this.anchors(`profile:${profile.name}:${profile.revision}`, profile.settings.auth.trustAnchors);
    }
    const issuer = this.queries.issuers.resolve(recorded.issuerId);
    return issuer && this.issuerAnchors(issuer);
  }

  /** A certificate this CA recorded, found by serial and checked byte for byte. */
  private recordedLeaf(leafDer: Uint8Array | undefined, now: Date): { issuerId: string } | undefined {
    if (!leafDer) return undefined;
    let serial: string;
    try {
      serial = parseCertificate(leafDer).serialHex;
    } catch {
      return undefined;
    }
    const row = this.queries.certificates.get(serial, now);
    return row && row.der === Buffer.from(leafDer).toString('base64') ? row : undefined;
  }

  private otp(profile: EstProfileRow, password: string, now: Date): EstClient {
    const row = this.queries.credentials.otpByTokenHash(hashSecret(password));
    if (!row) throw new EstAuthenticationError('unknown one-time password');
    otpDecider.decide({ type: 'ConsumeOtp', data: { tokenId: row.tokenId, profile: profile.name }, now }, otpState(row));
    return { method: 'otp', actor: `otp:${row.label}`, otp: row };
  }

  private async basic(profile: EstProfileRow, username: string, password: string): Promise<EstClient> {
    const user = profile.settings.auth.basicUsers.find((u) => u.username === username);
    // An unknown user costs one scrypt too, so timing does not tell which usernames exist.
    const hash = user?.passwordHash ?? (await (this.unknownUserHash ??= hashPassword(randomUUID())));
    const verified = await this.passwords.verify(username, password, hash);
    if (!user || !verified) throw new EstAuthenticationError('invalid username or password');
    return { method: 'basic', actor: username };
  }

  private mtls(profile: EstProfileRow, anchors: { key: string; certs: X509Certificate[] }, credentials: EstCredentials, now: Date): Extract<EstClient, { method: 'mtls' }> {
    let checks = this.chainChecks.get(credentials.connection);
    if (!checks) this.chainChecks.set(credentials.connection, (checks = new Map()));
    let check = checks.get(anchors.key);
    if (!check) checks.set(anchors.key, (check = verifyClientChain(credentials.peerChain(), anchors.certs, now.getTime())));
    if (!check.ok) throw new EstAuthenticationError(`client certificate refused for profile ${profile.name}: ${check.reason}`);
    const { certificate } = check;
    const { parsed } = certificate;
    if (now.getTime() < parsed.notBefore || now.getTime() > parsed.notAfter) {
      throw forbidden('certificate_expired', `client certificate ${parsed.serialHex} is not valid now (${new Date(parsed.notBefore).toISOString()} to ${new Date(parsed.notAfter).toISOString()})`);
    }
    const row = this.queries.certificates.get(parsed.serialHex, now);
    const issued = row && row.der === Buffer.from(certificate.der).toString('base64') ? row : undefined;
    if (issued?.status === 'revoked') throw forbidden('certificate_revoked', `client certificate ${issued.serial} is revoked (${issued.revocationReason})`);
    return { method: 'mtls', actor: formatName(parsed.subject), certificate, ...(issued ? { issued } : {}) };
  }

  private profileAnchors(profile: EstProfileRow, issuer: IssuerRow): { key: string; certs: X509Certificate[] } {
    const configured = profile.settings.auth.trustAnchors;
    if (configured.length === 0) return this.issuerAnchors(issuer);
    return this.anchors(`profile:${profile.name}:${profile.revision}`, configured);
  }

  private issuerAnchors(issuer: IssuerRow): { key: string; certs: X509Certificate[] } {
    return this.anchors(`issuer:${issuer.issuerId}`, [issuer.certificate, ...issuer.chain]);
  }

  private anchors(key: string, base64Ders: string[]): { key: string; certs: X509Certificate[] } {
    let certs = this.anchorSets.get(key);
    if (!certs) {
      if (this.anchorSets.size >= MAX_CACHED_ANCHOR_SETS) this.anchorSets.clear();
      certs = base64Ders.map((b64) => new X509Certificate(Buffer.from(b64, 'base64')));
      this.anchorSets.set(key, certs);
    }
    return { key, certs };
  }
}
