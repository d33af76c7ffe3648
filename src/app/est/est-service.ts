/**
 * The EST operations (RFC 7030 4) over the shared issuance path: resolve the label's profile and issuer,
 * authenticate, then enroll, reenroll or generate a key and enroll. Each accepted request records its
 * CertificateIssued with {action, auth_method, client_ip, actor}; each refused one an EnrollmentRejected.
 */
import { DEFAULT_EST_PROFILE } from '../../domain/est-profile.js';
import { certificateDecider, certificateStream } from '../../domain/certificate.js';
import { forbidden, invalid, notFound } from '../../domain/errors.js';
import type { San } from '../../domain/x509.js';
import type { EventMetadata, StreamAppend } from '../../eventstore/port.js';
import { bytesEqual } from '../../crypto/bytes.js';
import { parseCertificate } from '../../crypto/certificate.js';
import { parseCsr, verifyCsr } from '../../crypto/csr.js';
import { buildCsr } from '../../crypto/csr-builder.js';
import { DerReader } from '../../crypto/der.js';
import { formatName } from '../../crypto/name.js';
import { encodeCertsOnlyPkcs7 } from '../../crypto/pkcs7.js';
import { keyIdentifier, parseSpki } from '../../crypto/public-key.js';
import { createSigner } from '../../crypto/signer.js';
import { EstProfileQueries, type EstProfileRow } from '../../../projections/est-profiles.js';
import type { IssuerRow } from '../../../projections/issuers.js';
import type { Core } from '../../core.js';
import { IssuanceService, issuerCanIssue, type IssuedCertificate, type ProfilePolicy } from '../issuance.js';
import type { SigningPool } from '../signing-pool.js';
import { EstAuthenticator, type EstClient, type EstCredentials, type RenewingClient } from './authentication.js';
import { envelopePrivateKey } from './key-envelope.js';
import { OtpConsumer } from './otp-consumption.js';
import { csrAttributeValues, DecryptKeyOid, encodeCsrAttrs } from './pkcs10.js';
import { recordRejection, type EnrollmentAttempt } from './rejections.js';
import { UpstreamEnroller } from '../idial/upstream-enrollment.js';
import { UpstreamService } from '../idial/upstream-service.js';

/** A profile whose issuer is missing or cannot sign: the server's fault, not the client's. */
export class EstConfigurationError extends Error {
  readonly httpStatus = 500;
  constructor(message: string) {
    super(message);
    this.name = 'EstConfigurationError';
  }
}

export interface EstTarget {
  profile: EstProfileRow;
  issuer: IssuerRow;
}

export interface ServerGeneratedKey {
  certificate: IssuedCertificate;
  /** PKCS#8, or a CMS EnvelopedData of it when the request asked for encryption. Never logged nor stored. */
  key: { encrypted: boolean; der: Uint8Array };
}

function sanKey(sans: readonly San[]): string {
  return sans.map((san) => `${san.type}:${san.type === 'dns' ? san.value.toLowerCase() : san.value}`).sort().join('\n');
}

/** Notes on the attempt who is asking, for the audit of a refusal. */
function noted<Client extends EstClient>(attempt: EnrollmentAttempt, client: Client): Client {
  attempt.authMethod = client.method;
  attempt.actor = client.actor;
  return client;
}

export class EstService {
  readonly profiles: EstProfileQueries;
  private readonly pool: SigningPool;
  private readonly issuance: IssuanceService;
  private readonly authenticator: EstAuthenticator;
  private readonly otps: OtpConsumer;
  private readonly upstreams: UpstreamEnroller;
  private readonly chains = new Map<string, { certificate: string; pkcs7: Uint8Array }>();
  private readonly csrAttrs = new Map<string, { revision: number; der: Uint8Array | undefined }>();

  constructor(private readonly core: Core) {
    if (!core.pool) throw new Error('EST needs the signing pool');
    this.pool = core.pool;
    this.profiles = new EstProfileQueries(core.readDb);
    this.issuance = new IssuanceService(core, core.pool);
    this.authenticator = new EstAuthenticator(core.queries);
    this.otps = new OtpConsumer(core.commands);
    this.upstreams = new UpstreamEnroller(core, new UpstreamService(core));
  }

  /** The profile of a label (none = `default`) and its issuer; 404 for an unknown label. */
  target(label: string | undefined): EstTarget {
    const name = label ?? DEFAULT_EST_PROFILE;
    const profile = this.profiles.get(name);
    if (!profile) throw notFound('unknown_label', `no EST profile "${name}"`);
    const issuer = this.core.queries.issuers.resolve(profile.settings.issuerRef);
    if (!issuer) throw new EstConfigurationError(`the issuer "${profile.settings.issuerRef}" of EST profile ${name} does not exist`);
    return { profile, issuer };
  }

  /** cacerts: the issuing chain, issuer first, as certs-only PKCS#7 DER. */
  caCerts({ issuer }: EstTarget): Uint8Array {
    const cached = this.chains.get(issuer.issuerId);
    if (cached?.certificate === issuer.certificate) return cached.pkcs7;
    const pkcs7 = encodeCertsOnlyPkcs7([issuer.certificate, ...issuer.chain].map((b64) => Buffer.from(b64, 'base64')));
    this.chains.set(issuer.issuerId, { certificate: issuer.certificate, pkcs7 });
    return pkcs7;
  }

  /** csrattrs: the profile's CsrAttrs DER, or undefined when it has none. */
  csrAttributes({ profile }: EstTarget): Uint8Array | undefined {
    const cached = this.csrAttrs.get(profile.name);
    if (cached?.revision === profile.revision) return cached.der;
    const attributes = profile.settings.csrAttributes;
    const der = attributes.length ? encodeCsrAttrs(attributes) : undefined;
    this.csrAttrs.set(profile.name, { revision: profile.revision, der });
    return der;
  }

  /** simpleenroll and serverkeygen: HTTP credentials or a client certificate, as the profile allows. */
  async authenticate(target: EstTarget, credentials: EstCredentials, attempt: EnrollmentAttempt, now = new Date()): Promise<EstClient> {
    return noted(attempt, await this.authenticator.forEnrollment(target.profile, target.issuer, credentials, now));
  }

  /** simplereenroll: the client certificate being renewed. */
  async authenticateRenewal(target: EstTarget, credentials: EstCredentials, attempt: EnrollmentAttempt, now = new Date()): Promise<RenewingClient> {
    const catchUp = async () => this.core.runner.waitFor(await this.core.store.headPosition());
    return noted(attempt, await this.authenticator.forRenewal(target.profile, credentials, now, catchUp));
  }

  async enroll(target: EstTarget, client: EstClient, csrDer: Uint8Array, attempt: EnrollmentAttempt, now = new Date()): Promise<IssuedCertificate> {
    return this.issue(target, client, csrDer, attempt, now);
  }

  /** RFC 7030 4.2.2: same subject and SANs as the certificate being renewed; the new one records what it renews. */
  async reenroll(target: EstTarget, client: RenewingClient, csrDer: Uint8Array, attempt: EnrollmentAttempt, now = new Date()): Promise<IssuedCertificate> {
    const request = parseCsr(csrDer);
    const renewing = client.certificate.parsed;
    const subject = formatName(request.subject);
    if (subject !== formatName(renewing.subject)) {
      throw invalid('subject_mismatch', `the request's subject "${subject}" differs from the certificate being renewed ("${formatName(renewing.subject)}")`);
    }
    if (sanKey(request.sans) !== sanKey(renewing.sans)) throw invalid('san_mismatch', "the request's subject alternative names differ from those of the certificate being renewed");
    const issued = await this.issue(target, client, csrDer, attempt, now, client.issued.serial);
    if (target.profile.settings.reenroll.revokeSuperseded) await this.revokeSuperseded(client.issued.serial, attempt, now);
    return issued;
  }

  /** RFC 7030 4.4: a key from the pool, certified with the request's subject and SANs. */
  async serverKeygen(target: EstTarget, client: EstClient, csrDer: Uint8Array, credentials: EstCredentials, attempt: EnrollmentAttempt, now = new Date()): Promise<ServerGeneratedKey> {
    const { profile } = target;
    if (!profile.settings.serverKeygen.enabled) throw forbidden('serverkeygen_disabled', `server-side key generation is not enabled for profile ${profile.name}`);
    const request = parseCsr(csrDer);
    verifyCsr(request);
    const recipient = this.keyRecipient(csrDer, credentials);
    const generated = await this.pool.generateKey(profile.settings.serverKeygen.key);
    const csr = buildCsr(createSigner(generated.pkcs8Der), { subject: request.subject, sans: request.sans });
    const certificate = await this.issue(target, client, csr, attempt, now);
    const der = recipient ? await envelopePrivateKey(generated.pkcs8Der, recipient) : generated.pkcs8Der;
    return { certificate, key: { encrypted: recipient !== undefined, der } };
  }

  /** Appends the attempt's EnrollmentRejected; an audit failure is logged, never turned into the client's error. */
  async rejected(attempt: EnrollmentAttempt, result: string, reason: string): Promise<void> {
    try {
      await recordRejection(this.core.store, attempt, result, reason);
    } catch (error) {
      this.core.logger.error({ err: error, action: attempt.action }, 'could not record a refused enrollment');
    }
  }

  private async issue(target: EstTarget, client: EstClient, csrDer: Uint8Array, attempt: EnrollmentAttempt, now: Date, renews?: string): Promise<IssuedCertificate> {
    const { profile, issuer } = target;
    if (!issuerCanIssue(issuer)) throw new EstConfigurationError(`the issuer ${issuer.name} of EST profile ${profile.name} cannot issue certificates`);
    const policy: ProfilePolicy = { name: profile.name, ...profile.settings.template };
    const metadata: EventMetadata = { action: attempt.action, auth_method: client.method, actor: client.actor, ...(attempt.clientIp ? { client_ip: attempt.clientIp } : {}) };
    const otp = client.method === 'otp' ? client.otp : undefined;
    const useOtp = otp && ((paysFor?: StreamAppend) => this.otps.consume({ tokenId: otp.tokenId, label: otp.label, profile: profile.name, clientIp: attempt.clientIp, now }, paysFor));
    if (profile.settings.upstream !== undefined) {
      const gate = useOtp && (async () => void (await useOtp()));
      return this.issueUpstream(target, profile.settings.upstream, csrDer, metadata, now, gate, renews);
    }
    // With an OTP, the certificate is recorded in the same atomic write as the use that pays for it.
    return this.issuance.issueFromCsr({ csrDer, issuer, policy, profile: profile.name, metadata, now, ...(useOtp ? { recordWith: useOtp } : {}), ...(renews ? { renews } : {}) });
  }

  /** RA mode: Signet has authenticated the client; the upstream EST server issues, Signet records it. */
  private async issueUpstream(target: EstTarget, upstream: number, csrDer: Uint8Array, metadata: EventMetadata, now: Date, gate?: () => Promise<void>, renews?: string): Promise<IssuedCertificate> {
    const { profile, issuer } = target;
    const issued = await this.upstreams.enroll({ upstream, csrDer, allowedKeys: profile.settings.template.allowedKeys, profile: profile.name, metadata, now, ...(gate ? { gate } : {}), ...(renews ? { renews } : {}) });
    return { serial: issued.serial, certDer: issued.certDer, subject: issued.subject, notAfter: issued.notAfter, issuer, position: issued.position };
  }

  private async revokeSuperseded(serial: string, attempt: EnrollmentAttempt, now: Date): Promise<void> {
    const metadata: EventMetadata = { action: 'revoke', auth_method: attempt.authMethod, actor: attempt.actor, ...(attempt.clientIp ? { client_ip: attempt.clientIp } : {}) };
    try {
      await this.core.commands.handle(certificateStream(serial), certificateDecider, { type: 'RevokeCertificate', data: { serial, reason: 'superseded' }, now }, { metadata });
    } catch (error) {
      this.core.logger.error({ err: error, serial }, 'could not revoke a superseded certificate');
    }
  }

  /**
   * RFC 7030 4.4.1.2: AsymmetricDecryptKeyIdentifier names the certificate to encrypt the key to, by key identifier;
   * the one we can use is the TLS client certificate. 4.4.1.1 (a pre-shared symmetric key) is not offered.
   */
  private keyRecipient(csrDer: Uint8Array, credentials: EstCredentials): Uint8Array | undefined {
    if (csrAttributeValues(csrDer, DecryptKeyOid.symmetric)) {
      throw invalid('symmetric_key_unsupported', 'DecryptKeyIdentifier (symmetric key encryption) is not supported; use AsymmetricDecryptKeyIdentifier');
    }
    const values = csrAttributeValues(csrDer, DecryptKeyOid.asymmetric);
    if (!values) return undefined;
    if (values.length !== 1) throw invalid('bad_decrypt_key_id', 'AsymmetricDecryptKeyIdentifier must have exactly one value');
    const wanted = new DerReader(values[0]).readOctetString('AsymmetricDecryptKeyIdentifier');
    const [leaf] = credentials.peerChain();
    const cert = leaf && parseCertificate(leaf);
    const matches = cert && (bytesEqual(cert.subjectKeyId ?? new Uint8Array(0), wanted) || bytesEqual(keyIdentifier(cert.spkiDer), wanted));
    if (!leaf || !matches) throw invalid('unknown_decrypt_key', `no TLS client certificate with key identifier ${Buffer.from(wanted).toString('hex')} was presented to encrypt the key to`);
    if (parseSpki(cert.spkiDer).spec.kind === 'ed25519') throw invalid('unsupported_decrypt_key', 'the key can only be encrypted to an RSA or EC certificate');
    return leaf;
  }
}
